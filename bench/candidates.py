"""Candidate benchmark: does the scorer pick the moments the sample planted?

The bundled sample's truth lists three strong micro-stories and three decoys (an
explosion with no speech or face, talk over an empty frame, a line cut mid-sentence).
We score the real analysis artifacts of the sample with the default recipe and
compare with two baselines in the same run: equal 30 s chunks ranked by loudness, and
our windows ranked by the transcript signal alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from shortfactory.clips.candidates import split_sentences
from shortfactory.core.artifacts import AudioFeatures, Transcript
from shortfactory.core.recipe import CandidatesSection

TOP_K = 3


@dataclass(slots=True)
class Span:
    start: float
    end: float

    @property
    def length(self) -> float:
        return max(0.0, self.end - self.start)


def overlap(a: Span, b: Span) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


def hits_moment(clip: Span, moment: Span, min_moment_share: float = 0.6,
                min_clip_share: float = 0.5) -> bool:
    """A clip shows a moment if it covers most of it and is mostly about it."""
    shared = overlap(clip, moment)
    return (shared >= min_moment_share * moment.length
            and shared >= min_clip_share * clip.length)


def is_decoy(clip: Span, decoy: Span) -> bool:
    """A clip is spent on a decoy if half of it (or half the decoy) is the decoy."""
    shared = overlap(clip, decoy)
    return shared >= 0.5 * clip.length or shared >= 0.5 * decoy.length


def recall_at_k(clips: list[Span], strong: list[Span], k: int = TOP_K) -> float:
    top = clips[:k]
    return sum(any(hits_moment(c, m) for c in top) for m in strong) / max(1, len(strong))


def decoys_in_top(clips: list[Span], decoys: list[Span], k: int = TOP_K) -> int:
    return sum(any(is_decoy(c, d) for d in decoys) for c in clips[:k])


def on_sentence_boundaries(clip: Span, transcript: Transcript, cuts: list[float]) -> bool:
    """No word straddles an edge, and the words inside are whole sentences.

    Sentences are the scorer's own: split at punctuation, long pauses, and hard cuts
    inside a pause (where ASR glued two speakers' lines together).
    """
    words = transcript.words()
    if any(w.start < clip.start < w.end or w.start < clip.end < w.end for w in words):
        return False
    sentences = split_sentences(transcript, cuts=cuts)
    inside = [s for s in sentences if s.end > clip.start and s.start < clip.end]
    return all(clip.start <= s.start and s.end <= clip.end for s in inside)


def loudness_chunks(features: AudioFeatures, duration: float, length: float = 30.0
                    ) -> list[Span]:
    """Baseline: equal chunks ranked by mean loudness (linear power)."""
    lufs = np.asarray(features.loudness_lufs)
    chunks = []
    for i in range(math.ceil(duration / length)):
        a, b = i * length, min(duration, (i + 1) * length)
        hops = lufs[int(a / features.hop_s): int(b / features.hop_s)]
        power = float(np.mean(10 ** (hops / 10))) if hops.size else 0.0
        chunks.append((power, Span(a, b)))
    return [s for _, s in sorted(chunks, key=lambda c: -c[0])]


def transcript_only(section: CandidatesSection) -> CandidatesSection:
    """Baseline recipe: our windows, ranked by the transcript signal alone."""
    data = section.model_dump(mode="json")
    weights = {k: 0.0 for k in data["weights"]} | {"transcript": 1.0}
    penalties = {k: 0.0 for k in data["penalties"]}
    return CandidatesSection.model_validate({**data, "weights": weights,
                                             "penalties": penalties})


_ANALYSES: dict[tuple[str, str], dict[str, Any]] = {}


def analyse(source, recipe) -> dict[str, Any]:  # noqa: ANN001 - Path, Recipe
    """The sample's analysis artifacts, made by the same calls the rules make.

    Cached per source and recipe, so the candidates and camera benches of one
    ``bench/run.py`` run share a single analysis.
    """
    import tempfile
    from pathlib import Path

    from shortfactory.core.recipe import recipe_hash
    from shortfactory.ingest import stage as ingest
    from shortfactory.speech import audio, transcribe
    from shortfactory.vision import faces, scenes

    key = (str(Path(source).resolve()), recipe_hash(recipe))
    if key in _ANALYSES:
        return _ANALYSES[key]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        probe = ingest.probe_source(source, "sample")
        ingest.write_audio(source, recipe.ingest, tmp / "a.wav")
        ingest.write_proxy(source, recipe.ingest, tmp / "p.mp4")
        tr = transcribe.transcribe(tmp / "a.wav", recipe.transcribe, progress=False)
        feats = audio.features_from_files(tmp / "a.wav", tr, recipe.audio)
        cuts = scenes.detect_scenes(tmp / "p.mp4", recipe.vision.scenes,
                                    duration_s=probe.duration_s, source=source,
                                    progress=False)
        fc = faces.track_faces(tmp / "p.mp4", cuts, recipe.vision.faces,
                               source_width=probe.video.width,
                               source_height=probe.video.height, progress=False)
    _ANALYSES[key] = {"probe": probe, "transcript": tr, "features": feats, "scenes": cuts,
                      "faces": fc}
    return _ANALYSES[key]


def evaluate(art: dict[str, Any], section: CandidatesSection, truth) -> dict[str, float]:  # noqa: ANN001
    """Planted recall, decoys and boundary share for one candidates configuration."""
    from shortfactory.clips.candidates import select_candidates

    result = select_candidates(art["transcript"], art["features"], art["scenes"], art["faces"],
                               section, episode="sample", duration_s=art["probe"].duration_s)
    clips = [Span(c.start_s, c.end_s) for c in result.clips]
    strong = [Span(m.start_s, m.end_s) for m in truth.moments if m.kind == "strong"]
    decoys = [Span(m.start_s, m.end_s) for m in truth.moments if m.kind == "decoy"]
    hard = [c.time_s for c in art["scenes"].cuts if c.kind == "hard"]
    boundary = [on_sentence_boundaries(c, art["transcript"], hard) for c in clips]
    return {"recall_at3": recall_at_k(clips, strong), "decoys_in_top3": decoys_in_top(
        clips, decoys), "boundary_share": float(np.mean(boundary)) if boundary else 0.0,
        "clips": len(clips), "top": [(round(c.start, 1), round(c.end, 1)) for c in clips]}


def bench_candidates() -> dict[str, float]:
    from pathlib import Path

    from run import REPO, ensure_sample  # bench/ is on sys.path when run.py runs

    from shortfactory.core.recipe import load_recipe
    from shortfactory.sample.generator import load_truth

    source = ensure_sample()
    truth = load_truth(Path(source).with_name("sample.truth.json"))
    recipe = load_recipe(REPO / "recipes" / "default.yaml")
    section = recipe.candidates
    art = analyse(source, recipe)
    ours = evaluate(art, section, truth)
    text_only = evaluate(art, transcript_only(section), truth)
    strong = [Span(m.start_s, m.end_s) for m in truth.moments if m.kind == "strong"]
    loud = loudness_chunks(art["features"], art["probe"].duration_s)
    print("  ours:", ours["top"], "\n  transcript only:", text_only["top"],
          "\n  loudness chunks:", [(s.start, s.end) for s in loud[:TOP_K]])
    return {
        "planted_recall_at3": round(ours["recall_at3"], 3),
        "decoys_in_top3": ours["decoys_in_top3"],
        "loudness_baseline_recall_at3": round(recall_at_k(loud, strong), 3),
        "transcript_baseline_recall_at3": round(text_only["recall_at3"], 3),
        "transcript_baseline_decoys_in_top3": text_only["decoys_in_top3"],
        "sentence_boundary_share": round(ours["boundary_share"], 3),
        "clips": ours["clips"],
    }
