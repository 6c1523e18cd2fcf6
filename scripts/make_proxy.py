"""Snakemake adapter: encode the small analysis proxy."""

from shortfactory.core.artifacts import SourceProbe
from shortfactory.core.io import read_model
from shortfactory.core.recipe import IngestSection
from shortfactory.ingest.stage import write_proxy
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        probe = read_model(snakemake.input.probe, SourceProbe)
        # Snakemake hands over the section as a plain dict: validated back into its model.
        section = IngestSection.model_validate(snakemake.params.recipe)
        write_proxy(snakemake.input.source, section, snakemake.output[0],
                    threads=snakemake.threads, expected_s=probe.duration_s)
