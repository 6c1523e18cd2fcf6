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

Timelines: ``crop.x[i]`` / ``crop.y[i]`` belong to clip-relative source time
``i / crop.fps`` and the ASS is on the clip's source timeline too; both are applied
before the speed change, so they stay in step with the picture at any speed.
"""

from __future__ import annotations

import json
import logging
import math
import re
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .artifacts import CropPath
from .errors import InputError
from .io import atomic_path
from .media import ffmpeg_exe, probe, run_ffmpeg_progress
from .subtitles import ass_seconds

log = logging.getLogger(__name__)

# Where fonts usually live; the first DejaVu found is the fallback for libass and drawtext.
_DEJAVU_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)
_SILENT_LUFS = -60.0  # below this a clip is treated as silent: no gain is applied
_ASPECT_TOLERANCE = 0.02  # crop aspect within 2 % of the output: stretch, else pad


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


def font_files() -> list[Path]:
    """Fonts to hand libass: the bundled Montserrat plus DejaVu where one is found.

    Why: a bare machine may have no fonts at all; libass then cannot draw anything.
    Montserrat ships in a wheel (``fontpkg-montserrat``); DejaVu is the system fallback.
    Note: libass names the variable Montserrat by its default instance, "Montserrat
    Thin"; a recipe asking for "Montserrat" falls back to another family.
    """
    files: list[Path] = []
    try:
        import fontpkg_montserrat

        files += sorted((Path(fontpkg_montserrat.ROOT) / "files").glob("*.ttf"))
    except ImportError:  # pragma: no cover - a declared dependency
        pass
    for d in _DEJAVU_DIRS:
        found = sorted(Path(d).glob("DejaVuSans*.ttf")) if Path(d).is_dir() else []
        if found:
            files += found
            break
    return files


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
) -> LoudnessStats:
    """Measure a span of ``source``'s first audio stream with ``loudnorm`` (pass one).

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
    args += ["-i", str(source), "-map", "0:a:0", "-vn", "-af", chain, "-f", "null", "-"]
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


_DIALOGUE = re.compile(r"^Dialogue: [^,]*,([^,]+),([^,]+),")
_POS = re.compile(r"\\pos\((-?[\d.]+),(-?[\d.]+)\)")


def subtitles_at_seam(ass_text: str, spans: list[tuple[float, float]]) -> str:
    """The ASS script with every event shown mostly during ``spans`` (split shots)
    centred on the seam between the two panels.

    Why: the recipe's ``position_y`` (about 0.7 of the height) lands on the lower
    panel's face; the seam is where both faces leave room. Events elsewhere keep their
    place; an event is moved when its middle lies in a span. Positions are in the
    script's own ``PlayResY`` coordinates, whatever the output size.
    """
    play_res = re.search(r"^PlayResY:\s*(\d+)", ass_text, re.MULTILINE)
    if not spans or play_res is None:
        return ass_text
    seam = int(play_res.group(1)) // 2
    out = []
    for line in ass_text.splitlines():
        m = _DIALOGUE.match(line)
        if m:
            middle = (ass_seconds(m.group(1)) + ass_seconds(m.group(2))) / 2
            if any(a <= middle < b for a, b in spans):
                line = _POS.sub(lambda pm: f"\\pos({pm.group(1)},{seam})", line,
                                count=1)
        out.append(line)
    return "\n".join(out) + ("\n" if ass_text.endswith("\n") else "")


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
    ``canvas_h`` tall, over a blurred, zoomed copy of itself (the bands a zoomed-out
    window shows above and below the picture). Blurred at a quarter size: cheap."""
    w, h = geo.src_w, geo.canvas_h
    bw, bh = max(2, w // 4 // 2 * 2), max(2, h // 4 // 2 * 2)
    radius = max(1, min(bw, bh) // 12)
    return (
        "[cvin]split=2[cvbg][cvfg];"
        f"[cvbg]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},"
        f"boxblur={radius}:2,scale={w}:{h},setsar=1[cvblur];"
        f"[cvblur][cvfg]overlay=0:{geo.pad_top}[cv]"
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
    geo: _Geometry, crop: CropPath, params: dict, *, cmd_file: Path, ass: Path, fonts: Path,
    windows: list[Window] | None = None,
) -> str:
    """The video part of the filtergraph, from ``[0:v:0]`` to ``[v]``.

    The camera's window (``crop@cam``, cut from the canvas where some shot zooms out)
    is made every frame; letterboxed and split shots are further pictures made every
    frame too, which ``overlay`` shows inside those shots only (a per-shot switch
    without re-running ffmpeg).
    """
    width, height = int(params["width"]), int(params["height"])
    fps = Fraction(str(params["fps"])).limit_denominator(1001)
    speed = float(params.get("speed", 1.0))
    windows = windows or camera_windows(crop, geo)
    rate = fps * Fraction(speed).limit_denominator(1000)
    frame_s = float(1 / rate)
    chain = [
        # Frame rate first: later filters then work once per output frame only, and each
        # output frame gets its own planned window even when source frames repeat.
        f"fps={_rate(rate)}",
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
    post = _post_chain(params, height, fps, speed, ass=ass, fonts=fonts)
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
    graph.append(f"[{last}]" + ",".join(post) + "[v]")
    return ";".join(graph)


def _post_chain(params: dict, height: int, fps: Fraction, speed: float, *, ass: Path,
                fonts: Path) -> list[str]:
    """Subtitles, watermark, retiming and pixel format, after the picture is framed."""
    chain: list[str] = []
    if ass.stat().st_size > 0:  # an empty file means "no subtitles"; libass rejects it
        chain.append(
            f"ass=filename={escape_filter_value(str(ass))}:fontsdir={escape_filter_value(str(fonts))}"
        )
    chain += _watermark(params, height)
    chain.append(f"setpts=(PTS-STARTPTS)/{speed}")
    if speed != 1.0:
        chain.append(f"fps={_rate(fps)}")  # declare the output rate after retiming
    chain.append("format=yuv420p")
    return chain


def _rate(r: Fraction) -> str:
    return str(r.numerator) if r.denominator == 1 else f"{r.numerator}/{r.denominator}"


def _watermark(params: dict, height: int) -> list[str]:
    mark = params.get("watermark") or {}
    text = str(mark.get("text") or "").strip()
    if not text:
        return []
    font = _watermark_font()
    opacity = float(mark.get("opacity", 0.6))
    opts = [
        f"text={escape_filter_value(text)}",
        "expansion=none",
        f"fontsize={int(mark.get('font_size', 40))}",
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


def _codec_args(params: dict) -> list[str]:
    if params["codec"] == "h264_nvenc":
        return ["-c:v", "h264_nvenc", "-preset", "p5", "-rc", "vbr", "-cq", str(params["crf"]),
                "-b:v", "0"]
    return ["-c:v", "libx264", "-preset", str(params["preset"]), "-crf", str(params["crf"])]


def render_short(
    source: str | Path, crop: CropPath, subtitles_ass: Path, params: dict, out: Path,
    *, progress: bool = True,
) -> None:
    """Render one Short in a single ffmpeg run (after a quick audio measurement pass).

    Args:
        source: the episode video.
        crop: the camera plan; ``start_s``/``end_s`` bound the clip.
        subtitles_ass: ASS script on the clip's source timeline (empty is fine).
        params: the recipe's ``render`` section as a plain dict.
        out: the ``.mp4`` to write; written to a temporary sibling and renamed, so a
            failed or killed render never leaves a file that looks finished.
        progress: show a tqdm bar on stderr.

    Raises:
        InputError: one line naming the source (or subtitle file) and the reason.
    """
    source, out, subtitles_ass = Path(source), Path(out), Path(subtitles_ass)
    info = probe(source)
    if not subtitles_ass.is_file():
        raise InputError(f"{subtitles_ass}: subtitle file not found")
    start = max(0.0, crop.start_s)
    duration = min(crop.end_s, info.duration_s) - start
    if duration <= 0:
        raise InputError(
            f"{source}: clip {crop.start_s:.2f}-{crop.end_s:.2f} s lies outside the source "
            f"({info.duration_s:.2f} s)"
        )
    speed = float(params.get("speed", 1.0))
    target_i, target_tp = float(params["loudness_lufs"]), float(params["true_peak_db"])
    pre = _audio_pre(speed)
    stats = analyse_loudness(source, start_s=start, duration_s=duration, pre_filters=pre,
                             target_i=target_i, target_tp=target_tp)
    loud, mode = loudness_filter(stats, target_i, target_tp)
    if mode == "dynamic":
        log.warning("%s: peaks too high for a linear gain to %.1f LUFS; loudnorm runs in "
                    "dynamic mode and may miss the target", source, target_i)
    geo = _geometry(crop, info.width, info.height)
    windows = camera_windows(crop, geo)
    with tempfile.TemporaryDirectory(prefix="shortfactory-render-") as tmp_name:
        tmp = Path(tmp_name)
        cmd_file = tmp / "crop.cmd"
        cmd_file.write_text(window_commands(windows, crop.fps), encoding="utf-8")
        ass = subtitles_ass.resolve()
        split_spans = letterbox_spans(crop, "split")
        if split_spans:
            ass = tmp / "subtitles.ass"
            ass.write_text(subtitles_at_seam(subtitles_ass.read_text(encoding="utf-8"),
                                             split_spans), encoding="utf-8")
        vchain = _video_chain(geo, crop, params, cmd_file=cmd_file, ass=ass,
                              fonts=_fonts_dir(tmp), windows=windows)
        achain = ",".join(f for f in (pre, loud, "aresample=48000") if f)
        graph = f"{vchain};[0:a:0]{achain}[a]"
        with atomic_path(out) as tmp_out:
            args = [
                "-ss", f"{start:.3f}", "-t", f"{duration:.3f}", "-i", str(source),
                "-filter_complex", graph, "-map", "[v]", "-map", "[a]",
                *_codec_args(params), "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", str(params["audio_bitrate"]), "-ac", "2",
                "-map_metadata", "-1", "-map_chapters", "-1",
                "-movflags", "+faststart", "-f", "mp4", str(tmp_out),
            ]
            stderr = _run_with_progress(args, duration / speed, source=source, show=progress)
        if mode in ("linear", "dynamic"):
            _check_second_pass(stderr, mode, source)


def _run_with_progress(args: list[str], total_s: float, *, source: Path, show: bool) -> str:
    """Run the render's ffmpeg with a progress bar; return its ``level+info`` log (the
    loudnorm second pass reports there)."""
    return run_ffmpeg_progress(
        args, what="render", source=source, total_s=total_s, show=show,
        desc=f"render {source.name}"[:40], loglevel="level+info", explain=_ffmpeg_error,
        bar_options={"leave": False, "bar_format": "{desc}: {percentage:3.0f}%|{bar}| "
                     "{n:.1f}/{total:.1f} s [{elapsed}<{remaining}]"})


def _ffmpeg_error(stderr: str) -> str:
    """The root cause from ffmpeg's log: its first ``[error]``/``[fatal]`` line.

    Why the first: later error lines are consequences ("Error initializing filters",
    "Error opening output files"). Logs are written with ``-loglevel level+info``.
    """
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in lines:
        m = re.match(r"(?:\[([^\]]+?)(?: @ 0x[0-9a-f]+)?\] )?\[(?:error|fatal)\] (.*)", ln)
        if m:
            return f"{m.group(1)}: {m.group(2)}" if m.group(1) else m.group(2)
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
    "LoudnessStats", "Window", "analyse_loudness", "camera_windows", "escape_filter_value",
    "font_files", "letterbox_spans", "loudness_filter", "measure_loudness", "render_short",
    "subtitles_at_seam", "window_commands",
]
