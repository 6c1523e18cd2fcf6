"""Snakemake adapter: the side-by-side debug preview of one clip's camera plan."""

from shortfactory.clips.preview import render_preview
from shortfactory.core.artifacts import CropPath, Faces
from shortfactory.core.io import read_model
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        inp = snakemake.input
        render_preview(inp.source, read_model(inp.crop, CropPath), snakemake.output[0],
                       faces=read_model(inp.faces, Faces))
