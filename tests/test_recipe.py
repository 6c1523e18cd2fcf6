"""Recipe validation: located errors, extends, round-trip edits."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel
from ruamel.yaml import YAML

from shortfactory.cli import main
from shortfactory.clips import render
from shortfactory.clips.fonts import font_files
from shortfactory.core import media
from shortfactory.core.errors import RecipeError
from shortfactory.core.recipe import (
    SECTIONS,
    Recipe,
    parse_bitrate,
    section_params,
)
from shortfactory.recipe_checks import (
    font_choice,
    load_recipe,
    modify_recipe,
    resolve_subtitle_font,
)

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_default_and_genre_recipes_load() -> None:
    default = load_recipe(REPO / "recipes" / "default.yaml")
    anime = load_recipe(REPO / "recipes" / "anime.yaml")
    assert anime.vision.faces.backends[0] == "animeface"
    assert anime.subtitles.uppercase and not default.subtitles.uppercase
    # Keys anime.yaml does not set come from the default, not from model defaults only.
    assert anime.transcribe == default.transcribe
    assert anime.candidates.triggers["no way"] == 1.0 and "nani" in anime.candidates.triggers


def test_every_default_key_is_commented() -> None:
    lines = (REPO / "recipes" / "default.yaml").read_text().splitlines()
    keyed = [ln for ln in lines if re.match(r"^\s*[\w\"' ]+:\s*\S", ln) and ":" in ln]
    uncommented = [ln for ln in keyed if "#" not in ln and not ln.strip().startswith('"')]
    assert len(keyed) > 80 and not uncommented, uncommented


def test_bad_type_names_file_line_and_key(tmp_path: Path) -> None:
    recipe = write(tmp_path / "bad.yaml", "camera:\n  max_speed_px_s: fast\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(recipe)
    assert f"{recipe}:2:3: camera.max_speed_px_s:" in str(err.value)
    assert "valid number" in str(err.value)


def test_unknown_key_is_rejected_with_location(tmp_path: Path) -> None:
    recipe = write(tmp_path / "typo.yaml", "subtitles:\n  font: Arial\n  max_char: 10\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(recipe)
    assert f"{recipe}:3:3: subtitles.max_char: Extra inputs are not permitted" in str(err.value)


def test_all_errors_reported_at_once(tmp_path: Path) -> None:
    recipe = write(tmp_path / "two.yaml", "camera:\n  zoom: 0.2\nrender:\n  crf: 99\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(recipe)
    message = str(err.value)
    assert "camera.zoom" in message and "render.crf" in message
    assert f"{recipe}:2:3" in message and f"{recipe}:4:3" in message


def test_cross_field_rule(tmp_path: Path) -> None:
    recipe = write(tmp_path / "len.yaml", "candidates:\n  min_length_s: 50\n")
    with pytest.raises(RecipeError, match=r"len.yaml:1:1: candidates: .*min_length_s"):
        load_recipe(recipe)


def test_missing_extends_target(tmp_path: Path) -> None:
    recipe = write(tmp_path / "child.yaml", "extends: nowhere.yaml\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(recipe)
    assert f"{recipe}:1:1: extends: recipe 'nowhere.yaml' not found" in str(err.value)


def test_extends_cycle(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "extends: b.yaml\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\n")
    with pytest.raises(RecipeError, match="cycle"):
        load_recipe(tmp_path / "a.yaml")


def test_error_in_parent_is_located_in_parent(tmp_path: Path) -> None:
    parent = write(tmp_path / "parent.yaml", "audio:\n  hop_s: -1\n")
    child = write(tmp_path / "child.yaml", "extends: parent.yaml\ncamera:\n  zoom: 1.2\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(child)
    assert f"{parent}:2:3: audio.hop_s:" in str(err.value)


def test_child_overrides_parent_key_by_key(tmp_path: Path) -> None:
    write(tmp_path / "parent.yaml", "camera:\n  zoom: 1.5\n  dead_zone: 0.2\n")
    child = write(tmp_path / "child.yaml", "extends: parent\ncamera:\n  zoom: 1.2\n")
    recipe = load_recipe(child)
    assert recipe.camera.zoom == 1.2 and recipe.camera.dead_zone == 0.2


def test_duplicate_keys_and_yaml_syntax(tmp_path: Path) -> None:
    recipe = write(tmp_path / "dup.yaml", "camera:\n  zoom: 1.2\n  zoom: 1.3\n")
    with pytest.raises(RecipeError, match=r"dup.yaml:3:3: .*duplicate"):
        load_recipe(recipe)
    broken = write(tmp_path / "broken.yaml", "camera: [\n")
    with pytest.raises(RecipeError, match="broken.yaml:"):
        load_recipe(broken)


def test_sections_are_plain_dicts_per_rule() -> None:
    recipe = load_recipe(REPO / "recipes" / "default.yaml")
    params = section_params(recipe, "camera")
    assert params["aspect"] == [9, 16] and set(SECTIONS) >= {"camera", "subtitles", "render"}


def test_modify_recipe_keeps_comments_and_validates(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text((REPO / "recipes" / "default.yaml").read_text())
    with modify_recipe(path) as data:
        data["candidates"]["weights"]["audio"] = 0.4
    text = path.read_text()
    assert "audio: 0.4" in text and "# audio interest from audio_features.json" in text
    assert load_recipe(path).candidates.weights.audio == 0.4
    with pytest.raises(RecipeError), modify_recipe(path) as data:
        data["camera"]["zoom"] = 0.1
    assert load_recipe(path).camera.zoom == 1.0  # the rejected edit was not written


# --- late failures caught at load time (issue 17, item 7) ---------------------------


def problems(recipe: Path) -> str:
    """The located problem lines of a recipe that must not load."""
    with pytest.raises(RecipeError) as err:
        load_recipe(recipe)
    return str(err.value)


def test_shipped_recipes_pass_every_check(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("default", "anime", "live"):
        assert main(["check-recipe", str(REPO / "recipes" / f"{name}.yaml")]) == 0
        out = capsys.readouterr().out
        assert f"{name}.yaml: ok" in out
        face = r"Montserrat ExtraBold -> \S*Montserrat-ExtraBold\.ttf" if name == "anime" \
            else r"DejaVu Sans -> \S*DejaVuSans-Bold\.ttf"
        assert re.search(r"subtitles\.font: " + face, out), out


def test_bad_templates_fail_check_recipe_with_locations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = write(tmp_path / "tpl.yaml", (
        "metadata:\n"
        "  title: \"{{ hookk }}\"\n"
        "  description: |\n"
        "    {{ text }}\n"
        "    From {{ episode }\n"
        "  tags:\n"
        "    - shorts\n"
        "    - \"{{ scores.loudness }}\"\n"
        "  fallback_title: \"{{ hook }}\"\n"
        "  hashtags: [\"#{{ hook.__class__ }}\"]\n"
    ))
    assert main(["check-recipe", str(recipe)]) == 1
    err = capsys.readouterr().err
    assert f"{recipe}:2:3: metadata.title: unknown variable 'hookk' (did you mean 'hook'?)" in err
    assert (f"{recipe}:3:3: metadata.description: template syntax error (template line 2): "
            "unexpected '}'") in err
    assert f"{recipe}:8:7: metadata.tags.1: 'dict object' has no attribute 'loudness'" in err
    assert f"{recipe}:9:3: metadata.fallback_title: renders without words" in err
    assert f"{recipe}:10:14: metadata.hashtags.0: template fails" in err and "unsafe" in err


def test_template_in_a_parent_is_located_in_the_parent(tmp_path: Path) -> None:
    parent = write(tmp_path / "parent.yaml", "metadata:\n  tags: [a, b, \"{{ nope }}\"]\n")
    child = write(tmp_path / "child.yaml", "extends: parent.yaml\nmetadata:\n  title: Hi\n")
    assert f"{parent}:2:16: metadata.tags.2: unknown variable 'nope'" in problems(child)


def test_bad_render_values_are_located(tmp_path: Path) -> None:
    recipe = write(tmp_path / "render.yaml", (
        "render:\n"
        "  width: 1081\n"
        "  preset: superfast2\n"
        "  audio_bitrate: 192kbps\n"
        "  loudness_lufs: -3\n"
        "  true_peak_db: -12\n"
        "  speed: 3\n"
    ))
    found = problems(recipe)
    assert f"{recipe}:2:3: render.width: 1081 is odd" in found
    assert (f"{recipe}:3:3: render.preset: 'superfast2' is not a preset of libx264; use one "
            "of ultrafast, superfast, veryfast") in found
    assert f"{recipe}:4:3: render.audio_bitrate: '192kbps' is not a bitrate" in found
    assert f"{recipe}:5:3: render.loudness_lufs: Input should be less than or equal to -5" \
        in found
    assert f"{recipe}:6:3: render.true_peak_db: Input should be greater than or equal to -9" \
        in found
    assert f"{recipe}:7:3: render.speed: Input should be less than or equal to 2" in found


def test_codec_decides_presets_and_quality_range(tmp_path: Path) -> None:
    nvenc = write(tmp_path / "nvenc.yaml", "render:\n  codec: h264_nvenc\n  crf: 0\n"
                  "  audio_bitrate: 8k\n")
    found = problems(nvenc)
    # The default preset (veryfast) is an x264 name: NVENC would refuse it.
    assert f"{nvenc}:1:1: render.preset: 'veryfast' is not a preset of h264_nvenc" in found
    assert f"{nvenc}:3:3: render.crf: 0 is outside h264_nvenc's range 1-51" in found
    assert f"{nvenc}:4:3: render.audio_bitrate: 8k is outside the sane AAC range" in found
    good = write(tmp_path / "good.yaml", "render:\n  codec: h264_nvenc\n  preset: p5\n"
                 "  crf: 23\n  audio_bitrate: 0.192M\n")
    assert load_recipe(good).render.preset == "p5"


def test_bitrates_parse_like_ffmpeg() -> None:
    assert parse_bitrate("160k") == 160_000 and parse_bitrate("160K") == 160_000
    assert parse_bitrate("0.5M") == 500_000 and parse_bitrate("128000") == 128_000
    for bad in ("192kbps", "0.2m", "160 k", "", "k"):
        assert parse_bitrate(bad) is None, bad


@pytest.mark.parametrize("font", ["Comic Sans MS", "Bangers"])
def test_missing_subtitle_font_is_an_error_not_a_fallback(tmp_path: Path, font: str) -> None:
    """libass would silently draw DejaVu for both: the check asks libass and compares
    the face it chose."""
    recipe = write(tmp_path / "font.yaml", f"subtitles:\n  bold: true\n  font: {font}\n")
    found = problems(recipe)
    assert f"{recipe}:3:3: subtitles.font: font '{font}' is not installed: libass would " \
           "silently draw DejaVuSans-Bold.ttf instead" in found
    assert "Montserrat Thin" in found  # the message lists what the render has


@pytest.mark.parametrize("font", ["dejavu sans", "Montserrat Thin", "DejaVuSans-Bold",
                                  "Montserrat ExtraBold", "Anton", "Bebas Neue",
                                  "Luckiest Guy", "Poppins Black"])
def test_fonts_libass_finds_pass(tmp_path: Path, font: str) -> None:
    recipe = write(tmp_path / "font.yaml", f"subtitles:\n  font: {font}\n")
    assert load_recipe(recipe).subtitles.font == font
    choice = resolve_subtitle_font(font, True)
    assert choice.found and choice.file is not None and choice.file.is_file()


def test_a_caption_font_without_the_recipes_letters_is_an_error(tmp_path: Path) -> None:
    """Luckiest Guy has no Cyrillic: a Russian keyword would render as boxes."""
    recipe = write(tmp_path / "glyph.yaml", "subtitles:\n  font: Luckiest Guy\n"
                   "  keywords: [\"Москва\"]\n")
    found = problems(recipe)
    assert f"{recipe}:2:3: subtitles.font: 'Luckiest Guy' has no glyph for" in found
    assert "(U+041C) in Luckiest Guy" in found
    ok = write(tmp_path / "ok.yaml", "subtitles:\n  font: Montserrat ExtraBold\n"
               "  keywords: [\"Москва\", \"東京\"]\n")  # Cyrillic in Montserrat; CJK: Noto
    assert load_recipe(ok).subtitles.keywords == ["Москва", "東京"]


def test_emoji_map_values_must_be_drawable(tmp_path: Path) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    recipe = write(tmp_path / "emoji.yaml", "subtitles:\n  emoji:\n    cat: 'x'\n"
                   f"    flag: \"\U0001f1ef\U0001f1f5\"\n    family: \"{family}\"\n")
    found = problems(recipe)
    assert "subtitles.emoji.cat: 'x' is not an emoji the render can draw" in found
    assert "emoji.flag" not in found and "emoji.family" not in found


def test_font_name_must_fit_an_ass_style(tmp_path: Path) -> None:
    recipe = write(tmp_path / "comma.yaml", "subtitles:\n  font: 'Arial, Bold'\n")
    assert f"{recipe}:2:3: subtitles.font: 'Arial, Bold' cannot be written" in problems(recipe)


def test_fontselect_report_is_read_for_both_kinds_of_face() -> None:
    files = font_files()
    system = "[Parsed_ass_0 @ 0x1] fontselect: (DejaVu Sans, 700, 0) -> DejaVuSans-Bold, 0, " \
             "DejaVuSans-Bold\n"
    assert font_choice("DejaVu Sans", system, files).found
    assert not font_choice("Comic Sans MS", system, files).found
    assert font_choice("DejaVu Sans", "", files).found  # no libass: the render's own files
    assert not font_choice("Comic Sans MS", "", files, "ffmpeg failed").found


def test_watermark_must_have_a_font_fit_and_show(tmp_path: Path, monkeypatch) -> None:
    recipe = write(tmp_path / "mark.yaml", (
        "render:\n"
        "  width: 1081\n"  # its own error must not hide the watermark's
        "  watermark:\n"
        "    text: \"@a-very-long-channel-name-that-never-fits-the-frame\"\n"
        "    opacity: 0\n"
        "    font_size: 80\n"
    ))
    found = problems(recipe)
    assert f"{recipe}:2:3: render.width" in found
    assert (f"{recipe}:4:5: render.watermark.text: '@a-very-long-channel-name-that-never-fits-"
            "the-frame' is ") in found and "wider than render.width 1080" in found
    assert f"{recipe}:5:5: render.watermark.opacity: 0 makes the watermark invisible" in found
    fits = write(tmp_path / "fits.yaml", "render:\n  watermark:\n    text: '@shortfactory'\n")
    assert load_recipe(fits).render.watermark.text == "@shortfactory"
    monkeypatch.setattr(render, "font_files", lambda: [])  # a machine without those fonts
    assert f"{fits}:3:5: render.watermark.text: no font to draw the watermark" in problems(fits)


def test_every_problem_at_once_in_file_order(tmp_path: Path) -> None:
    recipe = write(tmp_path / "all.yaml", (
        "candidates:\n  min_score: -1\n"
        "subtitles:\n  font: No Such Font\n"
        "render:\n  preset: turbo\n"
        "metadata:\n  title: \"{{ x }}\"\n"
    ))
    lines = problems(recipe).splitlines()[1:]
    assert [ln.split(": ")[1] for ln in lines] == [
        "candidates.min_score", "subtitles.font", "render.preset", "metadata.title"]
    assert [ln.split(": ")[0] for ln in lines] == [f"{recipe}:{n}:3" for n in (2, 4, 6, 8)]


def test_min_score_floor() -> None:
    recipe = load_recipe(REPO / "recipes" / "default.yaml")
    assert recipe.candidates.min_score == 0.2
    assert "min_score" in section_params(recipe, "candidates")


def _models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    yield model
    for field in model.model_fields.values():
        for arg in (field.annotation, *typing.get_args(field.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                yield from _models(arg)


def test_every_field_has_a_description_and_a_documented_key() -> None:
    default = YAML(typ="safe").load((REPO / "recipes" / "default.yaml").read_text())
    for model in _models(Recipe):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"

    def walk(model: type[BaseModel], data: dict, path: str) -> None:
        for name, field in model.model_fields.items():
            if name == "extends":
                continue
            assert name in data, f"{path}{name} is not documented in default.yaml"
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                walk(field.annotation, data[name], f"{path}{name}.")

    walk(Recipe, default, "")


def test_codec_must_be_in_the_renders_ffmpeg(tmp_path: Path, monkeypatch) -> None:
    """An ffmpeg built without NVENC (as SHORTFACTORY_FFMPEG can point the render at)."""
    fake = write(tmp_path / "ffmpeg", "#!/bin/sh\necho ' V....D libx264  x264'\n"
                 "echo ' A....D aac      AAC'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(media, "ffmpeg_exe", lambda: str(fake))
    recipe = write(tmp_path / "gpu.yaml", "render:\n  codec: h264_nvenc\n  preset: p5\n")
    assert f"{recipe}:2:3: render.codec: this ffmpeg ({fake}) has no h264_nvenc encoder" \
        in problems(recipe)
    broken = write(tmp_path / "broken-ffmpeg", "#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(media, "ffmpeg_exe", lambda: str(broken))
    assert "render.codec: cannot run ffmpeg" in problems(recipe)
