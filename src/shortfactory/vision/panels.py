"""Static panel borders ("seams") of split-screen layouts, per shot.

A TV interview shown as two pictures side by side has a vertical border that stays put
for the whole shot. A 9:16 window that pans across it shows half of each picture, so
the scene pass marks such borders (``Shot.seams``) and :mod:`shortfactory.clips.camera` keeps
its window inside one panel, cutting between panels instead of panning.

Two passes: a cheap one over every frame the scene pass already reads (its
:data:`~shortfactory.vision.scenes.FEATURE_WIDTH` px wide copies) proposes seams per shot; a
shot with a proposal is decoded again from the proxy at its own size, where the seam must
hold again and is placed.

1. **Per frame** (:func:`edge_rows`): for each boundary between two columns, the rows
   where it is a *sharp local edge*: the grey step across it is at least
   :data:`EDGE_FLOOR`, no smaller than the steps beside it, and :data:`EDGE_RATIO` times
   the texture (mean step) just left or just right of it. Two unrelated pictures meet
   with a step in nearly every row; an object's outline makes one only where the object
   is; the block edges of heavy compression (Popeye's 1936 HEVC is full of them, on a
   fixed grid that never moves) are steps too weak against the texture around them.
2. **Proposals per shot** (:func:`shot_seams`): boundaries that are edges in
   :data:`ROW_SHARE` of the rows in :data:`HOLD_SHARE` of the shot's frames (static,
   most of the height), at least :data:`MIN_PANEL` of the width from either frame edge,
   with picture on both sides: the edge of a pillarbox bar (flat black) borders no panel
   (Chaplin's 4:3 film in a 16:9 frame), and two edges closer than a panel's width with
   picture between them are a pillar, not a layout (:func:`drop_strips`). Neighbouring
   boundaries are one proposal: a step inside a column of the small copy shows on both
   sides of it. The share asked for is low because a thin divider bar between busy
   pictures is a fraction of a column there (a 6 px bar in 1920 between two Tears of
   Steel shots: an edge in 0.47 of the rows). A shot too short to tell alone keeps a
   neighbouring shot's proposals where its own frames bear them out.
3. **Test and place** (:func:`refine_seams`, :func:`locate`): :data:`REFINE_FRAMES`
   frames spread over the shot, at the proxy's size (one pixel, not 12, of a 1920 px
   source), where the seam must be an edge in :data:`FINE_ROW_SHARE` of the rows (on its
   pixel or the one beside) in :data:`FINE_HOLD_SHARE` of the frames. Two panels meet on
   one column in every row; outlines that merely line up in the small copy (a
   building's edge above a character's, in a static cartoon) are pixels apart here.
   Each seam is placed at the centroid of its edge rows; a divider bar wide enough to
   see gives its two edges, so that the window avoids the bar too. A shot whose
   proposals repeat those of a shot where they held (a show's fixed layout) reuses its
   positions without a decode.

Measured at 6 fps on a 360 px proxy (``tests/test_panels.py`` and the shared clips):
real clips side by side are found within 1 px of the border (a bar's middle where the
proxy cannot resolve its edges), with a divider bar (white or dark, 4-8 px) or without
one (two similar pale walls meeting off-centre: the weakest case, holding in 0.92 of
its frames at full size); none of the 20 shared real clips (Sintel, Tears of Steel,
both Big Buck Bunny clips, Caminandes, Chaplin, bikes, the four Popeye reels, the six
Intel face clips, PySceneDetect's three videos) nor the bundled sample gets a seam: of
their 80 shots 10 had a proposal, none of which held at full size in more than 0.5 of
its frames (the sample's platform pillar).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from shortfactory.core.media import iter_frames

if TYPE_CHECKING:
    from shortfactory.vision.scenes import FrameFeatures

log = logging.getLogger(__name__)

# A row has an edge at a boundary when the grey step there is at least EDGE_FLOOR (0-255),
# the largest of it and its two neighbours, and EDGE_RATIO times the mean step over the
# EDGE_REACH boundaries that start two columns away on the left or on the right (the
# flatter side: a divider bar is texture on one side only). Chosen on the shared clips:
# a floor of 2 let Popeye's compression blocks through, a ratio of 3 passes more of them.
EDGE_FLOOR = 3.0
EDGE_RATIO = 4.0
EDGE_REACH = 3
# The small copy proposes a seam where it is an edge in ROW_SHARE of the rows in
# HOLD_SHARE of a shot's frames. Low, to let thin bars between busy pictures through (see
# the module docstring); on the shared clips a tenth of the shots get a proposal.
ROW_SHARE = 0.4
HOLD_SHARE = 0.6
# Fewer frames than this say nothing about what holds (1 s at 6 fps).
MIN_FRAMES = 6
# A panel is at least this share of the frame width: nearer the frame edges lie pillarbox
# bars, walls in a corner and overscan, not the panels of a split screen.
MIN_PANEL = 0.15
# Mean grey standard deviation down a column below which it is flat (no picture).
PICTURE_STD = 4.0
# Candidate boundaries this close (columns of the small copy) are one seam.
MERGE_GAP = 2
# Frames of a shot (spread over all of it) decoded at the proxy's size to test and place
# its proposals; the search reaches this many small-copy columns either side of them.
# There a seam is an edge in FINE_ROW_SHARE of the rows in FINE_HOLD_SHARE of the frames:
# real borders held in 0.92-1.0 of the frames, the natural proposals in 0.5 at most.
REFINE_FRAMES = 24
REFINE_REACH = 1.5
FINE_ROW_SHARE = 0.7
FINE_HOLD_SHARE = 0.75


# --- per frame --------------------------------------------------------------------


def edge_rows(grey: np.ndarray) -> np.ndarray:
    """Per row and boundary ``j`` (between columns ``j`` and ``j + 1``): is it a sharp
    local edge there (see the module docstring)?

    Performance: OpenCV on these small arrays, under 0.1 ms of CPU for a 160 x 90 frame
    (numpy pads and compares took 3x as long).
    """
    g = np.asarray(grey, dtype=np.float32)
    step = cv2.absdiff(g[:, 1:], g[:, :-1])  # rows x boundaries
    k = step.shape[1]
    texture = cv2.blur(step, (EDGE_REACH, 1), borderType=cv2.BORDER_REPLICATE)
    # texture[:, j] is the mean step over j-1..j+1; the reach that starts two columns
    # away from boundary j is centred EDGE_REACH // 2 + 2 away.
    off = EDGE_REACH // 2 + 2
    padded = cv2.copyMakeBorder(texture, 0, 0, off, off, cv2.BORDER_REPLICATE)
    flatter = cv2.min(padded[:, :k], padded[:, 2 * off:2 * off + k])
    around = cv2.copyMakeBorder(step, 0, 0, 1, 1, cv2.BORDER_CONSTANT, value=0)
    beside = cv2.max(around[:, :k], around[:, 2:])
    return (step >= np.maximum(beside, EDGE_FLOOR)) & (step >= EDGE_RATIO * flatter)


def edge_share(grey: np.ndarray) -> np.ndarray:
    """Per boundary, the share of rows in which it is a sharp local edge, float32 0-1."""
    rows = edge_rows(grey)
    return (np.count_nonzero(rows, axis=0) / max(1, rows.shape[0])).astype(np.float32)


def column_profile(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the per-shot decision needs of one frame, as uint8 to keep hours of frames
    small: :func:`edge_share` in 1/255 steps per boundary, and the grey standard deviation
    down each column (clipped at 255), which tells picture from a flat bar.

    Performance: column sums in OpenCV; about 0.12 ms of CPU for a 160 x 90 frame, a
    tenth of what the scene pass spends on a frame.
    """
    rows = edge_rows(grey)
    h = max(1, rows.shape[0])
    count = cv2.reduce(rows.view(np.uint8), 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S)[0]
    share = ((count * 255 + h // 2) // h).astype(np.uint8)
    f = np.asarray(grey, dtype=np.float32)
    mean = cv2.reduce(f, 0, cv2.REDUCE_AVG)[0]
    square = cv2.reduce(f * f, 0, cv2.REDUCE_AVG)[0]
    spread = np.minimum(np.sqrt(np.maximum(square - mean * mean, 0)), 255).astype(np.uint8)
    return share, spread


# --- per shot ---------------------------------------------------------------------


def shot_seams(shares: np.ndarray, spread: np.ndarray, min_frames: int = MIN_FRAMES,
               ) -> list[tuple[int, int]]:
    """The seams of one shot as ``(first, last)`` boundary indices of the small copy.

    Args:
        shares: per frame (rows) and boundary, :func:`edge_share` in [0, 1].
        spread: per frame and column, the grey standard deviation down the column.
        min_frames: fewer frames than this propose nothing.
    """
    if len(shares) < max(1, min_frames):
        return []
    width = spread.shape[1]
    hold = (np.asarray(shares) >= ROW_SHARE).mean(axis=0)
    x = np.arange(1, width)  # pixel-edge position of each boundary
    ok = (hold >= HOLD_SHARE) & (x >= MIN_PANEL * width) & (x <= (1 - MIN_PANEL) * width)
    picture = np.asarray(spread, dtype=np.float32).mean(axis=0) >= PICTURE_STD
    found = [g for g in groups(np.flatnonzero(ok), MERGE_GAP) if pictures_beside(picture, g)]
    return drop_strips(found, picture, MIN_PANEL * width)


def drop_strips(seams: list[tuple[int, int]], picture: np.ndarray, min_width: float,
                ) -> list[tuple[int, int]]:
    """``seams`` less both edges of every strip between two of them that is narrower than
    a panel yet has picture: a pillar, a door post, a lamp post in a static shot (the
    sample cartoon's platform pillar), not a layout. A flat strip is a divider bar and
    stays."""
    drop: set[int] = set()
    for k, (a, b) in enumerate(zip(seams, seams[1:], strict=False)):
        inner = picture[a[1] + 2:b[0]]
        if b[0] - a[1] < min_width and inner.size and inner.mean() >= 0.5:
            drop |= {k, k + 1}
    return [g for k, g in enumerate(seams) if k not in drop]


def groups(indices: Sequence[int] | np.ndarray, gap: int) -> list[tuple[int, int]]:
    """``(first, last)`` of each run of sorted ``indices`` whose steps are at most ``gap``."""
    out: list[tuple[int, int]] = []
    for i in (int(v) for v in indices):
        if out and i - out[-1][1] <= gap:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def pictures_beside(picture: np.ndarray, seam: tuple[int, int]) -> bool:
    """Most columns on each side of ``seam`` (leaving out the column next to it, which
    may mix both sides) have picture: the border between two panels, not a bar's edge."""
    left = picture[:max(1, seam[0])]
    right = picture[seam[1] + 2:]
    return bool(left.size and right.size and left.mean() >= 0.5 and right.mean() >= 0.5)


@dataclass(slots=True)
class PanelDetector:
    """Collects each analysis frame's :func:`column_profile` as the scene pass streams
    past (the :class:`~shortfactory.vision.scenes.SceneDetector` calling convention) and
    decides per shot once the shots are known (:meth:`coarse`). Kept as uint8: about
    0.5 kB a frame, 35 MB for three hours at 6 fps."""

    times: list[float] = field(default_factory=list)
    shares: list[np.ndarray] = field(default_factory=list)
    spreads: list[np.ndarray] = field(default_factory=list)

    def process_frame(self, index: int, time_s: float, features: FrameFeatures) -> None:
        if features.edges is None or features.spread is None:
            return
        self.times.append(time_s)
        self.shares.append(features.edges)
        self.spreads.append(features.spread)

    @property
    def width(self) -> int:
        """Width of the small copy the profiles were measured on (0: no frame yet)."""
        return len(self.spreads[-1]) if self.spreads else 0

    def coarse(self, spans: Sequence[tuple[float, float]]) -> list[list[tuple[int, int]]]:
        """Per shot ``(start_s, end_s)``, its seams on the small copy (:func:`shot_seams`).

        A shot too short to tell on its own (under :data:`MIN_FRAMES`; a reaction shot
        in an interview) keeps the proposals of a neighbouring shot that its own frames
        bear out: the layout goes on across the cut.
        """
        times = np.array(self.times)
        found: list[list[tuple[int, int]] | None] = []
        short: dict[int, list[tuple[int, int]]] = {}
        for k, (a, b) in enumerate(spans):
            idx = [i for i in np.flatnonzero((times >= a - 1e-6) & (times < b - 1e-6))
                   if len(self.spreads[i]) == self.width]  # one frame size per decision
            shares = np.stack([self.shares[i] for i in idx]).astype(np.float32) / 255.0 \
                if idx else np.zeros((0, max(0, self.width - 1)), np.float32)
            spread = np.stack([self.spreads[i] for i in idx]) if idx \
                else np.zeros((0, self.width), np.uint8)
            if len(idx) >= MIN_FRAMES:
                found.append(shot_seams(shares, spread))
            else:
                found.append(None)
                short[k] = shot_seams(shares, spread, min_frames=2)
        out = [f or [] for f in found]
        for k, own in short.items():
            for j in (k - 1, k + 1):
                theirs = found[j] if 0 <= j < len(found) else None
                if theirs and all(any(lo - 1 <= b and a <= hi + 1 for a, b in own)
                                  for lo, hi in theirs):
                    out[k] = list(theirs)  # same key: the neighbour's placing is reused
                    break
        return out


# --- exact positions --------------------------------------------------------------


def locate(greys: Sequence[np.ndarray], seams: Sequence[tuple[int, int]],
           coarse_width: int) -> list[float]:
    """The coarse seams that hold on full-size grey frames, each placed there, as shares
    of the frame width.

    The test of :func:`shot_seams` again, one pixel wide instead of one small-copy column
    and stricter: a boundary is kept where, in :data:`FINE_HOLD_SHARE` of the frames,
    :data:`FINE_ROW_SHARE` of the rows have an edge on it or on a pixel beside it (a step
    blurred over two pixels falls on either). Why again: at 160 px a thin bar between busy
    pictures is too faint to ask more of, and the outlines of two things that merely line
    up (a building's edge above a person's, in a static cartoon) read as one line; here
    the bar is sharp and the outlines are pixels apart, while two panels meet on one
    column in every row. Each run of kept boundaries is one edge, at the centroid of its
    edge rows (a divider bar gives two runs, its edges). Without frames (a shot the
    decoder cannot reach) the coarse positions stand.
    """
    if not greys:
        return [((lo + hi) / 2 + 1) / coarse_width for lo, hi in seams]
    edges = np.stack([edge_rows(f) for f in greys])  # frames x rows x boundaries
    k = edges.shape[2]
    w = k + 1
    near = edges.copy()
    near[:, :, 1:] |= edges[:, :, :-1]
    near[:, :, :-1] |= edges[:, :, 1:]
    held = (near.mean(axis=1) >= FINE_ROW_SHARE).mean(axis=0) >= FINE_HOLD_SHARE
    weight = edges.mean(axis=(0, 1))
    r = w / coarse_width
    out: list[float] = []
    for lo, hi in seams:
        a = max(0, int(np.floor((lo + 1 - REFINE_REACH) * r)) - 1)
        b = min(k, int(np.ceil((hi + 1 + REFINE_REACH) * r)))
        for first, last in groups(a + np.flatnonzero(held[a:b]), 1):
            j = np.arange(first, last + 1)
            if weight[j].sum() > 0:
                out.append(float(np.sum((j + 1) * weight[j]) / weight[j].sum()) / w)
    merged: list[float] = []
    for x in sorted(out):
        if not merged or x - merged[-1] > 1.5 / w:
            merged.append(x)
    return merged


def refine_seams(video: str | Path, spans: Sequence[tuple[float, float]],
                 seams: Sequence[Sequence[tuple[int, int]]], coarse_width: int, *,
                 rate: float, height: int | None = None) -> list[list[float]]:
    """Per shot, its seams as shares of the frame width (0-1), checked and placed on
    :data:`REFINE_FRAMES` frames spread over the shot, decoded from ``video`` at
    ``height`` (:func:`locate`); ``rate`` is the analysis frame rate, the most sampled.

    Only shots with coarse seams are decoded, and a shot whose coarse seams repeat those
    of a shot where they held reuses its positions: a show keeps its layout, and one
    decode per layout instead of per shot keeps an hour of split-screen interview cheap.
    """
    known: dict[tuple[tuple[int, int], ...], list[float]] = {}
    out: list[list[float]] = []
    for (a, b), found in zip(spans, seams, strict=True):
        key = tuple(found)
        if key and key not in known:
            every = min(rate, REFINE_FRAMES / max(b - a, 1e-3))
            greys = [cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) for _, rgb in iter_frames(
                video, fps=every, height=height, start_s=a, duration_s=b - a)]
            placed = locate(greys, found, coarse_width)
            if not placed:
                log.info("%s: %.2f-%.2f s: the small copy's seams do not hold", video, a, b)
                out.append([])
                continue
            known[key] = placed
        out.append(list(known.get(key, [])))
    return out
