"""Trigger words: what the top Shorts say more often than the rest, and only what the
evidence can carry.

The comparison is the log-odds ratio with an informative Dirichlet prior (Monroe,
Colaresi and Quinn, "Fightin' Words", 2008). The unit is a Short: a word counts once
per Short that says it (in its words, so a character's name counts too), because the
question is "do Shorts that say X do better", not "how often is X said". Each word's
prior pseudo-count is its share of the channel's text times ``prior_strength`` Shorts'
worth of text; a word seen in three Shorts is pulled hard toward "no difference", a
word seen in thirty much less, and the z-score (log-odds over its standard error)
decides.

Three things keep a channel's few passages from passing for many pieces of evidence:

* Shorts are not independent. Overlapping Shorts of one span, and the same passage
  published again in another episode (a compilation, a re-cut), say the same words.
  Each Short counts ``1 / n`` where ``n`` is the number of published Shorts that share
  half its two-word phrases or more (itself included): the sequence weighting that
  protein-family statistics use for near-duplicate sequences (Henikoff and Henikoff,
  1994; the 80 % identity weights of direct coupling analysis). Counts, totals and
  the prior are in these effective Shorts, and a word needs ``min_count`` of them
  among the top: one good scene published eight times is one piece of evidence.
* Thousands of words and phrases are tested each round. The one-sided p-value of each
  z is corrected with Benjamini-Hochberg at false discovery rate ``fdr`` over every
  word said in ``min_count`` effective Shorts or more (a filter that does not look at
  performance, so the correction stays valid); a word must pass at that threshold.
* Words of one passage travel together: when a real trigger is said in a good
  passage, every other word of that passage looks as good. New words are accepted
  strongest first, each tested again on the Shorts that say none of the triggers the
  round already supports or accepted (forward selection): a word that only rode along
  with an accepted one has nothing left.

Top Shorts are the top by the performance the signals, the publish age and the
episode leave unexplained (:func:`shortfactory.analytics.fit.unexplained`): what the
words add.

Per round: a supported word or two-word phrase is added (at most ``max_new_triggers``,
strongest first) or moved toward a weight that grows with its log-odds
(``learning_rate`` of the way, at most ``trigger_max_weight``); one the metrics speak
against at the same threshold loses ``learning_rate`` of its weight; one they do not
speak about fades by ``decay`` and is removed below ``min_trigger_weight``. Phrases
match the way the candidates' transcript signal matches them (words joined by one
space).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from shortfactory.analytics.features import ClipFeatures
from shortfactory.core.recipe_analytics import AnalyticsSection

SAME_PASSAGE = 0.5  # share of a Short's two-word phrases another must say to be a copy


@dataclass(slots=True)
class WordStat:
    """One word's evidence: effective Shorts that say it among the top and the rest,
    log-odds, z and its one-sided p."""

    word: str
    top: float
    rest: float
    delta: float
    z: float
    p: float = 1.0


@dataclass(slots=True)
class TriggerChange:
    word: str
    old: float | None  # None = new
    new: float | None  # None = removed
    reason: str


@dataclass(slots=True)
class TriggerFit:
    proposed: dict[str, float]
    changes: list[TriggerChange]
    stats: dict[str, WordStat]
    top_count: int
    refused: str = ""
    threshold_p: float = 0.0  # Benjamini-Hochberg cut-off of the round (0 = nothing passed)
    effective: float = 0.0  # effective Shorts (after the near-duplicate weighting)


def split_top(performance: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask of the top ``share`` of Shorts by performance (at least one)."""
    order = np.argsort(-performance, kind="stable")
    mask = np.zeros(len(performance), dtype=bool)
    mask[order[: max(1, int(round(len(performance) * share)))]] = True
    return mask


def copy_weights(table: list[ClipFeatures]) -> np.ndarray:
    """Each Short's weight ``1 / copies`` (module docstring).

    Two-word phrases, not words, decide what is a copy: two unrelated passages share
    most of their common words ("the", "you") but few of their phrases.
    """
    phrases = [{t for t in f.tokens if " " in t} for f in table]
    copies = np.ones(len(table))
    for i, a in enumerate(phrases):
        for j in range(i + 1, len(table)):
            b = phrases[j]
            if a and b and len(a & b) >= SAME_PASSAGE * min(len(a), len(b)):
                copies[i] += 1
                copies[j] += 1
    return 1 / copies


def word_stats(table: list[ClipFeatures], top: np.ndarray, prior_strength: float,
               weights: np.ndarray | None = None, keep: np.ndarray | None = None
               ) -> dict[str, WordStat]:
    """Prior-smoothed log-odds of each word between the top Shorts and the rest, in
    effective Shorts (``weights``; 1 each without), over the Shorts ``keep`` selects."""
    n = len(table)
    weights = np.ones(n) if weights is None else weights
    keep = np.ones(n, dtype=bool) if keep is None else keep
    in_top: Counter[str] = Counter()
    in_rest: Counter[str] = Counter()
    n_top = n_rest = 0.0
    for i, feat in enumerate(table):
        if not keep[i]:
            continue
        counts, wt = (in_top if top[i] else in_rest), float(weights[i])
        for word in feat.tokens:
            counts[word] += wt
        if top[i]:
            n_top += wt * len(feat.tokens)
        else:
            n_rest += wt * len(feat.tokens)
    every = in_top + in_rest
    shorts = float(weights[keep].sum())
    if not every or shorts <= 0:
        return {}
    total = n_top + n_rest
    alpha0 = prior_strength * total / shorts
    stats = {}
    for word, seen in every.items():
        a = prior_strength * seen / shorts  # expected presences in prior_strength Shorts
        yt, yr = in_top[word], in_rest[word]
        delta = (math.log((yt + a) / max(n_top + alpha0 - yt - a, 1e-9))
                 - math.log((yr + a) / max(n_rest + alpha0 - yr - a, 1e-9)))
        z = delta / math.sqrt(1 / (yt + a) + 1 / (yr + a))
        stats[word] = WordStat(word, round(yt, 2), round(yr, 2), round(delta, 4),
                               round(z, 3), 0.5 * math.erfc(z / math.sqrt(2)))
    return stats


def bh_threshold(pvalues: list[float], fdr: float) -> float:
    """The Benjamini-Hochberg cut-off: the largest p(k) with p(k) <= k fdr / m (0 when
    none is): every p at or below it is a discovery at false discovery rate ``fdr``."""
    ranked = sorted(pvalues)
    m = len(ranked)
    passed = [p for k, p in enumerate(ranked, 1) if p <= k * fdr / m]
    return passed[-1] if passed else 0.0


def useful(word: str) -> bool:
    """A word a trigger can be: letters in it, more than one character (not '2', 's')."""
    return len(word) > 1 and any(c.isalpha() for c in word)


def weight_for(delta: float, section: AnalyticsSection) -> float:
    """The weight a log-odds earns: half of it, capped (e**2 = 7x as likely in the top
    Shorts gives 1.0, the recipe's strongest default trigger)."""
    return min(section.trigger_max_weight, max(0.0, delta / 2))


def fit_triggers(table: list[ClipFeatures], performance: np.ndarray,
                 current: dict[str, float], section: AnalyticsSection) -> TriggerFit:
    """The proposed trigger dictionary and a line per change (module docstring)."""
    if len(table) < section.min_videos:
        return TriggerFit(dict(current), [], {}, 0, refused=(
            f"{len(table)} Shorts with metrics, at least {section.min_videos} needed"))
    top = split_top(performance, section.top_share)
    weights = copy_weights(table)
    stats = word_stats(table, top, section.prior_strength, weights)
    known = {" ".join(w.lower().split()) for w in current}
    family = [s.p for s in stats.values()
              if s.top + s.rest >= section.min_count and (useful(s.word) or s.word in known)]
    cut = bh_threshold(family, section.fdr)
    lr = section.learning_rate
    proposed: dict[str, float] = {}
    changes: list[TriggerChange] = []
    accepted: list[str] = []  # triggers this round supports: later words are tested without
    for word, old in current.items():
        stat = stats.get(" ".join(word.lower().split()))
        if stat and _supported(stat, cut, section):
            new = old + lr * (weight_for(stat.delta, section) - old)
            why = _evidence(stat)
            accepted.append(stat.word)
        elif stat and stat.z < 0 and 1 - stat.p <= cut:
            new = old * (1 - lr)
            why = f"the metrics speak against it: z {stat.z:+.1f}"
        else:
            new = old * (1 - section.decay)
            why = "stale: no support in the metrics" + (
                f" (z {stat.z:+.1f})" if stat else " (not said in any Short)")
        new = round(new, 3)
        if new < section.min_trigger_weight:
            changes.append(TriggerChange(word, old, None, why + ", removed"))
            continue
        proposed[word] = new
        if abs(new - old) > 1e-9:
            changes.append(TriggerChange(word, old, new, why))
    fresh = sorted((s for s in stats.values()
                    if s.word not in known and useful(s.word) and _supported(s, cut, section)),
                   key=lambda s: (-s.z, s.word))
    added = 0
    for stat in fresh:
        if added == section.max_new_triggers:
            break
        if accepted:  # forward selection: what it adds beyond the supported triggers
            keep = np.array([not any(w in f.tokens for w in accepted) for f in table])
            stat = word_stats(table, top, section.prior_strength, weights,
                              keep).get(stat.word)
            if stat is None or not _supported(stat, cut, section):
                continue
        weight = round(lr * weight_for(stat.delta, section), 3)
        if weight < section.min_trigger_weight:
            continue
        added += 1
        accepted.append(stat.word)
        proposed[stat.word] = weight
        changes.append(TriggerChange(stat.word, None, weight, _evidence(stat)))
    return TriggerFit(proposed, changes, stats, int(top.sum()), threshold_p=cut,
                      effective=round(float(weights.sum()), 1))


def _supported(stat: WordStat, cut: float, section: AnalyticsSection) -> bool:
    """Enough evidence to add or strengthen: a discovery at the round's false discovery
    rate, in ``min_count`` effective top Shorts."""
    return 0 < cut and stat.p <= cut and stat.z > 0 and stat.top >= section.min_count


def _evidence(stat: WordStat) -> str:
    return (f"in {stat.top:g} top / {stat.rest:g} other effective Shorts, z {stat.z:+.1f}, "
            f"p {stat.p:.1g}")
