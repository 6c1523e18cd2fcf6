"""Snakemake adapter: decode the analysis audio (16 kHz mono WAV)."""

from shortfactory.ingest import write_audio
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        write_audio(snakemake.input.source, snakemake.params.recipe, snakemake.output[0])
