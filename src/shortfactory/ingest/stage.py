"""Ingest: probe the source, extract the analysis audio, make the analysis proxy.

Real files are checked here, once, so later stages can trust what they read: the
display geometry (rotation, pixel aspect) goes into ``source.json``, a file without
sound gets a silent track (the line then runs on its pictures), and a stream that
decodes much shorter than its container claims (a truncated download) stops here with
one line instead of feeding half an episode to the analysis.
"""

from __future__ import annotations

import logging
from pathlib import Path

from shortfactory.core import media
from shortfactory.core.artifacts import AudioStream, MediaStream, SourceProbe, VideoStream
from shortfactory.core.errors import InputError
from shortfactory.core.io import atomic_path, write_model
from shortfactory.core.recipe import IngestSection
from shortfactory.core.text import language_code

MIN_COVERAGE = 0.9  # share of the episode a decoded stream (audio, proxy) must cover
log = logging.getLogger(__name__)


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
                          pix_fmt=info.pix_fmt, stored_width=info.stored_width,
                          stored_height=info.stored_height, rotation=info.rotation,
                          sar=info.sar),
        audio=AudioStream(codec=info.audio_codec, sample_rate=info.sample_rate,
                          channels=info.channels) if info.has_audio else None,
        audio_streams=[_stream(s) for s in info.audio_streams],
        subtitle_streams=[_stream(s, text=s.codec in media.TEXT_SUBTITLE_CODECS)
                          for s in info.subtitle_streams],
    )


def _stream(info: media.StreamInfo, text: bool = False) -> MediaStream:
    return MediaStream(index=info.index, codec=info.codec, language=info.language,
                       title=info.title, default=info.default, channels=info.channels,
                       text=text)


def choose_audio_stream(probe: SourceProbe, track: str) -> int:
    """The audio stream ``ingest.audio_track`` picks: ``auto`` = the one flagged default
    (else the first), a number = that stream, a language (``ja``, ``jpn``) = the first
    stream tagged with it. Dual-audio anime carries the dub first as often as not."""
    streams = probe.audio_streams
    if not streams or track == "auto":
        return next((s.index for s in streams if s.default), 0)
    if track.isdigit():
        if int(track) >= len(streams):
            raise InputError(f"{probe.path}: ingest.audio_track {track}: the file has "
                             f"{len(streams)} audio stream(s)")
        return int(track)
    wanted = language_code(track)
    for s in streams:
        if s.language and language_code(s.language) == wanted:
            return s.index
    tags = ", ".join(f"{s.index}={s.language or 'untagged'}" for s in streams)
    raise InputError(f"{probe.path}: ingest.audio_track {track!r}: no audio stream in that "
                     f"language ({tags})")


def geometry_note(probe: SourceProbe) -> str:
    """One line on what the display geometry changed, or "" for an upright square-pixel
    picture (said once, at the probe, so a user knows why the Shorts look right)."""
    video = probe.video
    notes = []
    if video.rotation:
        notes.append(f"rotated {video.rotation} degrees")
    if abs(video.sar - 1.0) > 1e-3:
        notes.append(f"pixel aspect {video.sar:.3g}")
    if not notes:
        return ""
    return (f"stored {video.stored_width}x{video.stored_height}, " + ", ".join(notes)
            + f": processed as displayed, {video.width}x{video.height}")


def write_probe(source: str | Path, episode: str, out: str | Path) -> SourceProbe:
    probe = probe_source(source, episode)
    note = geometry_note(probe)
    if note:
        log.info("%s: %s", source, note)
    if probe.audio is None:
        log.warning("%s: no audio stream: processed with a silent track (pictures only, "
                    "no subtitles)", source)
    write_model(out, probe)
    return probe


def check_coverage(source: str | Path, stream: str, decoded_s: float,
                   expected_s: float | None) -> None:
    """Refuse a stream that decoded much shorter than the container says.

    ffmpeg exits 0 on a damaged or cut-off stream after decoding what it can; an
    analysis built on the part that decoded would silently miss the rest of the
    episode, so it stops here with one line instead.
    """
    if expected_s and decoded_s < MIN_COVERAGE * expected_s - 1.0:
        raise InputError(f"{source}: {stream} stream is corrupt or truncated: decoded "
                         f"{decoded_s:.1f} s of {expected_s:.1f} s")


def write_audio(source: str | Path, section: IngestSection, out: str | Path, *,
                expected_s: float | None = None, has_audio: bool = True,
                stream: int = 0) -> None:
    """Mono WAV at ``section.audio_rate`` (16 kHz by default) for ASR and audio signals,
    written atomically.

    A source without sound gets digital silence of its length, so every later stage
    runs unchanged (no words, no loudness peaks: the pictures alone choose the clips).
    The section is the typed recipe model, so its defaults are the only defaults.
    """
    with atomic_path(out) as tmp:
        if not has_audio:
            media.silent_wav(tmp, duration_s=expected_s or 0.0, rate=section.audio_rate)
            return
        media.extract_audio(source, tmp, rate=section.audio_rate, stream=stream)
        check_coverage(source, "audio", media.wav_duration_s(tmp), expected_s)


def write_proxy(source: str | Path, section: IngestSection, out: str | Path, *,
                threads: int | None = None, progress: bool = True,
                expected_s: float | None = None) -> None:
    """Small analysis proxy, written atomically (``threads``: the cores it may use);
    with ``expected_s`` (the container's duration) a truncated video stream is refused.

    Every proxy setting comes from the typed section, so a caller that sets only the
    size still gets the recipe's defaults (``hwaccel`` "auto", ``proxy_skip_nonref``),
    never a second set of defaults kept here.
    """
    with atomic_path(out) as tmp:
        media.make_proxy(source, tmp, height=section.proxy_height, fps=section.proxy_fps,
                         skip_nonref=section.proxy_skip_nonref, progress=progress,
                         hwaccel=section.hwaccel, threads=threads)
        check_coverage(source, "video", media.video_frames_duration_s(tmp), expected_s)
