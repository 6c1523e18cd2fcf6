"""Candidate clips: self-contained windows scored from several weak signals.

Windows start at a sentence (or, without speech, a shot) and end at a sentence end,
so a clip never opens or closes mid-word. Five signals are computed per window and
normalized per episode, combined with recipe weights, and reduced by explicit
penalties; the best non-overlapping windows survive. Every number that decided a
clip is kept in ``candidates.json`` with human-readable reasons.

Windows read the artifacts through indexes built once per episode (sorted frame, cut
and shot times; per-hop arrays): a window finds its frames and cuts by bisection
instead of scanning the episode, so scoring time grows linearly with its length.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import accumulate

import numpy as np

from shortfactory.core.artifacts import (
    AudioFeatures,
    Candidates,
    Clip,
    Faces,
    SceneCuts,
    Transcript,
    Word,
)
from shortfactory.core.episodes import clip_id
from shortfactory.core.recipe import CandidatesSection
from shortfactory.core.text import ends_sentence, join_words, segment_sentence_ends

SIGNALS = ("transcript", "audio", "face", "scene", "pacing")
_WORD = re.compile(r"[\w']+", re.UNICODE)
TALK_SHARE = 0.5  # speech over this share of a window is full evidence
LIVELY_MOTION = 0.1  # mean share of the frame that moves in a lively shot


@dataclass(slots=True)
class Sentence:
    start: float
    end: float
    text: str
    words: list[Word]


@dataclass(slots=True, frozen=True)
class Evidence:
    """What a window holds in absolute terms, the quantity ``candidates.min_score`` floors.

    The ranking signals are scaled per episode (:func:`normalize_signals`), so the best
    window of a silent film ranks as high as the best of a lively talk and no floor on
    ``total`` can tell them apart. Evidence uses measures that mean the same in every
    episode: ``speech``, the share of the window with transcribed words; ``sound``, the
    share of hops louder than ``audio.silence_lufs``; ``motion``, the mean share of the
    frame that moves. ``score = max(talk, show)``:

    - ``talk = min(1, speech / 0.5)``: someone speaking half the time is full evidence;
      the default floor 0.2 asks for speech over 10 % of the window.
    - ``show = 0.5 * sound * min(1, motion / 0.1)``: something to hear while something
      moves, never above 0.5. Without sound it is 0 however much moves, so a silent
      film or pictures over digital silence yield no Short, and neither does music
      over a still picture (a title card).

    A music-only lively cartoon (Big Buck Bunny's first 30 s: music 92 % of the time,
    3-9 % of the frame moving) has windows of 0.13-0.39 and keeps its liveliest
    stretches at the default floor: animation set to music holds a phone screen
    without words, and the title falls back to the template. A recipe that wants
    speech only sets ``min_score`` above 0.5, which only talk can reach.
    """

    speech: float
    sound: float
    motion: float

    @property
    def talk(self) -> float:
        return min(1.0, self.speech / TALK_SHARE)

    @property
    def show(self) -> float:
        return 0.5 * self.sound * min(1.0, self.motion / LIVELY_MOTION)

    @property
    def score(self) -> float:
        return round(max(self.talk, self.show), 4)

    def describe(self) -> str:
        """The parts, e.g. 'speech 74%, sound 100%, motion 0.02'."""
        return (f"speech {self.speech:.0%}, sound {self.sound:.0%}, "
                f"motion {self.motion:.2f}")

    def lacking(self) -> str:
        """What keeps the score down, in words: 'no speech, little motion'."""
        parts = []
        if self.talk < 1:
            parts.append("no speech" if self.speech == 0 else
                         f"speech only {self.speech:.0%} of the time")
        if self.show < 0.5:
            if self.sound == 0:
                parts.append("no sound")
            elif self.sound < 0.5:
                parts.append(f"sound only {self.sound:.0%} of the time")
            if self.motion < LIVELY_MOTION / 2:
                parts.append("little motion")
        return ", ".join(parts) or self.describe()


@dataclass(slots=True)
class Window:
    start: float
    end: float
    sentences: list[Sentence] = field(default_factory=list)
    raw: dict[str, float] = field(default_factory=dict)
    signals: dict[str, float] = field(default_factory=dict)
    penalties: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    total: float = 0.0
    evidence: Evidence | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def text(self) -> str:
        return join_words([s.text for s in self.sentences])


# --- indexes -----------------------------------------------------------------------


@dataclass(slots=True)
class FrameIndex:
    """Face frames as arrays sorted by time, so that a window slices its own frames.

    Scanning every frame for every window made scoring quadratic in the episode's
    length (13 s at 20 minutes); a slice holds the same values in the same order.
    """

    t: list[float]
    size: np.ndarray  # largest face height / frame height per frame; NaN without a face
    activity: np.ndarray
    fps: float

    @classmethod
    def of(cls, faces: Faces | FrameIndex) -> FrameIndex:
        if isinstance(faces, FrameIndex):
            return faces
        h = faces.source_height or 1
        frames = sorted(faces.frames, key=lambda f: f.t)
        size = [max(d.box[3] for d in f.detections) / h if f.detections else math.nan
                for f in frames]
        return cls([f.t for f in frames], np.array(size, dtype=float),
                   np.array([f.activity for f in frames], dtype=float), faces.analysis_fps)

    def span(self, start: float, end: float) -> slice:
        """The frames with ``start <= t < end``."""
        return slice(bisect_left(self.t, start), bisect_left(self.t, end))


@dataclass(slots=True)
class CutIndex:
    """Cut times and shot spans, sorted, for range queries by bisection."""

    times: list[float]  # every cut
    hard: list[float]  # hard cuts only
    shot_start: list[float]
    shot_end: list[float]
    reach: list[float]  # latest shot end up to each shot: what lies before ends by then

    @classmethod
    def of(cls, scenes: SceneCuts | CutIndex) -> CutIndex:
        if isinstance(scenes, CutIndex):
            return scenes
        shots = sorted(scenes.shots, key=lambda s: s.start_s)
        ends = [s.end_s for s in shots]
        return cls(sorted(c.time_s for c in scenes.cuts),
                   sorted(c.time_s for c in scenes.cuts if c.kind == "hard"),
                   [s.start_s for s in shots], ends, list(accumulate(ends, max)))

    def cuts_between(self, lo: float, hi: float) -> list[float]:
        """Cuts with ``lo < t < hi``."""
        return self.times[bisect_right(self.times, lo): bisect_left(self.times, hi)]

    def hard_between(self, lo: float, hi: float) -> list[float]:
        """Hard cuts with ``lo < t < hi``."""
        return self.hard[bisect_right(self.hard, lo): bisect_left(self.hard, hi)]

    def hard_within(self, lo: float, hi: float) -> bool:
        """Is there a hard cut with ``lo <= t <= hi``?"""
        i = bisect_left(self.hard, lo)
        return i < len(self.hard) and self.hard[i] <= hi

    def shots_over(self, start: float, end: float) -> range:
        """Indexes of the shots that may overlap ``[start, end]`` (a superset, in order)."""
        return range(bisect_right(self.reach, start), bisect_left(self.shot_start, end))


@dataclass(slots=True)
class HopIndex:
    """The per-hop audio series the windows read, as arrays (converted once)."""

    hop_s: float
    score: np.ndarray
    speech: np.ndarray
    silence: np.ndarray

    @classmethod
    def of(cls, features: AudioFeatures | HopIndex) -> HopIndex:
        if isinstance(features, HopIndex):
            return features
        return cls(features.hop_s, np.asarray(features.score, dtype=float),
                   np.asarray(features.speech, dtype=float),
                   np.asarray(features.silence, dtype=bool))

    def span(self, start: float, end: float) -> slice:
        """The hops of ``[start, end)``, at least one."""
        a = max(0, int(start / self.hop_s))
        return slice(a, max(a + 1, int(math.ceil(end / self.hop_s))))


# --- sentences and windows ---------------------------------------------------------


def split_sentences(transcript: Transcript, max_gap_s: float = 1.5,
                    cuts: list[float] = (), min_cut_gap_s: float = 0.15) -> list[Sentence]:
    """Sentences from word timings: end at terminal punctuation or a long pause.

    A hard cut that falls in a pause between two words also ends a sentence: ASR
    often glues two speakers' lines together where the picture clearly changes turn.
    """
    sentences: list[Sentence] = []
    current: list[Word] = []
    words = transcript.words()
    ends = [e for flags in segment_sentence_ends([[w.word for w in s.words]
                                                  for s in transcript.segments]) for e in flags]
    cuts = sorted(cuts)
    for i, word in enumerate(words):
        current.append(word)
        nxt = words[i + 1].start if i + 1 < len(words) else math.inf
        next_gap = nxt - word.end
        first_cut = bisect_left(cuts, word.end)
        cut_in_gap = (next_gap >= min_cut_gap_s and first_cut < len(cuts)
                      and cuts[first_cut] <= nxt)
        if ends[i] or next_gap > max_gap_s or cut_in_gap:
            text = join_words([w.word for w in current])
            sentences.append(Sentence(current[0].start, current[-1].end, text, current))
            current = []
    return sentences


def make_windows(sentences: list[Sentence], shot_starts: list[float], duration: float,
                 section: CandidatesSection, snap_s: float = 2.0) -> list[Window]:
    """Every run of whole sentences whose padded span fits the length limits.

    A window opens at a shot start just before its first sentence and closes at a
    shot end just after its last one when those are within ``snap_s`` (a clean visual
    entry and exit), never overlapping the neighbouring sentences. Lengths and leads
    come from the recipe's typed ``candidates`` section.
    """
    lo, hi = section.min_length_s, section.max_length_s
    lead_in, lead_out = section.lead_in_s, section.lead_out_s
    shots = sorted(shot_starts)
    windows: list[Window] = []
    for i, first in enumerate(sentences):
        floor = sentences[i - 1].end if i else 0.0
        start = max(floor, first.start - lead_in, 0.0)
        # The latest shot start at or before the sentence, if it is close enough.
        k = bisect_right(shots, first.start) - 1
        if k >= 0 and floor <= shots[k] and first.start - shots[k] < snap_s:
            start = shots[k]
        for j in range(i, len(sentences)):
            last = sentences[j]
            ceiling = min(sentences[j + 1].start if j + 1 < len(sentences) else duration,
                          duration)
            end = min(last.end + lead_out, ceiling)
            # The earliest shot start at or after the sentence end, if close enough.
            k = bisect_left(shots, last.end)
            if k < len(shots) and shots[k] <= ceiling and shots[k] - last.end < snap_s:
                end = shots[k]
            length = end - start
            if length > hi:
                break
            if length >= lo:
                windows.append(Window(start, end, sentences[i: j + 1]))
    return windows


def make_silent_windows(shot_starts: list[float], duration: float,
                        section: CandidatesSection) -> list[Window]:
    """Without speech: windows from each shot start, ending at a later shot start."""
    lo, hi, target = section.min_length_s, section.max_length_s, section.target_length_s
    bounds = sorted({0.0, *[s for s in shot_starts if 0 < s < duration], duration})
    windows: list[Window] = []
    for a in bounds[:-1]:
        # b - a grows with b: the ends that fit are one run of the sorted bounds.
        first = bisect_left(bounds, lo, key=lambda b: b - a)
        ends = bounds[first: bisect_right(bounds, hi, key=lambda b: b - a)]
        if not ends and duration - a >= lo:
            ends = [min(duration, a + target)]
        windows.extend(Window(a, e) for e in ends)
    return windows


# --- raw signals -------------------------------------------------------------------


def transcript_raw(window: Window, triggers: dict[str, float]) -> tuple[float, list[str]]:
    """Line density, ?/! marks, trigger hits and a hook in the first 3 s."""
    words = [w for s in window.sentences for w in s.words]
    if not words:
        return 0.0, []
    reasons = []
    density = len(window.sentences) / max(window.duration, 1e-6) * 10  # sentences per 10 s
    marks = sum(1 for s in window.sentences if s.text.rstrip().endswith(("?", "!")))
    text = " " + " ".join(_WORD.findall(window.text.lower())) + " "
    hits = {t: wt for t, wt in triggers.items() if f" {t.lower()} " in text}
    hook_text = " ".join(w.word for w in words if w.start < window.start + 3.0).lower()
    hook = any(ch in hook_text for ch in "?!") or any(t.lower() in hook_text for t in triggers)
    if hits:
        reasons.append("trigger words: " + ", ".join(sorted(hits)))
    if hook:
        reasons.append("hook in the first 3 s")
    if marks:
        reasons.append(f"{marks} question/exclamation line(s)")
    raw = 0.3 * min(density, 3.0) / 3.0 + 0.25 * min(marks, 4) / 4 + 0.3 * min(
        sum(hits.values()), 3.0) / 3.0 + 0.15 * hook
    return raw, reasons


def audio_raw(window: Window, features: AudioFeatures | HopIndex) -> float:
    """Mean interest plus the strongest persistent moment."""
    hops = HopIndex.of(features)
    score = hops.score[hops.span(window.start, window.end)]
    if score.size == 0:
        return 0.0
    return float(0.6 * score.mean() + 0.4 * np.percentile(score, 95))


def face_presence(window: Window, faces: Faces | FrameIndex,
                  min_height_share: float = 0.12) -> np.ndarray:
    """Per analysis frame in the window: is a face big enough for a vertical crop?"""
    frames = FrameIndex.of(faces)
    return frames.size[frames.span(window.start, window.end)] >= min_height_share


def face_raw(window: Window, faces: Faces | FrameIndex, close_share: float = 0.3) -> float:
    """Share of time with a usable face, worth more when the face is close.

    A vertical crop of a close-up reads on a phone; a wide shot of small faces less
    so. The size bonus saturates at faces ``close_share`` of the frame height.
    """
    frames = FrameIndex.of(faces)
    sizes = frames.size[frames.span(window.start, window.end)]
    if not sizes.size:
        return 0.0
    presence = face_presence(window, frames)
    sizes = sizes[~np.isnan(sizes)]
    closeness = min(1.0, float(np.mean(sizes)) / close_share) if sizes.size else 0.0
    return float(presence.mean()) * (0.6 + 0.4 * closeness)


def longest_run(mask: np.ndarray) -> int:
    """Length of the longest run of True values."""
    edges = np.diff(np.concatenate([[0], np.asarray(mask, dtype=np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return int((ends - starts).max()) if starts.size else 0


def cuts_in(window: Window, scenes: SceneCuts | CutIndex) -> int:
    return len(CutIndex.of(scenes).cuts_between(window.start, window.end))


def scene_raw(window: Window, scenes: SceneCuts | CutIndex, faces: Faces | FrameIndex) -> float:
    """Cut rate that is neither static nor chaotic, plus visual activity."""
    per_min = cuts_in(window, scenes) / max(window.duration, 1e-6) * 60
    rate_score = math.exp(-((per_min - 8.0) / 8.0) ** 2)  # peaks near 8 cuts a minute
    frames = FrameIndex.of(faces)
    activity = frames.activity[frames.span(window.start, window.end)]
    return 0.6 * rate_score + 0.4 * (float(np.mean(activity)) if activity.size else 0.0)


def pacing_raw(window: Window, features: AudioFeatures | HopIndex) -> float:
    """Brisk speech with short pauses: ~2-3.5 words/s and 50-90 % speech time."""
    words = sum(len(s.words) for s in window.sentences)
    rate = words / max(window.duration, 1e-6)
    rate_score = math.exp(-((rate - 2.7) / 1.2) ** 2)
    hops = HopIndex.of(features)
    speech = hops.speech[hops.span(window.start, window.end)]
    share = float(speech.mean()) if speech.size else 0.0
    share_score = 1.0 - min(1.0, abs(share - 0.7) / 0.7)
    return 0.5 * rate_score + 0.5 * share_score


def evidence_of(window: Window, features: AudioFeatures | HopIndex,
                faces: Faces | FrameIndex, *, has_audio: bool = True) -> Evidence:
    """Speech, sound and motion of a window, unscaled (see :class:`Evidence`).

    A source with no audio stream at all (a silent film, a screen recording) was made
    to be watched without sound: its missing sound is not held against it, and its
    pictures alone decide (``sound`` counts as full). Digital silence on an audio track
    that exists is different: there, nothing to hear is evidence of nothing happening.
    """
    hops, frames = HopIndex.of(features), FrameIndex.of(faces)
    span = hops.span(window.start, window.end)
    speech, silence = hops.speech[span], hops.silence[span]
    activity = frames.activity[frames.span(window.start, window.end)]
    sound = 1.0 - float(silence.mean()) if silence.size else 0.0
    return Evidence(speech=float(speech.mean()) if speech.size else 0.0,
                    sound=sound if has_audio else 1.0,
                    motion=float(activity.mean()) if activity.size else 0.0)


# --- penalties ---------------------------------------------------------------------


def interrupted_sentences(window: Window, scenes: SceneCuts | CutIndex,
                          min_pause_s: float = 0.3) -> int:
    """Sentences broken by a hard cut: the line stops at the cut, unfinished.

    Cuts while someone keeps talking are normal editing. A line that ends at a cut
    without closing punctuation, a line that runs into a cut without a pause and
    stops just after it (the audio was cut with the picture; ASR stretches the last
    word over the cut), or a cut inside a pause in the middle of a sentence (where ASR
    glued the fragment to the next line) is a fragment that confuses a viewer.
    """
    cuts = CutIndex.of(scenes)
    count = 0
    for s in window.sentences:
        open_end = not ends_sentence(s.words[-1].word) and cuts.hard_within(
            s.end - 0.2, s.end + 0.35)
        split = any(cuts.hard_within(a, b) for a, b in _gaps(s.words, min_pause_s))
        runs_into_cut = any(
            s.end - t < 1.2 and not any(a <= t <= b for a, b in _gaps(s.words, 0.15))
            for t in cuts.hard_between(s.start, s.end))
        count += open_end or split or runs_into_cut
    return count


def _gaps(words: list[Word], min_gap_s: float) -> list[tuple[float, float]]:
    """Pauses of at least ``min_gap_s`` between consecutive words."""
    return [(a.end, b.start) for a, b in zip(words, words[1:], strict=False)
            if b.start - a.end >= min_gap_s]


def scene_breaks(window: Window, scenes: SceneCuts | CutIndex, min_pause_s: float) -> int:
    """Cuts inside the window that fall in a long speech pause: a change of scene.

    Dialogue cuts (shot, reverse shot) come mid-conversation with short gaps; a cut
    in a long silence usually moves to another place or time, so a window holding
    one holds two stories.
    """
    inner = CutIndex.of(scenes).cuts_between(window.start + 0.5, window.end - 0.5)
    if not inner:
        return 0
    words = [w for s in window.sentences for w in s.words]
    breaks = 0
    for t in inner:
        before = max((w.end for w in words if w.end <= t), default=window.start)
        after = min((w.start for w in words if w.start >= t), default=window.end)
        if not any(w.start < t < w.end for w in words) and after - before >= min_pause_s:
            breaks += 1
    return breaks


def partial_shot_share(window: Window, scenes: SceneCuts | CutIndex, max_length_s: float,
                       tolerance_s: float = 1.5) -> float:
    """Share of the window spent in shots it shows only in part.

    A micro-story reads complete when it opens with a shot and closes with one; a
    clip that ends two seconds into the next location, or starts mid-way through a
    shot it leaves, feels cut out of something. Shots longer than a clip can ever be
    (a lecture's single take) are exempt: no window could show them whole.
    """
    cuts = CutIndex.of(scenes)
    partial = 0.0
    for i in cuts.shots_over(window.start, window.end):
        start, end = cuts.shot_start[i], cuts.shot_end[i]
        inside = min(window.end, end) - max(window.start, start)
        length = end - start
        if inside <= 0 or length > max_length_s:
            continue
        if inside < length - tolerance_s:
            partial += inside
    return partial / max(window.duration, 1e-6)


def penalties_for(window: Window, features: AudioFeatures | HopIndex,
                  scenes: SceneCuts | CutIndex, faces: Faces | FrameIndex,
                  section: CandidatesSection) -> tuple[dict[str, float], list[str]]:
    """Named penalties (already multiplied by their recipe weights) and reasons."""
    features, scenes = HopIndex.of(features), CutIndex.of(scenes)
    faces = FrameIndex.of(faces)
    p = section.penalties
    out: dict[str, float] = {}
    reasons: list[str] = []
    split = interrupted_sentences(window, scenes)
    if split:
        out["mid_sentence"] = p.mid_sentence * min(1.0, split)
        reasons.append("a cut interrupts a sentence")
    breaks = scene_breaks(window, scenes, section.scene_break_pause_s)
    if breaks:
        out["scene_break"] = round(p.scene_break * min(breaks, 2) / 2, 4)
        reasons.append(f"spans {breaks + 1} scenes")
    partial = partial_shot_share(window, scenes, section.max_length_s)
    if partial > 0.05:
        out["partial_shot"] = round(p.partial_shot * partial, 4)
        reasons.append(f"{partial:.0%} of it in shots shown only in part")
    speech = features.speech[features.span(window.start, window.end)]
    silent_s = longest_run(speech < 0.5) * features.hop_s
    if silent_s > section.long_silence_s:
        out["long_silence"] = p.long_silence * min(1.0, silent_s / window.duration * 2)
        reasons.append(f"{silent_s:.0f} s without speech")
    presence = face_presence(window, faces)
    no_face_s = longest_run(~presence) / max(faces.fps, 1e-6) if presence.size else 0
    if no_face_s > section.no_face_s:
        out["no_face"] = p.no_face * min(1.0, no_face_s / window.duration * 1.5)
        reasons.append(f"{no_face_s:.0f} s with no usable face")
    per_min = cuts_in(window, scenes) / max(window.duration, 1e-6) * 60
    if per_min > section.max_cuts_per_min:
        out["too_many_cuts"] = p.too_many_cuts
        reasons.append(f"{per_min:.0f} cuts a minute")
    span = max(1e-6, section.max_length_s - section.min_length_s)
    off = abs(window.duration - section.target_length_s) / span
    if off > 0.05:
        out["length"] = round(p.length * min(1.0, off), 4)
    if not window.sentences and float(np.mean(speech) if speech.size else 0) == 0 and \
            audio_raw(window, features) < 0.05:
        out["empty"] = p.empty
        reasons.append("nothing happens: no speech, no sound")
    return out, reasons


# --- ranking -----------------------------------------------------------------------


def normalize_signals(windows: list[Window]) -> None:
    """Per-episode robust scaling of each raw signal to [0, 1] (10th-90th percentile)."""
    for name in SIGNALS:
        values = np.array([w.raw[name] for w in windows])
        lo, hi = np.percentile(values, [10, 90]) if values.size else (0.0, 0.0)
        for w, v in zip(windows, values, strict=True):
            w.signals[name] = round(float(np.clip((v - lo) / (hi - lo), 0, 1))
                                    if hi - lo > 1e-9 else 0.5, 4)


def temporal_iou(a: Window, b: Window) -> float:
    inter = max(0.0, min(a.end, b.end) - max(a.start, b.start))
    union = max(a.end, b.end) - min(a.start, b.start)
    return inter / union if union > 0 else 0.0


def text_similarity(a: Window, b: Window) -> float:
    if not a.text or not b.text:
        return 0.0
    return SequenceMatcher(None, a.text.lower(), b.text.lower(), autojunk=False).ratio()


def similar_text(a: Window, b: Window, max_text: float,
                 memo: dict[tuple[str, str], bool] | None = None) -> bool:
    """``text_similarity(a, b) > max_text``, skipping the quadratic diff when it cannot be.

    ``real_quick_ratio`` and ``quick_ratio`` are upper bounds of ``ratio``: below the
    limit the full comparison (milliseconds for two 30 s transcripts) is not needed.
    ``memo`` keeps answers per pair of texts: a recurring line (an intro, a chorus)
    makes the same comparison over and over.
    """
    ta, tb = a.text.lower(), b.text.lower()
    if not ta or not tb:
        return 0.0 > max_text
    if ta == tb:
        return 1.0 > max_text
    if memo is not None and (ta, tb) in memo:
        return memo[ta, tb]
    matcher = SequenceMatcher(None, ta, tb, autojunk=False)
    similar = (matcher.real_quick_ratio() > max_text and matcher.quick_ratio() > max_text
               and matcher.ratio() > max_text)
    if memo is not None:
        memo[ta, tb] = similar
    return similar


def overlaps(a: Window, b: Window, max_overlap: float) -> bool:
    """Too much shared time: by IoU, or half of the shorter window."""
    return (temporal_iou(a, b) > max_overlap
            or min(a.end, b.end) - max(a.start, b.start) > 0.5 * min(a.duration, b.duration))


def suppress(windows: list[Window], k: int, max_overlap: float, max_text: float) -> list[Window]:
    """Greedy non-maximum suppression on time overlap and near-identical text.

    The cheap time test runs against every kept window before any text comparison.
    """
    kept: list[Window] = []
    memo: dict[tuple[str, str], bool] = {}
    for w in sorted(windows, key=lambda w: (-w.total, w.start, w.end)):
        if any(overlaps(w, o, max_overlap) for o in kept) or any(
                similar_text(w, o, max_text, memo) for o in kept):
            continue
        kept.append(w)
        if len(kept) == k:
            break
    return kept


def clip_count(duration_s: float, section: CandidatesSection) -> int:
    """More clips for longer episodes, within the recipe's bounds."""
    wanted = math.ceil(duration_s / 60.0 / section.minutes_per_clip)
    return int(min(section.max_clips, max(section.min_clips, wanted)))


def select_candidates(transcript: Transcript, features: AudioFeatures, scenes: SceneCuts,
                      faces: Faces, section: CandidatesSection, *, episode: str,
                      duration_s: float, has_audio: bool = True) -> Candidates:
    """Score every window and keep the top ones; deterministic for the same inputs.

    ``section`` is the recipe's typed ``candidates`` section: its defaults are the only
    defaults (no second set kept here to drift from the recipe's documentation).
    ``has_audio``: False for a source without an audio stream (see :func:`evidence_of`).

    Windows whose :class:`Evidence` is below ``candidates.min_score`` never become
    clips; when none is left, ``message`` says why in one line.
    """
    # The section as the rule received it (JSON types), echoed into candidates.json.
    base = dict(episode=episode, duration_s=duration_s,
                options=section)
    if duration_s < section.min_length_s:
        return Candidates(**base, message=(
            f"episode is {duration_s:.1f} s, shorter than candidates.min_length_s="
            f"{section.min_length_s:g}: no clips"))
    hops, cuts, frames = HopIndex.of(features), CutIndex.of(scenes), FrameIndex.of(faces)
    sentences = split_sentences(transcript, cuts=cuts.hard)
    shot_starts = [s.start_s for s in scenes.shots] or [0.0]
    windows = make_windows(sentences, shot_starts, duration_s, section) if sentences else []
    if not windows:
        windows = make_silent_windows(shot_starts, duration_s, section)
    if not windows:
        return Candidates(**base, message="no window fits the length limits: no clips")
    for w in windows:
        w.raw["transcript"], w.reasons = transcript_raw(w, section.triggers)
        w.raw["audio"] = audio_raw(w, hops)
        w.raw["face"] = face_raw(w, frames)
        w.raw["scene"] = scene_raw(w, cuts, frames)
        w.raw["pacing"] = pacing_raw(w, hops) if w.sentences else 0.0
    normalize_signals(windows)
    weights = section.weights
    for w in windows:
        w.penalties, extra = penalties_for(w, hops, cuts, frames, section)
        w.reasons += extra
        gain = sum(getattr(weights, n) * w.signals[n] for n in SIGNALS)
        w.total = round(gain - sum(w.penalties.values()), 4)
        presence = face_presence(w, frames)
        if presence.size and presence.mean() > 0.6:
            w.reasons.append(f"face on screen {presence.mean():.0%} of the time")
        w.evidence = evidence_of(w, hops, frames, has_audio=has_audio)
        w.reasons.append(f"evidence {w.evidence.score:.2f}: {w.evidence.describe()}")
    floor = section.min_score
    worthy = [w for w in windows if w.evidence.score >= floor]
    if not worthy:
        best = max((w.evidence for w in windows), key=lambda e: e.score)
        return Candidates(**base, message=(
            f"no clip reaches candidates.min_score {floor:.2f} "
            f"(best {best.score:.2f}: {best.lacking()})"))
    kept = suppress(worthy, clip_count(duration_s, section), section.max_overlap,
                    section.max_text_similarity)
    if section.order == "story":
        kept.sort(key=lambda w: w.start)
    clips = [Clip(id=clip_id(w.start, w.end), rank=i + 1, start_s=round(w.start, 3),
                  end_s=round(w.end, 3), total=w.total, signals=w.signals,
                  penalties=w.penalties, reasons=w.reasons, text=w.text)
             for i, w in enumerate(kept)]
    return Candidates(**base, clips=clips)
