# Report and editor hand-off (issue 22): separate targets, never part of `all`.
#   snakemake report      report/index.html + report/<episode>.html (pictures in
#                         report/<episode>_files/); videos linked from out/ by relative path
#   snakemake timeline    export/<episode>.otio, .xml (FCP XML), .edl (CMX 3600): the
#                         selected clips on the source timeline, crop path and subtitles
# The timelines sit beside export_shorts' export/<episode>/ folder, not inside it (that
# folder is one directory() output).

localrules: report, timeline


rule report:
    input:
        "report/index.html",


rule write_report_index:
    input:
        pages=expand("report/{episode}.html", episode=sorted(EPISODES)),
        shorts=expand("out/{episode}/shorts.json", episode=sorted(EPISODES)),
    output:
        "report/index.html",
    params:
        code=stage_code("write_report_index.py"),
    log:
        "logs/write_report_index/index.log",
    message:
        "Writing the report's index"
    script:
        "../scripts/write_report_index.py"


rule write_report:
    input:
        unpack(get_report_inputs),
    output:
        html="report/{episode}.html",
        files=directory("report/{episode}_files"),
    params:
        code=stage_code("write_report.py"),
    log:
        "logs/write_report/{episode}.log",
    benchmark:
        "benchmarks/write_report/{episode}.tsv"
    message:
        "Writing the report of {wildcards.episode}"
    script:
        "../scripts/write_report.py"


rule timeline:
    input:
        expand("export/{episode}.{ext}", episode=sorted(EPISODES), ext=("otio", "xml", "edl")),


rule export_timeline:
    input:
        unpack(get_timeline_inputs),
    output:
        otio="export/{episode}.otio",
        xml="export/{episode}.xml",
        edl="export/{episode}.edl",
    params:
        # The SRT is on the Short's timeline: the speed maps it back to the source.
        speed=RECIPE.render.speed,
        code=stage_code("export_timeline.py"),
    log:
        "logs/export_timeline/{episode}.log",
    benchmark:
        "benchmarks/export_timeline/{episode}.tsv"
    message:
        "Exporting the editable timeline of {wildcards.episode} (.otio, FCP XML, EDL)"
    script:
        "../scripts/export_timeline.py"
