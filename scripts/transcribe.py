"""Snakemake adapter: faster-whisper transcript with word timings."""

from shortfactory.io import write_model
from shortfactory.transcribe import transcribe
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        write_model(snakemake.output[0], transcribe(snakemake.input.audio, snakemake.params.recipe))
