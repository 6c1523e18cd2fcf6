"""Re-selecting an episode's clips under other weights, with the line's own selector.

``candidates.json`` keeps only the chosen clips, so "which clips would these weights
have chosen" needs every window again. :func:`score_windows` builds them from the
episode's artifacts with the functions :func:`shortfactory.clips.candidates.
select_candidates` calls, in its order (windows, raw signals, per-episode scaling,
penalties, evidence), once; :func:`reselect` then only recomputes the totals under the
given weights and runs the same evidence floor, clip count and suppression. With the
recipe's own weights it chooses exactly the clips ``select_candidates`` chose (tested).
Trigger words change the transcript signal, so :func:`retrigger` recomputes that one.
"""

from __future__ import annotations

from dataclasses import dataclass

from shortfactory.clips import candidates as cand
from shortfactory.core.artifacts import AudioFeatures, Faces, SceneCuts, Transcript
from shortfactory.core.recipe import CandidatesSection


@dataclass(slots=True)
class EpisodeWindows:
    """Every scored window of one episode, and what re-selection needs."""

    episode: str
    duration_s: float
    section: CandidatesSection
    windows: list[cand.Window]


def score_windows(transcript: Transcript, features: AudioFeatures, scenes: SceneCuts,
                  faces: Faces, section: CandidatesSection, *, episode: str,
                  duration_s: float, has_audio: bool = True) -> EpisodeWindows:
    """All windows with signals, penalties and evidence, as select_candidates makes them."""
    if duration_s < section.min_length_s:
        return EpisodeWindows(episode, duration_s, section, [])
    hops, cuts = cand.HopIndex.of(features), cand.CutIndex.of(scenes)
    frames = cand.FrameIndex.of(faces)
    sentences = cand.split_sentences(transcript, cuts=cuts.hard)
    shot_starts = [s.start_s for s in scenes.shots] or [0.0]
    windows = cand.make_windows(sentences, shot_starts, duration_s, section) \
        if sentences else []
    if not windows:
        windows = cand.make_silent_windows(shot_starts, duration_s, section)
    for w in windows:
        w.raw["transcript"], w.reasons = cand.transcript_raw(w, section.triggers)
        w.raw["audio"] = cand.audio_raw(w, hops)
        w.raw["face"] = cand.face_raw(w, frames)
        w.raw["scene"] = cand.scene_raw(w, cuts, frames)
        w.raw["pacing"] = cand.pacing_raw(w, hops) if w.sentences else 0.0
    cand.normalize_signals(windows)
    for w in windows:
        w.penalties, _ = cand.penalties_for(w, hops, cuts, frames, section)
        w.evidence = cand.evidence_of(w, hops, frames, has_audio=has_audio)
    return EpisodeWindows(episode, duration_s, section, windows)


def retrigger(episode: EpisodeWindows, triggers: dict[str, float]) -> None:
    """Recompute the transcript signal under other trigger words (in place)."""
    for w in episode.windows:
        w.raw["transcript"], _ = cand.transcript_raw(w, triggers)
    cand.normalize_signals(episode.windows)


def reselect(episode: EpisodeWindows, weights: dict[str, float],
             count: int | None = None) -> list[cand.Window]:
    """The clips these weights choose: totals, evidence floor, suppression as the line.

    Sets each window's ``total`` (the selector sorts by it). ``count`` overrides the
    recipe's clip count (a channel that publishes more or fewer per episode).
    """
    section = episode.section
    for w in episode.windows:
        gain = sum(weights[n] * w.signals[n] for n in cand.SIGNALS)
        w.total = round(gain - sum(w.penalties.values()), 4)
    worthy = [w for w in episode.windows if w.evidence.score >= section.min_score]
    k = count if count is not None else cand.clip_count(episode.duration_s, section)
    return cand.suppress(worthy, k, section.max_overlap, section.max_text_similarity)
