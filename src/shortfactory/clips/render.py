"""The render: source + crop path + subtitles -> a finished vertical Short, in one ffmpeg run.

Analysis is over by the time this runs (it reads only plans and the source). One
ffmpeg process seeks to the clip, follows the planned 9:16 window frame by frame
(``sendcmd`` feeding ``crop`` its x/y per output frame, and its size where a shot
zooms; a window taller than the source is cut from a canvas that puts the source over
a blurred copy of itself), scales to the output size (or, in shots the camera
letterboxed, shows the whole frame over a blurred copy; in split shots, two windows
stacked), burns the styled ASS with libass, draws an optional watermark, applies the
speed factor and encodes H.264 + AAC with ``+faststart``. Loudness is normalised in the same
run from a measurement taken by a quick audio-only pass first (two-pass ``loudnorm``
in linear mode, i.e. one constant gain, so the mix is not pumped by a compressor).
The finished file's true peak is then measured as a player decodes it (AAC overshoots)
and, where it is above the ceiling, the audio alone is made again with a limiter, at
most a few rounds. A source without audio gets a silent track and no loudness passes.

Geometry: the plan is in display pixels (upright, square pixels). ffmpeg's command
line rotates frames by the rotation side data while decoding; an anamorphic source is
scaled to its display size first (:func:`display_filters`).

Timelines: ``crop.x[i]`` / ``crop.y[i]`` belong to clip-relative source time
``i / crop.fps`` and the ASS is on the clip's source timeline too; both are applied
before the speed change, so they stay in step with the picture at any speed.

Settings: every one comes from the recipe's ``render`` section, the validated
:class:`~shortfactory.core.recipe.RenderSection` (no defaults of this module's own, so what
the recipe documents is what runs).
"""

from __future__ import annotations

import json
import logging
import math
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from shortfactory.clips.emoji import emoji_strip
from shortfactory.clips.fonts import ass_text_runs, font_files, missing_glyphs
from shortfactory.clips.subtitles import add_hook, parse_ass, script_play_res
from shortfactory.core.artifacts import Accents, CropPath, Moment
from shortfactory.core.errors import InputError
from shortfactory.core.io import atomic_path
from shortfactory.core.media import (
    clip_input,
    clip_trims,
    ffmpeg_exe,
    probe,
    run_ffmpeg_progress,
)
from shortfactory.core.recipe import Effects, RenderSection, Watermark

log = logging.getLogger(__name__)

_SILENT_LUFS = -60.0  # below this a clip is treated as silent: no gain is applied
_ASPECT_TOLERANCE = 0.02  # crop aspect within 2 % of the output: stretch, else pad
_EDGE_FADE_S = 0.025  # audio fade at the clip's two cut points (longer than one AAC frame)
_TP_MARGIN_DB = 0.3  # a true-peak correction aims this far under the ceiling
_TP_ROUNDS = 3  # true-peak correction rounds at most (the last one a plain gain)
_LIMITER_FLOOR_DB = -24.0  # the lowest ceiling alimiter takes (limit=0.0625)
# Where loudnorm limits (dynamic mode) its peaks sit at the ceiling, and AAC overshoots
# them (sample: -0.8 dBTP after encoding for -1.0): a limiter this far under the ceiling
# from the first encode spares the correction round's remux (~13 % of a Short's render).
_DYNAMIC_HEADROOM_DB = 0.5
_OUTPUT_RATE = 48000  # the Short's audio sample rate


# --- filtergraph text ----------------------------------------------------------------


def escape_filter_value(value: str) -> str:
    """Escape a string for use as one option value inside ``-filter_complex``.

    ffmpeg parses a filtergraph twice: the graph level splits on ``[],;`` and the
    filter level splits options on ``:``; both treat ``\\`` and ``'`` as escapes. A path
    with spaces, quotes, colons or commas must survive both, so escape for the option
    level first, then for the graph level (ffmpeg-filters, "Notes on filtergraph
    escaping"). Non-ASCII passes through unchanged (argv is UTF-8).
    """
    level1 = re.sub(r"([\\':])", r"\\\1", value)
    # Leading/trailing whitespace would be trimmed by the option parser: escape it.
    level1 = re.sub(r"^(\s)", r"\\\1", level1)
    level1 = re.sub(r"(?<!\\)(\s)$", r"\\\1", level1)
    return re.sub(r"([\\'\[\],;])", r"\\\1", level1)


@dataclass(slots=True)
class Window:
    """One named ``crop`` filter's window per output frame, in the pixels it crops."""

    name: str
    x: list[int]
    y: list[int]
    w: list[int]
    h: list[int]

    def first(self) -> str:
        """The filter's initial options."""
        return f"w={self.w[0]}:h={self.h[0]}:x={self.x[0]}:y={self.y[0]}"


def window_commands(windows: list[Window], fps: float) -> str:
    """``sendcmd`` commands that move and resize each ``crop@<name>`` per output frame.

    A command for output frame ``i`` is sent at ``(i - 0.5) / fps`` so that it is in
    force when frame ``i`` (pts ``i / fps``) arrives, whatever the rounding. Only
    changes are written: a stationary shot costs nothing. A size is sent before a
    position, so the new position is checked against the new size.
    """
    lines = []
    n = max((len(w.x) for w in windows), default=0)
    for i in range(1, n):
        cmds = []
        for win in windows:
            for key, values in (("w", win.w), ("h", win.h), ("x", win.x), ("y", win.y)):
                if i < len(values) and values[i] != values[i - 1]:
                    cmds.append(f"crop@{win.name} {key} {values[i]}")
        if cmds:
            lines.append(f"{(i - 0.5) / fps:.6f} {', '.join(cmds)};")
    return "\n".join(lines) + "\n"


def _clamp(v: int, hi: int | None) -> int:
    return max(0, v if hi is None else min(v, hi))


def _fonts_dir(tmp: Path) -> Path:
    """A private directory of links to :func:`font_files` (``fontsdir`` takes one dir)."""
    d = tmp / "fonts"
    d.mkdir()
    for f in font_files():
        try:
            (d / f.name).symlink_to(f)
        except OSError:
            (d / f.name).write_bytes(f.read_bytes())
    return d


def _watermark_font() -> Path | None:
    files = font_files()
    for name in ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf"):
        for f in files:
            if f.name == name:
                return f
    return files[0] if files else None


# --- loudness --------------------------------------------------------------------------


@dataclass(slots=True)
class LoudnessStats:
    """First-pass ``loudnorm`` measurement (LUFS, dBTP, LU)."""

    input_i: float
    input_tp: float
    input_lra: float
    input_thresh: float
    target_offset: float = 0.0


def _loudnorm_json(stderr: str) -> dict:
    start = stderr.rfind("{")
    end = stderr.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no loudnorm summary in ffmpeg output")
    return json.loads(stderr[start : end + 1])


def _to_float(v: str | float) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return -math.inf
    return f if math.isfinite(f) else -math.inf


def analyse_loudness(
    source: str | Path, *, start_s: float | None = None, duration_s: float | None = None,
    pre_filters: str = "", target_i: float = -14.0, target_tp: float = -1.0,
    stream: int = 0,
) -> LoudnessStats:
    """Measure a span of ``source``'s audio stream ``stream`` with ``loudnorm`` (pass one).

    ``pre_filters`` must be the chain the render puts before ``loudnorm`` (tempo,
    channel layout), so that the numbers describe what the second pass will see.
    """
    chain = ",".join(
        f for f in (pre_filters, f"loudnorm=I={target_i}:TP={target_tp}:print_format=json") if f
    )
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+info"]
    if start_s:
        args += ["-ss", f"{start_s:.3f}"]
    if duration_s:
        args += ["-t", f"{duration_s:.3f}"]
    args += ["-i", str(source), "-map", f"0:a:{stream}", "-vn", "-af", chain, "-f", "null", "-"]
    proc = subprocess.run(args, capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        raise InputError(f"{source}: loudness measurement failed: {_ffmpeg_error(proc.stderr)}")
    try:
        data = _loudnorm_json(proc.stderr)
    except (ValueError, json.JSONDecodeError):
        raise InputError(f"{source}: loudness measurement gave no result") from None
    return LoudnessStats(
        input_i=_to_float(data["input_i"]),
        input_tp=_to_float(data["input_tp"]),
        input_lra=max(0.0, _to_float(data["input_lra"])),
        input_thresh=_to_float(data["input_thresh"]),
        target_offset=_to_float(data.get("target_offset", 0.0)),
    )


def measure_loudness(path: str | Path) -> float:
    """Integrated loudness (LUFS, ITU-R BS.1770 gated) of a file's first audio stream."""
    return analyse_loudness(path).input_i


def loudness_filter(stats: LoudnessStats, target_i: float, target_tp: float) -> tuple[str, str]:
    """Second-pass filter for the measured clip and the mode it runs in.

    Modes:
        ``linear``: ``loudnorm`` with the measured values and ``linear=true``: one
            constant gain; chosen whenever the gained true peak stays under the target.
        ``gain``: a plain ``volume`` gain where loudnorm would refuse linear mode for
            a reason that does not matter for a constant gain (a steady tone has LRA
            0, which loudnorm treats as "not measured").
        ``dynamic``: the peaks would exceed ``target_tp`` at the needed gain; loudnorm
            falls back to its dynamic mode (a compressor/limiter), which can miss the
            target by a dB or two on transient-heavy audio.
        ``silent``: nothing to normalise; left alone.
    """
    if stats.input_i <= _SILENT_LUFS:
        return "", "silent"
    gain = target_i - stats.input_i
    measured = (
        f"measured_I={stats.input_i:.2f}:measured_TP={stats.input_tp:.2f}:"
        f"measured_LRA={stats.input_lra:.2f}:measured_thresh={stats.input_thresh:.2f}:"
        f"offset={stats.target_offset:.2f}"
    )
    if stats.input_tp + gain <= target_tp:
        if 0 < stats.input_lra <= 49:
            # A target LRA at or above the measured one, so loudnorm keeps linear mode.
            lra = min(50.0, max(7.0, math.ceil(stats.input_lra + 1)))
            return (
                f"loudnorm=I={target_i}:TP={target_tp}:LRA={lra}:{measured}:linear=true:"
                "print_format=json",
                "linear",
            )
        return f"volume={gain:.2f}dB", "gain"
    return (
        f"loudnorm=I={target_i}:TP={target_tp}:LRA=11:{measured}:linear=true:"
        "print_format=json",
        "dynamic",
    )


def expected_peak_db(stats: LoudnessStats, mode: str, target_i: float, target_tp: float) -> float:
    """The true peak (dBTP) the loudness pass should leave before encoding: the measured
    peak moved by the constant gain, or the ceiling where loudnorm limits (dynamic)."""
    if mode in ("linear", "gain"):
        return min(target_tp, stats.input_tp + target_i - stats.input_i)
    return target_tp


# --- true peak after encoding ----------------------------------------------------------


_EBUR128_I = re.compile(r"^\s*I:\s*(-?inf|-?[\d.]+)\s*LUFS", re.MULTILINE)
_EBUR128_PEAK = re.compile(r"^\s*Peak:\s*(-?inf|-?[\d.]+)\s*dBFS", re.MULTILINE)


def parse_ebur128_summary(stderr: str) -> tuple[float, float]:
    """``(integrated LUFS, true peak dBTP)`` from the summary ``ebur128`` prints last;
    ``-inf`` for digital silence. Raises ValueError when there is no summary."""
    tail = stderr[stderr.rfind("Summary:"):] if "Summary:" in stderr else ""
    loudness, peak = _EBUR128_I.findall(tail), _EBUR128_PEAK.findall(tail)
    if not loudness or not peak:
        raise ValueError("no ebur128 summary in ffmpeg output")
    return float(loudness[-1]), float(peak[-1])


def measure_output_audio(path: str | Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of a finished file's first audio
    stream, as a player decodes it.

    Why after encoding: AAC does not keep the waveform's peaks; on clipped or dense
    material and at hard onsets the decoded signal overshoots the encoder's input by
    several dB (seen: a clip of clipped bursts that loudnorm had limited to -1 dBTP
    came out at -0.2 dBTP; one that opened on a burst, +0.9 from -2.8). ``ebur128``
    measures true peak on a 4x oversampled signal (ITU-R BS.1770-4);
    ``framelog=verbose`` keeps its per-100 ms lines out of the log.
    """
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-i", str(path),
            "-map", "0:a:0", "-vn", "-af", "ebur128=peak=true:framelog=verbose",
            "-f", "null", "-"]
    proc = subprocess.run(args, capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        raise InputError(f"{path}: loudness measurement failed: {_ffmpeg_error(proc.stderr)}")
    try:
        return parse_ebur128_summary(proc.stderr)
    except ValueError:
        raise InputError(f"{path}: loudness measurement gave no result") from None


@dataclass(slots=True)
class PeakCorrection:
    """Extra audio treatment that brings the encoded true peak under the ceiling.

    ``ceiling_db``: an oversampled ``alimiter`` at this sample peak (dBFS) after the
    loudness gain, None for none; ``trim_db``: a plain gain (dB, <= 0) before it.
    """

    ceiling_db: float | None = None
    trim_db: float = 0.0


def next_correction(current: PeakCorrection, measured_tp: float, target_tp: float,
                    expected_db: float, round_no: int,
                    rounds: int = _TP_ROUNDS) -> PeakCorrection:
    """The treatment for correction round ``round_no`` (1-based) after a file measured
    ``measured_tp`` dBTP, above ``target_tp``.

    Rounds before the last lower the limiter's ceiling by the excess (plus a margin),
    starting from where the peaks were before encoding (``expected_db``): a limiter
    costs almost no loudness. The codec's overshoot does not always shrink with the
    ceiling (a square-ish clipped wave stays square-ish), so the last round lowers the
    whole signal instead: AAC is close to linear, so its overshoot shrinks with the
    gain and the ceiling then holds, at the price of as much loudness.
    """
    excess = measured_tp - target_tp + _TP_MARGIN_DB
    if round_no < rounds:
        start = current.ceiling_db if current.ceiling_db is not None else expected_db
        ceiling = max(_LIMITER_FLOOR_DB, min(start, target_tp) - excess)
        return PeakCorrection(ceiling, current.trim_db)
    return PeakCorrection(current.ceiling_db, current.trim_db - excess)


def edge_fades(duration_s: float, fade_s: float = _EDGE_FADE_S) -> list[str]:
    """Short fades at the clip's start and end (output timeline, seconds).

    Why: a Short is cut out of running sound; the cut is a step that clicks, and AAC
    rings over a step from nothing to full level (a clip that opened on a loud clipped
    burst measured +0.9 dBTP where the audio it encoded peaked at -2.8; with these
    fades, -2.2). 25 ms is longer than one AAC frame (1024 samples at 48 kHz) and too
    short to be heard as a fade.
    """
    fade = min(fade_s, duration_s / 4)
    if fade <= 0:
        return []
    return [f"afade=t=in:d={fade:.3f}",
            f"afade=t=out:st={max(0.0, duration_s - fade):.3f}:d={fade:.3f}"]


def audio_chain(pre: str, loud: str, duration_s: float,
                correction: PeakCorrection | None = None) -> str:
    """The render's audio filters: ``pre`` (tempo, stereo), the loudness filter, any
    true-peak correction, 48 kHz, fades at the cut points.

    The limiter runs at 192 kHz (loudnorm's own output rate) so that it sees the peaks
    between 48 kHz samples too; ``latency`` removes its look-ahead delay, so picture
    and sound stay in step. Timestamps restart at zero before the fades (as the
    picture's do, ``setpts=PTS-STARTPTS``), whatever the seek and tempo did to them.
    """
    parts = [pre, loud]
    if correction is not None and correction.trim_db:
        parts.append(f"volume={correction.trim_db:.2f}dB")
    if correction is not None and correction.ceiling_db is not None:
        limit = 10 ** (max(_LIMITER_FLOOR_DB, correction.ceiling_db) / 20)
        parts += ["aresample=192000",
                  f"alimiter=limit={limit:.5f}:level=0:latency=1:attack=5:release=50"]
    # Exactly the picture's length: a source whose audio timestamps stall or jump (seen:
    # 20 s of frames stamped with one time) would otherwise give a longer or shorter track.
    parts += [f"aresample={_OUTPUT_RATE}", "asetpts=N/SR/TB",
              f"apad=whole_dur={duration_s:.3f}", f"atrim=duration={duration_s:.3f}",
              *edge_fades(duration_s)]
    return ",".join(f for f in parts if f)


def silent_track() -> str:
    """The lavfi source of the Short's audio when the episode has none: digital
    silence, stereo 48 kHz, so the Short is a normal H.264 + AAC file (players and
    upload checks expect an audio track)."""
    return f"anullsrc=channel_layout=stereo:sample_rate={_OUTPUT_RATE}"


def display_filters(sar: float, width: int, height: int) -> list[str]:
    """Filters that bring decoded frames to the display geometry ``width`` x ``height``
    with square pixels (empty where they already are).

    Why: the crop path is in display pixels (what a viewer sees). ffmpeg's command line
    applies rotation side data while decoding, so frames arrive upright, but an
    anamorphic picture (SAR != 1) arrives at its stored width and would be cropped in
    the wrong place and shown squeezed.
    """
    if sar <= 0 or abs(sar - 1.0) <= 1e-3:
        return []
    return [f"scale={width}:{height}", "setsar=1"]


# --- the render --------------------------------------------------------------------------


@dataclass(slots=True)
class _Geometry:
    """The plan mapped onto the actual source (a re-encoded source may differ in size).

    ``canvas_h``/``pad_top``: where some shot zooms out (its window taller than the
    source), windows are cut from a canvas that tall, with the source at ``pad_top``
    over a blurred copy of itself; otherwise the canvas is the source.
    """

    crop_w: int
    crop_h: int
    scale_x: float
    scale_y: float
    max_x: int
    max_y: int
    src_w: int = 0
    src_h: int = 0
    canvas_h: int = 0
    pad_top: int = 0


def _geometry(crop: CropPath, src_w: int, src_h: int) -> _Geometry:
    """Map the plan's pixel space onto the actual source, with a canvas for zoomed-out
    shots."""
    sx = src_w / crop.source_width if crop.source_width else 1.0
    sy = src_h / crop.source_height if crop.source_height else 1.0
    cw = min(src_w, max(2, round(crop.crop_width * sx)))
    ch = min(src_h, max(2, round(crop.crop_height * sy)))
    tallest = max([round(h * sy) for h in crop.frame_sizes()[1]] or [src_h])
    canvas_h = max(src_h, tallest + tallest % 2)
    pad_top = (canvas_h - src_h) // 4 * 2  # even: chroma rows stay aligned
    return _Geometry(cw, ch, sx, sy, src_w - cw, src_h - ch, src_w, src_h, canvas_h, pad_top)


def camera_windows(crop: CropPath, geo: _Geometry) -> list[Window]:
    """The windows the render cuts per output frame: ``cam`` (one window, every shot but
    split ones; on the canvas), plus ``top``/``bot`` (the split panels, on the source)
    when some shot is split."""
    ws, hs = crop.frame_sizes()
    owner = crop.frame_shots()
    split = [bool(crop.shots) and crop.shots[k].mode == "split" for k in owner]
    cam = Window("cam", [], [], [], [])
    last = (geo.crop_w, geo.crop_h, geo.max_x // 2, geo.max_y // 2 + geo.pad_top)
    for i, (x, y) in enumerate(zip(crop.x, crop.y, strict=False)):
        if split[i]:  # the cam window is hidden: leave it where it was
            w, h, xi, yi = last
        else:
            w = min(geo.src_w, max(2, round(ws[i] * geo.scale_x)))
            h = min(geo.canvas_h, max(2, round(hs[i] * geo.scale_y)))
            xi = _clamp(round(x * geo.scale_x), geo.src_w - w)
            yi = _clamp(round(y * geo.scale_y) + geo.pad_top, geo.canvas_h - h)
            last = (w, h, xi, yi)
        for values, v in ((cam.w, w), (cam.h, h), (cam.x, xi), (cam.y, yi)):
            values.append(v)
    if not cam.x:
        cam = Window("cam", [geo.max_x // 2], [geo.max_y // 2 + geo.pad_top], [geo.crop_w],
                     [geo.crop_h])
    if not any(split):
        return [cam]
    src_h = geo.src_h
    panels = []
    for name, xs, ys in (("top", crop.x, crop.y), ("bot", crop.x2, crop.y2)):
        win = Window(name, [], [], [], [])
        first = split.index(True)
        prev = (ws[first], hs[first], xs[first], ys[first])
        for i in range(len(crop.x)):
            if split[i]:
                prev = (ws[i], hs[i], xs[i], ys[i])
            w = min(geo.src_w, max(2, round(prev[0] * geo.scale_x)))
            h = min(src_h, max(2, round(prev[1] * geo.scale_y)))
            win.w.append(w)
            win.h.append(h)
            win.x.append(_clamp(round(prev[2] * geo.scale_x), geo.src_w - w))
            win.y.append(_clamp(round(prev[3] * geo.scale_y), src_h - h))
        panels.append(win)
    return [cam, *panels]


def letterbox_spans(crop: CropPath, mode: str = "letterbox") -> list[tuple[float, float]]:
    """Clip-relative ``(start, end)`` of the shots in ``mode`` (the camera letterboxed, or
    split), neighbours merged."""
    spans: list[tuple[float, float]] = []
    for shot in crop.shots:
        if shot.mode != mode:
            continue
        if spans and abs(spans[-1][1] - shot.start) < 1e-6:
            spans[-1] = (spans[-1][0], shot.end)
        else:
            spans.append((shot.start, shot.end))
    return spans


_POS = re.compile(r"\\pos\((-?[\d.]+),(-?[\d.]+)\)")


def subtitles_at_seam(ass_text: str, spans: list[tuple[float, float]]) -> str:
    """The ASS script with every event shown mostly during ``spans`` (split shots)
    centred on the seam between the two panels.

    Why: the recipe's ``position_y`` (about 0.7 of the height) lands on the lower
    panel's face; the seam is where both faces leave room. Events elsewhere keep their
    place; an event is moved when its middle lies in a span. Positions are in the
    script's own ``PlayResY`` coordinates, whatever the output size.
    """
    script = parse_ass(ass_text) if spans and ass_text.strip() else None
    size = script_play_res(script) if script is not None else None
    if script is None or size is None:
        return ass_text
    seam = size[1] // 2
    for event in script.events:
        middle = (event.start + event.end) / 2000
        if any(a <= middle < b for a, b in spans):
            event.text = _POS.sub(lambda pm: f"\\pos({pm.group(1)},{seam})", event.text,
                                  count=1)
    return script.to_string("ass")


def _letterbox_branch(width: int, height: int, spans: list[tuple[float, float]],
                      frame_s: float) -> tuple[str, str]:
    """Filters that show the whole frame over a blurred, zoomed copy of itself.

    Returns the graph text from ``[lbin]`` to ``[lb]`` and the ``enable`` expression
    that switches it on for the letterboxed shots. Why blur at a quarter of the size:
    the background only has to suggest the scene, and a small ``boxblur`` costs a
    fraction of a full-size one. Times are the clip-relative source times that
    ``sendcmd`` uses too (``t`` before the speed change); each span is shifted by half
    a frame so that the frame at a cut belongs to exactly one side.
    """
    bw, bh = max(2, width // 4 // 2 * 2), max(2, height // 4 // 2 * 2)
    radius = max(1, min(bw, bh) // 12)
    graph = (
        "[lbin]split=2[lbbg][lbfg];"
        f"[lbbg]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},"
        f"boxblur={radius}:2,scale={width}:{height},setsar=1[lbblur];"
        f"[lbfg]scale={width}:{height}:force_original_aspect_ratio=decrease,setsar=1[lbsharp];"
        "[lbblur][lbsharp]overlay=(W-w)/2:(H-h)/2[lb]"
    )
    return graph, _enable(spans, frame_s)


def _enable(spans: list[tuple[float, float]], frame_s: float) -> str:
    """An ``enable`` expression true inside ``spans`` (clip-relative source seconds),
    each shifted by half a frame so that the frame at a cut belongs to one side only."""
    half = frame_s / 2
    return "+".join(f"between(t,{a - half:.6f},{b - half:.6f})" for a, b in spans)


def _canvas_branch(geo: _Geometry) -> str:
    """Filters from ``[cvin]`` to ``[cv]``: the source at ``pad_top`` on a canvas
    ``canvas_h`` tall, between bands cut from a blurred, zoomed copy of itself (what a
    zoomed-out window shows above and below the picture).

    Why bands stacked and not the source overlaid on a whole blurred canvas: ``overlay``
    and the full-size upscale cost ~10 CPU-seconds per 20 s of 1080p (half the render);
    ``vstack`` copies rows. The copy is blurred at an eighth of the size and each band
    cut from it before upscaling, so no pixel of the canvas is scaled that is not shown;
    a band may sit a fraction of a pixel off the full-size blur, which no blur shows.
    """
    w, h = geo.src_w, geo.canvas_h
    bw, bh = max(2, w // 8 // 2 * 2), max(2, h // 8 // 2 * 2)
    radius = max(1, min(bw, bh) // 12)
    # (label, rows on the canvas, first row of the small blurred copy it is cut from)
    bands = []
    for label, rows, at_top in (("cvtop", geo.pad_top, True),
                                ("cvbot", h - geo.pad_top - geo.src_h, False)):
        if rows > 0:
            small_rows = min(bh, max(1, round(rows * bh / h)))
            bands.append((label, rows, small_rows, 0 if at_top else bh - small_rows))
    labels = [label for label, *_ in bands]
    splits = "".join(f"[{label}s]" for label in labels)
    cuts = "".join(f";[{label}s]crop={bw}:{small}:0:{y},scale={w}:{rows}:flags=bilinear,"
                   f"setsar=1[{label}]" for label, rows, small, y in bands)
    stack = "".join(f"[{label}]" for label in ("cvtop", "cvfgs", "cvbot")
                    if label == "cvfgs" or label in labels)
    return (
        "[cvin]split=2[cvbg][cvfg];"
        f"[cvbg]scale={bw}:{bh}:force_original_aspect_ratio=increase:flags=fast_bilinear,"
        f"crop={bw}:{bh},boxblur={radius}:2,split={len(bands)}{splits}{cuts};"
        f"[cvfg]setsar=1[cvfgs];{stack}vstack=inputs={len(bands) + 1}[cv]"
    )


def _split_branch(windows: list[Window], width: int, height: int) -> str:
    """Filters from ``[spin]`` to ``[sp]``: the two panels' windows, each scaled to half
    the output's height, stacked (upper: ``crop@top``, lower: ``crop@bot``)."""
    top, bot = (w for w in windows if w.name in ("top", "bot"))
    half = height // 2
    return (
        "[spin]split=2[spa][spb];"
        f"[spa]crop@top={top.first()}:exact=1,scale={width}:{half},setsar=1[spt];"
        f"[spb]crop@bot={bot.first()}:exact=1,scale={width}:{height - half},setsar=1[spu];"
        "[spt][spu]vstack=inputs=2[sp]"
    )


def _video_chain(
    geo: _Geometry, crop: CropPath, section: RenderSection, *, cmd_file: Path, ass: Path,
    fonts: Path,
    windows: list[Window] | None = None, display: list[str] | None = None,
    trim: str = "", out_s: float = 0.0, overlays: list[Overlay] | None = None,
) -> str:
    """The video part of the filtergraph, from ``[0:v:0]`` to ``[v]``.

    ``overlays`` (emoji rows, the logo) are images drawn over the framed picture after
    the subtitles, before the speed change (their times are on the clip's source
    timeline like the subtitles').

    ``trim`` (:func:`clip_trims`) first keeps exactly the clip; ``display``
    (:func:`display_filters`) brings the decoded frames to the display geometry the
    plan is in.

    The camera's window (``crop@cam``, cut from the canvas where some shot zooms out)
    is made every frame; letterboxed and split shots are further pictures made every
    frame too, which ``overlay`` shows inside those shots only (a per-shot switch
    without re-running ffmpeg).
    """
    width, height = section.width, section.height
    fps = Fraction(str(section.fps)).limit_denominator(1001)
    speed = section.speed
    windows = windows or camera_windows(crop, geo)
    rate = fps * Fraction(speed).limit_denominator(1000)
    frame_s = float(1 / rate)
    chain = [
        *([trim] if trim else []),
        # Frame rate first: later filters then work once per output frame only, and each
        # output frame gets its own planned window even when source frames repeat.
        f"fps={_rate(rate)}",
        *(display or []),
    ]
    if cmd_file.stat().st_size > 1:  # sendcmd refuses an empty script (a still camera)
        chain.append(f"sendcmd=f={escape_filter_value(str(cmd_file))}")
    lb_spans = letterbox_spans(crop)
    split_spans = letterbox_spans(crop, "split") if len(windows) > 1 else []
    camera = [f"crop@cam={windows[0].first()}:exact=1"]
    if abs(geo.crop_w / geo.crop_h - width / height) <= _ASPECT_TOLERANCE * width / height:
        camera.append(f"scale={width}:{height}")
    else:  # letterbox: keep the picture's shape
        camera += [
            f"scale={width}:{height}:force_original_aspect_ratio=decrease",
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:black",
        ]
    camera.append("setsar=1")
    branches = ["camin"] + (["lbin"] if lb_spans else []) + (["spin"] if split_spans else [])
    graph = ["[0:v:0]" + ",".join(chain + ([f"split={len(branches)}"] if len(branches) > 1
                                            else []))
             + "".join(f"[{b}]" for b in branches)]
    if geo.canvas_h > geo.src_h:  # some shot zooms out: cut its window from the canvas
        graph[0] = graph[0].replace("[camin]", "[cvin]", 1)
        graph.append(_canvas_branch(geo).replace("[cv]", "[camin]"))
    graph.append("[camin]" + ",".join(camera) + "[cam0]")
    last = "cam0"
    if lb_spans:
        lb_graph, enable = _letterbox_branch(width, height, lb_spans, frame_s)
        graph += [lb_graph, f"[{last}][lb]overlay=0:0:enable='{enable}'[cam1]"]
        last = "cam1"
    if split_spans:
        graph += [_split_branch(windows, width, height),
                  f"[{last}][sp]overlay=0:0:enable='{_enable(split_spans, frame_s)}'[cam2]"]
        last = "cam2"
    subs = _subtitle_filters(ass, fonts)
    if overlays:  # images go over the captions, under the watermark text
        graph.append(f"[{last}]" + (",".join(subs) or "null") + "[subs]")
        graph += overlay_graph(overlays, "subs", "ovl", frame_s)
        last, subs = "ovl", []
    graph.append(f"[{last}]" + ",".join(subs + _finish_chain(section, height, fps, speed))
                 + "[vpost]")
    graph += _effects(section.effects, width, height, fps, out_s, "vpost", "v")
    return ";".join(graph)


def _effects(effects: Effects, width: int, height: int, fps: Fraction, out_s: float,
             src: str, dst: str) -> list[str]:
    """Finishing effects on the Short's own timeline, from ``[src]`` to ``[dst]``.

    The progress bar is a solid strip ``overlay`` slides in (overlay evaluates its
    position every frame; drawbox would fix its size once), so it is full on the last
    frame; the fade goes to black over the last ``fade_out_s``.
    """
    sources, inputs, filters = [], f"[{src}]", []
    if effects.progress_bar and out_s > 0:
        px = max(2, round(effects.progress_bar_px * height / 1920))
        colour = effects.progress_bar_colour.lstrip("#")
        sources.append(f"color=c=0x{colour}:s={width}x{px}:r={_rate(fps)}[pbar]")
        inputs += "[pbar]"
        filters.append(f"overlay=x='-w+W*t/{out_s:.3f}':y=H-h:shortest=1")
    if effects.fade_out_s > 0 and out_s > 0:
        fade = min(effects.fade_out_s, out_s / 2)
        filters.append(f"fade=t=out:st={out_s - fade:.3f}:d={fade:.3f}")
    return [*sources, inputs + (",".join(filters) or "null") + f"[{dst}]"]


def _subtitle_filters(ass: Path, fonts: Path) -> list[str]:
    """libass burning the clip's script; none for an empty file (libass rejects it)."""
    if ass.stat().st_size == 0:
        return []
    return [f"ass=filename={escape_filter_value(str(ass))}"
            f":fontsdir={escape_filter_value(str(fonts))}"]


def _finish_chain(section: RenderSection, height: int, fps: Fraction, speed: float,
                  ) -> list[str]:
    """Watermark, retiming and pixel format, after captions and image overlays."""
    chain = _watermark(section, height)
    chain.append(f"setpts=(PTS-STARTPTS)/{speed}")
    if speed != 1.0:
        chain.append(f"fps={_rate(fps)}")  # declare the output rate after retiming
    chain.append("format=yuv420p")
    return chain


@dataclass(frozen=True, slots=True)
class Overlay:
    """An image over the output picture: ``input`` is its ffmpeg input index, ``x``/``y``
    filter expressions (``W``/``w``: frame/image width), shown from ``start_s`` to
    ``end_s`` (clip-relative source seconds; None: always); ``filters`` prepare the
    image first (scale, opacity)."""

    input: int
    x: str
    y: str
    start_s: float | None = None
    end_s: float | None = None
    filters: str = ""


def overlay_graph(overlays: list[Overlay], src: str, dst: str, frame_s: float) -> list[str]:
    """Filtergraph lines drawing ``overlays`` in turn over ``[src]``, ending at ``[dst]``.

    One ``overlay`` filter per image with an ``enable`` window: a disabled overlay
    passes frames through untouched, so ten timed emoji cost little outside their cues.
    """
    lines, last = [], src
    for k, ov in enumerate(overlays):
        image = f"[{ov.input}:v]"
        if ov.filters:
            lines.append(f"{image}{ov.filters}[ovi{k}]")
            image = f"[ovi{k}]"
        enable = ("" if ov.start_s is None or ov.end_s is None
                  else f":enable='{_enable([(ov.start_s, ov.end_s)], frame_s)}'")
        out = dst if k == len(overlays) - 1 else f"ov{k}"
        lines.append(f"[{last}]{image}overlay=x={ov.x}:y={ov.y}:eof_action=repeat{enable}"
                     f"[{out}]")
        last = out
    return lines


def emoji_overlays(accents: Accents, height: int, first_input: int, folder: Path,
                   ) -> tuple[list[Overlay], list[Path]]:
    """Each emoji row drawn once as a PNG in ``folder`` (Pilmoji, bundled Twemoji), and
    the overlays that show it above its cue; rows whose emoji have no artwork are
    skipped with a warning (the subtitles still read)."""
    overlays, files = [], []
    for row in accents.emoji:
        size = max(8, round(row.size * height))
        try:
            strip = emoji_strip(row.emoji, size)
        except ValueError as err:
            log.warning("emoji at %.2f s not drawn: %s", row.start_s, err)
            continue
        path = folder / f"emoji{len(files)}.png"
        strip.save(path)
        files.append(path)
        overlays.append(Overlay(first_input + len(files) - 1, "(W-w)/2",
                                f"{round(row.y * height)}-h/2", row.start_s, row.end_s))
    return overlays, files


def logo_overlay(mark: Watermark, width: int, height: int, input_index: int) -> Overlay:
    """The watermark image scaled to ``image_width`` of the frame, at its opacity, in
    the top band Shorts leaves free (``image_position``)."""
    w = max(2, round(mark.image_width * width) // 2 * 2)
    margin = round(0.04 * width)
    x = {"top-left": str(margin), "top": "(W-w)/2", "top-right": f"W-w-{margin}"}[
        mark.image_position]
    filters = f"format=rgba,scale={w}:-2,colorchannelmixer=aa={mark.opacity:.3f}"
    return Overlay(input_index, x, str(round(0.04 * height)), filters=filters)


def punch_in(window: Window, moments: list[Moment], effects: Effects, fps: float,
             blocked: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Zoom ``window`` in by ``punch_in_zoom`` around its centre for ``punch_in_s`` at
    the strongest moments (at most ``max_punch_ins``, 4 s apart, none in ``blocked``
    spans: letterboxed or split shots, where the camera window is not what is shown).

    Why in the crop window: the zoom is a smaller window scaled to the same output, so
    it costs nothing (no extra filter) and stays sharp. Returns the spans zoomed.
    """
    chosen: list[tuple[float, float]] = []
    n = len(window.x)
    for m in moments:  # strongest first
        if len(chosen) >= effects.max_punch_ins:
            break
        span = (m.t_s, m.t_s + effects.punch_in_s)
        if (span[1] * fps > n or any(abs(m.t_s - a) < _PUNCH_GAP_S for a, _ in chosen)
                or any(a < span[1] and span[0] < b for a, b in blocked)):
            continue
        chosen.append(span)
    scale = 1 / (1 + effects.punch_in_zoom)
    for a, b in chosen:
        for i in range(round(a * fps), min(n, round(b * fps))):
            w = max(2, round(window.w[i] * scale) // 2 * 2)
            h = max(2, round(window.h[i] * scale) // 2 * 2)
            window.x[i] += (window.w[i] - w) // 2
            window.y[i] += (window.h[i] - h) // 2
            window.w[i], window.h[i] = w, h
    return sorted(chosen)


_PUNCH_GAP_S = 4.0  # punch-ins closer than this read as a shaking camera


def _rate(r: Fraction) -> str:
    return str(r.numerator) if r.denominator == 1 else f"{r.numerator}/{r.denominator}"


def _watermark(section: RenderSection, height: int) -> list[str]:
    mark = section.watermark
    text = mark.text.strip()
    if not text:
        return []
    font = _watermark_font()
    opacity = mark.opacity
    opts = [
        f"text={escape_filter_value(text)}",
        "expansion=none",
        f"fontsize={mark.font_size}",
        f"fontcolor=white@{opacity:.2f}",
        f"bordercolor=black@{opacity * 0.6:.2f}",
        "borderw=2",
        "x=(w-text_w)/2",
        # Near the top: the bottom and right edges are covered by the Shorts player UI.
        f"y={round(height * 0.06)}",
    ]
    if font is not None:
        opts.insert(0, f"fontfile={escape_filter_value(str(font))}")
    return ["drawtext=" + ":".join(opts)]


def _audio_pre(speed: float) -> str:
    parts = []
    if speed != 1.0:
        parts.append(f"atempo={speed}")
    # Stereo before measuring: BS.1770 sums channels, so measure what gets encoded.
    parts.append("aformat=channel_layouts=stereo")
    return ",".join(parts)


def _codec_args(section: RenderSection) -> list[str]:
    if section.codec == "h264_nvenc":
        return ["-c:v", "h264_nvenc", "-preset", "p5", "-rc", "vbr", "-cq", str(section.crf),
                "-b:v", "0"]
    return ["-c:v", "libx264", "-preset", section.preset, "-crf", str(section.crf)]


def _audio_args(section: RenderSection) -> list[str]:
    return ["-c:a", "aac", "-b:a", section.audio_bitrate, "-ac", "2"]


# Output options of every file the render writes: no source metadata, index up front.
_MUX_ARGS = ("-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart",
             "-f", "mp4")


@dataclass(slots=True)
class _AudioPlan:
    """How the Short's audio is made: ``mode`` is :func:`loudness_filter`'s, or ``none``
    (the source has no audio stream: a silent track, no loudness passes)."""

    pre: str
    loud: str
    mode: str
    expected_db: float
    treatment: PeakCorrection = field(default_factory=PeakCorrection)


def _plan_audio(source: Path, has_audio: bool, start: float, duration: float,
                section: RenderSection, stream: int, margin: float) -> _AudioPlan:
    """Measure the clip's loudness (pass one) and choose the loudness filter. ``pre``
    starts with the exact trim of the clip, ``margin`` after the input seek (see
    :func:`clip_input`)."""
    pre = f"{clip_trims(margin, duration)[1]},{_audio_pre(section.speed)}"
    target_i, target_tp = section.loudness_lufs, section.true_peak_db
    if not has_audio:
        log.info("%s: no audio stream; the Short gets a silent track", source)
        return _AudioPlan(pre, "", "none", -math.inf)
    stats = analyse_loudness(source, start_s=start - margin, duration_s=duration + margin,
                             pre_filters=pre, target_i=target_i, target_tp=target_tp,
                             stream=stream)
    loud, mode = loudness_filter(stats, target_i, target_tp)
    if mode == "dynamic":
        log.warning("%s: peaks too high for a linear gain to %.1f LUFS; loudnorm runs in "
                    "dynamic mode and may miss the target", source, target_i)
    treatment = (PeakCorrection(ceiling_db=target_tp - _DYNAMIC_HEADROOM_DB)
                 if mode == "dynamic" else PeakCorrection())
    return _AudioPlan(pre, loud, mode, expected_peak_db(stats, mode, target_i, target_tp),
                      treatment)


def render_short(
    source: str | Path, crop: CropPath, subtitles_ass: Path, section: RenderSection,
    out: Path, *, progress: bool = True, peak_rounds: int = _TP_ROUNDS, audio_stream: int = 0,
    hook_text: str = "", accents: Accents | None = None,
) -> None:
    """Render one Short in a single ffmpeg run (after a quick audio measurement pass).

    After the encode, the file's true peak is measured as a player decodes it; where it
    is above ``section.true_peak_db``, the audio alone is made again with more
    treatment (:func:`next_correction`) and remuxed with the picture copied, at most
    ``peak_rounds`` times.

    Args:
        source: the episode video (one without an audio stream gets a silent track).
        crop: the camera plan in display pixels; ``start_s``/``end_s`` bound the clip.
        subtitles_ass: ASS script on the clip's source timeline (empty is fine).
        section: the recipe's ``render`` section.
        out: the ``.mp4`` to write; written to a temporary sibling and renamed, so a
            failed or killed render never leaves a file that looks finished.
        progress: show a tqdm bar on stderr.
        peak_rounds: true-peak correction rounds at most (0: measure and report only).
        hook_text: the banner over the opening (the clip's title; "" for none), drawn
            as ``section.hook`` says (:func:`shortfactory.clips.subtitles.add_hook`).
        audio_stream: the source's audio stream (``0:a:N``) the ASR heard, so a
            dual-audio release's Short speaks the language its subtitles were made from.
        accents: the subtitles' emoji rows (drawn as images over their cues) and
            punch-in moments (used when ``section.effects.punch_in``).

    Raises:
        InputError: one line naming the source (or subtitle file) and the reason, or the
            ``render.<key>`` of the recipe where the encoder rejected its value.
    """
    source, out, subtitles_ass = Path(source), Path(out), Path(subtitles_ass)
    info = probe(source)
    if not subtitles_ass.is_file():
        raise InputError(f"{subtitles_ass}: subtitle file not found")
    script = add_hook(subtitles_ass.read_text(encoding="utf-8"), hook_text, section.hook,
                      speed=section.speed)
    missing = missing_glyphs(ass_text_runs(script))
    if missing:
        raise InputError(f"{subtitles_ass}: no glyph for {', '.join(missing[:4])}: it would "
                         "render as a box; set subtitles.font (or cjk_font, or "
                         "render.hook's) to a font with it")
    start = max(0.0, crop.start_s)
    duration = min(crop.end_s, info.duration_s) - start
    if duration <= 0:
        raise InputError(
            f"{source}: clip {crop.start_s:.2f}-{crop.end_s:.2f} s lies outside the source "
            f"({info.duration_s:.2f} s)"
        )
    out_s = duration / section.speed
    clip_in, margin = clip_input(source, start, duration, info.container)
    audio = _plan_audio(source, info.audio_codec is not None, start, duration, section,
                        audio_stream, margin)
    geo = _geometry(crop, info.width, info.height)
    windows = camera_windows(crop, geo)
    accents = accents or Accents(clip=crop.clip_id)
    if section.effects.punch_in:
        blocked = letterbox_spans(crop) + letterbox_spans(crop, "split")
        spans = punch_in(windows[0], accents.moments, section.effects, crop.fps, blocked)
        log.info("punch-in at %s", ", ".join(f"{a:.2f} s" for a, _ in spans) or "no moment")
    with tempfile.TemporaryDirectory(prefix="shortfactory-render-") as tmp_name:
        tmp = Path(tmp_name)
        cmd_file = tmp / "crop.cmd"
        cmd_file.write_text(window_commands(windows, crop.fps), encoding="utf-8")
        ass = tmp / "subtitles.ass"
        split_spans = letterbox_spans(crop, "split")
        ass.write_text(subtitles_at_seam(script, split_spans) if split_spans else script,
                       encoding="utf-8")
        first_image = 2 if audio.mode == "none" else 1  # after the source (and silence)
        overlays, images = emoji_overlays(accents, section.height, first_image, tmp)
        if section.watermark.image:
            images.append(Path(section.watermark.image))
            overlays.append(logo_overlay(section.watermark, section.width, section.height,
                                         first_image + len(images) - 1))
        vchain = _video_chain(geo, crop, section, cmd_file=cmd_file, ass=ass,
                              fonts=_fonts_dir(tmp), windows=windows,
                              display=display_filters(info.sar, info.width, info.height),
                              trim=clip_trims(margin, duration)[0], out_s=out_s,
                              overlays=overlays)
        image_in = [a for path in images for a in ("-i", str(path))]
        if audio.mode == "none":
            audio_in = ["-f", "lavfi", "-t", f"{out_s:.3f}", "-i", silent_track()]
            graph, audio_map = vchain, "1:a:0"
        else:
            audio_in = []
            chain = audio_chain(audio.pre, audio.loud, out_s, audio.treatment)
            graph = f"{vchain};[0:a:{audio_stream}]{chain}[a]"
            audio_map = "[a]"
        with atomic_path(out) as tmp_out:
            args = [*clip_in, *audio_in, *image_in, "-filter_complex", graph, "-map", "[v]",
                    "-map", audio_map, *_codec_args(section), "-pix_fmt", "yuv420p",
                    *_audio_args(section), *_MUX_ARGS, str(tmp_out)]
            stderr = _run_render(args, out_s, source=source, show=progress, section=section)
            if audio.mode in ("linear", "dynamic"):
                _check_second_pass(stderr, audio.mode, source)
            if audio.mode != "none":
                _hold_true_peak(tmp_out, clip_in, audio, out_s, section, source=source,
                                rounds=peak_rounds, stream=audio_stream)


def _hold_true_peak(path: Path, clip_in: list[str], audio: _AudioPlan, out_s: float,
                    section: RenderSection, *, source: Path, rounds: int, stream: int = 0,
                    ) -> tuple[float, float]:
    """Measure the encoded file's true peak and, while it is above the ceiling, make the
    audio again from the source with more treatment; log one line.

    The picture is copied, never re-encoded; the audio is made from the source (not
    from the file's AAC), so a correction costs no second generation of coding loss.
    Each remux is atomic onto ``path``. Returns the final (LUFS, dBTP).
    """
    target_tp = section.true_peak_db
    loudness, peak = measure_output_audio(path)
    first, correction, done = peak, audio.treatment, 0
    while peak > target_tp and done < rounds:
        done += 1
        correction = next_correction(correction, peak, target_tp, audio.expected_db, done,
                                     rounds)
        chain = audio_chain(audio.pre, audio.loud, out_s, correction)
        with atomic_path(path) as fixed:
            args = ["-i", str(path), *clip_in, "-filter_complex", f"[1:a:{stream}]{chain}[a]",
                    "-map", "0:v:0", "-map", "[a]", "-c:v", "copy", *_audio_args(section),
                    *_MUX_ARGS, str(fixed)]
            _run_render(args, out_s, source=source, show=False, section=section)
        loudness, peak = measure_output_audio(path)
    if done == 0:
        log.info("%s: true peak %.1f dBTP, loudness %.1f LUFS after encoding", source, peak,
                 loudness)
    else:
        level = logging.INFO if peak <= target_tp else logging.WARNING
        log.log(level, "%s: true peak %.1f dBTP after encoding, over the %.1f dBTP ceiling; "
                "%d correction round(s) (limiter %s dBFS, gain %+.1f dB): %.1f dBTP, %.1f LUFS",
                source, first, target_tp, done,
                "none" if correction.ceiling_db is None else f"{correction.ceiling_db:.1f}",
                correction.trim_db, peak, loudness)
    return loudness, peak


# Which recipe key an encoder's complaint is about: (key, pattern on the error line).
_RECIPE_CAUSES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("preset", re.compile(r"^libx264: .*preset|invalid preset", re.IGNORECASE)),
    ("audio_bitrate", re.compile(r"^aac: .*(\"b\" option|option b |parameter 'b')")),
    ("codec", re.compile(r"^h264_nvenc: |nvenc|libcuda|CUDA", re.IGNORECASE)),
    ("width", re.compile(r"width not divisible by 2")),
    ("height", re.compile(r"height not divisible by 2")),
    ("watermark", re.compile(r"^Parsed_drawtext")),
)


def recipe_error(stderr: str, section: RenderSection) -> str | None:
    """The one-line message for a render that failed because of a recipe value, or None.

    Why: an encoder that rejects ``render.preset: superfastx`` fails the same way on
    every clip of every episode; naming the video would send the user looking at the
    wrong file. The first error line that a known pattern ties to a key wins.
    """
    for line in _error_lines(stderr):
        for key, pattern in _RECIPE_CAUSES:
            if pattern.search(line):
                value = section.watermark.text if key == "watermark" else getattr(section, key)
                return f"render.{key}: {value!r} was rejected by ffmpeg ({line})"
    return None


def _run_render(args: list[str], total_s: float, *, source: Path, show: bool,
                section: RenderSection) -> str:
    """:func:`_run_with_progress`, with failures caused by a recipe value reported as
    ``render.<key>: ...`` (:func:`recipe_error`) instead of against the source."""
    logs: list[str] = []

    def explain(text: str) -> str:
        logs.append(text)
        return _ffmpeg_error(text)

    try:
        return _run_with_progress(args, total_s, source=source, show=show, explain=explain)
    except InputError:
        message = recipe_error(logs[-1], section) if logs else None
        if message is None:
            raise
        raise InputError(message) from None


def _run_with_progress(args: list[str], total_s: float, *, source: Path, show: bool,
                       explain: Callable[[str], str] | None = None) -> str:
    """Run the render's ffmpeg with a progress bar; return its ``level+info`` log (the
    loudnorm second pass reports there)."""
    return run_ffmpeg_progress(
        args, what="render", source=source, total_s=total_s, show=show,
        desc=f"render {source.name}"[:40], loglevel="level+info",
        explain=explain or _ffmpeg_error,
        bar_options={"leave": False, "bar_format": "{desc}: {percentage:3.0f}%|{bar}| "
                     "{n:.1f}/{total:.1f} s [{elapsed}<{remaining}]"})


_ERROR_LINE = re.compile(r"(?:\[([^\]]+?)(?: @ 0x[0-9a-f]+)?\] )?\[(?:error|fatal)\] (.*)")


def _error_lines(stderr: str) -> list[str]:
    """ffmpeg's ``[error]``/``[fatal]`` lines as ``context: message`` (or ``message``)."""
    found = []
    for ln in stderr.splitlines():
        m = _ERROR_LINE.match(ln.strip())
        if m:
            found.append(f"{m.group(1)}: {m.group(2)}" if m.group(1) else m.group(2))
    return found


def _ffmpeg_error(stderr: str) -> str:
    """The root cause from ffmpeg's log: its first ``[error]``/``[fatal]`` line.

    Why the first: later error lines are consequences ("Error initializing filters",
    "Error opening output files"). Logs are written with ``-loglevel level+info``.
    """
    errors = _error_lines(stderr)
    if errors:
        return errors[0]
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else "ffmpeg failed"


def _check_second_pass(stderr: str, expected: str, source: Path) -> None:
    """Log which mode loudnorm really ran in (it may silently leave linear mode)."""
    try:
        data = _loudnorm_json(stderr)
    except (ValueError, json.JSONDecodeError):
        return
    mode = str(data.get("normalization_type", "")).lower()
    if expected == "linear" and mode != "linear":
        log.warning("%s: loudnorm left linear mode (%s); loudness may miss the target",
                    source, mode or "unknown")
    else:
        # loudnorm's own output_i is not reliable in linear mode (it read -14.8 for a
        # result that measures -14.0); measure the file for the truth.
        log.info("%s: loudnorm %s", source, mode)


__all__ = [
    "LoudnessStats", "PeakCorrection", "Window", "analyse_loudness", "audio_chain",
    "camera_windows", "display_filters", "edge_fades", "escape_filter_value",
    "expected_peak_db", "font_files", "letterbox_spans", "loudness_filter",
    "measure_loudness", "measure_output_audio", "next_correction", "parse_ebur128_summary",
    "recipe_error", "render_short", "silent_track", "subtitles_at_seam", "window_commands",
]
