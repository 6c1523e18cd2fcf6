"""Folders ready for manual upload to TikTok and Instagram Reels (no API needed).

One folder per Short, named ``<rank>-<clip id>`` so that a file browser lists them
in publishing order: the video, the caption text to paste (title, description and
hashtags, within the stricter platform's limit), the hashtags alone, the SRT, and the
cover image. The episode's folder is built beside its final place and renamed in, so
a killed export never leaves a half-filled folder that looks finished.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from shortfactory.core.artifacts import ClipMetadata, ShortEntry, ShortsIndex
from shortfactory.core.errors import InputError
from shortfactory.core.io import read_model

log = logging.getLogger(__name__)

# Instagram's limits (TikTok allows 4000 characters): the caption must fit both.
CAPTION_CHARS = 2200
MAX_HASHTAGS = 30


def export_episode(shorts_json: str | Path, dest: str | Path) -> list[Path]:
    """Write ``dest/<rank>-<id>/`` for each Short of the index; returns the folders."""
    index = read_model(shorts_json, ShortsIndex)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        names = [_export_short(entry, stage) for entry in index.shorts]
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(stage, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [dest / name for name in names]


def _export_short(entry: ShortEntry, stage: Path) -> str:
    """One Short's folder inside ``stage``; returns its name."""
    meta = read_model(entry.metadata, ClipMetadata)
    name = f"{entry.rank:02d}-{entry.id}"
    folder = stage / name
    folder.mkdir()
    video = Path(entry.video)
    if not video.is_file():
        raise InputError(f"{video}: the Short's video is missing (listed in shorts.json)")
    _link_or_copy(video, folder / f"{entry.id}.mp4")
    hashtags = _hashtags(meta, entry.id)
    (folder / "caption.txt").write_text(caption_text(meta, hashtags), encoding="utf-8")
    (folder / "hashtags.txt").write_text(" ".join(hashtags) + "\n", encoding="utf-8")
    for source, target in ((entry.captions, f"{entry.id}.srt"), (entry.thumbnail, "cover.png")):
        if Path(source).is_file():
            shutil.copyfile(source, folder / target)
    return name


def caption_text(meta: ClipMetadata, hashtags: list[str]) -> str:
    """Title, description and hashtags as one post caption, cut to fit.

    The description is what gets shortened (on a word boundary): the title is the
    hook and the hashtags are the reach.
    """
    tail = "\n\n" + " ".join(hashtags) if hashtags else ""
    head = meta.title.strip()
    body = _without_hashtags(meta.description, hashtags)
    room = CAPTION_CHARS - len(head) - len(tail) - 2
    if len(body) > room:
        log.warning("%s: description cut to fit the %d-character caption limit",
                    meta.clip_id, CAPTION_CHARS)
        body = body[: max(room - 1, 0)].rsplit(" ", 1)[0].rstrip() + "…" if room > 1 else ""
    text = head + ("\n\n" + body if body and body != head else "") + tail
    return text[:CAPTION_CHARS] + "\n"


def _hashtags(meta: ClipMetadata, clip_id: str) -> list[str]:
    """The metadata's hashtags with a leading ``#``, without duplicates, at most 30."""
    seen: dict[str, str] = {}
    for tag in meta.hashtags:
        tag = "#" + tag.strip().lstrip("#").replace(" ", "")
        if len(tag) > 1:
            seen.setdefault(tag.lower(), tag)
    tags = list(seen.values())
    if len(tags) > MAX_HASHTAGS:
        log.warning("%s: %d hashtags, kept the first %d (Instagram's limit)", clip_id,
                    len(tags), MAX_HASHTAGS)
    return tags[:MAX_HASHTAGS]


def _without_hashtags(description: str, hashtags: list[str]) -> str:
    """The description without a trailing line of the same hashtags (no doubling)."""
    lines = description.rstrip().splitlines()
    if lines and set(lines[-1].split()) <= {h for h in hashtags} and lines[-1].strip():
        lines = lines[:-1]
    return "\n".join(lines).strip()


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link (no second copy of a large video) where the filesystem allows."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
