"""Snakemake adapter: the clip's SRT caption track next to its video in out/."""

from shortfactory.release.publish import export_captions
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        export_captions(snakemake.input[0], snakemake.output[0])
