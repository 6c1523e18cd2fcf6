"""The virtual camera: a smooth, speed-limited 9:16 window over the source.

A controller, not a tracker (DESIGN principle 4). Per shot it works in three steps:

1. **What must be seen, frame by frame** (:func:`plan_targets`). Face tracks shorter
   than ``min_face_s`` are ignored, so a one-frame detection never moves the window.
   Faces that fit in one window are framed together; otherwise the active speaker is
   followed: the transcript says *when* someone speaks (one line = one sentence), the
   per-detection mouth ``activity`` over the line says *who*, each face measured
   against its own speaking level; where that is unclear, the one face not shown to be
   silent, or the speaker of an adjacent line. A target must hold for ``min_hold_s``
   or the camera does not turn to it (hysteresis; short interjections are ignored).
   A lost face is held for ``lost_face_hold_s``, then the camera eases to the
   fallback focus (centre of motion, else the frame centre).
2. **The whole shot's path at once** (:func:`solve_path`): the L1 path optimisation of
   Grundmann et al. ("Auto-directed video stabilization with robust L1 optimal camera
   paths", CVPR 2011) as one sparse linear program for HiGHS. It minimises travel, the
   change of speed and the change of acceleration (L1 norms give what an operator
   does: still segments, constant-speed pans and eased transitions, not a constantly
   creeping window), with soft constraints that keep the target inside a dead zone
   and the target's face box inside the window, and hard limits on speed,
   acceleration and the frame edges. Being offline, it sees the future: a move to the
   next speaker starts in the pause before they speak.
3. **A mode per shot**: ``stationary`` when one window satisfies the shot (no solve),
   else ``panning`` (one monotone move) or ``tracking``; ``letterbox`` (recipe option)
   when the faces that must be seen together never fit a 9:16 window, so the render
   shows the whole frame over a blurred copy instead of cutting someone out.

The window never jumps inside a shot; at a cut it may. One exception: a split-screen
shot (two pictures side by side, ``Shot.seams`` from the scene pass) is planned panel by
panel (:func:`solve_panels`): the window lies inside one panel at every frame, and when
the target is in another panel the window cuts there, as an editor would, instead of
panning across the border and showing half of each picture. ``crop_path.json`` records
per shot the mode, what the camera looked at when (``focus_spans``) and flags that
explain the compromises, so a person can see why the camera did what it did.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.ndimage import median_filter
from scipy.optimize import linprog

from shortfactory.core.artifacts import (
    CameraShot,
    CropPath,
    Faces,
    SceneCuts,
    SourceProbe,
    Transcript,
)
from shortfactory.core.recipe import CameraSection, FaceSection

ROUNDING_PX = 0.01  # crop_path.json stores positions to this precision
# Words closer than this are one speech run (one line of dialogue); a pause longer
# than this is where the camera may move to the next speaker.
SPEECH_GAP_S = 0.35
SENTENCE_ENDS = (".", "!", "?", "…")
# ASR word times run late, ends more than starts (Whisper tiny on the sample: line
# starts 0.05-0.2 s late, ends 0.1-0.4 s late): a line is taken to start this much
# earlier and to end this much earlier, so the camera reaches the next speaker in time
# (more trim loses the ends of lines where the ASR was right).
LINE_LEAD_S = 0.1
LINE_END_TRIM_S = 0.0
# Longest plausible word: this plus this per letter (see :func:`longest_word_s`).
WORD_BASE_S = 0.15
WORD_PER_LETTER_S = 0.08
# The winning face's mean mouth activity over a speech run must beat the runner-up by
# this factor to be called the speaker; otherwise the speaker is unknown and the
# camera stays where it is (a wrong switch costs more than no switch).
SPEAKER_RATIO = 1.25
# Line attribution (see :func:`attribute_lines`). Evidence is a face's activity during
# a line placed between its quietest (0) and liveliest (1) line of the shot.
SPEAKING_EVIDENCE = 0.5  # at or above: this face speaks this line
LEAD_MARGIN = 0.1  # a leader's evidence must beat the runner-up's by this much
SILENT_SHARE = 0.2  # at or below: this face is silent during this line
# A face's activity informs only if its liveliest line is this many times its quietest
# and at least this share of the shot's liveliest face.
MIN_CONTRAST = 3.0
CAPABLE_SHARE = 0.15
# Without any informative face: the liveliest face speaks if above this share of the top.
SPEAKING_SHARE = 0.1
# An unattributed line this close (s) to an attributed one is taken as its continuation.
ATTACH_GAP_S = 0.5
# Without a transcript, mouth activity alone says who speaks, averaged over this window.
ACTIVITY_WINDOW_S = 1.0
# Analysis frames in the running median that steadies each face box (about 0.8 s at 6 fps).
BOX_MEDIAN = 5
# Free space kept at each side of a framed group, share of the crop width.
GROUP_MARGIN = 0.05
# Free space kept around a followed face box, share of the crop width, so that small
# detector jitter does not put an ear outside the window.
FACE_MARGIN = 0.0
# Soft-constraint weights, per pixel of violation per second. The path's own costs are
# measured in pixels (travel, plus tau * change of speed, plus tau^2 * change of
# acceleration), so these say how many pixels of camera motion one pixel-second of a
# badly placed target is worth.
NEED_WEIGHT = 400.0  # the target's face box outside the window
DEAD_ZONE_WEIGHT = 20.0  # the target's centre outside the dead zone
WEAK_WEIGHT = 5.0  # a preference only: fallback focus, silent gaps, before a face appears
# Weights of travel, change of speed and change of acceleration, times tau^0, tau^1,
# tau^2 (tau = smoothing_s in frames). Travel weighs most so that a settled window
# stays put and a move stops where it should (a heavier jerk term buys smoothness with
# small overshoots that come back: extra reversals); on the sample this gave fewer
# reversals and less travel than (1, 1, 1) at the same coverage.
PATH_WEIGHTS = (3.0, 1.0, 0.3)
# Dead zone of the fallback focus, share of the crop width: a centre of motion is noisy.
FALLBACK_DEAD_ZONE = 0.3
# Window of the running median that steadies the centre of motion, seconds.
FALLBACK_MEDIAN_S = 1.5
# A step smaller than this (px per frame) is "not moving" when naming a shot's mode.
STILL_PX = 0.05
# Zooming out must frame the group in this share of the shot's several-face frames (the
# rest: faces crossing, a detector's wide box) - see :func:`choose_zoom`.
ZOOM_FIT_SHARE = 0.9
# Zooming in stops when the (median) face is this share of the window's height: a face
# larger than that leaves no room to move or gesture.
FACE_FILL = 0.25
# A split panel is tall enough that the bigger face fills at most this share of it.
PANEL_FACE_FILL = 0.45
# Room kept above a face box in a window shorter than the source, in face heights: the
# box starts at the brows; the sample's spiky hair reaches 0.5 face heights above it.
HAIR_ROOM = 0.6
# Split-screen shots: the window keeps this share of the source width away from a seam.
# The scene pass places a seam within a proxy pixel (3 source px of a 1920 px frame), the
# encoder blurs it about as much again, and a divider bar too thin to resolve on the
# proxy (up to ~9 px at 1920) is one seam at its middle: 0.5 % (10 px) clears all three.
SEAM_MARGIN = 0.005
# A strip between two seams narrower than this share of the width is a divider bar (the
# scene pass gives a bar it can resolve as its two edges), never a panel to look at.
MIN_PANEL_SHARE = 0.05


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
    # held there (see :func:`hold_lost_speakers`); None until that has run.
    held: np.ndarray | None = None
    held_from: np.ndarray | None = None
    # Index of the split-screen panel the face is in (:func:`assign_panels`); 0 in a
    # shot without seams.
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


# --- geometry ---------------------------------------------------------------------


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


def shot_bounds(start: float, end: float, scenes: SceneCuts) -> list[tuple[float, float]]:
    """Clip-absolute shot spans inside ``[start, end)``."""
    cuts = sorted(c.time_s for c in scenes.cuts if start < c.time_s < end)
    edges = [start, *cuts, end]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b - a > 1e-6]


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


def _runs(values: list) -> list[tuple[int, int, Any]]:
    """``(start, end_exclusive, value)`` of each run of equal consecutive values."""
    out: list[tuple[int, int, Any]] = []
    for i, v in enumerate(values):
        if out and out[-1][2] == v:
            out[-1] = (out[-1][0], i + 1, v)
        else:
            out.append((i, i + 1, v))
    return out


# --- faces on the output timeline -------------------------------------------------


def track_views(faces: Faces, a: float, b: float, times: np.ndarray, min_face_s: float,
                max_gap_s: float) -> dict[int, TrackView]:
    """The shot's persistent face tracks, interpolated onto ``times``.

    Why interpolate: faces are analysed at a few fps; the window moves every output
    frame, so the constraint it obeys must move smoothly too. A track seen for less
    than ``min_face_s`` is dropped (never chase one-frame detections), and a gap longer
    than ``max_gap_s`` between two detections counts as not visible.
    """
    dt = 1.0 / faces.analysis_fps if faces.analysis_fps > 0 else 0.0
    obs: dict[int, list[tuple[float, tuple[float, float, float, float], float]]] = {}
    for frame in faces.frames:
        if not a - 1e-6 <= frame.t < b:
            continue
        for det in frame.detections:
            if det.track_id is None:
                continue
            act = getattr(det, "activity", None)
            obs.setdefault(det.track_id, []).append(
                (frame.t, det.box, np.nan if act is None else float(act)))
    track_activity = {t.id: t.activity for t in faces.tracks}
    views: dict[int, TrackView] = {}
    for tid, rows in obs.items():
        ts = np.array([r[0] for r in rows])
        if len(rows) < 2 or ts[-1] - ts[0] < min_face_s - 1e-6:
            continue
        boxes = np.array([r[1] for r in rows], dtype=float)
        act = np.array([r[2] for r in rows])
        if np.all(np.isnan(act)) and tid in track_activity:
            # Before per-detection activity existed: the track's mean is a weak hint.
            act = np.full(len(rows), float(track_activity[tid]))
        # A face seen at one analysis frame is there until the next one is analysed.
        inside = (times >= ts[0] - dt) & (times <= ts[-1] + dt)
        # Not visible inside a long gap between two detections.
        k = np.clip(np.searchsorted(ts, times), 1, len(ts) - 1)
        gap = ts[k] - ts[k - 1]
        within = (times > ts[k - 1]) & (times < ts[k])
        inside &= ~(within & (gap > max_gap_s))
        steady = running_median(boxes, BOX_MEDIAN)
        left = np.interp(times, ts, steady[:, 0])
        right = np.interp(times, ts, steady[:, 0] + steady[:, 2])
        top = np.interp(times, ts, steady[:, 1])
        nan = np.where(inside, 0.0, np.nan)
        views[tid] = TrackView(tid, left + nan, right + nan, top + nan, ts, act)
    return views


def running_median(rows: np.ndarray, width: int) -> np.ndarray:
    """Centred running median of each column over ``2 * (width // 2) + 1`` rows, the
    window shrinking at the ends.

    Why: detector boxes jitter by a few pixels from frame to frame; a window that
    answers every jitter makes tiny back-and-forth moves. A median keeps a steady or
    steadily moving face where it is (no lag) and drops single-frame outliers.

    The full windows are :func:`scipy.ndimage.median_filter`'s. The rows within
    ``width // 2`` of an end are recomputed over the rows that exist: no boundary mode
    of the filter is a shrinking window (``mirror`` repeats rows, and a window with an
    even number of rows has the mean of its two middle values as its median), and a
    face's first and last boxes are where it enters and leaves, not to be pulled
    towards rows that were never seen.
    """
    half = width // 2
    rows = np.asarray(rows)
    n = len(rows)
    if n == 0:
        return rows.copy()
    out = median_filter(rows, size=(2 * half + 1,) + (1,) * (rows.ndim - 1), mode="nearest")
    for i in sorted({*range(min(half, n)), *range(max(0, n - half), n)}):
        out[i] = np.median(rows[max(0, i - half): i + half + 1], axis=0)
    return out


def longest_word_s(word: str) -> float:
    """The longest a spoken word plausibly lasts, from its letters.

    Why: Whisper's word times come from cross-attention, and a word next to a pause
    often absorbs part of it (on the sample, a line's first word "It" spans 0.7 s and
    starts 0.6 s before the speaker does). Speech runs at about 15 letters per second;
    this bound is generous (about twice that duration) so that it only cuts smears.
    """
    letters = sum(ch.isalnum() for ch in word)
    return WORD_BASE_S + WORD_PER_LETTER_S * max(1, letters)


def speech_runs(transcript: Transcript | None, a: float, b: float) -> list[tuple[float, float]]:
    """Lines of speech inside ``[a, b)``: words closer than ``SPEECH_GAP_S``, split at
    sentence ends (one line, one speaker).

    A line's first word starts no earlier, and its last word ends no later, than
    :func:`longest_word_s` allows: those are the words that swallow the pause around
    a line, and the pause is where the camera moves to the next speaker.
    """
    if transcript is None:
        return []
    runs: list[list[float]] = []
    sentence_end = True
    for w in transcript.words():
        if w.end <= a or w.start >= b:
            continue
        longest = longest_word_s(w.word)
        if runs and not sentence_end and w.start - runs[-1][1] < SPEECH_GAP_S:
            runs[-1][1:] = [max(runs[-1][1], w.end), max(runs[-1][3], w.start), longest]
        else:
            runs.append([max(w.start, w.end - longest), w.end, w.start, longest])
        # ASR smears the pause between two speakers' lines; a sentence end is where
        # the next line (and maybe the next speaker) starts.
        sentence_end = w.word.strip().endswith(SENTENCE_ENDS)
    lines = [(s, min(e, last_start + longest)) for s, e, last_start, longest in runs]
    shifted = [(s - LINE_LEAD_S, max(s, e - LINE_END_TRIM_S)) for s, e in lines]
    return [(max(a, s), min(b, e)) for s, e in shifted if min(b, e) > max(a, s)]


def dominant(scores: dict[int, float], floor: float = 0.0, ratio: float = SPEAKER_RATIO,
             ) -> int | None:
    """The key whose score clearly beats every other and exceeds ``floor``, else ``None``."""
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or not ranked[0][1] > floor:
        return None
    if len(ranked) > 1 and ranked[0][1] < ratio * ranked[1][1]:
        return None
    return ranked[0][0]


def run_scores(views: dict[int, TrackView], s: float, e: float) -> dict[int, float]:
    """Mean mouth activity of each face measured at least twice during ``[s, e]``."""
    scores = {}
    for tid, v in views.items():
        m = (v.times >= s) & (v.times <= e) & ~np.isnan(v.activity)
        if m.sum() >= 2:
            scores[tid] = float(np.mean(v.activity[m]))
    return scores


def attribute_lines(scores: list[dict[int, float]], runs: list[tuple[float, float]],
                    ) -> list[int | None]:
    """Who speaks each line of a shot, from each face's mouth activity during each line.

    Each face is read against itself: its *evidence* in a line is its activity placed
    between its quietest (0) and liveliest (1) line of the shot, because drawn mouths,
    face sizes and head motion differ too much between faces for one scale. A face is
    *informative* when that range is wide (liveliest at least ``MIN_CONTRAST`` times
    the quietest, and lively at all next to the shot's liveliest face); a face whose
    activity barely changes from line to line (a moving head, a mouth the box misses)
    says nothing. Per line:

    * the informative face whose evidence leads clearly (by ``LEAD_MARGIN`` and twice
      the runner-up's);
    * every informative face silent (evidence at most ``SILENT_SHARE``): the one
      uninformative face, if there is exactly one (someone speaks, and not them);
    * one informative face: it, if its evidence is high (``SPEAKING_EVIDENCE``);
    * a tie of lively faces: the previous line's speaker if the pause was short and
      they are in the tie (a sentence going on rarely changes voice), else the face
      whose raw activity is plainly (twice) higher;
    * no informative face in the shot: the plainly liveliest face, if clearly.

    Lines still unattributed are left ``None`` (see :func:`attach_unknown`).
    """
    top = max((v for sc in scores for v in sc.values()), default=0.0)
    ranges: dict[int, tuple[float, float]] = {}
    for tid in {t for sc in scores for t in sc}:
        values = [sc[tid] for sc in scores if tid in sc]
        lo, hi = min(values), max(values)
        if hi >= CAPABLE_SHARE * top > 0 and hi >= MIN_CONTRAST * max(lo, 1e-3 * top):
            ranges[tid] = (lo, hi)
    out: list[int | None] = []
    for r, sc in enumerate(scores):
        ev = {t: (sc[t] - lo) / (hi - lo) for t, (lo, hi) in ranges.items() if t in sc}
        prev = out[-1] if out and runs[r][0] - runs[r - 1][1] < ATTACH_GAP_S else None
        ranked = sorted(ev, key=lambda t: -ev[t])
        lead = len(ranked) > 1 and ev[ranked[0]] - ev[ranked[1]] >= LEAD_MARGIN \
            and ev[ranked[0]] >= 2 * ev[ranked[1]]
        who: int | None = None
        if not ranges:
            who = dominant(sc, SPEAKING_SHARE * top)
        elif lead:
            who = ranked[0]
        elif ev and all(e <= SILENT_SHARE for e in ev.values()):
            rest = [t for t in sc if t not in ranges]
            who = rest[0] if len(rest) == 1 else None
        elif len(ranked) == 1:
            who = ranked[0] if ev[ranked[0]] >= SPEAKING_EVIDENCE else None
        elif prev in ranked[:2] and ev[prev] >= SPEAKING_EVIDENCE:
            who = prev
        elif ranked:
            # Both lively by their own measure: the plainly livelier mouth, if any.
            who = dominant({t: sc[t] for t in ranked[:2]}, ratio=2.0)
        out.append(who)
    return out


def attach_unknown(runs: list[tuple[float, float]], speakers: list[int | None],
                   ) -> list[int | None]:
    """Give a line nobody could be matched to the speaker of the nearest line, if near.

    Why: mouth activity is measured on a few frames per line and drawn mouths hold
    still for several frames; a line that reads silent next to a clearly attributed
    one, with barely a pause between them, is most likely the same speaker going on.
    """
    out = list(speakers)
    for r, who in enumerate(speakers):
        if who is not None:
            continue
        best: tuple[float, int | None] = (ATTACH_GAP_S, None)
        for q in (r - 1, r + 1):
            if 0 <= q < len(runs) and speakers[q] is not None:
                gap = max(runs[r][0] - runs[q][1], runs[q][0] - runs[r][1])
                if gap <= best[0]:
                    best = (gap, speakers[q])
        out[r] = best[1]
    return out


def speaker_per_frame(views: dict[int, TrackView], times: np.ndarray,
                      runs: list[tuple[float, float]], have_transcript: bool) -> list[int | None]:
    """Who speaks at each output frame (a visible track id), ``None`` when unknown.

    With a transcript, each speech run (one line) gets one speaker
    (:func:`attribute_lines`, then :func:`attach_unknown`). Without one, the clearly
    most active face over a sliding window, wherever faces move their mouths at all.
    """
    who: list[int | None] = [None] * len(times)
    if have_transcript:
        scores = [run_scores(views, s, e) for s, e in runs]
        speakers = attach_unknown(runs, attribute_lines(scores, runs))
        for (s, e), speaker in zip(runs, speakers, strict=True):
            if speaker is not None:
                for i in np.flatnonzero((times >= s) & (times < e)):
                    who[i] = speaker
        return who
    half = ACTIVITY_WINDOW_S / 2
    for i, t in enumerate(times):
        scores = {}
        for tid, v in views.items():
            m = (np.abs(v.times - t) <= half) & ~np.isnan(v.activity)
            if m.sum() >= 2:
                scores[tid] = float(np.mean(v.activity[m]))
        who[i] = dominant(scores)
    return who


# --- targets ----------------------------------------------------------------------


def _fits(lefts: list[float], rights: list[float], crop_w: int) -> bool:
    return max(rights) - min(lefts) <= crop_w * (1 - 2 * GROUP_MARGIN)


def _fits_views(vis: list[TrackView], i: int, crop_w: int) -> bool:
    """The faces ``vis`` fit one window at frame ``i``: close enough, and in one panel (two
    pictures of a split screen are never framed together, however near their faces)."""
    return len({v.panel for v in vis}) == 1 and _fits(
        [v.left[i] for v in vis], [v.right[i] for v in vis], crop_w)


def wanted_keys(views: dict[int, TrackView], who: list[int | None], strategy: str,
                crop_w: int) -> list[str | None]:
    """Per frame: ``group``, ``speaker:<id>``, ``face:<id>`` or ``None`` (no face / unsure).

    Strategies: ``speaker`` and ``group`` frame faces together when they fit in one
    window and otherwise follow the speaker (both names stay valid in recipes; the
    issue asks for exactly this); ``largest`` follows the biggest face alone. ``None``
    frames are filled later by :func:`fill_keys`, which knows what came before.
    """
    n = len(who)
    keys: list[str | None] = [None] * n
    for i in range(n):
        speaker = views.get(who[i]) if who[i] is not None else None
        if speaker is not None and not speaker.visible[i] and speaker.present(i):
            keys[i] = f"speaker:{speaker.id}"  # lost mid-line: held, not abandoned
            continue
        vis = [v for v in views.values() if v.visible[i]]
        if not vis:
            continue
        if len(vis) == 1:
            keys[i] = f"face:{vis[0].id}"
        elif strategy == "largest":
            keys[i] = f"face:{max(vis, key=lambda v: v.right[i] - v.left[i]).id}"
        elif _fits_views(vis, i, crop_w):
            keys[i] = "group"
        elif who[i] is not None and views[who[i]].visible[i]:
            keys[i] = f"speaker:{who[i]}"
    return keys


def _key_valid(key: str | None, views: dict[int, TrackView], i: int, crop_w: int) -> bool:
    if key is None:
        return False
    if key == "group":
        vis = [v for v in views.values() if v.visible[i]]
        return len(vis) > 1 and _fits_views(vis, i, crop_w)
    tid = int(key.split(":")[1])
    return tid in views and views[tid].present(i)


def _same_face(a: str | None, b: str | None) -> bool:
    """``face:3`` and ``speaker:3`` look at the same face: not a switch."""
    return a is not None and b is not None and a.split(":")[-1] == b.split(":")[-1]


def fill_keys(keys: list[str | None], views: dict[int, TrackView], crop_w: int,
              ) -> list[str | None]:
    """Resolve unsure frames: stay on the previous target while it is visible.

    Several faces, too far apart, speaker unknown: keep looking where we looked (a
    silent reaction is no reason to move); with no history, the face that speaks next,
    else the largest face.
    """
    out = list(keys)
    last: str | None = None
    for i, k in enumerate(out):
        if k is not None:
            last = k
            continue
        if _key_valid(last, views, i, crop_w):
            out[i] = last
            continue
        vis = [v for v in views.values() if v.visible[i]]
        if not vis:
            continue
        ahead = next((keys[j] for j in range(i + 1, len(keys))
                      if keys[j] is not None and _key_valid(keys[j], views, i, crop_w)), None)
        out[i] = ahead or f"face:{max(vis, key=lambda v: v.right[i] - v.left[i]).id}"
        last = out[i]
    return out


def hysteresis(keys: list[str | None], views: dict[int, TrackView], crop_w: int,
               min_frames: int) -> list[str | None]:
    """Drop target runs shorter than ``min_frames``: keep the previous target through them.

    Why: a camera that switches for a one-word interjection or a face that flickers
    into a group for a moment looks nervous. A short run is replaced by the target
    before it where that stays visible throughout, else by the one after.
    """
    out = list(keys)
    changed = True
    while changed:
        changed = False
        runs = _runs(out)
        if len(runs) < 2:
            break
        for r, (s, e, key) in enumerate(runs):
            if key is None or e - s >= min_frames:
                continue
            before = runs[r - 1][2] if r > 0 else None
            after = runs[r + 1][2] if r + 1 < len(runs) else None
            for cand in (before, after):
                if cand is not None and all(_key_valid(cand, views, i, crop_w)
                                            for i in range(s, e)):
                    out[s:e] = [cand] * (e - s)
                    changed = True
                    break
            else:
                if before is not None and after is None:
                    # The target left and another face shows briefly before all are
                    # gone (a fade, an exit): hold on the first instead of turning.
                    out[s:e] = [None] * (e - s)
                    changed = True
            if changed:
                break
    return out


def _key_box(key: str, views: dict[int, TrackView], i: int) -> tuple[float, float, float]:
    """``(left, right, top)`` of what ``key`` shows at frame ``i``."""
    if key == "group":
        vis = [v for v in views.values() if v.visible[i]]
        return (min(v.left[i] for v in vis), max(v.right[i] for v in vis),
                min(v.top[i] for v in vis))
    return views[int(key.split(":")[1])].box(i)


def hold_lost_speakers(views: dict[int, TrackView], who: list[int | None],
                       hold_frames: int) -> None:
    """Mark the frames where a face is lost while its own line goes on (``held``).

    Why: the detector loses a face that turns or starts to walk while its owner is
    still talking; the line says who the audience is listening to, so the camera holds
    on where that face was (for at most ``hold_frames``) instead of turning to a silent
    face that happens to be visible. Outside the face's lines a lost face is not held
    here; :func:`plan_targets` holds the window then.
    """
    speaking = np.array([-1 if w is None else w for w in who])
    for v in views.values():
        vis = v.visible
        held = np.zeros(len(vis), dtype=bool)
        src = np.zeros(len(vis), dtype=int)
        last = -1
        for i in range(len(vis)):
            if vis[i]:
                last = i
            elif last >= 0 and i - last <= hold_frames and speaking[i] == v.id:
                held[i], src[i] = True, last
        v.held, v.held_from = held, src


def fallback_centres(faces: Faces, a: float, b: float, times: np.ndarray, frame_w: int,
                     mode: str) -> tuple[np.ndarray, str]:
    """Where to look without a face: the steadied centre of motion, else the frame centre."""
    pts = [(f.t, f.focus[0]) for f in faces.frames
           if a - 1e-6 <= f.t < b and f.focus is not None]
    if mode != "motion" or len(pts) < 2:
        return np.full(len(times), frame_w / 2), "fallback:centre"
    ts = np.array([p[0] for p in pts])
    xs = np.array([p[1] for p in pts])
    half = FALLBACK_MEDIAN_S / 2
    steady = np.array([np.median(xs[np.abs(ts - t) <= half]) for t in ts])
    return np.interp(times, ts, steady), "fallback:motion"


def plan_targets(views: dict[int, TrackView], times: np.ndarray,
                 runs: list[tuple[float, float]], have_transcript: bool, fallback: np.ndarray,
                 fallback_label: str, section: CameraSection, fps: float, crop_w: int,
                 ) -> Targets:
    """What the camera should show at each output frame of one shot, and how firmly."""
    n = len(times)
    strategy = section.multi_face
    who = speaker_per_frame(views, times, runs, have_transcript)
    hold_frames = int(round(section.lost_face_hold_s * fps))
    hold_lost_speakers(views, who, hold_frames)
    keys = fill_keys(wanted_keys(views, who, strategy, crop_w), views, crop_w)
    min_hold = max(1, int(round(section.min_hold_s * fps)))
    keys = hysteresis(keys, views, crop_w, min_hold)
    speaking = np.zeros(n, dtype=bool)
    for s, e in runs:
        speaking |= (times >= s) & (times < e)

    half_dz = section.dead_zone * crop_w / 2
    tg = Targets(centre=np.full(n, np.nan), half_zone=np.full(n, half_dz),
                 weight=np.zeros(n), need_lo=np.full(n, np.nan), need_hi=np.full(n, np.nan),
                 top=np.full(n, np.nan), label=[""] * n, fallback=np.zeros(n, dtype=bool))
    margin = FACE_MARGIN * crop_w
    last: tuple[str, tuple[float, float, float], int] | None = None
    for i, key in enumerate(keys):
        if key is not None:
            box = _key_box(key, views, i)
            tg.need_lo[i], tg.need_hi[i] = box[0] - margin, box[1] + margin
            tg.centre[i], tg.top[i] = (box[0] + box[1]) / 2, box[2]
            tg.weight[i], tg.label[i] = DEAD_ZONE_WEIGHT, key
            if key != "group" and not views[int(key.split(":")[1])].visible[i]:
                # The speaker's face is lost mid-line: held where it was last seen.
                tg.label[i], tg.fallback[i] = "hold", True
                tg.flags.add("face_lost")
            last = (key, box, i)
        elif last is not None and i - last[2] <= hold_frames:
            # Face lost: hold the window where it was (the face may come back).
            box = last[1]
            tg.need_lo[i], tg.need_hi[i] = box[0] - margin, box[1] + margin
            tg.centre[i], tg.top[i] = (box[0] + box[1]) / 2, box[2]
            tg.weight[i], tg.label[i], tg.fallback[i] = DEAD_ZONE_WEIGHT, "hold", True
            tg.flags.add("face_lost")
        else:
            tg.centre[i], tg.half_zone[i] = fallback[i], FALLBACK_DEAD_ZONE * crop_w / 2
            tg.weight[i], tg.label[i], tg.fallback[i] = WEAK_WEIGHT, fallback_label, True
            if last is not None:
                tg.flags.add("face_lost")
    _anticipate(tg, keys, views, fallback_label)
    _free_gaps(tg, keys, speaking, bool(runs))
    runs_k = [r for r in _runs(keys) if r[2] is not None]
    # speaker:3 after face:3 is the same shot of the same face: not a switch.
    tg.switches = sum(not _same_face(a[2], b[2]) for a, b in zip(runs_k, runs_k[1:],
                                                                 strict=False))
    if any(k is not None and k.startswith("speaker:") for k in keys):
        tg.flags.add("speaker_follow")
    if strategy != "largest" and any(
            k is not None and k.startswith("face:") and who[i] is None
            and sum(v.visible[i] for v in views.values()) > 1 for i, k in enumerate(keys)):
        tg.flags.add("speaker_unknown")
    return tg


def _anticipate(tg: Targets, keys: list[str | None], views: dict[int, TrackView],
                fallback_label: str) -> None:
    """Before the shot's first face appears, already look (gently) where it will be."""
    first = next((i for i, k in enumerate(keys) if k is not None), None)
    if first is None or first == 0:
        return
    box = _key_box(keys[first], views, first)
    for i in range(first):
        if tg.label[i] == fallback_label:
            tg.centre[i] = (box[0] + box[1]) / 2
            tg.half_zone[i] = tg.half_zone[first]
            tg.label[i] = f"before:{keys[first]}"


def _free_gaps(tg: Targets, keys: list[str | None], speaking: np.ndarray,
               have_speech: bool) -> None:
    """Silent frames between two different targets only weakly prefer either.

    Why: that pause is where a camera operator moves to the next speaker. Inside it
    the face box need not stay in the window and the dead zone is only a weak
    preference, so the solver is free to make the move there, arriving as the next
    line starts, rather than during either line.
    """
    if not have_speech:
        return
    runs = _runs([bool(s) for s in speaking])
    for s, e, talking in runs:
        if talking or s == 0 or e >= len(keys):
            continue
        before, after = keys[s - 1], keys[e]
        if before is None or after is None or _same_face(before, after):
            continue
        for i in range(s, e):
            if tg.label[i] in ("hold", "") or tg.fallback[i]:
                continue
            tg.weight[i] = WEAK_WEIGHT
            tg.need_lo[i] = tg.need_hi[i] = np.nan


# --- the path ---------------------------------------------------------------------


def stationary_window(tg: Targets, crop_w: int, max_left: float) -> float | None:
    """One left edge that satisfies every constrained frame of the shot, else ``None``."""
    lo, hi = 0.0, max_left
    ideal = []
    for i in np.flatnonzero(tg.weight > 0):
        c_lo = tg.centre[i] - tg.half_zone[i] - crop_w / 2
        c_hi = tg.centre[i] + tg.half_zone[i] - crop_w / 2
        if not np.isnan(tg.need_lo[i]):
            c_lo, c_hi = max(c_lo, tg.need_hi[i] - crop_w), min(c_hi, tg.need_lo[i])
        # A target beyond the frame edge is satisfied by the edge itself.
        c_lo, c_hi = min(max(c_lo, 0.0), max_left), max(min(c_hi, max_left), 0.0)
        lo, hi = max(lo, c_lo), min(hi, c_hi)
        ideal.append(tg.centre[i] - crop_w / 2)
    if lo > hi + 1e-9:
        return None
    if not ideal:
        return max_left / 2
    return float(np.clip(np.median(ideal), lo, hi))


def solve_path(tg: Targets, fps: float, crop_w: int, max_left: float, section: CameraSection,
               ) -> np.ndarray:
    """The shot's left edge per frame: one sparse L1 linear program (HiGHS).

    Variables: left edge ``x`` per frame; ``e1, e2, e3 >= |D1 x|, |D2 x|, |D3 x|``;
    dead-zone slacks ``d`` and need slacks ``s`` per constrained frame. Minimise
    ``sum e1 + tau sum e2 + tau^2 sum e3`` (``tau = smoothing_s`` in frames, so each
    term is in pixels and the balance does not change with the frame rate) plus the
    weighted slacks. Hard: ``e1 <= v_max``, ``e2 <= a_max`` (per frame), ``0 <= x <=
    max_left``. Always feasible: a still window satisfies every hard constraint.
    """
    n = len(tg.centre)
    v_max = max(0.0, section.max_speed_px_s / fps - 2 * ROUNDING_PX)
    a_max = max(0.0, section.max_accel_px_s2 / fps / fps - 4 * ROUNDING_PX)
    tau = max(1.0, section.smoothing_s * fps)
    dz = np.flatnonzero(tg.weight > 0)
    nd = np.flatnonzero(~np.isnan(tg.need_lo))
    diffs = [_diff(n, k) for k in (1, 2, 3) if n > k]
    sizes = [n, *(d.shape[0] for d in diffs), 2 * len(dz), 2 * len(nd)]
    offs = np.cumsum([0, *sizes])
    nv = int(offs[-1])

    cost = np.zeros(nv)
    for k in range(len(diffs)):
        cost[offs[k + 1]:offs[k + 2]] = PATH_WEIGHTS[k] * tau ** k
    kd = len(diffs) + 1
    w_dz = tg.weight[dz] / fps
    cost[offs[kd]:offs[kd + 1]] = np.r_[w_dz, w_dz]
    cost[offs[kd + 1]:offs[kd + 2]] = NEED_WEIGHT / fps

    blocks, rhs = [], []

    def cols(rows: sparse.spmatrix, start: int) -> sparse.csr_matrix:
        """Place ``rows`` (acting on one variable block) at column ``start``."""
        rows = sparse.csr_matrix(rows)
        pad_l = sparse.csr_matrix((rows.shape[0], start))
        pad_r = sparse.csr_matrix((rows.shape[0], nv - start - rows.shape[1]))
        return sparse.hstack([pad_l, rows, pad_r], format="csr")

    for k, d in enumerate(diffs):
        eye = sparse.identity(d.shape[0], format="csr")
        blocks += [cols(d, 0) - cols(eye, offs[k + 1]), cols(-d, 0) - cols(eye, offs[k + 1])]
        rhs += [np.zeros(d.shape[0])] * 2
    if len(dz):
        pick = sparse.csr_matrix((np.ones(len(dz)), (np.arange(len(dz)), dz)), shape=(len(dz), n))
        eye = sparse.identity(len(dz), format="csr")
        target = tg.centre[dz] - crop_w / 2
        blocks += [cols(pick, 0) - cols(eye, offs[kd]),
                   cols(-pick, 0) - cols(eye, offs[kd] + len(dz))]
        rhs += [target + tg.half_zone[dz], -(target - tg.half_zone[dz])]
    if len(nd):
        pick = sparse.csr_matrix((np.ones(len(nd)), (np.arange(len(nd)), nd)), shape=(len(nd), n))
        eye = sparse.identity(len(nd), format="csr")
        # x <= need_lo (left edge left of the box), x + crop_w >= need_hi.
        blocks += [cols(pick, 0) - cols(eye, offs[kd + 1]),
                   cols(-pick, 0) - cols(eye, offs[kd + 1] + len(nd))]
        rhs += [tg.need_lo[nd], crop_w - tg.need_hi[nd]]

    bounds = np.zeros((nv, 2))
    bounds[:, 1] = np.inf
    bounds[:n, 1] = max_left
    if len(diffs) > 0:
        bounds[offs[1]:offs[2], 1] = v_max
    if len(diffs) > 1:
        bounds[offs[2]:offs[3], 1] = a_max
    res = linprog(cost, A_ub=sparse.vstack(blocks, format="csr"), b_ub=np.concatenate(rhs),
                  bounds=bounds, method="highs")
    if res.x is None:  # pragma: no cover - the still window is always feasible
        raise RuntimeError(f"camera path solve failed: {res.message}")
    return np.clip(res.x[:n], 0.0, max_left)


def _diff(n: int, order: int) -> sparse.csr_matrix:
    """Finite difference operator of ``order`` on ``n`` samples, ``(n - order, n)``."""
    coeffs = {1: [-1.0, 1.0], 2: [1.0, -2.0, 1.0], 3: [-1.0, 3.0, -3.0, 1.0]}[order]
    return sparse.diags(coeffs, list(range(order + 1)), shape=(n - order, n), format="csr")


def path_mode(left: np.ndarray, cuts: Sequence[int] = ()) -> str:
    """``stationary``, ``panning`` (one monotone move) or ``tracking``; the jumps onto the
    frames ``cuts`` (cuts between the panels of a split screen) are no moves."""
    steps = np.delete(np.diff(left), [c - 1 for c in cuts if 0 < c < len(left)])
    moving = steps[np.abs(steps) > STILL_PX]
    if not moving.size:
        return "stationary"
    return "panning" if np.all(moving > 0) or np.all(moving < 0) else "tracking"


def too_wide(views: dict[int, TrackView], crop_w: int, min_share: float) -> bool:
    """The shot's faces mostly cannot be framed together in one window."""
    n = len(next(iter(views.values())).left) if views else 0
    several = wide = 0
    for i in range(n):
        vis = [v for v in views.values() if v.visible[i]]
        if len(vis) > 1:
            several += 1
            wide += not _fits_views(vis, i, crop_w)
    return several > 0 and wide >= min_share * max(1, several) and several >= n * min_share


# --- the clip ---------------------------------------------------------------------


def group_spans(views: dict[int, TrackView]) -> tuple[np.ndarray, np.ndarray]:
    """Per frame with several faces, the width they span; per frame with a face, the
    width of the faces (one face: its own)."""
    n = len(next(iter(views.values())).left) if views else 0
    several, any_face = [], []
    for i in range(n):
        vis = [v for v in views.values() if v.visible[i]]
        if vis:
            span = max(v.right[i] for v in vis) - min(v.left[i] for v in vis)
            any_face.append(span)
            if len(vis) > 1:
                several.append(span)
    return np.array(several), np.array(any_face)


def choose_zoom(views: dict[int, TrackView], section: CameraSection, frame_w: int,
                frame_h: int) -> float:
    """The shot's zoom, within the recipe's ``zoom_range`` (without one: ``zoom``).

    Out: when the shot's faces are mostly too far apart for one window at the base
    zoom but fit a wider one within the range (on ``ZOOM_FIT_SHARE`` of its
    several-face frames), the widest needed: showing both beats swinging between
    them. In: on a shot whose faces are small, until they fill ``FACE_FILL`` of the
    window's height, as long as everything the shot shows still fits. Otherwise the
    base zoom. Why per shot and not per frame: a zoom that breathes inside a shot reads
    as nervous; at a cut a new framing is natural.
    """
    base = section.zoom
    if section.zoom_range is None or not views:
        return base
    lo, hi = section.zoom_range
    unit_w, _ = crop_size(frame_w, frame_h, section.aspect, 1.0)
    base_w, _ = crop_size(frame_w, frame_h, section.aspect, base)
    several, spans = group_spans(views)
    usable = 1 - 2 * GROUP_MARGIN
    if several.size and too_wide(views, base_w, section.letterbox_min_share):
        need = float(np.percentile(several, 100 * ZOOM_FIT_SHARE)) / usable
        fit = unit_w / need
        return float(np.floor(fit * 100) / 100) if lo <= fit < base else base
    if hi <= base or not spans.size:
        return base
    widths = np.concatenate([v.sizes for v in views.values()])
    by_face = FACE_FILL * frame_h / float(np.median(widths))
    by_span = unit_w * usable / float(np.max(spans))
    zoom = min(hi, by_face, by_span)
    return float(np.floor(zoom * 100) / 100) if zoom > base else base


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


@dataclass(slots=True)
class ShotPlan:
    """One shot's result, kept for benchmarks and the preview.

    ``crop_w``/``crop_h``/``zoom`` are this shot's window (a split shot: each panel's);
    ``left2``/``top2`` the lower panel of a split shot.
    """

    left: np.ndarray
    top: float
    mode: str
    targets: Targets | None
    solve_s: float = 0.0
    crop_w: int = 0
    crop_h: int = 0
    zoom: float = 1.0
    left2: np.ndarray | None = None
    top2: float = 0.0
    targets2: Targets | None = None


def window_top(tg: Targets, crop_h: int, frame_h: int, headroom: float,
               face_h: float = 0.0) -> float:
    """Top edge of a window shorter than the source: the face's top ``headroom`` below the
    window's, and at least ``HAIR_ROOM`` x ``face_h`` (the box of a detector starts at
    the brows: forehead and hair need that much more); a window taller than the source
    is centred on it."""
    if crop_h >= frame_h:
        return -(crop_h - frame_h) / 2
    tops = tg.top[~np.isnan(tg.top)]
    room = max(headroom * crop_h, HAIR_ROOM * face_h)
    top = float(np.median(tops)) - room if tops.size else (frame_h - crop_h) / 2
    return float(np.clip(top, 0, frame_h - crop_h))


def solve_window(tg: Targets, fps: float, crop_w: int, max_left: float,
                 section: CameraSection) -> np.ndarray:
    """One still window when one satisfies the whole shot (no solve), else the solved path."""
    still = stationary_window(tg, crop_w, max_left)
    if still is not None or len(tg.centre) < 4:
        return np.full(len(tg.centre), max_left / 2 if still is None else still)
    return solve_path(tg, fps, crop_w, max_left, section)


# --- split-screen sources ---------------------------------------------------------


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
    for s, e, k in _runs([int(v) for v in which]):
        if s > 0:
            cuts.append(s)
        left[s:e], narrow = solve_in(slice_targets(tg, s, e, 0.0), fps, crop_w, panels[k],
                                     frame_w, section)
        if narrow:
            tg.flags.add("panel_narrow")
    if cuts:
        tg.flags.add("panel_cut")
    return left, cuts


def plan_split(views: dict[int, TrackView], pair: tuple[int, int], times: np.ndarray,
               fallback: np.ndarray, fallback_label: str, section: CameraSection, fps: float,
               frame_w: int, frame_h: int, panels: Sequence[tuple[float, float]] = (),
               ) -> ShotPlan | None:
    """Two stacked windows, each following one face of ``pair`` on its own path; in a
    split-screen shot each inside its face's panel, or ``None`` (no split) where a panel
    is narrower than the windows."""
    pw, ph = panel_size(views, pair, section, frame_w, frame_h)
    spans = [panels[views[tid].panel] if panels else (0.0, float(frame_w)) for tid in pair]
    if any(hi - lo < pw for lo, hi in spans):
        return None
    solo = section.model_copy(update={"multi_face": "largest"})
    plans = []
    start = time.perf_counter()
    for tid, span in zip(pair, spans, strict=True):
        tg = plan_targets({tid: views[tid]}, times, [], False, fallback, fallback_label,
                          solo, fps, pw)
        plans.append((solve_in(tg, fps, pw, span, frame_w, section)[0], tg))
    solve_s = time.perf_counter() - start
    (left, tg), (left2, tg2) = plans
    tg.flags.add("split")
    if panels:
        tg.flags.add("panels")
    headroom = section.headroom
    face = [face_height(views[tid]) for tid in pair]
    return ShotPlan(left, window_top(tg, ph, frame_h, headroom, face[0]), "split", tg,
                    solve_s, pw, ph, frame_h / ph, left2,
                    window_top(tg2, ph, frame_h, headroom, face[1]), tg2)


def face_height(view: TrackView) -> float:
    """A track's median face size (0 when never visible)."""
    return float(np.median(view.sizes)) if view.sizes.size else 0.0


def plan_shot(views: dict[int, TrackView], times: np.ndarray, runs: list[tuple[float, float]],
              have_transcript: bool, fallback: np.ndarray, fallback_label: str,
              section: CameraSection, fps: float, frame_w: int, frame_h: int,
              seams: Sequence[float] = ()) -> ShotPlan:
    """Layout, zoom, targets, mode and path of one shot.

    In order: split screen (recipe option) when two faces stay far apart for long;
    the shot's zoom (:func:`choose_zoom`); letterbox (recipe option) when the faces
    still do not fit; else the solved path of one window.

    A shot with ``seams`` (a split-screen source) keeps every window inside one panel:
    faces in different panels are never framed together, the split layout puts each
    window in its face's panel (or is not used where a panel is too narrow for it), and
    zooming out and letterboxing, which show more than a panel, are not used; the one
    window cuts between panels (:func:`solve_panels`).
    """
    aspect = section.aspect
    base_w, _ = crop_size(frame_w, frame_h, aspect, section.zoom)
    panels = panel_spans(seams, frame_w) if seams else []
    assign_panels(views, panels)
    if section.split_screen:
        pair = split_pair(views, base_w, int(round(section.split_min_s * fps)))
        if pair is not None:
            split = plan_split(views, pair, times, fallback, fallback_label, section, fps,
                               frame_w, frame_h, panels)
            if split is not None:
                return split
    zoom = choose_zoom(views, section, frame_w, frame_h)
    if panels:
        zoom = max(zoom, section.zoom)
    crop_w, crop_h = crop_size(frame_w, frame_h, aspect, zoom)
    max_left = float(frame_w - crop_w)
    tg = plan_targets(views, times, runs, have_transcript, fallback, fallback_label, section,
                      fps, crop_w)
    if section.letterbox and not panels and too_wide(views, crop_w,
                                                     section.letterbox_min_share):
        tg.flags.add("too_wide")
        return ShotPlan(np.full(len(times), max_left / 2), 0.0, "letterbox", tg, 0.0, crop_w,
                        crop_h, zoom)
    start = time.perf_counter()
    cuts: list[int] = []
    if panels:
        left, cuts = solve_panels(tg, panels, fps, crop_w, frame_w, section)
    else:
        left = solve_window(tg, fps, crop_w, max_left, section)
    solve_s = time.perf_counter() - start
    top = window_top(tg, crop_h, frame_h, section.headroom)
    return ShotPlan(left, top, path_mode(left, cuts), tg, solve_s, crop_w, crop_h, zoom)


def describe_spans(labels: list[str], times: np.ndarray, clip_start: float,
                   ) -> list[tuple[float, float, str]]:
    """Clip-relative ``(start, end, label)`` of each run of one focus label."""
    step = times[1] - times[0] if len(times) > 1 else 0.0
    return [(round(float(times[s]) - clip_start, 3),
             round(float(times[e - 1]) - clip_start + step, 3), lab)
            for s, e, lab in _runs(labels)]


def describe_shot(plan: ShotPlan, times: np.ndarray, clip_start: float, a: float, b: float,
                  base_size: tuple[int, int]) -> CameraShot:
    """The shot's record in crop_path.json: mode, focus, when it looked at what, flags,
    and its window size where it differs from the clip's."""
    crop_w = plan.crop_w or base_size[0]
    tg = plan.targets
    labels = tg.label if tg is not None else ["fallback:centre"] * len(times)
    spans = describe_spans(labels, times, clip_start)
    counts = Counter(labels)
    flags = sorted(tg.flags) if tg is not None else []
    outside = 0.0
    if tg is not None and plan.mode != "letterbox":
        need = ~np.isnan(tg.need_lo) & (tg.weight >= DEAD_ZONE_WEIGHT)
        if need.any():
            lo, hi = plan.left[need], plan.left[need] + crop_w
            miss = (tg.need_lo[need] < lo - 1) | (tg.need_hi[need] > hi + 1)
            outside = float(np.mean(miss))
            if outside > 0:
                flags.append("target_outside")
    if all(lab.startswith("fallback") for lab in labels):
        flags.append("no_face")
    focus = counts.most_common(1)[0][0]
    if plan.targets2 is not None:
        # A split shot: the lower panel's focus too, so both faces are accounted for.
        lower = plan.targets2.label
        focus = f"{focus} / {Counter(lower).most_common(1)[0][0]}"
        spans += [(s0, s1, f"lower:{lab}") for s0, s1, lab in describe_spans(
            lower, times, clip_start)]
    resized = plan.crop_w and (plan.crop_w, plan.crop_h) != base_size
    return CameraShot(
        start=round(a - clip_start, 3), end=round(b - clip_start, 3), mode=plan.mode,
        focus=focus, focus_spans=spans, flags=flags,
        switches=tg.switches if tg is not None else 0, outside_share=round(outside, 4),
        zoom=round(plan.zoom, 4) if resized else None,
        crop_width=plan.crop_w if resized else None,
        crop_height=plan.crop_h if resized else None,
    )


def plan_camera(clip_id: str, start: float, end: float, source: SourceProbe, faces: Faces,
                scenes: SceneCuts, section: CameraSection,
                transcript: Transcript | None = None) -> CropPath:
    """The crop path of one clip, with per-shot modes, focus sources and flags recorded.

    Args:
        clip_id: the clip's stable id.
        start: clip start, source seconds.
        end: clip end, source seconds.
        source: the probe (size and frame rate of the source).
        faces: detections and tracks of the episode (faces.json).
        scenes: the episode's cuts (scene_cuts.json): the window may jump only there.
        section: the recipe's ``camera`` section, the validated model: every setting
            comes from it (no defaults of this module's own, so what the recipe
            documents is what runs). The artifact echoes it whole in ``options``.
        transcript: the episode's transcript; its words say when someone speaks, so the
            camera can follow the speaker and move in the pauses. Optional: without it
            mouth activity alone decides.
    """
    plans = plan_clip(start, end, source, faces, scenes, section, transcript)
    width, height, fps = source.video.width, source.video.height, source.video.fps
    crop_w, crop_h = crop_size(width, height, section.aspect, section.zoom)
    xs = np.concatenate([p.left for _, p, _ in plans]) if plans else np.zeros(0)
    ys = np.concatenate([np.full(len(p.left), p.top) for _, p, _ in plans]) if plans \
        else np.zeros(0)
    fallback = np.concatenate([p.targets.fallback if p.targets is not None
                               else np.ones(len(p.left), dtype=bool) for _, p, _ in plans]) \
        if plans else np.zeros(0, dtype=bool)
    x2: list[float] = []
    y2: list[float] = []
    if any(p.left2 is not None for _, p, _ in plans):
        x2 = [round(float(v), 2) for v in np.concatenate(
            [p.left if p.left2 is None else p.left2 for _, p, _ in plans])]
        y2 = [round(float(v), 2) for v in np.concatenate(
            [np.full(len(p.left), p.top if p.left2 is None else p.top2) for _, p, _ in plans])]
    shots = [describe_shot(p, times, start, a, b, (crop_w, crop_h))
             for (a, b), p, times in plans]
    return CropPath(
        clip_id=clip_id, start_s=start, end_s=end, fps=fps, source_width=width,
        source_height=height, crop_width=crop_w, crop_height=crop_h,
        options=section.model_dump(mode="json"),
        x=[round(float(v), 2) for v in xs], y=[round(float(v), 2) for v in ys],
        shots=shots, fallback=[bool(v) for v in fallback], x2=x2, y2=y2,
    )


def plan_clip(start: float, end: float, source: SourceProbe, faces: Faces, scenes: SceneCuts,
              section: CameraSection, transcript: Transcript | None = None,
              ) -> list[tuple[tuple[float, float], ShotPlan, np.ndarray]]:
    """Per shot of the clip: its span, its plan and its output frame times.

    ``max_gap_s`` is the face tracker's, as faces.json echoes it in its ``options``; a
    faces.json without it (written by hand) gets :class:`FaceSection`'s default, the
    value the tracker would have used.
    """
    width, height, fps = source.video.width, source.video.height, source.video.fps
    n = max(1, int(round((end - start) * fps)))
    times = start + np.arange(n) / fps
    max_gap_s = float(faces.options.get("max_gap_s", FaceSection().max_gap_s))
    out = []
    for a, b in shot_bounds(start, end, scenes):
        in_shot = (times >= a - 1e-9) & (times < b - 1e-9)
        if not in_shot.any():
            continue
        t = times[in_shot]
        views = track_views(faces, a, b, t, section.min_face_s, max_gap_s)
        runs = speech_runs(transcript, a, b)
        fb, fb_label = fallback_centres(faces, a, b, t, width, section.fallback)
        plan = plan_shot(views, t, runs, transcript is not None, fb, fb_label, section, fps,
                         width, height, seams_at(scenes, a, b))
        out.append(((a, b), plan, t))
    return out
