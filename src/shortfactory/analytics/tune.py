"""One tuning round: metrics in, ``recipes/tuned.yaml`` and ``analytics/report.html`` out.

Everything that can be wrong with the inputs (a metrics file, ``published.csv``, the
recipe) is found before anything is written, so a bad export changes nothing. With
fewer Shorts than ``analytics.min_videos`` the round refuses to move anything and says
how many more are needed; it still writes the report and a tuned recipe equal to the
source (with a header saying why), so ``snakemake tune`` always ends in files a person
can open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from shortfactory.analytics.features import SIGNALS, ClipFeatures, build_table
from shortfactory.analytics.fit import (
    LengthFit,
    WeightFit,
    age_corrected,
    fit_length,
    fit_weights,
    unexplained,
)
from shortfactory.analytics.metrics import MetricsError, merge_metrics
from shortfactory.analytics.triggers import TriggerFit, fit_triggers
from shortfactory.analytics.tuned import Change, write_tuned
from shortfactory.core.errors import InputError
from shortfactory.core.recipe import Recipe, load_recipe
from shortfactory.release.ledger import Ledger

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TuneResult:
    """What one round found and changed (the report is drawn from it)."""

    table: list[ClipFeatures]
    performance: np.ndarray
    weights: WeightFit
    triggers: TriggerFit
    length: LengthFit
    changes: list[Change] = field(default_factory=list)
    diff: str = ""
    day: str = ""


def analyse(recipe: Recipe, metrics_paths: list[str | Path], published_csv: str | Path,
            results_dir: str | Path, *, out_dir: str | Path = "out",
            as_of: datetime | None = None) -> TuneResult:
    """Read and fit, write nothing (the part every input error stops)."""
    if not metrics_paths:
        raise MetricsError("no metrics files: put YouTube Studio exports (Advanced mode > "
                           "Content, exported as CSV) under metrics/, or run `snakemake "
                           "fetch_metrics`")
    metrics = merge_metrics(metrics_paths)
    ledger = Ledger.load(published_csv)
    if not any(r.video_id for r in ledger.rows()):
        raise InputError(f"{published_csv}: no published Short with a video id (run "
                         "`snakemake publish` first, or fill in video_id by hand)")
    table = build_table(ledger, metrics, results_dir, out_dir=out_dir, as_of=as_of)
    section = recipe.analytics
    performance = (age_corrected(table, section) if len(table) >= 3
                   else np.zeros(len(table)))
    cands = recipe.candidates
    weights = fit_weights(table, cands.weights.model_dump(), section)
    triggers = fit_triggers(table, unexplained(table, section) if len(table) >= 3 else
                            performance, dict(cands.triggers), section)
    length = fit_length(table, performance, cands.target_length_s,
                        (cands.min_length_s, cands.max_length_s), section) if table \
        else LengthFit(cands.target_length_s, np.nan, np.nan, cands.target_length_s)
    return TuneResult(table, performance, weights, triggers, length)


def changes_of(result: TuneResult) -> list[Change]:
    """The recipe keys the round moves, each with the reason its comment gives."""
    changes: list[Change] = []
    fit = result.weights
    if fit.moved:
        for s in SIGNALS:
            old, new = fit.current[s], fit.proposed[s]
            if abs(new - old) > 1e-9:
                sure = (f", {fit.confidence[s]:.0%} of resamples agree"
                        if fit.confidence else "")
                changes.append(Change(("candidates", "weights", s), old, new, (
                    f"{old:g} -> {new:g}: fitted share {fit.target[s]:.2f} over "
                    f"{fit.n} Shorts{sure}")))
    for t in result.triggers.changes:
        why = (f"{t.old:g} -> {t.new:g}: {t.reason}" if t.old is not None and t.new
               is not None else t.reason)
        changes.append(Change(("candidates", "triggers", t.word), t.old, t.new, why))
    length = result.length
    if length.moved:
        changes.append(Change(("candidates", "target_length_s"), length.current,
                              length.proposed, (
                                  f"{length.current:g} -> {length.proposed:g} s: the top "
                                  f"Shorts' median is {length.top_median:.0f} s, the "
                                  f"rest's {length.rest_median:.0f} s")))
    return changes


def tune(recipe_path: str | Path, metrics_paths: list[str | Path],
         published_csv: str | Path, *, results_dir: str | Path = "results",
         out_dir: str | Path = "out", tuned_path: str | Path = "recipes/tuned.yaml",
         report_path: str | Path | None = "analytics/report.html",
         as_of: datetime | None = None, in_place: bool = False) -> TuneResult:
    """Run one round (module docstring); print the diff of the tuned recipe."""
    recipe = load_recipe(recipe_path)
    result = analyse(recipe, metrics_paths, published_csv, results_dir, out_dir=out_dir,
                     as_of=as_of)
    result.day = (as_of or datetime.now(UTC)).date().isoformat()
    refused = result.weights.refused if len(result.table) < recipe.analytics.min_videos \
        else ""
    if refused:
        log.warning("not tuned: %s", refused)
    elif result.weights.refused:
        log.warning("weights kept: %s", result.weights.refused)
    result.changes = [] if refused else changes_of(result)
    note = f"not tuned: {refused}" if refused else (
        f"{len(result.table)} Shorts with metrics; {len(result.changes)} key(s) changed")
    result.diff = write_tuned(recipe_path, tuned_path, result.changes, day=result.day,
                              note=note, in_place=in_place)
    print(result.diff or f"{tuned_path}: no change", flush=True)
    if report_path is not None:
        from shortfactory.analytics.report import write_report

        write_report(report_path, result, recipe_path=str(recipe_path),
                     tuned_path=str(tuned_path), note=note)
    return result
