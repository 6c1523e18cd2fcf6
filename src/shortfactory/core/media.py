"""Media plumbing: one ffmpeg, in-process probing, streamed decoding.

The project uses the ffmpeg binary inside the ``imageio-ffmpeg`` wheel (it has
libx264, aac, libass and loudnorm) so that ``pip install`` is the whole setup; a
``SHORTFACTORY_FFMPEG`` environment variable overrides it. That wheel has no
ffprobe, so probing goes through PyAV, which reads the same containers in-process.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shortfactory.core.errors import InputError

# Containers a user drops in: everything ffmpeg reads that carries video (by extension,
# so that subtitles, images and notes beside the episodes are not mistaken for them).
VIDEO_SUFFIXES = (
    ".mp4", ".m4v", ".mkv", ".webm", ".mov", ".avi", ".ts", ".m2ts", ".mts", ".mpg",
    ".mpeg", ".vob", ".flv", ".wmv", ".asf", ".3gp", ".3g2", ".ogv", ".mxf", ".divx",
)
log = logging.getLogger(__name__)


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary the project runs."""
    override = os.environ.get("SHORTFACTORY_FFMPEG")
    if override:
        return override
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: list[str], *, what: str, source: str | Path) -> None:
    """Run ffmpeg quietly; on failure raise :class:`InputError` naming ``source``."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = _last_line(proc.stderr) or f"exit code {proc.returncode}"
        raise InputError(f"{source}: {what} failed: {detail}")


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


# Subtitle codecs that carry text (the rest, PGS/DVB/VobSub, are pictures of text).
TEXT_SUBTITLE_CODECS = frozenset({"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text",
                                  "microdvd", "subviewer", "jacosub", "realtext", "sami"})


@dataclass(slots=True, frozen=True)
class StreamInfo:
    """One audio or subtitle stream: its place among streams of its kind (what ffmpeg's
    ``0:a:N`` / ``0:s:N`` mean), codec and the container's language tag and flags."""

    index: int
    codec: str
    language: str | None
    title: str | None
    default: bool
    channels: int = 0


@dataclass(slots=True)
class ProbeResult:
    """Container and stream facts. ``width``/``height`` are the display geometry (see
    :func:`display_size`); ``audio_codec`` is None when the file has no audio stream."""

    container: str
    duration_s: float
    video_codec: str | None
    width: int
    height: int
    fps: float
    frames: int | None
    pix_fmt: str | None
    audio_codec: str | None
    sample_rate: int
    channels: int
    stored_width: int = 0
    stored_height: int = 0
    rotation: int = 0
    sar: float = 1.0
    video_duration_s: float | None = None
    audio_streams: list[StreamInfo] = field(default_factory=list)
    subtitle_streams: list[StreamInfo] = field(default_factory=list)

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


def display_size(stored_width: int, stored_height: int, rotation: int = 0,
                 sar: float = 1.0) -> tuple[int, int]:
    """The picture as a player shows it: square pixels, upright.

    Why every stage works in this geometry: ffmpeg's command line applies the rotation
    side data when it decodes (a portrait phone video stored 1920x1080 with a 90 degree
    matrix comes out 1080x1920), while the codec reports the stored size; and an
    anamorphic picture (SAR != 1, DVD and broadcast) is stretched by players. Sizes from
    the stored picture would crop the wrong region and distort faces. The width carries
    the SAR (rounded to even, as YUV 4:2:0 needs), the height stays the coded one.
    """
    width = stored_width
    if sar > 0 and abs(sar - 1.0) > 1e-3:
        width = max(2, int(round(stored_width * sar / 2)) * 2)
    if rotation % 180 == 90:
        return stored_height, width
    return width, stored_height


def normalise_rotation(degrees: float | None) -> int:
    """Rotation side data as one of 0/90/180/270 (players ignore odd angles too)."""
    if not degrees:
        return 0
    return int(round(float(degrees) / 90.0)) * 90 % 360


def probe(path: str | Path) -> ProbeResult:
    """Read container and stream facts; raise a one-line :class:`InputError` if unusable.

    Checks what a user most often gets wrong: a file that is not a video, one with no
    video or no audio stream, and one of zero length.
    """
    import av

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: file is not readable (permission denied)")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty (zero bytes)")
    try:
        container = av.open(str(path))
    except av.error.InvalidDataError as err:
        reason = err.strerror or "unrecognised data"
        raise InputError(f"{path}: not a video file ({reason})") from None
    except av.error.FFmpegError as err:
        raise InputError(f"{path}: cannot be opened ({err.strerror or err})") from None
    with container:
        video = next(iter(container.streams.video), None)
        audio = next(iter(container.streams.audio), None)
        if video is None and audio is None:
            raise InputError(f"{path}: not a video file (no audio or video streams)")
        if video is None:
            raise InputError(f"{path}: has no video stream")
        duration = _duration_s(container, video, audio)
        if duration <= 0.05:
            raise InputError(f"{path}: has zero length")
        rate = video.average_rate or video.guessed_rate or video.base_rate
        fps = float(rate) if rate else 0.0
        if fps <= 0:
            raise InputError(f"{path}: video stream has no frame rate")
        vctx = video.codec_context
        if not vctx.width or not vctx.height:
            raise InputError(f"{path}: video stream has no picture size")
        rotation = _first_frame_rotation(container, video)
        sar = float(video.sample_aspect_ratio or 1) or 1.0
        width, height = display_size(int(vctx.width), int(vctx.height), rotation, sar)
        actx = audio.codec_context if audio is not None else None
        return ProbeResult(
            container=container.format.name,
            duration_s=duration,
            video_codec=vctx.name,
            width=width,
            height=height,
            fps=fps,
            frames=int(video.frames) or None,
            pix_fmt=vctx.pix_fmt,
            audio_codec=actx.name if actx is not None else None,
            sample_rate=int(actx.sample_rate or 0) if actx is not None else 0,
            channels=int(actx.channels or 0) if actx is not None else 0,
            stored_width=int(vctx.width),
            stored_height=int(vctx.height),
            rotation=rotation,
            sar=round(sar, 6),
            video_duration_s=_stream_duration_s(video),
            audio_streams=[_stream_info(k, s) for k, s in enumerate(container.streams.audio)],
            subtitle_streams=[_stream_info(k, s)
                              for k, s in enumerate(container.streams.subtitles)],
        )


def _stream_info(index: int, stream) -> StreamInfo:  # noqa: ANN001 - a PyAV stream
    meta = stream.metadata or {}
    language = (meta.get("language") or "").strip().lower()
    disposition = getattr(stream, "disposition", None)
    default = bool(disposition is not None and disposition & getattr(
        type(disposition), "default", 1))
    ctx = stream.codec_context
    return StreamInfo(index=index, codec=(ctx.name if ctx is not None else None) or "unknown",
                      language=language if language not in ("", "und") else None,
                      title=meta.get("title") or None, default=default,
                      channels=int(getattr(ctx, "channels", 0) or 0))


def _duration_s(container, video, audio) -> float:  # noqa: ANN001 - PyAV objects
    if container.duration:
        return container.duration / 1_000_000
    for stream in (video, audio):
        if stream is not None and stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
    return 0.0


def _stream_duration_s(stream) -> float | None:  # noqa: ANN001 - a PyAV stream
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return None


def _first_frame_rotation(container, video) -> int:  # noqa: ANN001 - PyAV objects
    """Display rotation of the first decodable frame (0 where none decodes).

    Why a frame: the display matrix sits in stream side data that PyAV exposes only on
    decoded frames, and ffmpeg's command line rotates by the same matrix.
    """
    import av

    try:
        for frame in container.decode(video):
            return normalise_rotation(getattr(frame, "rotation", 0))
    except av.error.FFmpegError:
        pass
    return 0


def extract_audio(source: str | Path, out: str | Path, *, rate: int, stream: int = 0) -> None:
    """Decode the first audio stream to mono PCM WAV at ``rate`` Hz (no default: the rate
    is the recipe's ``ingest.audio_rate``, see :func:`shortfactory.ingest.stage.write_audio`).
    """
    args = ["-i", str(source), "-map", f"0:a:{stream}", "-vn", "-ac", "1", "-ar", str(rate),
            "-c:a", "pcm_s16le", "-f", "wav", str(out)]
    run_ffmpeg(args, what="audio extraction", source=source)


def silent_wav(out: str | Path, *, duration_s: float, rate: int) -> None:
    """Mono PCM WAV of digital silence (the analysis track of a file without sound), at
    the recipe's ``ingest.audio_rate`` like :func:`extract_audio`."""
    args = ["-f", "lavfi", "-i", f"anullsrc=channel_layout=mono:sample_rate={rate}",
            "-t", f"{max(duration_s, 0.1):.3f}", "-c:a", "pcm_s16le", "-f", "wav", str(out)]
    run_ffmpeg(args, what="silent track", source=out)


def video_frames_duration_s(path: str | Path) -> float:
    """Seconds of picture a (proxy) file really holds: its last frame's time plus one
    frame, from the packets (no decode). The container's duration is not enough: a
    truncated source gives a proxy whose header is right but whose frames stop early."""
    import av

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            last, rate = 0.0, float(stream.average_rate or stream.guessed_rate or 1)
            for packet in container.demux(stream):
                if packet.pts is not None and packet.time_base is not None:
                    last = max(last, float(packet.pts * packet.time_base))
            return last + 1.0 / rate
    except (av.error.FFmpegError, IndexError) as err:
        raise InputError(f"{path}: no readable video stream ({err})") from None


@functools.cache
def cuda_decoder_available() -> bool:
    """Whether ffmpeg's NVDEC decoding can work here: the NVIDIA driver library loads and
    initialises (what ffmpeg's CUDA device does first; without it ffmpeg exits at once)."""
    import ctypes

    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return driver.cuInit(0) == 0


def wants_gpu_decode(hwaccel: str) -> bool:
    """Whether to try NVDEC for the proxy: always for ``cuda``, for ``auto`` where the
    NVIDIA driver loads.

    Why ``auto`` takes the GPU whatever the core count (``python bench/gpu_proxy.py`` on
    an H100, the 147 s 1080p H.264 sample / 60 s of HEVC Popeye, ffmpeg pinned to N
    cores): NVDEC made the proxy 1.8x / 2.5x faster on 2 cores, 1.3x / 1.5x on 4, and
    as fast / 1.2x on 16, while leaving the cores to the other rules. Its only cost is
    starting CUDA, ~0.5 s a file, which made 8 s clips slower.
    """
    return hwaccel == "cuda" or (hwaccel == "auto" and cuda_decoder_available())


def make_proxy(source: str | Path, out: str | Path, *, height: int, fps: float,
               skip_nonref: bool = True, progress: bool = False,
               hwaccel: str = "none", threads: int | None = None) -> None:
    """Small analysis copy of the video (see :func:`encode_proxy`), decoded on the GPU
    where :func:`wants_gpu_decode` says so. Any GPU failure falls back to the CPU
    decode with a warning: a proxy is always made where the CPU can make one.

    The line always passes every option from the recipe (:func:`shortfactory.ingest.stage.
    write_proxy`); the defaults here serve direct callers (tests, benches), which get a
    plain CPU decode unless they ask for the GPU.
    """
    if wants_gpu_decode(hwaccel):
        try:
            encode_proxy(source, out, height=height, fps=fps, skip_nonref=skip_nonref,
                         progress=progress, gpu=True, threads=threads)
            log.info("%s: proxy decoded on the GPU (NVDEC)", source)
            return
        except InputError as err:
            log.warning("GPU decode failed, decoding on the CPU instead: %s", err)
    encode_proxy(source, out, height=height, fps=fps, skip_nonref=skip_nonref,
                 progress=progress, threads=threads)


def decoder_threads(cores: int | None = None) -> int:
    """Decoder threads for the proxy: four per core, at most 16 (ffmpeg's own cap).

    Why more threads than cores: frame threads of a decoder that skips non-reference
    frames spend much of their time waiting for the frames they reference; with more in
    flight the cores stay busy. On 2 cores, 8-12 threads decoded the 1080p mix 25 %
    faster than ffmpeg's default (one per core), Popeye's HEVC 10 %.
    """
    return max(1, min(16, 4 * (cores or os.cpu_count() or 1)))


def encode_proxy(source: str | Path, out: str | Path, *, height: int, fps: float,
                 skip_nonref: bool = True, progress: bool = False,
                 gpu: bool = False, threads: int | None = None) -> None:
    """Small analysis copy of the video: the one full decode of the source.

    Decoding the source is most of the cost, so the decoder does only what a 360 px,
    6 fps analysis can see: no deblocking (``-skip_loop_filter all``) and, with
    ``skip_nonref``, no frame that no other frame needs (``-skip_frame noref``: most
    B-frames of H.264/HEVC), which roughly halves the decode of a typical 1080p file.
    The ``fps`` filter then takes the nearest decoded frame, a source frame or two from
    the nominal one; cut times are refined on the source later. Scaling runs after the
    rate drop; x264 ``ultrafast`` with a keyframe a second is quick to write and read.
    ``progress`` shows a bar (seconds of source) on stderr.

    With ``gpu``, NVDEC decodes and the frames stay on the GPU through the rate drop
    and the scaling (``scale_cuda``); only the small frames come back to the CPU for
    the encode. Downloading every full-size frame instead made NVDEC slower than two
    CPU cores (H100: 1.95 s against 1.44 s for 60 s of 1080p).
    """
    display_w, display_h, _, _ = _video_geometry(source)
    # Display geometry (rotation applied by ffmpeg, SAR by the explicit width), square
    # pixels: faces and the camera measure the proxy as the viewer sees the picture.
    width = even_width(display_w, display_h, height)
    if gpu:
        args = ["-hwaccel", "cuda", "-hwaccel_output_format", "cuda"]
        scale = f"scale_cuda={width}:{height}:format=nv12,hwdownload,format=nv12,setsar=1"
    else:
        args = ["-threads", str(decoder_threads(threads)), "-skip_loop_filter", "all"]
        scale = f"scale={width}:{height}:flags=area,setsar=1"
    if skip_nonref:
        args += ["-skip_frame", "noref"]
    args += ["-i", str(source), "-map", "0:v:0", "-an", "-sn", "-dn",
             "-vf", f"fps={fps},{scale}", "-c:v", "libx264",
             "-preset", "ultrafast", "-crf", "18", "-g", str(max(1, round(fps))),
             "-pix_fmt", "yuv420p", "-f", "mp4", str(out)]
    if not progress:
        run_ffmpeg(args, what="proxy encoding", source=source)
        return
    run_ffmpeg_progress(args, what="proxy encoding", source=source,
                        total_s=probe_duration_s(source), desc="proxy",
                        bar_options={"mininterval": 1.0})


def run_ffmpeg_progress(args: list[str], *, what: str, source: str | Path, total_s: float,
                        desc: str, show: bool = True, loglevel: str = "error",
                        explain: Callable[[str], str] = _last_line,
                        bar_options: dict[str, Any] | None = None) -> str:
    """:func:`run_ffmpeg` with a tqdm bar (seconds of output) fed by ffmpeg's
    ``-progress`` output; returns ffmpeg's log (``loglevel``). On failure raises the
    one-line :class:`InputError`, with ``explain`` picking the cause from the log.
    ``bar_options`` go to tqdm."""
    from tqdm import tqdm

    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", loglevel,
           "-progress", "pipe:1", "-y", *args]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        bar = tqdm(total=round(total_s, 2), unit="s", desc=desc, disable=not show,
                   file=sys.stderr, **(bar_options or {}))
        try:
            for raw in proc.stdout:
                key, _, value = raw.decode(errors="replace").strip().partition("=")
                if key == "out_time_us" and value.lstrip("-").isdigit():
                    # Set, not add: summed float steps overshoot the total (tqdm warns).
                    bar.n = min(bar.total, max(0.0, int(value) / 1e6))
                    bar.refresh()
        finally:
            bar.close()
            code = proc.wait()
        err.seek(0)
        log_text = err.read().decode(errors="replace")
    if code != 0:
        raise InputError(f"{source}: {what} failed: {explain(log_text) or f'exit code {code}'}")
    return log_text


def probe_duration_s(path: str | Path) -> float:
    """Container duration in seconds (0 when unknown); no stream checks."""
    import av

    try:
        with av.open(str(path)) as container:
            return (container.duration or 0) / 1_000_000
    except av.error.FFmpegError:
        return 0.0


def open_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Memory-map a PCM WAV (first channel): nothing is read until sliced."""
    from scipy.io import wavfile

    try:
        rate, data = wavfile.read(str(path), mmap=True)
    except (ValueError, OSError) as err:
        raise InputError(f"{path}: not a readable WAV file ({err})") from None
    if data.ndim > 1:
        data = data[:, 0]
    return data, int(rate)


def to_float(samples: np.ndarray) -> np.ndarray:
    """PCM samples (a slice of :func:`open_wav`) as float32 in [-1, 1]."""
    if samples.dtype == np.int16:
        return samples.astype(np.float32) / 32768.0
    if samples.dtype == np.int32:
        return samples.astype(np.float32) / 2147483648.0
    return np.asarray(samples, dtype=np.float32)


def read_wav_mono(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a whole PCM WAV as float32 in [-1, 1] (first channel if several)."""
    data, rate = open_wav(path)
    return to_float(data), rate


def wav_duration_s(path: str | Path) -> float:
    data, rate = open_wav(path)
    return len(data) / rate


SEEK_MARGIN_S = 10.0  # input seek this far before a clip; trim filters then cut exactly
INDEXED_SEEK_MARGIN_S = 1.0  # the same in containers with an index (see seek_margin_s)
_INDEXED_FORMATS = frozenset({"mov", "mp4", "matroska", "webm"})


def seek_margin_s(container: str) -> float:
    """How far before a clip to seek in a container (PyAV/ffmpeg format name).

    Why two margins: MP4/MOV and Matroska carry an index, so the seek lands on the
    keyframe at or before the asked time; a long margin there only decodes 10 s of
    frames the trim throws away (~5 % of a 20 s Short's render). Elsewhere (MPEG-TS/PS,
    FLV, AVI without index, or unknown) the seek can land late, so the margin stays long.
    """
    indexed = _INDEXED_FORMATS.intersection(container.split(","))
    return INDEXED_SEEK_MARGIN_S if indexed else SEEK_MARGIN_S


def container_format(path: str | Path) -> str:
    """ffmpeg's name for the file's container ("" when it cannot be opened: the caller's
    own open reports that)."""
    import av

    try:
        with av.open(str(path)) as container:
            return str(container.format.name)
    except av.error.FFmpegError:
        return ""


def clip_input(source: str | Path, start_s: float, duration_s: float,
               container: str | None = None) -> tuple[list[str], float]:
    """Input options that open ``source`` a little before the clip, and the margin (s)
    the trim filters (:func:`clip_trims`) then cut off.

    Why not seek to the clip itself: in some containers (MPEG-TS seen) ffmpeg's input
    seek lands seconds after the asked time, and the Short's picture then starts late
    and runs out of step with its sound. Seeking earlier and trimming on the decoded
    timestamps is exact wherever the seek lands, for the price of decoding the margin
    (:func:`seek_margin_s`). ``container``: the format name when the caller has probed
    the file already; None reads it.
    """
    if container is None:
        container = container_format(source) if start_s > 0 else ""
    margin = min(start_s, seek_margin_s(container))
    return (["-ss", f"{start_s - margin:.3f}", "-t", f"{duration_s + margin:.3f}",
             "-i", str(source)], margin)


def clip_trims(margin_s: float, duration_s: float) -> tuple[str, str]:
    """The video and audio filters that keep exactly the clip from a :func:`clip_input`,
    with timestamps starting at zero."""
    span = f"start={margin_s:.3f}:duration={duration_s:.3f}"
    return f"trim={span},setpts=PTS-STARTPTS", f"atrim={span},asetpts=PTS-STARTPTS"


_SIZE_RE = re.compile(r"(\d{2,5})x(\d{2,5})")


def iter_frames(
    path: str | Path, *, fps: float | None = None, height: int | None = None,
    start_s: float | None = None, duration_s: float | None = None,
    rgb_height: int | None = None,
) -> Iterator[tuple[float, np.ndarray]]:
    """Stream ``(time_s, rgb uint8 HxWx3)`` frames through an ffmpeg pipe, bounded memory.

    Scaling and frame-rate conversion happen inside ffmpeg, never in Python. Times are
    on the source timeline (``start_s`` added back). ``rgb_height`` scales once more,
    after the conversion to RGB: the chroma is then averaged at ``height``'s full
    resolution, as a resize of the decoded RGB frame would, instead of over twice the
    area as YUV 4:2:0 (for small copies whose colours are measured).
    """
    info = _video_geometry(path)
    out_h = height or info[1]
    out_w = even_width(info[0], info[1], out_h) if height else info[0]
    filters = []
    margin = 0.0
    if start_s:
        seek, margin = clip_input(path, start_s, duration_s or 0.0)
        trim = clip_trims(margin, duration_s)[0] if duration_s else \
            f"trim=start={margin:.3f},setpts=PTS-STARTPTS"
        filters.append(trim)
    if fps:
        filters.append(f"fps={fps}")
    if height or info[3]:
        # Anamorphic sources are brought to square pixels here too (display geometry).
        filters.append(f"scale={out_w}:{out_h}:flags=area,setsar=1")
    if rgb_height and rgb_height < out_h:
        out_w, out_h = even_width(info[0], info[1], rgb_height), rgb_height
        filters.append(f"format=rgb24,scale={out_w}:{out_h}:flags=area")
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error"]
    if start_s:
        # Seek before the start and trim exactly (see clip_input): MPEG-TS seeks land late.
        args += seek[:2] + (seek[2:4] if duration_s else []) + seek[4:]
    else:
        args += ["-i", str(path)]
        if duration_s:
            args += ["-t", f"{duration_s:.3f}"]
    args += ["-map", "0:v:0", "-an"]
    if filters:
        args += ["-vf", ",".join(filters)]
    args += ["-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    rate = fps or info[2]
    frame_bytes = out_w * out_h * 3
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    widen_pipe(proc.stdout.fileno(), frame_bytes)
    index = 0
    try:
        while True:
            buf = proc.stdout.read(frame_bytes)
            if len(buf) < frame_bytes:
                break
            frame = np.frombuffer(buf, dtype=np.uint8).reshape(out_h, out_w, 3)
            yield (start_s or 0.0) + index / rate, frame
            index += 1
    finally:
        proc.stdout.close()
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        code = proc.wait()
    if code != 0:
        raise InputError(f"{path}: video decoding failed: {_last_line(stderr)}")


def even_width(width: int, height: int, out_height: int) -> int:
    """Width that keeps the aspect at ``out_height``, rounded to even (what YUV 4:2:0
    and most encoders need)."""
    return int(round(width * out_height / height / 2)) * 2


PIPE_MAX_BYTES = 1 << 20  # Linux's default /proc/sys/fs/pipe-max-size


def widen_pipe(fd: int, frame_bytes: int) -> None:
    """Let ffmpeg write a whole frame (up to 1 MiB) ahead of the reader.

    Why: a pipe holds 64 KiB, a tenth of a 360p RGB frame, so ffmpeg stalls mid-frame
    until Python reads and the two take turns instead of overlapping. With room for a
    frame the scene pass over the sample's proxy took 1.04 s instead of 1.42 s. Linux
    only (``F_SETPIPE_SZ``); elsewhere, or where refused, nothing changes.
    """
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    try:
        fcntl.fcntl(fd, set_size, min(PIPE_MAX_BYTES, max(frame_bytes, 1 << 16)))
    except OSError:
        pass


def probe_video_only(path: str | Path) -> tuple[int, int, float]:
    """(width, height, fps) of the first video stream in display geometry (rotation and
    SAR applied, see :func:`display_size`); needs no audio stream (proxies have none)."""
    width, height, fps, _ = _video_geometry(path)
    return width, height, fps


def _video_geometry(path: str | Path) -> tuple[int, int, float, bool]:
    """Display (width, height, fps) and whether ffmpeg must rescale to reach it (SAR).

    Rotation needs no filter: ffmpeg's command line rotates while decoding."""
    import av

    try:
        with av.open(str(path)) as container:
            video = container.streams.video[0]
            rate = video.average_rate or video.guessed_rate or video.base_rate
            sar = float(video.sample_aspect_ratio or 1) or 1.0
            rotation = _first_frame_rotation(container, video)
            width, height = display_size(int(video.codec_context.width),
                                         int(video.codec_context.height), rotation, sar)
            return width, height, float(rate), abs(sar - 1.0) > 1e-3
    except (av.error.FFmpegError, IndexError) as err:
        raise InputError(f"{path}: no readable video stream ({err})") from None
