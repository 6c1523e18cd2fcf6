"""Load-time checks of a recipe: what its values mean on this machine.

A recipe that validates against the models can still stop a job after the expensive
stages: a Jinja template with an undefined variable, a font libass does not have, an
encoder this ffmpeg lacks, a watermark wider than the frame. These checks run stage code
to find out, so they live apart from the models in :mod:`shortfactory.core.recipe` (which
every stage imports, and which imports no stage). The line loads and edits recipes
through :func:`load_recipe` and :func:`modify_recipe` here, which run both.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import re
import string
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shortfactory.clips.fonts import face_names, files_named, missing_glyphs, needs_cjk_font
from shortfactory.core import recipe as models
from shortfactory.core.recipe import (
    CandidatesSection,
    MetadataSection,
    Problem,
    Recipe,
    RenderSection,
    Section,
    SubtitleSection,
)

# --- load-time checks: what the values mean on this machine ------------------------



def load_recipe(path: str | Path) -> Recipe:
    """Load, merge and validate a recipe as the line runs it: the models' rules and the
    load-time checks, every problem reported at once (:class:`RecipeError`)."""
    return models.load_recipe(path, checks=load_time_problems)


@contextlib.contextmanager
def modify_recipe(path: str | Path) -> Iterator[Any]:
    """Edit a recipe in place (comments kept); the result must pass :func:`load_recipe`,
    so a tuning step can never write a recipe the line would reject."""
    with models.modify_recipe(path, checks=load_time_problems) as data:
        yield data


def _section(name: str, merged: dict[str, Any]) -> Section | None:
    """One section validated on its own, its invalid keys replaced by their defaults.

    Why: the load-time checks need typed values, and every problem is reported at once:
    a bad ``render.width`` (already reported by the models) must not hide a watermark
    that does not fit. None when the section cannot be read at all (not a mapping, or
    a rule across its keys fails).
    """
    model = Recipe.model_fields[name].annotation
    assert isinstance(model, type) and issubclass(model, Section)
    data = merged.get(name) or {}
    if not isinstance(data, dict):
        return None
    data = copy.deepcopy(data)
    for _ in range(len(data) + 1):
        try:
            return model.model_validate(data)
        except ValidationError as err:
            bad = {e["loc"][0] for e in err.errors() if e["loc"] and e["loc"][0] in data}
            if not bad:
                return None
            for key in bad:
                del data[key]
    return None


def load_time_problems(merged: dict[str, Any]) -> list[Problem]:
    """Problems that would stop a job after the expensive stages, as ``(key path, reason)``.

    Metadata templates are parsed and rendered on sample clips (with and without speech),
    the subtitle font is looked up the way the render's libass does, and the encoders
    and watermark font are checked in the ffmpeg and fonts the render uses.
    """
    problems: list[Problem] = []
    subtitles = _section("subtitles", merged)
    candidates = _section("candidates", merged)
    triggers = list(candidates.triggers) if isinstance(candidates, CandidatesSection) else []
    if isinstance(subtitles, SubtitleSection):
        problems += _subtitle_font_problems(subtitles, [*subtitles.keywords, *triggers])
        problems += _emoji_problems(subtitles)
    render = _section("render", merged)
    if isinstance(render, RenderSection):
        problems += _render_problems(render)
        hook = render.hook
        if hook.enabled:
            key = ("render", "hook", "font")
            problems += (_font_problems(key, hook.font, True)
                         or _glyph_problems(key, hook.font, hook.cjk_font, []))
    metadata = _section("metadata", merged)
    if isinstance(metadata, MetadataSection):
        from shortfactory.clips.metadata import template_problems

        found = template_problems(metadata)
        problems += [(("metadata", *loc), message) for loc, message in found]
    return problems


@dataclass(frozen=True, slots=True)
class FontChoice:
    """The face libass draws a requested font name with, as the render would run it.

    Attributes:
        requested: the name asked for (``subtitles.font``).
        file: the chosen face's file; None when no face is known.
        names: family, full and PostScript names of the chosen face.
        note: why libass could not be asked, when it could not.
    """

    requested: str
    file: Path | None
    names: frozenset[str]
    note: str = ""

    @property
    def found(self) -> bool:
        """libass matches names case-insensitively; any other face is its silent fallback."""
        wanted = self.requested.casefold()
        return any(name.casefold() == wanted for name in self.names)


_FONTSELECT_RE = re.compile(
    r"fontselect: \(.*\) -> (?P<file>.*), (?P<index>\d+), (?P<ps>[^,\n]*?)\s*$", re.M
)


def font_choice(requested: str, report: str, files: list[Path], note: str = "") -> FontChoice:
    """Read libass's ``fontselect`` report (ffmpeg ``-loglevel info``) into a choice.

    libass prints a path for a system (fontconfig) face and a name for a face from the
    render's font folder; the latter is found among ``files`` by PostScript name. With
    no report (ffmpeg could not run) only ``files`` themselves can answer.
    """
    match = _FONTSELECT_RE.search(report)
    if match is None:
        wanted = requested.casefold()
        for file in files:
            names = face_names(file)
            if any(name.casefold() == wanted for name in names):
                return FontChoice(requested, file, names, note)
        return FontChoice(requested, None, frozenset(), note or "libass reported no face")
    file: Path | None = Path(match["file"])
    index = int(match["index"])
    if not (file.is_absolute() and file.is_file()):
        file = next((f for f in files if match["ps"] in face_names(f, ids=(6,))), None)
        index = 0
    names = face_names(file, index) if file else frozenset({match["ps"]})
    return FontChoice(requested, file, names | {match["ps"]})


@functools.lru_cache(maxsize=16)
def resolve_subtitle_font(font: str, bold: bool = True) -> FontChoice:
    """Which face the render's libass draws ``font`` with, asked of libass itself.

    Why ask rather than look up: libass silently falls back to another family when a
    name is missing, and what it can see (the render's font folder plus fontconfig's
    system fonts) is only known to the ffmpeg the render runs. So this burns one
    caption written by :func:`shortfactory.clips.subtitles.to_ass`, with the font folder of
    ``shortfactory.clips.render._fonts_dir`` (private there; imported rather than copied so
    the check cannot drift from the render), and reads libass's report. About 0.2 s,
    once per process and font.
    """
    from shortfactory.clips.fonts import font_files
    from shortfactory.clips.render import _fonts_dir, escape_filter_value
    from shortfactory.clips.subtitles import Cue, CueWord, to_ass
    from shortfactory.core.media import ffmpeg_exe

    section = SubtitleSection(font=font, bold=bold, karaoke=False)
    caption = Cue(start=0.0, end=1.0, lines=[[CueWord(text="Aa", raw="Aa", start=0.0, end=1.0)]])
    report, note = "", ""
    with tempfile.TemporaryDirectory(prefix="shortfactory-font-") as tmp:
        ass = Path(tmp) / "probe.ass"
        ass.write_text(to_ass([caption], section), encoding="utf-8")
        fonts = _fonts_dir(Path(tmp))
        graph = (f"ass=filename={escape_filter_value(str(ass))}"
                 f":fontsdir={escape_filter_value(str(fonts))}")
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "info",
               "-f", "lavfi", "-i", "color=c=black:s=108x192:r=1:d=1",
               "-vf", graph, "-f", "null", "-"]
        try:
            report = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stderr
        except (OSError, subprocess.SubprocessError) as err:
            note = f"could not run ffmpeg to ask libass ({err})"
    return font_choice(font, report, font_files(), note)


def _render_families() -> list[str]:
    """Family names of the fonts the render hands libass itself (for error messages)."""
    from shortfactory.clips.fonts import font_files

    return sorted({name for f in font_files() for name in face_names(f, ids=(1,))})


def _subtitle_font_problems(subtitles: SubtitleSection, words: list[str]) -> list[Problem]:
    """The caption font exists as named and draws the recipe's own words: a font only
    the render would find wanting (a display font without digits, or without the
    accents of a keyword) is an error here, before any stage runs."""
    problems = _font_problems(("subtitles", "font"), subtitles.font, subtitles.bold)
    if problems:
        return problems
    return _glyph_problems(("subtitles", "font"), subtitles.font, subtitles.cjk_font,
                           [w.upper() if subtitles.uppercase else w for w in words])


def _font_problems(key: tuple[str, ...], font: str, bold: bool) -> list[Problem]:
    choice = resolve_subtitle_font(font, bold)
    if choice.found:
        return []
    if choice.file is not None:
        instead = f"libass would silently draw {choice.file.name} instead"
    else:
        instead = choice.note or "libass found no face at all"
    have = ", ".join(_render_families()) or "none"
    return [(key, f"font '{font}' is not installed: {instead}; the render ships {have} "
             "(any family `fc-list : family` shows works too)")]


def _emoji_problems(subtitles: SubtitleSection) -> list[Problem]:
    """Every emoji of the recipe's map has artwork: the render draws images, and a
    missing one would silently vanish from the Short."""
    from shortfactory.clips.emoji import missing_emoji
    from shortfactory.clips.subtitles import split_emoji

    problems: list[Problem] = []
    for word, drawn in subtitles.emoji.items():
        rest, found = split_emoji(drawn)
        missing = missing_emoji(found)
        if rest or not found or missing:
            problems.append((("subtitles", "emoji", word),
                             f"'{drawn}' is not an emoji the render can draw (bundled Twemoji "
                             f"{', '.join(missing) or 'has no such image'})"))
    return problems


# What every caption shows sooner or later: letters, digits and sentence punctuation.
_CAPTION_CHARS = (string.ascii_letters + string.digits + ".,!?'-%"
                  + "\u00e9\u00e8\u00e0\u00fc\u00f6\u00e4\u00f1\u00e7")


def _glyph_problems(key: tuple[str, ...], font: str, cjk_font: str,
                    words: list[str]) -> list[Problem]:
    """Characters of common captions and of ``words`` the fonts lack (CJK words are
    drawn with ``cjk_font``); a font with no file of its own (a system font) is not
    checked here: the render's own glyph check covers it."""
    if not files_named(font):
        return []
    runs = [(font, _CAPTION_CHARS)]
    runs += [(cjk_font if needs_cjk_font(w) else font, w) for w in words]
    missing = missing_glyphs(runs)
    if not missing:
        return []
    return [(key, f"'{font}' has no glyph for {', '.join(missing[:6])}: the captions would "
             "show boxes; choose a font that covers them")]


@functools.lru_cache(maxsize=4)
def ffmpeg_encoders(exe: str) -> frozenset[str] | None:
    """Encoder names an ffmpeg binary was built with (``ffmpeg -encoders``); None if it fails."""
    try:
        proc = subprocess.run([exe, "-hide_banner", "-nostdin", "-encoders"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return frozenset(re.findall(r"^\s*[VAS][A-Z.]{5}\s+(\S+)", proc.stdout, re.M))


def _render_problems(render: RenderSection) -> list[Problem]:
    """Encoders the render asks for exist in its ffmpeg; a watermark has a font and fits."""
    from shortfactory.core.media import ffmpeg_exe

    exe = ffmpeg_exe()
    encoders = ffmpeg_encoders(exe)
    problems: list[Problem] = []
    if encoders is None:
        problems.append((("render", "codec"), f"cannot run ffmpeg ({exe}) to list its encoders"))
    else:
        for key, encoder in (("codec", render.codec), ("audio_bitrate", "aac")):
            if encoder not in encoders:
                problems.append((("render", key), f"this ffmpeg ({exe}) has no {encoder} encoder"))
    return problems + _watermark_problems(render)


def _watermark_problems(render: RenderSection) -> list[Problem]:
    """A watermark is drawn with the render's own font file and must fit the frame.

    drawtext without a font file would fall back to whatever fontconfig offers, and text
    wider than the frame is cut off on both sides: both only show in the finished Short.
    """
    mark = render.watermark
    if not mark.text.strip():
        return []
    from PIL import ImageFont

    from shortfactory.clips.render import (
        _watermark_font,  # private there; reused so the check cannot drift
    )

    font = _watermark_font()
    if font is None or not font.is_file():
        return [(("render", "watermark", "text"),
                 "no font to draw the watermark with: the render uses DejaVu Sans Bold or the "
                 "bundled Montserrat, and neither is installed")]
    problems: list[Problem] = []
    if mark.opacity == 0:
        problems.append((("render", "watermark", "opacity"),
                         "0 makes the watermark invisible; for none, set text to \"\""))
    face = ImageFont.truetype(str(font), mark.font_size)
    border = 2 * 2  # the render's drawtext borderw=2, on both sides
    wide = max(face.getlength(line) for line in mark.text.splitlines() or [mark.text]) + border
    if wide > render.width:
        problems.append((("render", "watermark", "text"),
                         f"'{mark.text}' is {wide:.0f} px wide at font_size {mark.font_size} "
                         f"({font.name}), wider than render.width {render.width}: shorten it "
                         "or lower font_size"))
    return problems
