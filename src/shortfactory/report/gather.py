"""What the report shows, gathered from the artifacts: plain values, no I/O.

The page template only lays these out; every number it prints is computed here, where
it is tested without a browser. Links are made relative to the page, so the project
folder (``report/`` with ``out/``) can be zipped or served from anywhere.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from urllib.parse import quote

from shortfactory.core.artifacts import Candidates, Clip, CropPath, ShortEntry, ShortsIndex


@dataclass(slots=True)
class Bar:
    """One signal (0-1, higher is better) or penalty (subtracted) of a clip's score."""

    name: str
    value: float
    penalty: bool = False

    @property
    def width_pct(self) -> float:
        """Bar length: the value on a 0-1 scale, clamped so a stray value cannot
        overflow the card."""
        return round(min(max(abs(self.value), 0.0), 1.0) * 100.0, 1)


@dataclass(slots=True)
class Links:
    """Page-relative URLs of one clip's pictures and video (None: not made)."""

    thumb: str | None = None
    plot: str | None = None
    video: str | None = None
    poster: str | None = None


@dataclass(slots=True)
class ClipView:
    """One candidate as the contact sheet and its detail section show it."""

    id: str
    rank: int
    start_s: float
    end_s: float
    total: float
    title: str
    text: str
    reasons: list[str]
    bars: list[Bar]
    camera: str
    links: Links
    left_pct: float  # where the clip lies on the episode strip
    width_pct: float

    @property
    def span(self) -> str:
        return f"{timecode(self.start_s)}-{timecode(self.end_s)}"

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(slots=True)
class EpisodeView:
    episode: str
    duration_s: float
    message: str
    clips: list[ClipView] = field(default_factory=list)


@dataclass(slots=True)
class IndexEntry:
    episode: str
    href: str
    shorts: int
    top_title: str


def timecode(seconds: float) -> str:
    """``m:ss.s`` (or ``h:mm:ss.s``): readable at a glance beside a player's clock."""
    seconds = max(seconds, 0.0)
    hours, rest = divmod(seconds, 3600.0)
    minutes, secs = divmod(rest, 60.0)
    if hours >= 1:
        return f"{int(hours)}:{int(minutes):02d}:{secs:04.1f}"
    return f"{int(minutes)}:{secs:04.1f}"


def relative_url(target: str | Path, page_dir: str | Path) -> str:
    """``target`` as a URL relative to the folder of the page that links it.

    Percent-encoded per path segment: episode ids keep Unicode letters and may hold
    characters a browser would otherwise read as a query or fragment.
    """
    rel = os.path.relpath(Path(target).resolve(), Path(page_dir).resolve())
    return "/".join(quote(part) for part in Path(rel).parts)


def score_bars(clip: Clip) -> list[Bar]:
    """Signals first (as candidates.json orders them), then penalties, largest first."""
    bars = [Bar(name, value) for name, value in clip.signals.items()]
    penalties = sorted(clip.penalties.items(), key=lambda item: -abs(item[1]))
    return bars + [Bar(name, value, penalty=True) for name, value in penalties]


def camera_summary(crop: CropPath | None) -> str:
    """One line on what the camera did: modes and focus per shot, compromises, and the
    share of frames without a face (where the window fell back to motion or centre)."""
    if crop is None:
        return "no crop path"
    # Runs of alike shots as one entry with a count: six "stationary (fallback:motion)"
    # in a row read as noise.
    runs = [(label, len(list(group))) for label, group in
            groupby(f"{shot.mode} ({shot.focus})" for shot in crop.shots)]
    shots = [label if n == 1 else f"{label} x{n}" for label, n in runs] or ["one window"]
    flags = Counter(flag for shot in crop.shots for flag in shot.flags)
    parts = [", ".join(shots)]
    if flags:
        parts.append("flags: " + ", ".join(sorted(flags)))
    if crop.fallback:
        parts.append(f"no face {100.0 * sum(crop.fallback) / len(crop.fallback):.0f}%")
    return "; ".join(parts)


def clip_view(clip: Clip, duration_s: float, entry: ShortEntry | None,
              crop: CropPath | None, links: Links) -> ClipView:
    """The view of one candidate; its title is the Short's when it was rendered."""
    span = max(duration_s, 1e-6)
    left = min(max(clip.start_s / span, 0.0), 1.0)
    width = min(max(clip.duration_s / span, 0.0), 1.0 - left)
    return ClipView(
        id=clip.id, rank=clip.rank, start_s=clip.start_s, end_s=clip.end_s,
        total=clip.total, title=entry.title if entry is not None else "",
        text=clip.text, reasons=list(clip.reasons), bars=score_bars(clip),
        camera=camera_summary(crop), links=links,
        left_pct=round(left * 100.0, 2), width_pct=round(width * 100.0, 2),
    )


def episode_view(candidates: Candidates, index: ShortsIndex | None,
                 crops: dict[str, CropPath], links: dict[str, Links]) -> EpisodeView:
    """Every candidate in rank order, joined with its Short and crop path by clip id."""
    entries = {entry.id: entry for entry in index.shorts} if index is not None else {}
    message = candidates.message or (index.message if index is not None else "")
    clips = [clip_view(clip, candidates.duration_s, entries.get(clip.id), crops.get(clip.id),
                       links.get(clip.id, Links()))
             for clip in sorted(candidates.clips, key=lambda c: c.rank)]
    return EpisodeView(candidates.episode, candidates.duration_s, message, clips)
