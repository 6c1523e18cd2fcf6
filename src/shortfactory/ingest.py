"""Ingest: probe the source, extract the analysis audio, make the analysis proxy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import media
from .artifacts import AudioStream, SourceProbe, VideoStream
from .errors import InputError
from .io import atomic_path, write_model

MIN_AUDIO_COVERAGE = 0.9  # share of the episode the decoded audio must cover


def probe_source(source: str | Path, episode: str) -> SourceProbe:
    """Probe ``source``; bad input raises a one-line InputError naming the file."""
    info = media.probe(source)
    return SourceProbe(
        episode=episode,
        path=str(Path(source).resolve()),
        size_bytes=Path(source).stat().st_size,
        container=info.container,
        duration_s=round(info.duration_s, 3),
        video=VideoStream(codec=info.video_codec or "unknown", width=info.width,
                          height=info.height, fps=round(info.fps, 4), frames=info.frames,
                          pix_fmt=info.pix_fmt),
        audio=AudioStream(codec=info.audio_codec or "unknown", sample_rate=info.sample_rate,
                          channels=info.channels),
    )


def write_probe(source: str | Path, episode: str, out: str | Path) -> SourceProbe:
    probe = probe_source(source, episode)
    write_model(out, probe)
    return probe


def write_audio(source: str | Path, params: dict[str, Any], out: str | Path, *,
                expected_s: float | None = None) -> None:
    """16 kHz mono WAV for ASR and audio signals, written atomically.

    ffmpeg exits 0 on a damaged audio stream after decoding what it can, so the
    decoded length is checked against the container's duration: a WAV that covers
    much less than the episode would silently starve every later stage.
    """
    with atomic_path(out) as tmp:
        media.extract_audio(source, tmp, rate=int(params["audio_rate"]))
        if expected_s:
            decoded = media.wav_duration_s(tmp)
            if decoded < MIN_AUDIO_COVERAGE * expected_s - 1.0:
                raise InputError(
                    f"{source}: audio stream is corrupt or truncated: decoded "
                    f"{decoded:.1f} s of {expected_s:.1f} s"
                )


def write_proxy(source: str | Path, params: dict[str, Any], out: str | Path, *,
                threads: int | None = None, progress: bool = True) -> None:
    """Small analysis proxy, written atomically (``threads``: the cores it may use)."""
    with atomic_path(out) as tmp:
        media.make_proxy(source, tmp, height=int(params["proxy_height"]),
                         fps=float(params["proxy_fps"]),
                         skip_nonref=bool(params.get("proxy_skip_nonref", True)),
                         progress=progress, hwaccel=str(params.get("hwaccel", "none")),
                         threads=threads)
