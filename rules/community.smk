# Community loop (issue 24): separate targets, never part of `all`, opt-in by recipe
# (community.enabled: true). Ask for them by name:
#   snakemake draft_replies                            community/<today>/replies.csv to review
#   snakemake post_replies                             dry-run: prints what it would post
#   snakemake post_replies --config reply_for_real=1   posts the approved rows
#   --config community_date=2025-06-01                 another day's replies.csv
# They run on the submitting machine (localrules): the comments, the OAuth sign-in and
# the reply ledger live there. The helpers stay here, next to the only rules using them.

import datetime

localrules: draft_replies, write_replies, post_replies


def get_community_date():
    """The day whose replies.csv the targets make or post: today unless configured."""
    return str(config.get("community_date") or datetime.date.today().isoformat())


def get_replies_file():
    return f"community/{get_community_date()}/replies.csv"


def get_community_inputs(wildcards):
    """The comments, the style corpus if the recipe names one, and published.csv (only
    to mention the Short, so only when it exists)."""
    section = RECIPE.community
    inputs = {"comments": section.comments}
    if section.corpus:
        inputs["corpus"] = section.corpus
    if Path(section.published_csv).exists():
        inputs["published"] = section.published_csv
    return inputs


def is_reply_for_real():
    """Posting is opt-in: only --config reply_for_real=1 (or true/yes) sends."""
    return str(config.get("reply_for_real", "")).strip().lower() in {"1", "true", "yes"}


rule draft_replies:
    input:
        get_replies_file(),


rule write_replies:
    input:
        unpack(get_community_inputs),
    output:
        "community/{date}/replies.csv",
    wildcard_constraints:
        date=r"\d{4}-\d{2}-\d{2}",
    params:
        recipe=get_section("community"),
        code=stage_code("draft_replies.py"),
    log:
        "logs/write_replies/{date}.log",
    message:
        "Drafting replies to the comments into {output} (for review; nothing is posted)"
    script:
        "../scripts/draft_replies.py"


# No output: runs whenever asked for. ancient(): a reviewed replies.csv is never redrafted
# (and its approvals lost) because the comments file changed since. Idempotent through
# the reply ledger (community.ledger), so running it again posts only what is new.
rule post_replies:
    input:
        ancient(get_replies_file()),
    params:
        recipe=get_section("community"),
        for_real=is_reply_for_real(),
    log:
        "logs/post_replies/post_replies.log",
    message:
        "Posting the approved replies to YouTube" if is_reply_for_real()
        else "Replies dry-run: prints what would be posted, posts nothing"
    script:
        "../scripts/post_replies.py"
