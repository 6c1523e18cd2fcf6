"""Metadata benchmark: do the titles carry the planted moments' key lines, and is any empty?

Tuning set, the bundled sample: each strong planted moment (``samples/sample.truth.json``)
gets the candidate clip that shows it (``candidates.hits_moment``; the moment's own span
when no candidate does), and its metadata is built from the sample's real ASR transcript
with the default recipe, as the ``write_metadata`` rule builds it.

* ``title_hook_share``: share of those titles that are a complete sentence (the picked
  hook, closed by its punctuation, not cut, no fragment) carrying the moment's key
  line: at least :data:`MIN_KEY_COVERAGE` of the key line's words, in order (the ASR
  hears "What no way?" for "What?! No way!"). Target 1.0.
* ``first_line_baseline_share``: the same for the title the line used before (the
  clip's first whole sentence), same clips, same run.
* ``empty_titles``: titles without a letter or digit, over every clip of every bench
  episode (the sample's candidates and the real episodes below). Target 0.

Report set, the real episodes of ``bench/realworld.py``: the metadata of every clip in
``bench/results/realworld_runs/*/results/<episode>/candidates.json`` is built again
from that run's transcript (the line is not re-run). Never tuned on: of the clips with
speech (``realworld_clips_with_speech``), ``realworld_hook_title_share`` is the share
whose title is a picked hook (the rest get the fallback title: only fragments), and
``realworld_complete_sentence_share`` the share whose title is a whole, uncut sentence
(a hook longer than ``max_title_chars`` is cut on a word boundary).

The truth file names the moments but not their key lines; :data:`KEY_LINES` gives
them, from the moments' own descriptions (the line quoted there, the joke's question,
the confession), and each must be a line the truth has Mia or Ben say.

Run it as ``python bench/metadata.py`` (writes ``bench/results/metadata.json``).
"""

from __future__ import annotations

import difflib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RUNS = REPO / "bench" / "results" / "realworld_runs"
SAMPLE_RESULTS = REPO / "results" / "sample"
MIN_KEY_COVERAGE = 0.8  # one ASR slip in five words still carries the line

# Moment -> the lines that carry it (any one will do). loud_reaction: the reveal its
# description opens with and the shout it quotes; joke: its setup question and its
# punchline; close_face: the confession and the fear it explains.
KEY_LINES: dict[str, tuple[str, ...]] = {
    "loud_reaction": ("Because our ticket just won the grand prize.", "What?! No way!"),
    "joke": ("Why did the scarecrow win an award?",
             "Because he was outstanding in his field!"),
    "close_face": ("I never told anyone this, but I was scared.",
                   "When you left last winter, I thought you were never coming back."),
}


@dataclass(slots=True)
class Titled:
    """One clip's title, its hook and its first line (the old title), for scoring."""

    clip_id: str
    title: str
    hook: str
    first_line: str


def words(text: str) -> list[str]:
    """Lower-case words, punctuation dropped: how a key line is compared with a title."""
    from shortfactory.core.text import text_tokens

    out = []
    for token in text_tokens(text):
        word = "".join(c for c in token.casefold() if c.isalnum() or c == "'")
        if word:
            out.append(word)
    return out


def key_coverage(title: str, key: str) -> float:
    """Share of the key line's words found in the title, in order."""
    key_words, title_words = words(key), words(title)
    matcher = difflib.SequenceMatcher(None, key_words, title_words, autojunk=False)
    return sum(b.size for b in matcher.get_matching_blocks()) / max(1, len(key_words))


def complete_sentence(title: str) -> bool:
    """A whole sentence: closed by its punctuation, not cut (``…``), not a fragment."""
    from shortfactory.clips.hooks import fragment_reason
    from shortfactory.core.text import ends_sentence, sentences_of

    return (bool(title) and not title.endswith("…") and ends_sentence(title)
            and len(sentences_of(title)) == 1
            and fragment_reason(title, first=False, last=False) is None)


def carries_key_line(title: str, keys: tuple[str, ...]) -> bool:
    """A complete sentence holding one of the moment's key lines."""
    return complete_sentence(title) and any(
        key_coverage(title, k) >= MIN_KEY_COVERAGE for k in keys)


def build_titles(clips: list[Any], transcript: Any, recipe: Any, episode: str) -> list[Titled]:
    """Metadata of each clip, as the write_metadata rule builds it."""
    from shortfactory.clips.metadata import build_metadata, clip_text, first_sentence

    out = []
    for clip in clips:
        meta = build_metadata(clip, transcript, recipe.metadata, episode=episode,
                              recipe_hash="bench", triggers=recipe.candidates.triggers)
        text, mid = clip_text(clip, transcript)
        out.append(Titled(clip.id, meta.title, meta.hook.text if meta.hook else "",
                          first_sentence(text, skip_fragment=mid)))
    return out


def sample_artifacts(recipe: Any) -> tuple[Any, Any, str]:
    """The sample's transcript and candidates: the workflow's (``results/sample``) when
    it has run, else made here by the calls the rules make."""
    from shortfactory.core.artifacts import Candidates, Transcript
    from shortfactory.core.io import read_model

    if (SAMPLE_RESULTS / "candidates.json").exists():
        return (read_model(SAMPLE_RESULTS / "transcript.json", Transcript),
                read_model(SAMPLE_RESULTS / "candidates.json", Candidates).clips,
                str(SAMPLE_RESULTS))
    from candidates import analyse  # bench/ is on sys.path
    from run import ensure_sample

    from shortfactory.clips.candidates import select_candidates

    art = analyse(ensure_sample(), recipe)
    result = select_candidates(art["transcript"], art["features"], art["scenes"],
                               art["faces"], recipe.candidates, episode="sample",
                               duration_s=art["probe"].duration_s)
    return art["transcript"], result.clips, "analysed in this run"


def moment_clips(truth: Any, clips: list[Any]) -> tuple[dict[str, Any], int]:
    """Strong moment -> the candidate clip showing it (else a clip of its own span), and
    how many moments needed their own span."""
    from candidates import Span, hits_moment

    from shortfactory.core.artifacts import Clip

    chosen, own = {}, 0
    for m in (m for m in truth.moments if m.kind == "strong"):
        span = Span(m.start_s, m.end_s)
        hit = next((c for c in clips if hits_moment(Span(c.start_s, c.end_s), span)), None)
        if hit is None:
            own += 1
            hit = Clip(id=m.name, rank=0, start_s=m.start_s, end_s=m.end_s, total=0.0,
                       signals={}, penalties={}, reasons=[])
        chosen[m.name] = hit
    return chosen, own


def check_key_lines(truth: Any) -> None:
    """Every key line is a line of the truth: a changed sample script fails here."""
    spoken = [line.text for line in truth.speech]
    for name, keys in KEY_LINES.items():
        for key in keys:
            if not any(key_coverage(line, key) == 1.0 for line in spoken):
                raise SystemExit(f"bench/metadata.py: key line of {name} not in the truth: "
                                 f"{key!r}")


def bench_sample(recipe: Any) -> tuple[dict[str, float], int]:
    """The tuning figures on the sample, and its empty titles."""
    from shortfactory.clips.metadata import has_words
    from shortfactory.sample.generator import load_truth

    truth = load_truth(REPO / "samples" / "sample.truth.json")
    check_key_lines(truth)
    transcript, clips, where = sample_artifacts(recipe)
    print(f"  sample artifacts: {where}")
    chosen, own = moment_clips(truth, clips)
    hits, baseline = 0, 0
    for name, clip in chosen.items():
        titled = build_titles([clip], transcript, recipe, "sample")[0]
        ok = carries_key_line(titled.title, KEY_LINES[name])
        hits += ok
        baseline += carries_key_line(titled.first_line, KEY_LINES[name])
        print(f"  {name:<14} {clip.id:<12} {'ok ' if ok else 'MISS'} {titled.title!r}"
              f" (first line: {titled.first_line!r})")
    start = time.perf_counter()
    every = build_titles(clips, transcript, recipe, "sample")
    seconds = time.perf_counter() - start
    n = max(1, len(chosen))
    return {
        "title_hook_share": round(hits / n, 3),
        "first_line_baseline_share": round(baseline / n, 3),
        "sample_moments": len(chosen),
        "sample_moments_without_candidate": own,
        "sample_clips": len(every),
        "sample_empty_titles": sum(not has_words(t.title) for t in every),
        "build_s_per_clip": round(seconds / max(1, len(every)), 4),
    }, sum(not has_words(t.title) for t in every)


def realworld_dirs() -> list[Path]:
    """Episode folders of the real-episode runs that reached candidates."""
    return sorted(p.parent for p in RUNS.glob("*/results/*/candidates.json")
                  if (p.parent / "transcript.json").exists())


def older_transcript(path: Path) -> Any:
    """A transcript of an earlier schema, read for its words: the runs may predate the
    current schema (the line is not re-run here), and metadata reads only the words,
    the language and the task, so the echo of the options that made it is left out."""
    from shortfactory.core.artifacts import SCHEMA_VERSION, Transcript

    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("options", None)
    return Transcript.model_validate({**data, "schema_version": SCHEMA_VERSION})


def older_candidates(path: Path) -> list[Any]:
    """The clips of a candidates file of an earlier schema (see :func:`older_transcript`)."""
    from shortfactory.core.artifacts import SCHEMA_VERSION, Candidates

    data = json.loads(path.read_text(encoding="utf-8"))
    return Candidates.model_validate({**data, "schema_version": SCHEMA_VERSION}).clips


def bench_realworld(recipe: Any) -> dict[str, float]:
    """The report figures on the real episodes (never tuned on)."""
    from shortfactory.clips.metadata import has_words

    clips = empty = hooked = whole = spoken = 0
    folders = realworld_dirs()
    for folder in folders:
        transcript = older_transcript(folder / "transcript.json")
        candidates = older_candidates(folder / "candidates.json")
        titled = build_titles(candidates, transcript, recipe, folder.name)
        clips += len(titled)
        empty += sum(not has_words(t.title) for t in titled)
        hooked += sum(bool(t.hook) for t in titled)
        spoken += sum(has_words(t.first_line) for t in titled)
        whole += sum(complete_sentence(t.title) for t in titled)
        for t in titled:
            print(f"  {folder.parent.parent.name:<16} {t.clip_id:<11} {t.title!r}")
    return {"realworld_episodes": len(folders), "realworld_clips": clips,
            "realworld_clips_with_speech": spoken,
            "realworld_empty_titles": empty,
            "realworld_hook_title_share": round(hooked / max(1, spoken), 3),
            "realworld_complete_sentence_share": round(whole / max(1, spoken), 3)}


def bench_metadata() -> dict[str, float]:
    """Every figure of the module docstring, sample (tuning) first, then real episodes."""
    from shortfactory.recipe_checks import load_recipe

    recipe = load_recipe(REPO / "recipes" / "default.yaml")
    sample, sample_empty = bench_sample(recipe)
    real = bench_realworld(recipe)
    return {**sample, **real, "empty_titles": sample_empty + real["realworld_empty_titles"]}


def main() -> int:
    """Run through bench/run.py, which writes bench/results/metadata.json and prints."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import main as run_bench

    return run_bench(["metadata"])


if __name__ == "__main__":
    sys.exit(main())
