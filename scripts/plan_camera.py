"""Snakemake adapter: the 9:16 crop path of one clip."""

from shortfactory.clips.camera import plan_camera
from shortfactory.core.artifacts import Faces, SceneCuts, SourceProbe, Transcript
from shortfactory.core.io import read_model, write_model
from shortfactory.core.recipe import CameraSection
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        inp, span = snakemake.input, snakemake.params.clip
        # Snakemake hands over the section as a plain dict: validated back into its model.
        section = CameraSection.model_validate(snakemake.params.recipe)
        path = plan_camera(
            snakemake.wildcards.clip, span["start_s"], span["end_s"],
            read_model(inp.probe, SourceProbe), read_model(inp.faces, Faces),
            read_model(inp.scenes, SceneCuts), section,
            transcript=read_model(inp.transcript, Transcript),
        )
        write_model(snakemake.output[0], path)
