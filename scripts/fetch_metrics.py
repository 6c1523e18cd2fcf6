"""Snakemake adapter: fetch the published Shorts' numbers from the YouTube Analytics API."""

from shortfactory.analytics.fetch import fetch_metrics
from shortfactory.core.recipe_analytics import AnalyticsSection
from shortfactory.core.recipe_release import PublishSection
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        fetch_metrics(snakemake.params.published, snakemake.output[0],
                      AnalyticsSection.model_validate(snakemake.params.recipe),
                      PublishSection.model_validate(snakemake.params.publish))
