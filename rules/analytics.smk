# Analytics loop (issue 23): separate targets, never part of `all`.
#   snakemake tune            metrics/*.csv|json + published.csv -> recipes/tuned.yaml
#                             (round-trip, diff printed) and analytics/report.html
#   snakemake fetch_metrics   opt-in: YouTube Analytics API -> metrics/youtube_analytics.json
#   --config tuned=recipes/mine-tuned.yaml   another output file
# The recipe in use is never an output (Snakemake deletes outputs before a job runs):
# replacing it is `shortfactory tune --in-place`, outside the workflow.
# Both run on the submitting machine (network, OAuth, published.csv live there).

localrules: tune, tune_recipe, fetch_metrics

rule tune:
    input:
        get_tuned_path(),
        "analytics/report.html",


rule tune_recipe:
    input:
        metrics=get_metrics_files(),
        published=get_published_input(),
    output:
        tuned=get_tuned_path(),
        report="analytics/report.html",
    params:
        recipe=str(RECIPE_PATH),
        published=get_published_csv(),
        analytics=get_section("analytics"),
    log:
        "logs/tune_recipe/tune.log",
    message:
        "Tuning the recipe from the published Shorts' metrics (prints the diff)"
    script:
        "../scripts/tune_recipe.py"


rule fetch_metrics:
    output:
        "metrics/youtube_analytics.json",
    params:
        recipe=get_section("analytics"),
        publish=get_section("publish"),
        published=get_published_csv(),
    log:
        "logs/fetch_metrics/fetch.log",
    message:
        "Fetching the published Shorts' numbers from the YouTube Analytics API"
    script:
        "../scripts/fetch_metrics.py"
