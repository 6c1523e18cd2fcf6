"""Snakemake adapter: scene cuts and fades from the analysis proxy, hard cuts refined on
the source, split-screen panel borders per shot in source (display) pixels."""

from shortfactory.core.artifacts import SourceProbe
from shortfactory.core.io import read_model, write_model
from shortfactory.core.recipe import VisionSection
from shortfactory.vision.scenes import detect_scenes
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        probe = read_model(snakemake.input.probe, SourceProbe)
        # Snakemake hands over the section as a plain dict: validated back into its model.
        section = VisionSection.model_validate(snakemake.params.recipe).scenes
        cuts = detect_scenes(snakemake.input.proxy, section, duration_s=probe.duration_s,
                             source=snakemake.input.source, source_width=probe.video.width)
        write_model(snakemake.output[0], cuts)
