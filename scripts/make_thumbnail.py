"""Snakemake adapter: the Short's best frame as a PNG next to it."""

from shortfactory.clips.thumbnail import write_thumbnail
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        write_thumbnail(snakemake.input[0], snakemake.output[0],
                        skip_s=float(snakemake.params.skip_s))
