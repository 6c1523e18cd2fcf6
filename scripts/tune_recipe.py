"""Snakemake adapter: one analytics round -> the tuned recipe and the report."""

from shortfactory.analytics.tune import tune
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        tune(snakemake.params.recipe, list(snakemake.input.metrics),
             snakemake.params.published, results_dir="results", out_dir="out",
             tuned_path=snakemake.output.tuned, report_path=snakemake.output.report)
