"""Trigger words: what the top Shorts say more often than the rest.

The comparison is the log-odds ratio with an informative Dirichlet prior (Monroe,
Colaresi and Quinn, "Fightin' Words", 2008). The unit is a Short: a word counts once
per Short that says it (in its words, so a character's name counts too), because the
question is "do Shorts that say X do better", not "how often is X said". Each word's
prior pseudo-count is its share of the channel's text times ``prior_strength`` Shorts'
worth of text; a word seen in three Shorts is pulled hard toward "no difference", a
word seen in thirty much less, and the z-score (log-odds over its standard error)
decides.

Top Shorts are the top by the performance the signals and the publish age leave
unexplained (:func:`shortfactory.analytics.fit.unexplained`): what the words add.

Per round: a word or two-word phrase with a z-score of ``min_z`` or more that appears
in ``min_count`` top Shorts or more, of ``min_episodes`` episodes or more (overlapping
Shorts of one passage share their words), is added (the ``max_new_triggers``
strongest) or moved toward a weight that grows with its log-odds (``learning_rate`` of the way, at
most ``trigger_max_weight``); one the metrics speak against (z <= -min_z) loses
``learning_rate`` of its weight; one they do not speak about fades by ``decay`` and is
removed below ``min_trigger_weight``. Phrases match the way the candidates' transcript
signal matches them (words joined by one space).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from shortfactory.analytics.features import ClipFeatures
from shortfactory.core.recipe_analytics import AnalyticsSection


@dataclass(slots=True)
class WordStat:
    """One word's evidence: Shorts that say it among the top and the rest, log-odds, z."""

    word: str
    top: int
    rest: int
    delta: float
    z: float
    top_episodes: int = 0  # episodes among the top Shorts that say it


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


def split_top(performance: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask of the top ``share`` of Shorts by performance (at least one)."""
    order = np.argsort(-performance, kind="stable")
    mask = np.zeros(len(performance), dtype=bool)
    mask[order[: max(1, int(round(len(performance) * share)))]] = True
    return mask


def word_stats(table: list[ClipFeatures], top: np.ndarray, prior_strength: float
               ) -> dict[str, WordStat]:
    """Prior-smoothed log-odds of each word between the top Shorts and the rest."""
    in_top: Counter[str] = Counter()
    in_rest: Counter[str] = Counter()
    episodes: dict[str, set[str]] = {}
    for feat, is_top in zip(table, top, strict=True):
        (in_top if is_top else in_rest).update(feat.tokens)
        if is_top:
            for word in feat.tokens:
                episodes.setdefault(word, set()).add(feat.episode)
    every = in_top + in_rest
    if not every:
        return {}
    n_top, n_rest = sum(in_top.values()), sum(in_rest.values())
    per_short = {w: c / len(table) for w, c in every.items()}  # expected presences
    total = sum(every.values())
    alpha0 = prior_strength * total / len(table)
    stats = {}
    for word in every:
        a = prior_strength * per_short[word]
        yt, yr = in_top[word], in_rest[word]
        delta = (math.log((yt + a) / max(n_top + alpha0 - yt - a, 1e-9))
                 - math.log((yr + a) / max(n_rest + alpha0 - yr - a, 1e-9)))
        z = delta / math.sqrt(1 / (yt + a) + 1 / (yr + a))
        stats[word] = WordStat(word, yt, yr, round(delta, 4), round(z, 3),
                               len(episodes.get(word, ())))
    return stats


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
    stats = word_stats(table, top, section.prior_strength)
    lr = section.learning_rate
    proposed: dict[str, float] = {}
    changes: list[TriggerChange] = []
    for word, old in current.items():
        stat = stats.get(" ".join(word.lower().split()))
        if stat and _supported(stat, section):
            new = old + lr * (weight_for(stat.delta, section) - old)
            why = f"in {stat.top} top / {stat.rest} other Shorts, z {stat.z:+.1f}"
        elif stat and stat.z <= -section.min_z:
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
    known = {" ".join(w.lower().split()) for w in current}
    fresh = sorted((s for s in stats.values()
                    if s.word not in known and useful(s.word) and _supported(s, section)),
                   key=lambda s: (-s.z, s.word))
    added: list[WordStat] = []
    for stat in fresh:
        if len(added) == section.max_new_triggers:
            break
        if any(_same_evidence(stat, other) for other in added):
            continue  # "no way" and "way" in the same Shorts: one trigger is enough
        weight = round(lr * weight_for(stat.delta, section), 3)
        if weight < section.min_trigger_weight:
            continue
        added.append(stat)
        proposed[stat.word] = weight
        changes.append(TriggerChange(stat.word, None, weight, (
            f"in {stat.top} top / {stat.rest} other Shorts, z {stat.z:+.1f}")))
    return TriggerFit(proposed, changes, stats, int(top.sum()))


def _supported(stat: WordStat, section: AnalyticsSection) -> bool:
    """Enough evidence to add or strengthen: z, top Shorts and episodes."""
    return (stat.z >= section.min_z and stat.top >= section.min_count
            and stat.top_episodes >= section.min_episodes)


def _same_evidence(a: WordStat, b: WordStat) -> bool:
    """One is a word of the other phrase and they were said in the same number of
    Shorts: the same evidence counted twice."""
    wa, wb = set(a.word.split()), set(b.word.split())
    return (wa <= wb or wb <= wa) and (a.top, a.rest) == (b.top, b.rest)
