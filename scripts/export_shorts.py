"""Snakemake adapter: one folder per Short for manual upload to other platforms."""

from shortfactory.release.export import export_episode
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        export_episode(snakemake.input[0], snakemake.output[0])
