"""Snakemake adapter: probe the episode file into source.json."""

from shortfactory.ingest.stage import write_probe
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        write_probe(snakemake.input.source, snakemake.wildcards.episode, snakemake.output[0])
