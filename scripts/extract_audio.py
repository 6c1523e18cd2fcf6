"""Snakemake adapter: decode the analysis audio (16 kHz mono WAV)."""

from shortfactory.core.artifacts import SourceProbe
from shortfactory.core.io import read_model
from shortfactory.core.recipe import IngestSection
from shortfactory.ingest.stage import choose_audio_stream, write_audio
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        probe = read_model(snakemake.input.probe, SourceProbe)
        # Snakemake hands over the section as a plain dict: validated back into its model.
        section = IngestSection.model_validate(snakemake.params.recipe)
        write_audio(snakemake.input.source, section, snakemake.output[0],
                    expected_s=probe.duration_s, has_audio=probe.audio is not None,
                    stream=choose_audio_stream(probe, section.audio_track))
