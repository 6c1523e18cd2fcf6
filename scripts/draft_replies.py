"""Snakemake adapter: draft replies to the comments into community/<date>/replies.csv."""

from shortfactory.community.replies import draft_replies
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        draft_replies(snakemake.params.recipe, snakemake.output[0])
