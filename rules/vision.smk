rule detect_scenes:
    input:
        proxy="results/{episode}/proxy.mp4",
        probe="results/{episode}/source.json",
        source=get_source,
    output:
        "results/{episode}/scene_cuts.json",
    params:
        recipe=get_section("vision"),
        code=stage_code("detect_scenes.py"),
    log:
        "logs/detect_scenes/{episode}.log",
    benchmark:
        "benchmarks/detect_scenes/{episode}.tsv"
    message:
        "Finding scene cuts and fades in {wildcards.episode}"
    script:
        "../scripts/detect_scenes.py"


rule track_faces:
    input:
        proxy="results/{episode}/proxy.mp4",
        probe="results/{episode}/source.json",
        scenes="results/{episode}/scene_cuts.json",
    output:
        "results/{episode}/faces.json",
    params:
        recipe=get_section("vision"),
        code=stage_code("track_faces.py"),
    log:
        "logs/track_faces/{episode}.log",
    benchmark:
        "benchmarks/track_faces/{episode}.tsv"
    message:
        "Detecting and tracking faces in {wildcards.episode}"
    script:
        "../scripts/track_faces.py"
