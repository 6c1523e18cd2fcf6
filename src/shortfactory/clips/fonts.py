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
import importlib
import re
from pathlib import Path

import pysubs2
from fontTools.ttLib import TTFont, TTLibError

from shortfactory.core.models import caption_font_files
from shortfactory.core.text import is_cjk, is_hangul

_DEJAVU_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
)
# What libass matches a style's Fontname against: family, full, PostScript, typographic.
_NAME_IDS = (1, 4, 6, 16)


# Caption fonts from PyPI (OFL-1.1; Luckiest Guy Apache-2.0): ``<package>/files/*.ttf``.
# Only upright faces of a weight a caption can use: libass picks among what it is given.
FONT_PACKAGES = ("fontpkg_anton", "fontpkg_bebas_neue", "fontpkg_luckiest_guy",
                 "fontpkg_poppins", "fontpkg_montserrat")
_CAPTION_WEIGHTS = re.compile(r"^[^-]+(-(Regular|Bold|ExtraBold|Black))?\.ttf$|\[wght\]\.ttf$")


def packaged_fonts(package: str) -> list[Path]:
    """A font package's caption faces; none when it is not installed."""
    try:
        module = importlib.import_module(package)
    except ImportError:
        return []
    root = Path(getattr(module, "ROOT", Path(module.__file__ or ".").parent)) / "files"
    return sorted(f for f in root.glob("*.ttf")
                  if _CAPTION_WEIGHTS.search(f.name) and "Italic" not in f.name)


def font_files() -> list[Path]:
    """Fonts to hand libass: the caption font packages, the static Montserrat weights cut
    at install (:func:`shortfactory.core.models.fetch_caption_fonts`), Noto Sans CJK JP
    Bold, plus DejaVu where one is found.

    Why: a bare machine may have no fonts at all, and this libass has no fontconfig
    fallback; every face a recipe can name is found by path. (libass names the variable
    Montserrat by its thinnest instance, "Montserrat Thin": hence the static cuts.)
    """
    files: list[Path] = [f for package in FONT_PACKAGES for f in packaged_fonts(package)]
    files += caption_font_files()
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
def face_names(path: Path, index: int = 0, ids: tuple[int, ...] = _NAME_IDS) -> frozenset[str]:
    """Names of one face of a TrueType/OpenType file (collections too) from its name
    table: family, full, PostScript and typographic by default.

    Why not Pillow: it reports FreeType's family (``Montserrat``) while libass matches the
    name table's family, full and PostScript names (``Montserrat Thin`` for the variable
    Montserrat), which is what decides whether a recipe's font name is found.
    """
    try:
        font = TTFont(str(path), fontNumber=index, lazy=True)
        return frozenset(str(r).strip() for r in font["name"].names
                         if r.nameID in ids and r.platformID in (0, 1, 3) and str(r).strip())
    except (OSError, TTLibError, KeyError, UnicodeDecodeError):
        return frozenset()


@functools.cache
def _cover(path: Path) -> frozenset[int]:
    """Code points a font file's first face has a glyph for."""
    try:
        return frozenset(TTFont(str(path), fontNumber=0, lazy=True).getBestCmap() or {})
    except (OSError, TTLibError, KeyError):
        return frozenset()


def files_named(family: str, files: list[Path] | None = None) -> list[Path]:
    """The font files that answer to ``family`` (as libass matches names)."""
    wanted = family.strip().casefold()
    return [f for f in (font_files() if files is None else files)
            if any(name.casefold() == wanted for name in face_names(f))]


def missing_glyphs(runs: list[tuple[str, str]], files: list[Path] | None = None) -> list[str]:
    """``"X (U+XXXX) in <family>"`` for each character of ``(family, text)`` runs that
    no file of that family has (a family with no file misses everything)."""
    missing: list[str] = []
    for family, text in runs:
        cover: set[int] = set()
        for f in files_named(family, files):
            cover |= _cover(f)
        for char in sorted(set(text)):
            if not char.isspace() and ord(char) not in cover:
                missing.append(f"{char} (U+{ord(char):04X}) in {family}")
    return missing


def needs_cjk_font(text: str) -> bool:
    """Whether a word is written (partly) in a CJK script or Hangul."""
    return any(is_cjk(c) or is_hangul(c) for c in text)


_OVERRIDE = re.compile(r"\{([^}]*)\}")
_FN = re.compile(r"\\fn([^\\}]*)")


def ass_text_runs(ass: str) -> list[tuple[str, str]]:
    """``(font family, text)`` runs of an ASS script's events: each event's text in
    its style's Fontname, switched by ``\\fn`` override tags."""
    if not ass.strip():
        return []
    script = pysubs2.SSAFile.from_string(ass, format_="ass")
    runs: list[tuple[str, str]] = []
    for event in script.events:
        style = script.styles.get(event.style)
        default = style.fontname if style else ""
        family, pos = default, 0
        text = event.text.replace("\\N", " ").replace("\\n", " ").replace("\\h", " ")
        for match in _OVERRIDE.finditer(text):
            runs.append((family, text[pos: match.start()]))
            for fn in _FN.findall(match.group(1)):
                family = fn.strip() or default
            pos = match.end()
        runs.append((family, text[pos:]))
    return [(f, t) for f, t in runs if t.strip()]
