"""Snakemake adapter: post the approved replies (a dry-run unless asked to send)."""

from shortfactory.community.post import post_replies
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        post_replies(snakemake.input[0], snakemake.params.recipe,
                     for_real=bool(snakemake.params.for_real))
