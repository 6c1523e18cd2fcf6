checkpoint select_candidates:
    input:
        probe="results/{episode}/source.json",
        transcript="results/{episode}/transcript.json",
        audio="results/{episode}/audio_features.json",
        scenes="results/{episode}/scene_cuts.json",
        faces="results/{episode}/faces.json",
    output:
        "results/{episode}/candidates.json",
    params:
        recipe=get_section("candidates"),
        code=stage_code("select_candidates.py"),
    log:
        "logs/select_candidates/{episode}.log",
    benchmark:
        "benchmarks/select_candidates/{episode}.tsv"
    message:
        "Scoring candidate clips of {wildcards.episode}"
    script:
        "../scripts/select_candidates.py"
