"""Snakemake adapter: faster-whisper transcript with word timings."""

from shortfactory.core.artifacts import SourceProbe
from shortfactory.core.io import read_model, write_model
from shortfactory.core.recipe import TranscribeSection
from shortfactory.speech.transcribe import transcribe
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        # Snakemake hands over the section as a plain dict: validated back into its model.
        section = TranscribeSection.model_validate(snakemake.params.recipe)
        write_model(snakemake.output[0], transcribe(
            snakemake.input.audio, section, source=snakemake.input.source,
            probe=read_model(snakemake.input.probe, SourceProbe)))
