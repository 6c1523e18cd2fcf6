# shortfactory: long horizontal episode -> vertical Shorts, one artifact per rule.
# Layout and artifact graph: see README.md. All decisions live in src/shortfactory/.

import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config.yaml")


include: "rules/common.smk"
include: "rules/sample.smk"
include: "rules/ingest.smk"
include: "rules/speech.smk"
include: "rules/vision.smk"
include: "rules/candidates.smk"
include: "rules/clips.smk"
include: "rules/release.smk"
include: "rules/report.smk"
include: "rules/analytics.smk"
include: "rules/community.smk"


rule all:
    input:
        get_final_outputs(),
        get_render_notices(),
    default_target: True
