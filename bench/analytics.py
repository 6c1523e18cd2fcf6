"""Analytics benchmark: does the loop learn a channel's taste from its metrics?

A simulated channel built from REAL pipeline features. Episodes: the 13 real-episode
runs under ``bench/results/realworld_runs/*/results/<ep>/`` (read-only) plus the
sample's ``results/sample`` when it has run; an episode with the same words as an
earlier one (``phone_upright`` is ``phone_rotated`` unrotated) is left out, as a
channel does not publish one video twice. For each, every candidate window is
scored again from that run's own artifacts (transcript, audio features, scene cuts,
faces) by the line's selector functions (:mod:`shortfactory.analytics.windows`, which
reproduces ``select_candidates`` exactly), so each window has its real five signals,
penalties, evidence and words. Re-selection under any weights is the line's own
evidence floor, clip count and suppression.

The hidden taste (what the channel's audience rewards, unknown to the loop):

* a weight vector over all five signals that favours what text alone cannot see,
  audio (a loud reaction, whatever is said) and face (a close-up), then pacing, with
  the transcript signal last but one: :data:`HIDDEN`;
* trigger words: :data:`N_TRIGGERS` words drawn (seeded) from the real transcripts'
  vocabulary, each said in 4-30 % of the windows and in at least three episodes, worth
  :data:`TRIGGER_BONUS` each (two at most);
* quality ``q`` = those two parts, on the signals as first computed (default triggers);
  log views = ``8 + 3 q + 0.7 log(days since publishing) + 0.6 t(3)`` (Student t with 3
  degrees of freedom: heavy-tailed, as views are); average % viewed = ``35 + 40 (q - 0.5)``
  plus normal noise, clipped to 5-100.

Three folds: in turn, every third episode by name is held out (the next batch) and the
channel is tuned on the others; the figures are means over the folds (``_min``: the
worst fold). On the tuning set the channel runs :data:`ROUNDS` rounds of two weeks: it
publishes what the current recipe selects (new clips only), exports metrics in
Studio's CSV format (``Total`` row included) for everything published so far, and runs
the real tuning round (:func:`shortfactory.analytics.tune.tune`: ``published.csv``,
``candidates.json``, ``metrics/*.csv`` in a scratch folder, ``recipes/tuned.yaml``
written round-trip); the next round uses the tuned recipe (loaded back from that
file). Besides what the recipe selects, each round publishes :data:`EXPLORE`
exploration selections under weights drawn around the recipe's (Dirichlet,
concentration :data:`EXPLORE_CONCENTRATION`), as a channel A/B-tests framings: with 14
short episodes the recipe's own picks alone barely change from round to round, and a
fit needs Shorts whose signals differ.

Figures:

* ``rank_corr_hidden``: Spearman correlation between the tuned and the hidden weights
  (``rank_corr_untuned`` for the default recipe's), and ``cosine_hidden`` likewise;
* ``uplift_vs_untuned``: on the held-out episodes (the next batch, never tuned on), mean
  hidden quality of the clips the tuned recipe selects minus the untuned recipe's;
* ``multi_vs_transcript_only``: mean hidden quality of the tuned multi-signal selection
  minus a transcript-only selection (weights 1, 0, 0, 0, 0; same triggers), on the same
  held-out episodes (``..._all`` over every episode);
* ``trigger_recall``: share of the hidden trigger words among the tuned triggers
  (``trigger_precision``: share of learned triggers that are hidden ones, 1 when none
  was learned; ``false_triggers``; ``effective_shorts``: the published Shorts with
  near-copies counted once, which is all the evidence the words have: the 14 runs
  are few distinct texts, several of them the same talk in other wrappings);
* ``shorts_published``, ``rounds``, per-round weights in the printout.

Run it as ``python bench/analytics.py`` (writes ``bench/results/analytics.json``).
"""

from __future__ import annotations

import csv
import json
import math
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RUNS = REPO / "bench" / "results" / "realworld_runs"
SAMPLE_RESULTS = REPO / "results" / "sample"
HIDDEN = {"transcript": 0.08, "audio": 0.34, "face": 0.28, "scene": 0.12, "pacing": 0.18}
N_TRIGGERS = 6
TRIGGER_BONUS = 0.15
ROUNDS = 10
FOLDS = 3  # every third episode by name is held out, in turn
ROUND_DAYS = 14
SEED = 23
EXPLORE = 2  # exploration selections a round, under weights drawn around the recipe's
EXPLORE_CONCENTRATION = 20.0  # Dirichlet concentration of those draws (higher = closer)
PUBLISH_PER_EPISODE = 8  # the channel publishes up to 8 Shorts an episode (line: 4-9)
START = datetime(2025, 1, 6, 17, tzinfo=UTC)


def episode_dirs() -> list[Path]:
    """Episode folders with every artifact the selector reads."""
    names = ("transcript", "audio_features", "scene_cuts", "faces")
    found = sorted(p.parent for p in RUNS.glob("*/results/*/candidates.json"))
    if (SAMPLE_RESULTS / "candidates.json").exists():
        found.append(SAMPLE_RESULTS)
    return [d for d in found if all((d / f"{n}.json").exists() for n in names)]


def older(path: Path, model: Any) -> Any:
    """An artifact of an earlier schema, read for its data (the runs are not re-run):
    the echo of the options that made it is left out, as bench/metadata.py does."""
    from shortfactory.core.artifacts import SCHEMA_VERSION

    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("options", None)
    return model.model_validate({**data, "schema_version": SCHEMA_VERSION})


def load_episode(folder: Path, section: Any) -> Any:
    from shortfactory.analytics.windows import score_windows
    from shortfactory.core.artifacts import AudioFeatures, Faces, SceneCuts, Transcript

    source = json.loads((folder / "source.json").read_text(encoding="utf-8")) \
        if (folder / "source.json").exists() else {"audio": {}}
    feats = older(folder / "audio_features.json", AudioFeatures)
    return score_windows(older(folder / "transcript.json", Transcript), feats,
                         older(folder / "scene_cuts.json", SceneCuts),
                         older(folder / "faces.json", Faces), section,
                         episode=folder.name, duration_s=feats.duration_s,
                         has_audio=source.get("audio") is not None)


def key(episode: str, w: Any) -> tuple[str, float, float]:
    return (episode, round(w.start, 3), round(w.end, 3))


def pick_triggers(episodes: list[Any], rng: np.random.Generator) -> list[str]:
    """Hidden trigger words from the real vocabulary (module docstring)."""
    from shortfactory.analytics.features import tokens

    share: Counter[str] = Counter()
    spread: dict[str, set[str]] = {}
    total = 0
    for ep in episodes:
        for w in ep.windows:
            total += 1
            for t in tokens(w.text, phrases=False):
                share[t] += 1
                spread.setdefault(t, set()).add(ep.episode)
    pool = sorted(t for t, c in share.items() if len(t) >= 4 and t.isalpha()
                  and 0.04 <= c / total <= 0.3 and len(spread[t]) >= 3)
    return sorted(rng.choice(pool, size=min(N_TRIGGERS, len(pool)), replace=False).tolist())


def hidden_quality(episodes: list[Any], triggers: list[str]) -> dict[tuple, float]:
    """q of every window, on its signals as first computed (module docstring)."""
    from shortfactory.analytics.features import tokens

    q = {}
    for ep in episodes:
        for w in ep.windows:
            said = tokens(w.text, phrases=False)
            hits = min(2, sum(t in said for t in triggers))
            q[key(ep.episode, w)] = (sum(HIDDEN[s] * w.signals[s] for s in HIDDEN)
                                     + TRIGGER_BONUS * hits)
    return q


def select(ep: Any, weights: dict[str, float], triggers: dict[str, float]) -> list[Any]:
    from shortfactory.analytics.windows import reselect, retrigger

    retrigger(ep, triggers)
    return reselect(ep, weights, count=PUBLISH_PER_EPISODE)


def mean_quality(episodes: list[Any], weights: dict[str, float],
                 triggers: dict[str, float], q: dict[tuple, float]) -> float:
    values = [q[key(ep.episode, w)] for ep in episodes for w in select(ep, weights, triggers)]
    return float(np.mean(values)) if values else 0.0


def spearman(a: list[float], b: list[float]) -> float:
    ra = np.argsort(np.argsort(a)).astype(float)
    rb = np.argsort(np.argsort(b)).astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])


def write_round(work: Path, published: dict[tuple, dict[str, Any]], as_of: datetime,
                rng_noise: dict[tuple, float], q: dict[tuple, float]) -> list[Path]:
    """published.csv, each episode's candidates.json (every published clip, with the
    signals it had when published) and the Studio CSV export as of ``as_of``."""
    from shortfactory.core.artifacts import Candidates, Clip
    from shortfactory.core.io import write_model
    from shortfactory.release.ledger import Ledger, Row

    ledger = Ledger(work / "published.csv")
    by_episode: dict[str, list[Clip]] = {}
    lines = [["Content", "Video title", "Video publish time", "Views", "Watch time (hours)",
              "Average view duration", "Average percentage viewed (%)"],
             ["Total", "", "", "0", "0", "", ""]]
    total = 0.0
    for k, pub in published.items():
        age = max(1.0, (as_of - pub["when"]).total_seconds() / 86400)
        views = math.exp(8 + 3 * q[k] + 0.7 * math.log(age) + rng_noise[k])
        pct = float(np.clip(35 + 40 * (q[k] - 0.5) + pub["pct_noise"], 5, 100))
        total += views
        ledger._rows[(k[0], pub["clip"].id)] = Row(
            episode=k[0], clip_id=pub["clip"].id, state="done", video_id=pub["video"],
            publish_at=pub["when"].isoformat())
        by_episode.setdefault(k[0], []).append(pub["clip"])
        seconds = pub["clip"].end_s - pub["clip"].start_s
        lines.append([pub["video"], pub["clip"].text[:60], pub["when"].strftime("%b %d, %Y"),
                      f"{views:,.0f}", f"{views * seconds * pct / 100 / 3600:.1f}",
                      f"0:00:{int(seconds * pct / 100):02d}", f"{pct:.1f}"])
    lines[1][3] = f"{total:,.0f}"
    ledger.save()
    for episode, clips in by_episode.items():
        write_model(work / "results" / episode / "candidates.json",
                    Candidates(episode=episode, duration_s=0.0, clips=clips))
    metrics = work / "metrics" / "studio.csv"
    metrics.parent.mkdir(parents=True, exist_ok=True)
    with metrics.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(lines)
    return [metrics]


def bench_analytics() -> dict[str, float]:
    """Every figure of the module docstring: the mean over the three folds (``_min``:
    the worst fold)."""
    from shortfactory.core.recipe import load_recipe

    default_path = REPO / "recipes" / "default.yaml"
    default = load_recipe(default_path)
    episodes = [load_episode(f, default.candidates) for f in episode_dirs()]
    episodes = [ep for ep in episodes if ep.windows]
    seen: set[str] = set()
    for ep in list(episodes):  # phone_rotated and phone_upright: one video, two wrappings
        text = " ".join(w.text for w in ep.windows) or ep.episode
        if text in seen:
            episodes.remove(ep)
        seen.add(text)
    rng = np.random.default_rng(SEED)
    hidden_triggers = pick_triggers(episodes, rng)
    q = hidden_quality(episodes, hidden_triggers)
    print(f"  episodes {len(episodes)}, windows {sum(len(e.windows) for e in episodes)}, "
          f"hidden triggers {hidden_triggers}")
    folds = [run_fold(episodes, fold, default_path, hidden_triggers, q, rng)
             for fold in range(FOLDS)]
    out: dict[str, float] = {}
    for name in folds[0]:
        values = [f[name] for f in folds]
        out[name] = round(float(np.mean(values)), 4)
        if name in ("rank_corr_hidden", "uplift_vs_untuned", "multi_vs_transcript_only",
                    "trigger_recall"):
            out[f"{name}_min"] = round(float(np.min(values)), 4)
    out["folds"] = FOLDS
    out["episodes"] = len(episodes)
    out["windows"] = sum(len(e.windows) for e in episodes)
    out["hidden_triggers"] = len(hidden_triggers)
    return out


def run_fold(episodes: list[Any], fold: int, default_path: Path, hidden_triggers: list[str],
             q: dict[tuple, float], rng: np.random.Generator) -> dict[str, float]:
    """One channel: tune on the episodes outside the fold, measure on the fold."""
    from shortfactory.analytics.tune import tune
    from shortfactory.clips.candidates import SIGNALS
    from shortfactory.core.artifacts import Clip
    from shortfactory.core.episodes import clip_id
    from shortfactory.core.recipe import load_recipe

    default = load_recipe(default_path)
    ordered = sorted(episodes, key=lambda e: e.episode)
    held = [ep for i, ep in enumerate(ordered) if i % FOLDS == fold]
    tuning = [ep for ep in ordered if ep not in held]
    print(f"  fold {fold}: tuning on {len(tuning)}, held out {[e.episode for e in held]}")
    noise = {k: 0.6 * float(rng.standard_t(3)) for k in q}
    pct_noise = {k: float(rng.normal(0, 8)) for k in q}
    published: dict[tuple, dict[str, Any]] = {}
    ids: set[tuple[str, str]] = set()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        recipe_path = work / "recipes" / "round0.yaml"
        recipe_path.parent.mkdir(parents=True)
        recipe_path.write_text(default_path.read_text(encoding="utf-8"), encoding="utf-8")
        recipe = default
        for rnd in range(ROUNDS):
            weights = recipe.candidates.weights.model_dump()
            triggers = dict(recipe.candidates.triggers)
            when = START + timedelta(days=ROUND_DAYS * rnd)
            tries = [weights] + [dict(zip(SIGNALS, rng.dirichlet(
                [EXPLORE_CONCENTRATION * weights[s] / sum(weights.values()) for s in SIGNALS]),
                strict=True)) for _ in range(EXPLORE)]
            for ep, choice in ((ep, c) for c in tries for ep in tuning):
                for i, w in enumerate(select(ep, choice, triggers)):
                    k = key(ep.episode, w)
                    if k in published or (ep.episode, clip_id(w.start, w.end)) in ids:
                        continue  # the same clip id (whole seconds) is the same Short
                    ids.add((ep.episode, clip_id(w.start, w.end)))
                    clip = Clip(id=clip_id(w.start, w.end), rank=i + 1, start_s=w.start,
                                end_s=w.end, total=w.total, signals=dict(w.signals),
                                penalties=dict(w.penalties), reasons=[], text=w.text)
                    published[k] = {"clip": clip, "video": f"v{len(published):04d}",
                                    "when": when + timedelta(hours=i), "pct_noise":
                                    pct_noise[k]}
            as_of = START + timedelta(days=ROUND_DAYS * (rnd + 1))
            metrics = write_round(work, published, as_of, noise, q)
            tuned_path = work / "recipes" / f"round{rnd + 1}.yaml"
            result = tune(recipe_path, metrics, work / "published.csv",
                          results_dir=work / "results", out_dir=work / "out",
                          tuned_path=tuned_path, report_path=work / "report.html", as_of=as_of)
            recipe_path, recipe = tuned_path, load_recipe(tuned_path)
            w = recipe.candidates.weights.model_dump()
            print(f"  round {rnd + 1}: {len(published)} Shorts; weights "
                  + " ".join(f"{s}={w[s]:.3f}" for s in SIGNALS)
                  + f"; triggers {sorted(recipe.candidates.triggers)}")
        report = (work / "report.html").stat().st_size
    print(f"  effective Shorts (near-copies counted once) {result.triggers.effective:g} "
          f"of {len(published)}; trigger cut-off p {result.triggers.threshold_p:.2g}")
    for t in hidden_triggers:
        st = result.triggers.stats.get(t)
        print(f"  hidden trigger {t!r}: " + (f"top {st.top}, rest {st.rest}, z {st.z:+.2f}"
                                               if st else "never published"))
    tuned_w = recipe.candidates.weights.model_dump()
    default_w = default.candidates.weights.model_dump()
    tuned_t = dict(recipe.candidates.triggers)
    default_t = dict(default.candidates.triggers)
    hidden = [HIDDEN[s] for s in SIGNALS]

    def cosine(a: dict[str, float]) -> float:
        v = np.array([a[s] for s in SIGNALS])
        return float(v @ hidden / np.linalg.norm(v) / np.linalg.norm(hidden))

    transcript_only = {s: float(s == "transcript") for s in SIGNALS}
    learned = {t.lower() for t in tuned_t}
    found = sum(t in learned for t in hidden_triggers)
    new = [t for t in learned if t not in {d.lower() for d in default_t}]
    return {
        "rank_corr_hidden": round(spearman([tuned_w[s] for s in SIGNALS], hidden), 3),
        "rank_corr_untuned": round(spearman([default_w[s] for s in SIGNALS], hidden), 3),
        "cosine_hidden": round(cosine(tuned_w), 3),
        "cosine_untuned": round(cosine(default_w), 3),
        "uplift_vs_untuned": round(mean_quality(held, tuned_w, tuned_t, q)
                                   - mean_quality(held, default_w, default_t, q), 4),
        "uplift_vs_untuned_tuning_set": round(mean_quality(tuning, tuned_w, tuned_t, q)
                                              - mean_quality(tuning, default_w, default_t, q),
                                              4),
        "multi_vs_transcript_only": round(mean_quality(held, tuned_w, tuned_t, q)
                                          - mean_quality(held, transcript_only, tuned_t, q), 4),
        "multi_vs_transcript_only_all": round(
            mean_quality(episodes, tuned_w, tuned_t, q)
            - mean_quality(episodes, transcript_only, tuned_t, q), 4),
        "untuned_vs_transcript_only": round(
            mean_quality(held, default_w, default_t, q)
            - mean_quality(held, transcript_only, default_t, q), 4),
        "trigger_recall": round(found / max(1, len(hidden_triggers)), 3),
        # No trigger learned is no false one (a false discovery proportion of 0, the
        # convention of Benjamini and Hochberg): precision 1, and learned_triggers says 0.
        "trigger_precision": round(sum(t in hidden_triggers for t in new) / len(new), 3)
        if new else 1.0,
        "learned_triggers": len(new),
        "false_triggers": sum(t not in hidden_triggers for t in new),
        "effective_shorts": result.triggers.effective,
        "shorts_published": len(published),
        "rounds": ROUNDS,
        "held_out_episodes": len(held),
        "report_bytes": report,
    }


def main() -> int:
    """Run through bench/run.py, which writes bench/results/analytics.json and prints."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run

    return run.main(["analytics"])


if __name__ == "__main__":
    sys.exit(main())
