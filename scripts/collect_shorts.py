"""Snakemake adapter: the episode's list of Shorts in publishing order."""

from shortfactory.release.publish import write_shorts_index
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        write_shorts_index(snakemake.input.candidates, snakemake.input.videos,
                           snakemake.input.metadata, snakemake.input.captions,
                           snakemake.input.thumbnails, snakemake.output[0])
