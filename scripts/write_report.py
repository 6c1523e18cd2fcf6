"""Snakemake adapter: one episode's HTML report page and its pictures folder."""

from shortfactory.report.page import write_episode_report
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        inp, out = snakemake.input, snakemake.output
        write_episode_report(inp.candidates, inp.faces, inp.shorts, inp.crops,
                             out.html, out.files)
