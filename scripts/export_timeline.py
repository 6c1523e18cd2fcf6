"""Snakemake adapter: an episode's clips as an editable timeline (.otio, FCP XML, EDL)."""

from shortfactory.report.timeline import export_timeline
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        inp, out = snakemake.input, snakemake.output
        export_timeline(inp.candidates, inp.probe, inp.source, inp.crops, inp.srts, inp.asses,
                        snakemake.params.speed, {"otio": out.otio, "xml": out.xml,
                                                 "edl": out.edl})
