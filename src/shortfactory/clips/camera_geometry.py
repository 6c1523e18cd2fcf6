"""Shared types and geometry of the virtual camera (:mod:`shortfactory.clips.camera`).

What every part of the camera works on: face tracks on a shot's output frames
(:class:`TrackView`), what the window should show at each frame and how firmly
(:class:`Targets`, with the weights that scale it), and the window's size
(:func:`crop_size`). Kept apart so that the speaker, path and layout modules share them
without importing the stage module: :mod:`shortfactory.clips.camera` imports them all,
never the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Free space kept at each side of a framed group, share of the crop width.
GROUP_MARGIN = 0.05
# Soft-constraint weights, per pixel of violation per second. The path's own costs are
# measured in pixels (travel, plus tau * change of speed, plus tau^2 * change of
# acceleration), so these say how many pixels of camera motion one pixel-second of a
# badly placed target is worth.
NEED_WEIGHT = 400.0  # the target's face box outside the window
DEAD_ZONE_WEIGHT = 20.0  # the target's centre outside the dead zone
WEAK_WEIGHT = 5.0  # a preference only: fallback focus, silent gaps, before a face appears


@dataclass(slots=True)
class TrackView:
    """One face track resampled to the output frames of a shot (NaN where not visible)."""

    id: int
    left: np.ndarray
    right: np.ndarray
    top: np.ndarray
    times: np.ndarray  # analysis times of its detections
    activity: np.ndarray  # mouth activity per detection (NaN where unmeasured)
    # Frames where the face is lost but its line goes on, and the frame whose box is
    # held there (see :func:`camera.hold_lost_speakers`); None until that has run.
    held: np.ndarray | None = None
    held_from: np.ndarray | None = None
    # Index of the split-screen panel the face is in (:func:`camera_layouts.assign_panels`);
    # 0 in a shot without seams.
    panel: int = 0

    @property
    def visible(self) -> np.ndarray:
        return ~np.isnan(self.left)

    @property
    def sizes(self) -> np.ndarray:
        """Face size (box width; the boxes are square) in each frame it is visible."""
        return (self.right - self.left)[self.visible]

    def present(self, i: int) -> bool:
        """Visible at frame ``i``, or lost there while still speaking (held)."""
        return bool(self.visible[i]) or (self.held is not None and bool(self.held[i]))

    def box(self, i: int) -> tuple[float, float, float]:
        """``(left, right, top)`` at frame ``i``; where held, the last box seen."""
        if not self.visible[i] and self.held is not None and self.held[i]:
            i = int(self.held_from[i])
        return float(self.left[i]), float(self.right[i]), float(self.top[i])


@dataclass(slots=True)
class Targets:
    """Per output frame of a shot: what the camera should show and how much it matters.

    ``need_lo``/``need_hi`` bound the region that must lie inside the window (NaN: none);
    ``centre`` is where the window's centre should be, within ``half_zone`` (NaN: no
    preference); ``weight`` scales the dead-zone cost (0 = free, ``WEAK_WEIGHT`` = a
    preference, ``DEAD_ZONE_WEIGHT`` = follow); ``label`` names the focus for people.
    """

    centre: np.ndarray
    half_zone: np.ndarray
    weight: np.ndarray
    need_lo: np.ndarray
    need_hi: np.ndarray
    top: np.ndarray
    label: list[str]
    fallback: np.ndarray
    flags: set[str] = field(default_factory=set)
    switches: int = 0


def crop_size(width: int, height: int, aspect: tuple[int, int], zoom: float) -> tuple[int, int]:
    """Even-sized window of the output aspect at the given zoom (1: the source's height).

    Below 1 the window is taller than the source (the render fills the rest with a
    blurred copy); it is never wider than the source.
    """
    crop_h = int(round(height / zoom / 2)) * 2
    if zoom >= 1:
        crop_h = min(height, crop_h)
    crop_w = int(round(crop_h * aspect[0] / aspect[1] / 2)) * 2
    if crop_w > width:
        crop_w = width - width % 2
        crop_h = int(round(crop_w * aspect[1] / aspect[0] / 2)) * 2
        if zoom >= 1:
            crop_h = min(height, crop_h)
    return crop_w, crop_h


def equal_runs(values: list) -> list[tuple[int, int, Any]]:
    """``(start, end_exclusive, value)`` of each run of equal consecutive values."""
    out: list[tuple[int, int, Any]] = []
    for i, v in enumerate(values):
        if out and out[-1][2] == v:
            out[-1] = (out[-1][0], i + 1, v)
        else:
            out.append((i, i + 1, v))
    return out
