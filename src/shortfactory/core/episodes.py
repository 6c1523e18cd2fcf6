"""Episode discovery, episode ids and clip ids.

Episode ids are the file stem made path- and wildcard-safe while keeping Unicode
letters, so ``Ep 01 — Début.mkv`` and ``第1話.mp4`` both get readable, distinct ids.
Clip ids come from the clip's own time span (``c0412-0447``), never from its rank, so
re-scoring that only reorders clips leaves every clip's files valid.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from shortfactory.core.errors import InputError
from shortfactory.core.media import VIDEO_SUFFIXES

_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)


def episode_id(path: str | Path) -> str:
    """Readable, filesystem-safe id from a file name (Unicode letters kept)."""
    stem = unicodedata.normalize("NFC", Path(path).stem)
    slug = _UNSAFE.sub("-", stem).strip("-.")
    return slug or "episode"


@dataclass(slots=True)
class Discovery:
    """The episodes found, and every file looked at but not taken, with the reason (so a
    user who dropped in a file the line cannot use learns it at once, not by its absence).
    """

    episodes: dict[str, Path] = field(default_factory=dict)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def _ignorable(path: Path) -> bool:
    """Files a user keeps beside episodes on purpose: hidden files, the folder's README."""
    return path.name.startswith(".") or path.stem.upper() == "README"


def _unusable_name(path: Path) -> str | None:
    """Why a file name cannot travel through the line, or None.

    A name that is not valid UTF-8 (a Latin-1 name from an old disk, say) decodes to
    surrogates that JSON artifacts and Snakemake's own records cannot store.
    """
    try:
        os.fsdecode(os.fsencode(path)).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", errors="backslashreplace")
        return f"{shown}: file name is not valid UTF-8; rename it"
    return None


def discover_episodes(folder: str | Path, listed: Iterable[str] = ()) -> Discovery:
    """Map episode id -> source path from an explicit list, else from ``folder``.

    A listed file is used whatever its extension (the user chose it) and a bad one is an
    error; in a folder, files with a video container's extension are taken and others
    are reported as skipped. Two files that would share an id are an error rather than
    a silent overwrite.
    """
    folder = Path(folder)
    found = Discovery()
    paths = [Path(p) for p in listed]
    for path in paths:
        problem = _unusable_name(path)
        if problem:
            raise InputError(problem)
    if not paths and folder.is_dir():
        for path in sorted(folder.iterdir()):
            if not path.is_file() or _ignorable(path):
                continue
            problem = _unusable_name(path)
            if problem:
                found.skipped.append((path, problem.split(": ", 1)[1]))
            elif path.suffix.lower() not in VIDEO_SUFFIXES:
                kind = path.suffix or "no extension"
                found.skipped.append((path, f"not a video container ({kind})"))
            else:
                paths.append(path)
    for path in paths:
        key = episode_id(path)
        if key in found.episodes and found.episodes[key] != path:
            raise InputError(
                f"{path}: same episode id {key!r} as {found.episodes[key]}; rename one")
        found.episodes[key] = path
    return found


def describe_skipped(skipped: list[tuple[Path, str]]) -> list[str]:
    """One line per skipped file, for the terminal."""
    return [f"skipped {os.fsencode(p).decode('utf-8', 'backslashreplace')}: {why}"
            for p, why in skipped]


def clip_id(start_s: float, end_s: float) -> str:
    """Stable id from the span, e.g. 412.3-447.1 s -> ``c0412-0447``."""
    return f"c{math.floor(start_s):04d}-{math.floor(end_s):04d}"
