# Community loop (issue 24): separate targets, never part of `all`, opt-in by recipe
# (community.enabled: true). Ask for them by name:
#   snakemake draft_replies                            community/<today>/replies.csv to review
#   snakemake post_replies                             dry-run: prints what it would post
#   snakemake post_replies --config reply_for_real=1   posts the approved rows
#   --config community_date=2025-06-01                 another day's replies.csv
# They run on the submitting machine (localrules): the comments, the OAuth sign-in and
# the reply ledger live there.

localrules: draft_replies, write_replies, post_replies


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
