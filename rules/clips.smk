# Per-clip jobs read the checkpoint as ancient() and take their own entry as a param:
# re-scoring that only reorders clips rebuilds nothing.


rule plan_camera:
    input:
        candidates=ancient("results/{episode}/candidates.json"),
        probe="results/{episode}/source.json",
        faces="results/{episode}/faces.json",
        scenes="results/{episode}/scene_cuts.json",
        transcript="results/{episode}/transcript.json",
    output:
        "results/{episode}/clips/{clip}/crop_path.json",
    params:
        clip=get_clip_span,
        recipe=get_section("camera"),
        code=stage_code("plan_camera.py"),
    log:
        "logs/plan_camera/{episode}/{clip}.log",
    benchmark:
        "benchmarks/plan_camera/{episode}/{clip}.tsv"
    message:
        "Planning the 9:16 camera for {wildcards.episode}/{wildcards.clip}"
    script:
        "../scripts/plan_camera.py"


# Not part of `all`: ask for it, e.g.
#   snakemake results/sample/clips/c0032-0052/camera_preview.mp4
rule preview_camera:
    input:
        source=get_source,
        crop="results/{episode}/clips/{clip}/crop_path.json",
        faces="results/{episode}/faces.json",
    output:
        "results/{episode}/clips/{clip}/camera_preview.mp4",
    params:
        code=stage_code("preview_camera.py"),
    log:
        "logs/preview_camera/{episode}/{clip}.log",
    benchmark:
        "benchmarks/preview_camera/{episode}/{clip}.tsv"
    message:
        "Drawing the camera preview of {wildcards.episode}/{wildcards.clip}"
    script:
        "../scripts/preview_camera.py"


rule write_subtitles:
    input:
        candidates=ancient("results/{episode}/candidates.json"),
        transcript="results/{episode}/transcript.json",
    output:
        ass="results/{episode}/clips/{clip}/subtitles.ass",
        srt="results/{episode}/clips/{clip}/subtitles.srt",
        accents="results/{episode}/clips/{clip}/accents.json",
    params:
        clip=get_clip_span,
        recipe=get_section("subtitles"),
        # The SRT is on the finished Short's timeline; only this value of the render
        # section, so other render edits do not rerun the subtitles.
        speed=RECIPE.render.speed,
        # The candidates' trigger words are highlighted, and offered to the render as
        # punch-in moments by weight (only these, not the section).
        triggers=dict(sorted(RECIPE.candidates.triggers.items())),
        code=stage_code("write_subtitles.py"),
    log:
        "logs/write_subtitles/{episode}/{clip}.log",
    benchmark:
        "benchmarks/write_subtitles/{episode}/{clip}.tsv"
    message:
        "Writing subtitles for {wildcards.episode}/{wildcards.clip}"
    script:
        "../scripts/write_subtitles.py"


rule write_metadata:
    input:
        candidates=ancient("results/{episode}/candidates.json"),
        transcript="results/{episode}/transcript.json",
    output:
        "results/{episode}/clips/{clip}/metadata.json",
    params:
        clip=get_clip_entry,
        recipe=get_section("metadata"),
        # The candidates' trigger words and their weights: a sign of a title hook.
        triggers=dict(RECIPE.candidates.triggers),
        recipe_hash=get_recipe_hash(),
        code=stage_code("write_metadata.py"),
    log:
        "logs/write_metadata/{episode}/{clip}.log",
    benchmark:
        "benchmarks/write_metadata/{episode}/{clip}.tsv"
    message:
        "Writing title, description and tags for {wildcards.episode}/{wildcards.clip}"
    script:
        "../scripts/write_metadata.py"


rule render_short:
    input:
        source=get_source,
        crop="results/{episode}/clips/{clip}/crop_path.json",
        subtitles="results/{episode}/clips/{clip}/subtitles.ass",
        probe="results/{episode}/source.json",
        # The title, for the hook banner (render.hook).
        metadata="results/{episode}/clips/{clip}/metadata.json",
        # Emoji rows and punch-in moments the subtitles marked.
        accents="results/{episode}/clips/{clip}/accents.json",
        **watermark_image(),
    output:
        "out/{episode}/{clip}.mp4",
    params:
        recipe=get_section("render"),
        # The audio stream the ASR heard: ingest.audio_track only (not the whole section).
        ingest={"audio_track": RECIPE.ingest.audio_track},
        code=stage_code("render_short.py"),
    threads: 2
    resources:
        mem_mb=get_mem_mb_render_short,
    log:
        "logs/render_short/{episode}/{clip}.log",
    benchmark:
        "benchmarks/render_short/{episode}/{clip}.tsv"
    message:
        "Rendering the Short {wildcards.episode}/{wildcards.clip}"
    script:
        "../scripts/render_short.py"


rule export_metadata:
    input:
        "results/{episode}/clips/{clip}/metadata.json",
    output:
        "out/{episode}/{clip}.json",
    params:
        code=stage_code("export_metadata.py"),
    log:
        "logs/export_metadata/{episode}/{clip}.log",
    benchmark:
        "benchmarks/export_metadata/{episode}/{clip}.tsv"
    message:
        "Exporting publishing metadata for {wildcards.episode}/{wildcards.clip}"
    script:
        "../scripts/export_metadata.py"


rule export_captions:
    input:
        "results/{episode}/clips/{clip}/subtitles.srt",
    output:
        "out/{episode}/{clip}.srt",
    params:
        code=stage_code("export_captions.py"),
    log:
        "logs/export_captions/{episode}/{clip}.log",
    message:
        "Exporting the caption track of {wildcards.episode}/{wildcards.clip}"
    script:
        "../scripts/export_captions.py"


rule make_thumbnail:
    input:
        "out/{episode}/{clip}.mp4",
    output:
        "out/{episode}/{clip}.png",
    params:
        # Candidates start after the hook banner (the banner already carries the title).
        skip_s=RECIPE.render.hook.duration_s if RECIPE.render.hook.enabled else 0.0,
        code=stage_code("make_thumbnail.py"),
    log:
        "logs/make_thumbnail/{episode}/{clip}.log",
    benchmark:
        "benchmarks/make_thumbnail/{episode}/{clip}.tsv"
    message:
        "Choosing the thumbnail of {wildcards.episode}/{wildcards.clip}"
    script:
        "../scripts/make_thumbnail.py"


rule collect_shorts:
    input:
        unpack(get_episode_shorts),
        candidates="results/{episode}/candidates.json",
    output:
        "out/{episode}/shorts.json",
    params:
        code=stage_code("collect_shorts.py"),
    log:
        "logs/collect_shorts/{episode}.log",
    benchmark:
        "benchmarks/collect_shorts/{episode}.tsv"
    message:
        "Listing the Shorts of {wildcards.episode}"
    script:
        "../scripts/collect_shorts.py"
