"""Split-screen sources and the split layout: windows kept inside one picture.

A split-screen shot (two pictures side by side, ``Shot.seams`` from the scene pass) is
planned panel by panel (:func:`solve_panels`): the window lies inside one panel at every
frame, and when the target is in another panel the window cuts there, as an editor would,
instead of panning across the border and showing half of each picture. The split layout
(recipe option ``split_screen``) stacks two windows, one per face of the pair that stays
too far apart for one window (:func:`split_pair`, each window sized by
:func:`panel_size`); in a split-screen source each stays inside its face's panel
(:func:`solve_in`).

Split out of :mod:`shortfactory.clips.camera`, which decides when a shot uses these and
plans the targets they follow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from shortfactory.clips.camera_geometry import (
    DEAD_ZONE_WEIGHT,
    GROUP_MARGIN,
    Targets,
    TrackView,
    crop_size,
    equal_runs,
)
from shortfactory.clips.camera_solver import solve_window
from shortfactory.core.artifacts import SceneCuts
from shortfactory.core.recipe import CameraSection

# A split panel is tall enough that the bigger face fills at most this share of it.
PANEL_FACE_FILL = 0.45
# Split-screen shots: the window keeps this share of the source width away from a seam.
# The scene pass places a seam within a proxy pixel (3 source px of a 1920 px frame), the
# encoder blurs it about as much again, and a divider bar too thin to resolve on the
# proxy (up to ~9 px at 1920) is one seam at its middle: 0.5 % (10 px) clears all three.
SEAM_MARGIN = 0.005
# A strip between two seams narrower than this share of the width is a divider bar (the
# scene pass gives a bar it can resolve as its two edges), never a panel to look at.
MIN_PANEL_SHARE = 0.05


# --- split-screen sources -------------------------------------------------------------


def panel_spans(seams: Sequence[float], frame_w: int) -> list[tuple[float, float]]:
    """The ``(left, right)`` ranges (source px) a window may use in a shot with these
    seams: the panels between them, less :data:`SEAM_MARGIN` on each side that is a seam,
    strips narrower than :data:`MIN_PANEL_SHARE` of the width (divider bars) left out."""
    margin = SEAM_MARGIN * frame_w
    edges = [0.0, *sorted(float(x) for x in seams if 0 < x < frame_w), float(frame_w)]
    out = [(a + margin if a > 0 else a, b - margin if b < frame_w else b)
           for a, b in zip(edges, edges[1:], strict=False) if b - a >= MIN_PANEL_SHARE * frame_w]
    return out or [(0.0, float(frame_w))]


def panel_of(x: float, panels: Sequence[tuple[float, float]]) -> int:
    """Index of the panel that holds ``x``, else of the nearest (a point on a seam or on a
    divider bar)."""
    gaps = [max(lo - x, x - hi, 0.0) for lo, hi in panels]
    return int(np.argmin(gaps))


def seams_at(scenes: SceneCuts, a: float, b: float) -> list[float]:
    """The seams of the scene shot that holds the middle of ``[a, b)`` (none: no shot)."""
    mid = (a + b) / 2
    for shot in scenes.shots:
        if shot.start_s - 1e-6 <= mid < shot.end_s:
            return list(shot.seams)
    return []


def assign_panels(views: dict[int, TrackView], panels: Sequence[tuple[float, float]]) -> None:
    """Put each face track in the panel of its median centre (a face never crosses a seam:
    each panel is its own picture)."""
    for v in views.values():
        centre = (v.left + v.right) / 2
        seen = centre[~np.isnan(centre)]
        v.panel = panel_of(float(np.median(seen)), panels) if panels and seen.size else 0


def slice_targets(tg: Targets, s: int, e: int, shift: float) -> Targets:
    """Frames ``s:e`` of ``tg`` with every position moved by ``shift`` px: a panel's own
    coordinates, so that :func:`solve_window` keeps the window between 0 and the panel's
    ``max_left`` without knowing about panels."""
    return Targets(centre=tg.centre[s:e] + shift, half_zone=tg.half_zone[s:e].copy(),
                   weight=tg.weight[s:e].copy(), need_lo=tg.need_lo[s:e] + shift,
                   need_hi=tg.need_hi[s:e] + shift, top=tg.top[s:e].copy(),
                   label=tg.label[s:e], fallback=tg.fallback[s:e].copy())


def frame_panels(tg: Targets, panels: Sequence[tuple[float, float]]) -> np.ndarray:
    """The panel the window is in at each frame: the followed target's (a face, a group,
    a held face); a frame that only weakly prefers a place (a silent gap between two
    speakers, no face, before the first face) stays in the panel before it, or the first
    one's, so the window cuts exactly when the next target is to be followed. A shot with
    nothing followed stays in the panel of its median focus."""
    n = len(tg.centre)
    firm = np.flatnonzero((tg.weight >= DEAD_ZONE_WEIGHT) & ~np.isnan(tg.centre))
    if not firm.size:
        centres = tg.centre[~np.isnan(tg.centre)]
        wide = int(np.argmax([hi - lo for lo, hi in panels]))
        return np.full(n, panel_of(float(np.median(centres)), panels) if centres.size
                       else wide)
    which = np.full(n, -1)
    for i in firm:
        which[i] = panel_of(float(tg.centre[i]), panels)
    current = which[firm[0]]
    for i in range(n):
        if which[i] < 0:
            which[i] = current
        current = which[i]
    return which


def solve_in(tg: Targets, fps: float, crop_w: int, span: tuple[float, float], frame_w: int,
             section: CameraSection) -> tuple[np.ndarray, bool]:
    """The window's left edge per frame, kept inside ``span`` (one panel), and whether the
    panel was too narrow for it: then the window is centred on the panel (showing some of
    its neighbour, the least of it that any window can)."""
    lo, hi = span
    if hi - lo < crop_w:
        return np.full(len(tg.centre), float(np.clip((lo + hi - crop_w) / 2, 0,
                                                     frame_w - crop_w))), True
    local = slice_targets(tg, 0, len(tg.centre), -lo)
    return lo + solve_window(local, fps, crop_w, hi - lo - crop_w, section), False


def solve_panels(tg: Targets, panels: Sequence[tuple[float, float]], fps: float, crop_w: int,
                 frame_w: int, section: CameraSection) -> tuple[np.ndarray, list[int]]:
    """One window over a split-screen shot: inside the target's panel at every frame,
    solved run by run (:func:`frame_panels`), cutting where the run changes (returned:
    those frames). Flags ``panels``, ``panel_cut`` and ``panel_narrow`` in ``tg``."""
    which = frame_panels(tg, panels)
    left = np.empty(len(which))
    cuts: list[int] = []
    tg.flags.add("panels")
    for s, e, k in equal_runs([int(v) for v in which]):
        if s > 0:
            cuts.append(s)
        left[s:e], narrow = solve_in(slice_targets(tg, s, e, 0.0), fps, crop_w, panels[k],
                                     frame_w, section)
        if narrow:
            tg.flags.add("panel_narrow")
    if cuts:
        tg.flags.add("panel_cut")
    return left, cuts


# --- the split layout -----------------------------------------------------------------


def split_pair(views: dict[int, TrackView], crop_w: int, min_frames: int
               ) -> tuple[int, int] | None:
    """The two faces that are longest too far apart for one window, if for ``min_frames``.

    Returned left face first (it goes in the upper panel: reading order).
    """
    best: tuple[int, tuple[int, int]] | None = None
    ids = sorted(views)
    for a_i, a in enumerate(ids):
        for b in ids[a_i + 1:]:
            va, vb = views[a], views[b]
            both = va.visible & vb.visible
            if not both.any():
                continue
            span = np.maximum(va.right, vb.right) - np.minimum(va.left, vb.left)
            apart = int(np.sum(both & (span > crop_w * (1 - 2 * GROUP_MARGIN))))
            if apart >= min_frames and (best is None or apart > best[0]):
                best = (apart, (a, b))
    if best is None:
        return None
    a, b = best[1]
    mid = {t: float(np.nanmedian(views[t].left + views[t].right)) for t in (a, b)}
    return (a, b) if mid[a] <= mid[b] else (b, a)


def panel_size(views: dict[int, TrackView], pair: tuple[int, int], section: CameraSection,
               frame_w: int, frame_h: int) -> tuple[int, int]:
    """Each split panel's window: the output's aspect with half its height, tall enough
    that the pair's bigger face fills at most ``PANEL_FACE_FILL`` of it, at most the
    source's height, at least half of it (closer would magnify the source's grain)."""
    aw, ah = section.aspect
    widths = np.concatenate([views[t].sizes for t in pair])
    face = float(np.percentile(widths, 90)) if widths.size else frame_h / 4
    height = min(float(frame_h), max(frame_h / 2, face / PANEL_FACE_FILL))
    return crop_size(frame_w, frame_h, (aw, ah / 2), frame_h / height)
