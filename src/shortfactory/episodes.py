"""Episode discovery, episode ids and clip ids.

Episode ids are the file stem made path- and wildcard-safe while keeping Unicode
letters, so ``Ep 01 — Début.mkv`` and ``第1話.mp4`` both get readable, distinct ids.
Clip ids come from the clip's own time span (``c0412-0447``), never from its rank, so
re-scoring that only reorders clips leaves every clip's files valid.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from .errors import InputError
from .media import VIDEO_SUFFIXES

_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)


def episode_id(path: str | Path) -> str:
    """Readable, filesystem-safe id from a file name (Unicode letters kept)."""
    stem = unicodedata.normalize("NFC", Path(path).stem)
    slug = _UNSAFE.sub("-", stem).strip("-.")
    return slug or "episode"


def discover_episodes(folder: str | Path, listed: Iterable[str] = ()) -> dict[str, Path]:
    """Map episode id -> source path from an explicit list, else from ``folder``.

    Two files that would share an id are an error rather than a silent overwrite.
    """
    folder = Path(folder)
    paths = [Path(p) for p in listed]
    if not paths and folder.is_dir():
        paths = sorted(p for p in folder.iterdir()
                       if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
    episodes: dict[str, Path] = {}
    for path in paths:
        key = episode_id(path)
        if key in episodes and episodes[key] != path:
            raise InputError(f"{path}: same episode id {key!r} as {episodes[key]}; rename one")
        episodes[key] = path
    return episodes


def clip_id(start_s: float, end_s: float) -> str:
    """Stable id from the span, e.g. 412.3-447.1 s -> ``c0412-0447``."""
    return f"c{math.floor(start_s):04d}-{math.floor(end_s):04d}"
