"""Snakemake adapter: generate the bundled sample episode and its ground truth."""

from pathlib import Path

from shortfactory.sample.generator import generate_sample
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        generate_sample(Path(snakemake.output.video), Path(snakemake.output.truth))
