"""Recipe validation: located errors, extends, round-trip edits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shortfactory.errors import RecipeError
from shortfactory.recipe import SECTIONS, load_recipe, modify_recipe, section_params

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
