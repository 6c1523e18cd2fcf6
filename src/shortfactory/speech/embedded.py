"""Transcripts from the subtitle streams a release already carries.

Anime releases (mkv) often ship text subtitles (ASS/SRT) made by people: better text
than any ASR, in the language the viewer wants. ffmpeg converts whatever text codec the
stream has to SRT, which is all this needs (start, end, text; styling and positions do
not matter here). Word times are spread over each line by characters, as a karaoke
line without timing would be: subtitles are timed to the speech line by line, so words
land within a line of where they are said. Picture subtitles (PGS, DVB, VobSub) would
need OCR: they are passed over with a note.
"""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

from shortfactory.core.artifacts import MediaStream, Segment, SourceProbe, Word
from shortfactory.core.errors import InputError
from shortfactory.core.media import ffmpeg_exe
from shortfactory.core.text import language_code, text_tokens

log = logging.getLogger(__name__)

_SRT_TIME = re.compile(r"(\d+):(\d\d):(\d\d)[,.](\d{1,3})")
_TAG = re.compile(r"<[^>]*>|\{[^}]*\}")


def choose_subtitle_stream(probe: SourceProbe, language: str | None) -> MediaStream | None:
    """The text subtitle stream in ``language`` (any language when None; a default-
    flagged one first); picture streams are skipped with one line."""
    pictures = [s for s in probe.subtitle_streams if not s.text]
    if pictures:
        log.info("%s: %d picture subtitle stream(s) (%s) ignored: text subtitles only",
                 probe.path, len(pictures), ", ".join(sorted({s.codec for s in pictures})))
    texts = sorted((s for s in probe.subtitle_streams if s.text), key=lambda s: not s.default)
    if language is None:
        return texts[0] if texts else None
    return next((s for s in texts if s.language and language_code(s.language) == language),
                None)


def read_subtitle_stream(source: str | Path, stream: int) -> list[tuple[float, float, str]]:
    """``(start, end, text)`` lines of the source's subtitle stream ``0:s:stream``."""
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(source),
            "-map", f"0:s:{stream}", "-f", "srt", "pipe:1"]
    done = subprocess.run(args, capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["ffmpeg failed"])[-1]
        raise InputError(f"{source}: subtitle stream {stream} cannot be read: {reason}")
    return parse_srt(done.stdout)


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    """SRT blocks as ``(start, end, text)``, markup stripped, lines joined, in time order."""
    lines = []
    for block in re.split(r"\n\s*\n", text.replace("\r", "").strip()):
        rows = block.split("\n")
        timing = next((k for k, r in enumerate(rows) if "-->" in r), None)
        if timing is None:
            continue
        stamps = _SRT_TIME.findall(rows[timing])
        if len(stamps) != 2:
            continue
        start, end = (int(h) * 3600 + int(m) * 60 + int(s) + int(f.ljust(3, "0")) / 1000
                      for h, m, s, f in stamps)
        body = " ".join(_TAG.sub("", r).strip() for r in rows[timing + 1:])
        body = " ".join(body.replace("\\N", " ").split())
        if body and end > start:
            lines.append((round(start, 3), round(end, 3), body))
    return sorted(lines)


def line_words(start: float, end: float, text: str) -> list[Word]:
    """A line's words with times spread by characters: spaced words for spaced scripts,
    one character a word for CJK (a line may then break anywhere, as it can there)."""
    tokens = text_tokens(text)
    total = sum(len(t) for t in tokens) or 1
    words, t = [], start
    for token in tokens:
        step = (end - start) * len(token) / total
        words.append(Word(word=token, start=round(t, 3), end=round(t + step, 3)))
        t += step
    return words


def segments_from_lines(lines: list[tuple[float, float, str]]) -> list[Segment]:
    return [Segment(id=k, start=a, end=b, text=text, words=line_words(a, b, text))
            for k, (a, b, text) in enumerate(lines)]
