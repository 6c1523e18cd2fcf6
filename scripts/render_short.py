"""Snakemake adapter: render one Short (crop, subtitles, loudness, encode)."""

from pathlib import Path

from shortfactory.clips.render import render_short
from shortfactory.core.artifacts import CropPath
from shortfactory.core.io import read_model
from shortfactory.core.recipe import RenderSection
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        # Snakemake hands over the section as a plain dict: validated back into its model.
        section = RenderSection.model_validate(snakemake.params.recipe)
        render_short(snakemake.input.source, read_model(snakemake.input.crop, CropPath),
                     Path(snakemake.input.subtitles), section, Path(snakemake.output[0]))
