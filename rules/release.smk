# Release: delivery targets, never part of `all`; ask for them by name.
#   snakemake publish                              dry-run: prints what would be sent
#   snakemake publish --config publish_for_real=1  uploads to YouTube (published.csv)
#   snakemake export                               export/<episode>/<rank>-<clip>/ folders
# They run on the submitting machine (localrules): the network, the OAuth browser
# sign-in and published.csv live there, not on cluster nodes.

localrules: publish, export, export_shorts, notify_render


# No output: runs whenever asked for. Idempotent through published.csv, so running it
# again sends only what is new (or resumes what a crash interrupted).
rule publish:
    input:
        expand("out/{episode}/shorts.json", episode=list(EPISODES)),
    params:
        recipe=get_section("publish"),
        notify=get_section("notify"),
        for_real=is_publish_for_real(),
    log:
        "logs/publish/publish.log",
    message:
        "Publishing the Shorts to YouTube" if is_publish_for_real()
        else "Publishing dry-run: prints what would be sent, sends nothing"
    script:
        "../scripts/publish_shorts.py"


rule export:
    input:
        expand("export/{episode}", episode=list(EPISODES)),


rule export_shorts:
    input:
        "out/{episode}/shorts.json",
    output:
        directory("export/{episode}"),
    params:
        code=stage_code("export_shorts.py"),
    log:
        "logs/export_shorts/{episode}.log",
    message:
        "Exporting the Shorts of {wildcards.episode} for manual upload (TikTok, Reels)"
    script:
        "../scripts/export_shorts.py"


# The "render" webhook: its receipt is the output, so each new shorts.json notifies
# once. In `all` only through get_render_notices() (empty without such a webhook).
rule notify_render:
    input:
        "out/{episode}/shorts.json",
    output:
        "results/{episode}/notify_render.json",
    params:
        recipe=get_section("notify"),
    log:
        "logs/notify_render/{episode}.log",
    message:
        "Telling the webhooks that {wildcards.episode} is rendered"
    script:
        "../scripts/notify_render.py"
