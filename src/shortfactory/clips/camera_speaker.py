"""Faces on the output timeline: who is on screen, and who speaks, at each output frame.

The first question of the virtual camera (:mod:`shortfactory.clips.camera`), answered
before any framing. Face tracks are resampled onto a shot's output frames
(:func:`track_views`); tracks shorter than ``min_face_s`` are dropped. The transcript says
*when* someone speaks (one line = one sentence, :func:`speech_runs`), the per-detection
mouth ``activity`` over the line says *who*, each face measured against its own speaking
level (:func:`attribute_lines`); where that is unclear, the one face not shown to be
silent, or the speaker of an adjacent line (:func:`attach_unknown`). Without a
transcript, mouth activity alone decides (:func:`speaker_per_frame`).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

from shortfactory.clips.camera_geometry import TrackView
from shortfactory.core.artifacts import Faces, Transcript
from shortfactory.core.text import ends_sentence

# Words closer than this are one speech run (one line of dialogue); a pause longer
# than this is where the camera may move to the next speaker.
SPEECH_GAP_S = 0.35
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
        sentence_end = ends_sentence(w.word)
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
