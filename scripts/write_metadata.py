"""Snakemake adapter: title (the picked hook), description, tags and hashtags of one clip."""

from shortfactory.clips.metadata import build_metadata
from shortfactory.core.artifacts import Clip, Transcript
from shortfactory.core.io import read_model, write_model
from shortfactory.core.recipe import MetadataSection
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        clip = Clip(rank=0, **snakemake.params.clip)
        # Snakemake hands over the section as a plain dict: validated back into its model.
        section = MetadataSection.model_validate(snakemake.params.recipe)
        meta = build_metadata(clip, read_model(snakemake.input.transcript, Transcript),
                              section, episode=snakemake.wildcards.episode,
                              recipe_hash=snakemake.params.recipe_hash,
                              triggers=snakemake.params.triggers)
        write_model(snakemake.output[0], meta)
