rule make_sample:
    output:
        video=SAMPLE_VIDEO,
        truth=SAMPLE_TRUTH,
    params:
        code=stage_code("make_sample.py"),
    log:
        "logs/make_sample/sample.log",
    benchmark:
        "benchmarks/make_sample/sample.tsv"
    message:
        "Generating the bundled sample episode (synthetic cartoon, TTS voices)"
    script:
        "../scripts/make_sample.py"
