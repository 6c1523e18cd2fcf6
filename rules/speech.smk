rule transcribe:
    input:
        audio="results/{episode}/audio.wav",
        # Embedded text subtitles are read from the source (transcribe.source).
        source=get_source,
        probe="results/{episode}/source.json",
    output:
        "results/{episode}/transcript.json",
    params:
        recipe=get_section("transcribe"),
        code=stage_code("transcribe.py"),
    threads: 2
    resources:
        mem_mb=3000,
    log:
        "logs/transcribe/{episode}.log",
    benchmark:
        "benchmarks/transcribe/{episode}.tsv"
    message:
        "Transcribing {wildcards.episode} with faster-whisper"
    script:
        "../scripts/transcribe.py"


rule compute_audio_features:
    input:
        audio="results/{episode}/audio.wav",
        transcript="results/{episode}/transcript.json",
    output:
        "results/{episode}/audio_features.json",
    params:
        recipe=get_section("audio"),
        code=stage_code("compute_audio_features.py"),
    resources:
        mem_mb=get_mem_mb_compute_audio_features,
    log:
        "logs/compute_audio_features/{episode}.log",
    benchmark:
        "benchmarks/compute_audio_features/{episode}.tsv"
    message:
        "Measuring loudness, speech and onsets of {wildcards.episode}"
    script:
        "../scripts/compute_audio_features.py"
