"""Snakemake adapter: report/index.html, linking every episode's page."""

from shortfactory.report.page import write_index
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        write_index(snakemake.input.pages, snakemake.input.shorts, snakemake.output[0])
