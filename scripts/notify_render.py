"""Snakemake adapter: tell the webhooks an episode's Shorts are rendered (never fatal)."""

from shortfactory.release.notify import notify_rendered
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        notify_rendered(snakemake.input[0], snakemake.params.recipe, snakemake.output[0])
