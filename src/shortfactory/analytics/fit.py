"""How each signal relates to performance, and the bounded step of the weights toward it.

Performance is one number per Short: ``(1 - r) * z(log views) + r * z(average %
viewed)`` with ``r = analytics.retention_share``. Views are heavy-tailed (a few Shorts
take most of them), hence the log, and a Huber loss on top of it so that one viral
Short does not decide a weight. Older Shorts have had longer to collect views, so
``log(days since publishing)`` sits in the same regression as an unpenalised covariate
(publish-age correction): tuned Shorts are always the youngest, and without it their
features would look worse than they are. With ``within_episode`` each episode has its
own unpenalised level too: the selector only compares windows of one episode, so only
differences within an episode can say how to weigh the signals (an episode that does
well as a whole would otherwise credit whatever signal it is high in).

The fit is a ridge regression on the standardised signals (the penalty is in Shorts'
worth of evidence: ``ridge`` extra Shorts that showed no effect), turned back into the
signals' own scale, because the selector multiplies the raw [0, 1] signals by their
weights: a weight proportional to a signal's effect per unit ranks windows the way
performance would. Negative effects become zero (the lower bound keeps every signal
alive). The recipe then moves ``learning_rate`` of the way there, at most ``max_step``
per weight, within ``weight_bounds`` (shares of the weights' sum, which is kept), and
only with ``min_videos`` Shorts or more. A bootstrap says how sure each move is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from shortfactory.analytics.features import SIGNALS, ClipFeatures
from shortfactory.core.recipe_analytics import AnalyticsSection

HUBER_K = 1.345  # 95 % efficiency under normal noise, bounded influence beyond


@dataclass(slots=True)
class WeightFit:
    """The fitted effects, the proposed weights and how sure the step is."""

    n: int
    effects: dict[str, float]  # performance (z units) per unit of raw signal
    target: dict[str, float]  # weights proportional to the positive effects
    current: dict[str, float]
    proposed: dict[str, float]
    confidence: dict[str, float] = field(default_factory=dict)  # share agreeing on the sign
    age_effect: float = 0.0  # performance per log day since publishing
    refused: str = ""  # why the weights did not move ('' = they did)

    @property
    def moved(self) -> bool:
        return not self.refused and any(
            abs(self.proposed[s] - self.current[s]) > 1e-9 for s in SIGNALS)


def zscore(values: np.ndarray) -> np.ndarray:
    """Standard scores; a constant column is all zeros (it explains nothing)."""
    sd = float(values.std())
    return (values - values.mean()) / sd if sd > 1e-12 else np.zeros_like(values)


def raw_performance(table: list[ClipFeatures], retention_share: float) -> np.ndarray:
    """The target before age correction (see the module docstring). Average % viewed
    counts only when every Short has it (a mixed file would compare unlike numbers)."""
    views = zscore(np.log1p(np.array([f.views for f in table], dtype=float)))
    pct = [f.avg_pct for f in table]
    if retention_share <= 0 or any(p is None for p in pct):
        return views
    return (1 - retention_share) * views + retention_share * zscore(np.array(pct, dtype=float))


def huber_ridge(x: np.ndarray, y: np.ndarray, free: int, ridge: float,
                iterations: int = 12) -> np.ndarray:
    """Coefficients of ``y ~ x`` (``x``'s first ``free`` columns unpenalised) by
    iteratively reweighted least squares with the Huber loss and an L2 penalty."""
    n, k = x.shape
    penalty = np.full(k, ridge)
    penalty[:free] = 0.0
    weights = np.ones(n)
    beta = np.zeros(k)
    for _ in range(iterations):
        xw = x * weights[:, None]
        beta = np.linalg.solve(xw.T @ x + np.diag(penalty) + 1e-9 * np.eye(k), xw.T @ y)
        resid = y - x @ beta
        scale = 1.4826 * float(np.median(np.abs(resid - np.median(resid)))) or 1.0
        weights = np.minimum(1.0, HUBER_K * scale / np.maximum(np.abs(resid), 1e-12))
    return beta


def design(table: list[ClipFeatures], age_correction: bool, within_episode: bool = False
           ) -> tuple[np.ndarray, np.ndarray, int]:
    """[1, log age?, episode indicators?, standardised signals], the signals' standard
    deviations, and how many leading columns are unpenalised.

    With ``within_episode`` each episode but the first gets its own unpenalised level:
    the selector only ever compares windows of one episode (their signals are scaled
    per episode), so only differences between Shorts of the same episode can say how
    to weigh the signals. Between episodes, performance follows the topic, the words
    and the audience of each; without the levels that difference would be credited to
    whichever signal the better episode happens to be high in.
    """
    signals = np.array([[f.signals[s] for s in SIGNALS] for f in table], dtype=float)
    columns = [np.ones(len(table))]
    if age_correction:
        columns.append(zscore(np.log(np.array([f.age_days for f in table], dtype=float))))
    if within_episode:
        names = sorted({f.episode for f in table})
        columns += [np.array([f.episode == e for f in table], dtype=float) for e in names[1:]]
    free = len(columns)
    sd = signals.std(axis=0)
    sd[sd < 1e-9] = np.inf  # a signal that never varied gets no effect
    x = np.column_stack([*columns, (signals - signals.mean(axis=0)) / sd])
    return np.nan_to_num(x), sd, free


def effects_of(table: list[ClipFeatures], y: np.ndarray, section: AnalyticsSection
               ) -> tuple[np.ndarray, float]:
    """Per-signal effect on the signals' raw scale, and the age effect."""
    x, sd, free = design(table, section.age_correction, section.within_episode)
    beta = huber_ridge(x, y, free, section.ridge)
    return beta[free:] / sd, float(beta[1]) if section.age_correction else 0.0


def age_corrected(table: list[ClipFeatures], section: AnalyticsSection) -> np.ndarray:
    """Performance with the publish-age effect taken out: what the report and the
    trigger words rank Shorts by."""
    y = raw_performance(table, section.retention_share)
    if not section.age_correction or len(table) < 3:
        return y
    x, _, free = design(table, True, section.within_episode)
    beta = huber_ridge(x, y, free, section.ridge)
    return y - x[:, 1] * beta[1]


def unexplained(table: list[ClipFeatures], section: AnalyticsSection) -> np.ndarray:
    """Performance the signals and the publish age do not explain: what the trigger
    words are looked for in. Words follow episodes, and episodes differ in their
    signals; on raw performance a lively episode's every word would look like a hook."""
    y = raw_performance(table, section.retention_share)
    if len(table) < 3:
        return y
    x, _, free = design(table, section.age_correction, section.within_episode)
    return y - x @ huber_ridge(x, y, free, section.ridge)


def target_weights(effects: np.ndarray, total: float) -> np.ndarray | None:
    """Weights proportional to the positive effects, summing to ``total``; None when no
    signal helps (nothing to move toward)."""
    positive = np.clip(effects, 0, None)
    if positive.sum() <= 1e-12:
        return None
    return positive / positive.sum() * total


def bounded_step(current: np.ndarray, target: np.ndarray, section: AnalyticsSection
                 ) -> np.ndarray:
    """``learning_rate`` of the way to ``target``, each move at most ``max_step``, the
    result inside ``weight_bounds`` (shares of the sum) and summing to the same total."""
    total = float(current.sum())
    step = np.clip(section.learning_rate * (target - current), -section.max_step * total,
                   section.max_step * total)
    low, high = (b * total for b in section.weight_bounds)
    proposed = current + step
    for _ in range(20):  # clamp and renormalise until both hold (a few rounds suffice)
        proposed = np.clip(proposed, low, high)
        proposed = proposed * total / proposed.sum()
        if proposed.min() >= low - 1e-9 and proposed.max() <= high + 1e-9:
            break
    rounded = np.round(proposed, 3)
    rounded[int(np.argmax(rounded))] += round(total - float(rounded.sum()), 3)
    return np.round(rounded, 3)


def fit_weights(table: list[ClipFeatures], current: dict[str, float],
                section: AnalyticsSection, seed: int = 0) -> WeightFit:
    """The fit and the step (see the module docstring); refuses below ``min_videos``."""
    now = np.array([current[s] for s in SIGNALS], dtype=float)
    base = dict(n=len(table), current=dict(current), proposed=dict(current))
    if len(table) < section.min_videos:
        return WeightFit(**base, effects=dict.fromkeys(SIGNALS, 0.0),
                         target=dict(current), refused=(
                             f"{len(table)} Shorts with metrics, at least "
                             f"{section.min_videos} needed (analytics.min_videos): "
                             f"{section.min_videos - len(table)} more"))
    y = raw_performance(table, section.retention_share)
    effects, age_effect = effects_of(table, y, section)
    target = target_weights(effects, float(now.sum()))
    fit = WeightFit(**base, effects=_named(effects), target=_named(
        target if target is not None else now), age_effect=age_effect)
    if target is None:
        fit.refused = "no signal relates positively to performance: weights kept"
        return fit
    proposed = bounded_step(now, target, section)
    fit.proposed = _named(proposed)
    fit.confidence = _confidence(table, y, now, proposed, section, seed)
    return fit


def _confidence(table: list[ClipFeatures], y: np.ndarray, now: np.ndarray,
                proposed: np.ndarray, section: AnalyticsSection, seed: int
                ) -> dict[str, float]:
    """Share of bootstrap resamples whose own target moves each weight the same way."""
    if section.bootstrap == 0:
        return {}
    rng = np.random.default_rng(seed)
    direction = np.sign(proposed - now)
    agree = np.zeros(len(SIGNALS))
    for _ in range(section.bootstrap):
        pick = rng.integers(0, len(table), len(table))
        effects, _ = effects_of([table[i] for i in pick], y[pick], section)
        target = target_weights(effects, float(now.sum()))
        if target is not None:
            agree += np.sign(target - now) == direction
    return _named(agree / section.bootstrap)


def _named(values: np.ndarray) -> dict[str, float]:
    return {s: round(float(v), 4) for s, v in zip(SIGNALS, values, strict=True)}


@dataclass(slots=True)
class LengthFit:
    """The clip length the top Shorts have, and the step of target_length_s toward it."""

    current: float
    top_median: float
    rest_median: float
    proposed: float
    top_words_per_s: float = 0.0
    rest_words_per_s: float = 0.0
    top_cps: float = 0.0
    rest_cps: float = 0.0

    @property
    def moved(self) -> bool:
        return abs(self.proposed - self.current) > 1e-9


def fit_length(table: list[ClipFeatures], performance: np.ndarray, current: float,
               limits: tuple[float, float], section: AnalyticsSection) -> LengthFit:
    """Move ``candidates.target_length_s`` toward the median length of the top Shorts
    (``top_share`` of them), ``learning_rate`` of the way, at most ``length_step_s``,
    within the recipe's min/max length. Pacing (words per second, caption characters
    per second) is measured the same way and reported."""
    order = np.argsort(-performance, kind="stable")
    cut = max(1, int(round(len(table) * section.top_share)))
    top, rest = [table[i] for i in order[:cut]], [table[i] for i in order[cut:]] or \
        [table[i] for i in order]

    def median(rows: list[ClipFeatures], key: str) -> float:
        values = [getattr(r, key) for r in rows]
        return float(np.median(values)) if values else math.nan

    top_len, rest_len = median(top, "length_s"), median(rest, "length_s")
    step = np.clip(section.learning_rate * (top_len - current), -section.length_step_s,
                   section.length_step_s)
    proposed = round(float(np.clip(current + step, *limits)), 1)
    if len(table) < section.min_videos:
        proposed = current
    return LengthFit(current, top_len, rest_len, proposed,
                     median(top, "words_per_s"), median(rest, "words_per_s"),
                     median(top, "cps"), median(rest, "cps"))
