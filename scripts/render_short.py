"""Snakemake adapter: render one Short (crop, subtitles, loudness, encode)."""

from pathlib import Path

from shortfactory.clips.render import render_short
from shortfactory.core.artifacts import Accents, ClipMetadata, CropPath, SourceProbe
from shortfactory.core.io import read_model
from shortfactory.core.recipe import IngestSection, RenderSection
from shortfactory.ingest.stage import choose_audio_stream
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        # Snakemake hands over the section as a plain dict: validated back into its model.
        section = RenderSection.model_validate(snakemake.params.recipe)
        ingest = IngestSection.model_validate(snakemake.params.ingest)
        stream = choose_audio_stream(read_model(snakemake.input.probe, SourceProbe),
                                     ingest.audio_track)
        render_short(snakemake.input.source, read_model(snakemake.input.crop, CropPath),
                     Path(snakemake.input.subtitles), section, Path(snakemake.output[0]),
                     audio_stream=stream,
                     hook_text=read_model(snakemake.input.metadata, ClipMetadata).title,
                     accents=read_model(snakemake.input.accents, Accents))
