"""Stage 10, analytics: learn from how the published Shorts performed (issue 23).

metrics (Studio CSV, Analytics API JSON) + ``published.csv`` + each clip's artifacts ->
a feature table -> a bounded, explained step of the recipe's signal weights, trigger
words and target length -> ``recipes/tuned.yaml`` (round-trip, for a person to review)
and ``analytics/report.html``.
"""
