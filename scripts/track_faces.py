"""Snakemake adapter: face detections and tracks from the analysis proxy."""

from shortfactory.core.artifacts import SceneCuts, SourceProbe
from shortfactory.core.io import read_model, write_model
from shortfactory.core.recipe import VisionSection
from shortfactory.vision.faces import track_faces
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        probe = read_model(snakemake.input.probe, SourceProbe)
        # Snakemake hands over the section as a plain dict: validated back into its model.
        section = VisionSection.model_validate(snakemake.params.recipe).faces
        faces = track_faces(snakemake.input.proxy, read_model(snakemake.input.scenes, SceneCuts),
                            section, source_width=probe.video.width,
                            source_height=probe.video.height)
        write_model(snakemake.output[0], faces)
