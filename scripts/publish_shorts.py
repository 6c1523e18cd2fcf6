"""Snakemake adapter: publish the episodes' Shorts (a dry-run unless asked to send)."""

from shortfactory.release.deliver import publish
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        publish(list(snakemake.input), snakemake.params.recipe, snakemake.params.notify,
                for_real=bool(snakemake.params.for_real))
