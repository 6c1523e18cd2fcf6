"""The fonts the render hands libass, and whether they have a glyph for every character.

The ffmpeg in the imageio-ffmpeg wheel has libass without fontconfig: a character the
style's font lacks has no system fallback and comes out as an empty box, silently.
So the fonts are the project's own, found by path (Montserrat for Latin and Cyrillic,
Noto Sans CJK JP Bold for Chinese, Japanese and Korean, from PyPI; DejaVu where the
system has it), subtitles put CJK runs in the CJK font by name (``\\fn``), and the
render refuses a script a glyph of which no font it will use has.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from shortfactory.core.text import is_cjk

_DEJAVU_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
)
# What libass matches a style's Fontname against: family, full, PostScript, typographic.
_NAME_IDS = (1, 4, 6, 16)


def font_files() -> list[Path]:
    """Fonts to hand libass: the bundled Montserrat and Noto Sans CJK JP Bold, plus
    DejaVu where one is found.

    Why: a bare machine may have no fonts at all; libass then cannot draw anything.
    Note: libass names the variable Montserrat by its default instance, "Montserrat
    Thin"; a recipe asking for "Montserrat" falls back to another family.
    """
    files: list[Path] = []
    try:
        import fontpkg_montserrat

        files += sorted((Path(fontpkg_montserrat.ROOT) / "files").glob("*.ttf"))
    except ImportError:  # pragma: no cover - a declared dependency
        pass
    try:
        import noto_cjk_sans_jp_bold

        files.append(Path(noto_cjk_sans_jp_bold.FONT_PATH))
    except ImportError:  # pragma: no cover - a declared dependency
        pass
    for d in _DEJAVU_DIRS:
        found = sorted(Path(d).glob("DejaVuSans*.ttf")) if Path(d).is_dir() else []
        if found:
            files += found
            break
    return files


@functools.cache
def _faces(path: Path) -> tuple[frozenset[str], frozenset[int]]:
    """(lower-cased names, code points with a glyph) of a font file's first face."""
    try:
        font = TTFont(str(path), fontNumber=0, lazy=True)
        names = frozenset(str(r).strip().lower() for r in font["name"].names
                          if r.nameID in _NAME_IDS)
        return names, frozenset(font.getBestCmap() or {})
    except (OSError, TTLibError, KeyError):
        return frozenset(), frozenset()


def files_named(family: str, files: list[Path] | None = None) -> list[Path]:
    """The font files that answer to ``family`` (as libass matches names)."""
    wanted = family.strip().lower()
    return [f for f in (font_files() if files is None else files) if wanted in _faces(f)[0]]


def missing_glyphs(runs: list[tuple[str, str]], files: list[Path] | None = None) -> list[str]:
    """``"X (U+XXXX) in <family>"`` for each character of ``(family, text)`` runs that
    no file of that family has (a family with no file misses everything)."""
    missing: list[str] = []
    for family, text in runs:
        cover: set[int] = set()
        for f in files_named(family, files):
            cover |= _faces(f)[1]
        for char in sorted(set(text)):
            if not char.isspace() and ord(char) not in cover:
                missing.append(f"{char} (U+{ord(char):04X}) in {family}")
    return missing


def needs_cjk_font(text: str) -> bool:
    """Whether a word is written (partly) in a CJK script or Hangul."""
    return any(is_cjk(c) or "\uac00" <= c <= "\ud7a3" or "\u1100" <= c <= "\u11ff"
               for c in text)


_OVERRIDE = re.compile(r"\{([^}]*)\}")
_FN = re.compile(r"\\fn([^\\}]*)")


def ass_text_runs(ass: str) -> list[tuple[str, str]]:
    """``(font family, text)`` runs of an ASS script's events: each Dialogue's text in
    its style's Fontname, switched by ``\\fn`` override tags."""
    styles: dict[str, str] = {}
    runs: list[tuple[str, str]] = []
    for line in ass.splitlines():
        if line.startswith("Style:"):
            name, font = [p.strip() for p in line[6:].split(",")[:2]]
            styles[name] = font
        elif line.startswith("Dialogue:"):
            fields = line[9:].split(",", 9)
            family = styles.get(fields[3].strip(), "")
            pos = 0
            text = fields[9].replace("\\N", " ").replace("\\n", " ").replace("\\h", " ")
            for match in _OVERRIDE.finditer(text):
                runs.append((family, text[pos: match.start()]))
                for fn in _FN.findall(match.group(1)):
                    family = fn.strip() or styles.get(fields[3].strip(), "")
                pos = match.end()
            runs.append((family, text[pos:]))
    return [(f, t) for f, t in runs if t.strip()]
