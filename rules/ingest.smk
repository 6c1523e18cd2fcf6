rule probe_source:
    input:
        source=get_source,
    output:
        "results/{episode}/source.json",
    params:
        code=stage_code("probe_source.py"),
    log:
        "logs/probe_source/{episode}.log",
    benchmark:
        "benchmarks/probe_source/{episode}.tsv"
    message:
        "Probing the source of {wildcards.episode}"
    script:
        "../scripts/probe_source.py"


rule extract_audio:
    input:
        source=get_source,
        probe="results/{episode}/source.json",
    output:
        "results/{episode}/audio.wav",
    params:
        code=stage_code("extract_audio.py"),
        recipe=get_section("ingest"),
    log:
        "logs/extract_audio/{episode}.log",
    benchmark:
        "benchmarks/extract_audio/{episode}.tsv"
    message:
        "Extracting 16 kHz mono audio of {wildcards.episode}"
    script:
        "../scripts/extract_audio.py"


rule make_proxy:
    input:
        source=get_source,
        probe="results/{episode}/source.json",
    output:
        "results/{episode}/proxy.mp4",
    params:
        code=stage_code("make_proxy.py"),
        recipe=get_section("ingest"),
    threads: 2
    log:
        "logs/make_proxy/{episode}.log",
    benchmark:
        "benchmarks/make_proxy/{episode}.tsv"
    message:
        "Making the analysis proxy of {wildcards.episode}"
    script:
        "../scripts/make_proxy.py"
