"""Snakemake adapter: publish a clip's metadata next to its video (validated copy)."""

from shortfactory.core.artifacts import ClipMetadata
from shortfactory.core.io import read_model, write_model
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        write_model(snakemake.output[0], read_model(snakemake.input[0], ClipMetadata))
