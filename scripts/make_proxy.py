"""Snakemake adapter: encode the small analysis proxy."""

from shortfactory.ingest import write_proxy
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        write_proxy(snakemake.input.source, snakemake.params.recipe, snakemake.output[0],
                    threads=snakemake.threads)
