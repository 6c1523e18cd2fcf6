"""Publishing side: the per-episode index of finished Shorts (release comes later)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from shortfactory.core.artifacts import Candidates, ClipMetadata, ShortEntry, ShortsIndex
from shortfactory.core.io import read_model, write_model


def shorts_index(candidates: Candidates, videos: Sequence[str | Path],
                 metadata: Sequence[str | Path]) -> ShortsIndex:
    """Join the ranked clips with their rendered files; order follows the checkpoint."""
    by_id = {Path(v).stem: (str(v), str(m)) for v, m in zip(videos, metadata, strict=True)}
    shorts = []
    for clip in candidates.clips:
        video, meta_path = by_id[clip.id]
        meta = read_model(meta_path, ClipMetadata)
        shorts.append(ShortEntry(id=clip.id, rank=clip.rank, video=video, metadata=meta_path,
                                 start_s=clip.start_s, end_s=clip.end_s, total=clip.total,
                                 title=meta.title))
    return ShortsIndex(episode=candidates.episode, shorts=shorts, message=candidates.message)


def write_shorts_index(candidates_path: str | Path, videos: Sequence[str | Path],
                       metadata: Sequence[str | Path], out: str | Path) -> ShortsIndex:
    index = shorts_index(read_model(candidates_path, Candidates), videos, metadata)
    write_model(out, index)
    return index
