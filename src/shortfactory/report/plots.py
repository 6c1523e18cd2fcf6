"""The crop path of one clip drawn over time, with the face tracks it was steered by.

A person checking the camera wants to see, on one picture, where the 9:16 window went
and where the faces were: a window that lags a face, swings between two, or sits on
an empty part of the frame shows at a glance, where the JSON needs reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: the report is written on cluster nodes and in CI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from shortfactory.core.artifacts import CropPath, Faces  # noqa: E402
from shortfactory.core.io import atomic_path  # noqa: E402

PLOT_SIZE_IN = (7.2, 2.6)
PLOT_DPI = 100


@dataclass(slots=True)
class TrackLine:
    """A face track's horizontal centre over source time, inside one clip."""

    track_id: int
    times: list[float]
    centres: list[float]


def window_centres(crop: CropPath) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source time, window left edge and window width per output frame.

    Times are on the source timeline (``start_s + i / fps``) so that they line up with
    the face tracks, which faces.json keeps on the source timeline.
    """
    widths, _ = crop.frame_sizes()
    t = crop.start_s + np.arange(len(crop.x)) / crop.fps
    return t, np.asarray(crop.x, float), np.asarray(widths, float)


def tracks_in_clip(faces: Faces, start_s: float, end_s: float) -> list[TrackLine]:
    """The parts of face tracks that fall inside ``[start_s, end_s]``, as centre lines."""
    lines = []
    for track in faces.tracks:
        pairs = [(t, box[0] + box[2] / 2) for t, box in zip(track.times, track.boxes,
                                                              strict=False)
                 if start_s <= t <= end_s]
        if pairs:
            times, centres = zip(*pairs, strict=True)
            lines.append(TrackLine(track.id, list(times), list(centres)))
    return lines


def plot_crop_path(crop: CropPath, faces: Faces, out: str | Path) -> Path:
    """Write a PNG: window centre (line) and extent (band) over time, face centres as
    dots, shot changes as vertical lines, frames without a face shaded."""
    t, x, w = window_centres(crop)
    fig, ax = plt.subplots(figsize=PLOT_SIZE_IN, dpi=PLOT_DPI)
    try:
        ax.fill_between(t, x, x + w, color="#4c78a8", alpha=0.18, linewidth=0,
                        label="crop window")
        ax.plot(t, x + w / 2, color="#4c78a8", linewidth=2, label="window centre")
        if crop.x2:
            lower = np.asarray(crop.x2, float)
            split = lower != x
            if split.any():
                ax.plot(t, np.where(split, lower + w / 2, np.nan), color="#4c78a8",
                        linewidth=1.5, linestyle="--", label="lower panel centre")
        for line in tracks_in_clip(faces, crop.start_s, crop.end_s):
            ax.plot(line.times, line.centres, linestyle="none", marker="o", markersize=3,
                    label=f"face {line.track_id}")
        for shot in crop.shots[1:]:
            ax.axvline(crop.start_s + shot.start, color="#888", linewidth=1, linestyle=":")
        if crop.fallback and any(crop.fallback):
            ax.fill_between(t, 0, crop.source_width, where=np.asarray(crop.fallback),
                            color="#e45756", alpha=0.08, linewidth=0, label="no face")
        ax.set_xlim(crop.start_s, max(crop.end_s, crop.start_s + 1e-3))
        ax.set_ylim(0, crop.source_width)
        ax.set_xlabel("source time (s)")
        ax.set_ylabel("x (source px)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
        fig.tight_layout()
        out = Path(out)
        with atomic_path(out) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
    return out
