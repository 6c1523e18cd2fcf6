"""Publishing side: the per-episode index of finished Shorts and the files a Short is
uploaded with (release comes later)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from shortfactory.core.artifacts import Candidates, ClipMetadata, ShortEntry, ShortsIndex
from shortfactory.core.errors import InputError
from shortfactory.core.io import atomic_path, read_model, write_model


def shorts_index(candidates: Candidates, videos: Sequence[str | Path],
                 metadata: Sequence[str | Path], captions: Sequence[str | Path],
                 thumbnails: Sequence[str | Path]) -> ShortsIndex:
    """Join the ranked clips with their rendered files; order follows the checkpoint."""
    by_id = {Path(v).stem: (str(v), str(m), str(c), str(p))
             for v, m, c, p in zip(videos, metadata, captions, thumbnails, strict=True)}
    shorts = []
    for clip in candidates.clips:
        video, meta_path, srt, png = by_id[clip.id]
        meta = read_model(meta_path, ClipMetadata)
        shorts.append(ShortEntry(id=clip.id, rank=clip.rank, video=video, metadata=meta_path,
                                 captions=srt, thumbnail=png, start_s=clip.start_s,
                                 end_s=clip.end_s, total=clip.total, title=meta.title))
    return ShortsIndex(episode=candidates.episode, shorts=shorts, message=candidates.message)


def write_shorts_index(candidates_path: str | Path, videos: Sequence[str | Path],
                       metadata: Sequence[str | Path], captions: Sequence[str | Path],
                       thumbnails: Sequence[str | Path], out: str | Path) -> ShortsIndex:
    index = shorts_index(read_model(candidates_path, Candidates), videos, metadata, captions,
                         thumbnails)
    write_model(out, index)
    return index


def export_captions(srt: str | Path, out: str | Path) -> None:
    """The clip's SRT next to its video in ``out/`` (YouTube takes it as a caption
    track); checked to hold cues, copied atomically."""
    text = Path(srt).read_text(encoding="utf-8")
    if text.strip() and "-->" not in text:
        raise InputError(f"{srt}: not an SRT file (no cue timing)")
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
