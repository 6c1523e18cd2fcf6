"""The render on real media: a 6 s lavfi source, a panning crop path, burned subtitles;
and on the shared real media (``../shared/media``): a loud, clipped battle-like mix
whose true peak must hold after AAC, a film clip without audio, and its rotated and
anamorphic twins, which must render like their upright, square-pixel twins.

The outputs are decoded with PyAV and checked for what a viewer would notice: size,
codecs, duration, visible subtitles, a camera that really pans, loudness and peaks.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_media
from PIL import Image

from shortfactory.clips.render import (
    LoudnessStats,
    PeakCorrection,
    _ffmpeg_error,
    _geometry,
    audio_chain,
    camera_windows,
    display_filters,
    edge_fades,
    escape_filter_value,
    expected_peak_db,
    letterbox_spans,
    loudness_filter,
    measure_loudness,
    measure_output_audio,
    next_correction,
    parse_ebur128_summary,
    recipe_error,
    render_short,
    subtitles_at_seam,
    window_commands,
)
from shortfactory.clips.subtitles import build_cues, to_ass
from shortfactory.core.artifacts import CameraShot, CropPath, Segment, Transcript, Word
from shortfactory.core.errors import InputError
from shortfactory.core.media import ffmpeg_exe, probe
from shortfactory.core.recipe import RenderSection, SubtitleSection, Watermark

av = pytest.importorskip("av")

SRC_W, SRC_H, SECONDS, FPS = 1920, 1080, 6.0, 30
CROP_W = 608
# Quiet, with a step up at 3 s: loudness range > 0, so the linear loudnorm path is used.
AUDIO = "aevalsrc=0.05*sin(2*PI*440*t)*(1+gt(t\\,3)):s=48000:d=6"
WEIRD = "we'ird: [dir], ü"  # quotes, colon, brackets, comma, space, non-ASCII


def make_source(path: Path) -> Path:
    args = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc2=size={SRC_W}x{SRC_H}:rate=24:duration={SECONDS}",
            "-f", "lavfi", "-i", AUDIO,
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "192k", str(path)]
    subprocess.run(args, check=True)
    return path


def panning_crop(start: float = 0.0, end: float = SECONDS) -> CropPath:
    n = round((end - start) * FPS)
    max_x = SRC_W - CROP_W
    return CropPath(clip_id="c0000-0006", start_s=start, end_s=end, fps=FPS,
                    source_width=SRC_W, source_height=SRC_H, crop_width=CROP_W,
                    crop_height=SRC_H, x=[max_x * i / (n - 1) for i in range(n)], y=[0.0] * n)


def subtitle_ass(path: Path, *, with_cue: bool) -> Path:
    words = [Word(word=" HELLO", start=0.5, end=2.0), Word(word=" SHORTS", start=2.1, end=3.8)]
    tr = Transcript(language="en", duration_s=SECONDS, model="test",
                    segments=[Segment(id=0, start=0.5, end=3.8, text="HELLO SHORTS",
                                      words=words)])
    params = SubtitleSection(karaoke=False)
    cues = build_cues(tr, 0.0, SECONDS, params) if with_cue else []
    assert len(cues) == (1 if with_cue else 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_ass(cues, params), encoding="utf-8")
    return path


def render_params(**kw) -> RenderSection:
    return RenderSection(watermark=Watermark(text="@shortfactory"), **kw)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("render")


@pytest.fixture(scope="module")
def source(work: Path) -> Path:
    return make_source(work / "source.mp4")


@pytest.fixture(scope="module")
def rendered(work: Path, source: Path) -> dict[str, Path]:
    """Two renders that differ only in the subtitles; the first uses awkward paths."""
    handler = _Capture()
    logger = logging.getLogger("shortfactory.clips.render")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        subs = work / WEIRD / "sub s'1.ass"
        out = work / WEIRD / "out, 1.mp4"
        render_short(source, panning_crop(), subtitle_ass(subs, with_cue=True), render_params(),
                     out, progress=False)
        bare = work / "bare.mp4"
        render_short(source, panning_crop(), subtitle_ass(work / "none.ass", with_cue=False),
                     render_params(), bare, progress=False)
    finally:
        logger.removeHandler(handler)
    return {"subs": out, "bare": bare, "log": "\n".join(handler.messages)}


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def frames(path: Path, indices: set[int]) -> dict[int, np.ndarray]:
    out = {}
    with av.open(str(path)) as c:
        for k, frame in enumerate(c.decode(video=0)):
            if k in indices:
                out[k] = frame.to_ndarray(format="rgb24")
            if len(out) == len(indices):
                break
    return out


def expected_view(src_frame: np.ndarray, x: float) -> np.ndarray:
    region = src_frame[:, round(x) : round(x) + CROP_W]
    return np.asarray(Image.fromarray(region).resize((1080, 1920), Image.BICUBIC))


def small(img: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(img).resize((135, 240), Image.BOX), dtype=np.float32)


# --- the real render -----------------------------------------------------------------


def test_output_format(rendered):
    out = rendered["subs"]
    assert out.exists() and not list(out.parent.glob(".out*"))  # temp file renamed away
    with av.open(str(out)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert (v.codec_context.width, v.codec_context.height) == (1080, 1920)
        assert v.codec_context.name == "h264" and v.codec_context.pix_fmt == "yuv420p"
        assert a.codec_context.name == "aac" and a.codec_context.sample_rate == 48000
        assert float(v.average_rate) == pytest.approx(30)
        assert c.duration / 1e6 == pytest.approx(SECONDS, abs=0.1)
        assert abs(sum(1 for _ in c.decode(video=0)) - SECONDS * FPS) <= 1
    head = out.read_bytes()[:1 << 20]
    assert 0 <= head.find(b"moov") < head.find(b"mdat")  # +faststart


def test_subtitles_are_burned_in(rendered):
    with_subs = frames(rendered["subs"], {60})[60].astype(np.int16)
    without = frames(rendered["bare"], {60})[60].astype(np.int16)
    centre = round(SubtitleSection().position_y * 1920)
    band = slice(centre - 120, centre + 120)
    diff_band = np.abs(with_subs[band] - without[band]).mean()
    diff_rest = np.abs(with_subs[:band.start] - without[:band.start]).mean()
    assert diff_band > 10 and diff_rest < 2, (diff_band, diff_rest)
    white = lambda img: int((img[band] > 225).all(axis=2).sum())  # noqa: E731
    assert white(with_subs) > white(without) + 5000  # white text with a black outline


def test_crop_follows_the_path(rendered, source):
    crop = panning_crop()
    last = len(crop.x) - 1
    out = frames(rendered["bare"], {0, 150, last})
    # Output frame k (30 fps) shows source frame round(k * 24 / 30) through window x[k];
    # frame 150 (t = 5.0 s) is an exact match of both clocks.
    src = frames(source, {0, 120, round(last * 24 / 30)})
    rows = slice(300, 1150)  # clear of the watermark and the subtitles
    for k_out, k_src, k_wrong in ((0, 0, last), (150, 120, 0), (last, round(last * 0.8), 0)):
        got = small(out[k_out][rows])
        right = small(expected_view(src[k_src], crop.x[k_out])[rows])
        wrong = small(expected_view(src[k_src], crop.x[k_wrong])[rows])
        err_right, err_wrong = np.abs(got - right).mean(), np.abs(got - wrong).mean()
        assert err_right < 6 and err_wrong > 5 * err_right, (k_out, err_right, err_wrong)


def test_watermark_is_drawn(rendered, source):
    out = frames(rendered["bare"], {0})[0].astype(np.int16)
    src = expected_view(frames(source, {0})[0], 0).astype(np.int16)
    top = slice(round(1920 * 0.06), round(1920 * 0.06) + 40)
    assert np.abs(out[top] - src[top]).mean() > 5


def test_loudness_is_normalised_linearly(rendered, source):
    assert measure_loudness(source) < -22  # the source is far from the target
    for out in (rendered["subs"], rendered["bare"]):
        assert measure_loudness(out) == pytest.approx(-14.0, abs=1.0)
    assert "loudnorm linear" in rendered["log"]


def test_speed_factor(work, source):
    out = work / "fast.mp4"
    params = render_params(speed=2.0)
    render_short(source, panning_crop(1.0, 5.0), subtitle_ass(work / "s2.ass", with_cue=True),
                 params, out, progress=False)
    with av.open(str(out)) as c:
        assert c.duration / 1e6 == pytest.approx(2.0, abs=0.1)
        assert float(c.streams.video[0].average_rate) == pytest.approx(30)
        assert abs(sum(1 for _ in c.decode(video=0)) - 2.0 * FPS) <= 1


def test_still_camera_and_no_subtitles(work, source):
    """A constant crop path (empty sendcmd script) and an empty ASS file still render."""
    crop = panning_crop(1.0, 3.0)
    crop.x = [500.0] * len(crop.x)
    empty = work / "empty.ass"
    empty.write_text("")
    out = work / "still.mp4"
    render_short(source, crop, empty, render_params(), out, progress=False)
    first, later = (small(f) for f in frames(out, {0, 59}).values())
    with av.open(str(out)) as c:
        assert c.duration / 1e6 == pytest.approx(2.0, abs=0.1)
    assert np.abs(first - later).mean() < 40  # same window: only testsrc2's motion differs


def test_letterbox_shots_show_the_whole_frame(work, source):
    """A shot the camera letterboxed shows the whole source, fitted to the width, over a
    blurred copy; the other shots keep following the crop path."""
    crop = panning_crop(1.0, 4.0)
    crop.x = [300.0] * len(crop.x)
    crop.shots = [CameraShot(start=0.0, end=1.5, mode="stationary", focus="face:0"),
                  CameraShot(start=1.5, end=3.0, mode="letterbox", focus="group")]
    empty = work / "lb-empty.ass"
    empty.write_text("")
    out = work / "letterbox.mp4"
    render_short(source, crop, empty, render_params(), out, progress=False)
    got = frames(out, {15, 60})
    with av.open(str(source)) as c:
        src = {round(f.time * 24): f.to_ndarray(format="rgb24")
               for f in c.decode(video=0) if 1.0 <= f.time <= 3.6}
    cam = small(expected_view(src[24 + 15 * 24 // 30], 300))
    assert np.abs(small(got[15]) - cam).mean() < 25  # before the cut: the crop
    whole = np.asarray(Image.fromarray(src[24 + 60 * 24 // 30]).resize((1080, 608)),
                       dtype=np.float32)
    band = got[60][656:1264].astype(np.float32)  # (1920 - 608) / 2 = 656
    assert np.abs(band - whole).mean() < 25  # inside: the whole frame, fitted
    top = got[60][:600].astype(np.float32)
    assert np.abs(np.diff(top, axis=1)).mean() < np.abs(np.diff(band, axis=1)).mean() / 3


def test_letterbox_spans_merge_neighbours():
    crop = panning_crop()
    crop.shots = [CameraShot(start=0, end=1, mode="letterbox", focus="group"),
                  CameraShot(start=1, end=2, mode="letterbox", focus="group"),
                  CameraShot(start=2, end=3, mode="tracking", focus="speaker:1"),
                  CameraShot(start=3, end=4, mode="letterbox", focus="group")]
    assert letterbox_spans(crop) == [(0, 2), (3, 4)]


def test_bad_source_is_one_line_error(work, tmp_path):
    ass = subtitle_ass(tmp_path / "s.ass", with_cue=False)
    missing = tmp_path / "nope.mp4"
    with pytest.raises(InputError, match="nope.mp4"):
        render_short(missing, panning_crop(), ass, render_params(), tmp_path / "o.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(InputError) as err:
        render_short(junk, panning_crop(), ass, render_params(), tmp_path / "o.mp4")
    assert "junk.mp4" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "o.mp4").exists()


# --- pure parts ----------------------------------------------------------------------


def test_escape_filter_value():
    assert escape_filter_value("/a b/c.ass") == "/a b/c.ass"
    assert escape_filter_value("a:b") == "a\\\\:b"
    assert escape_filter_value("it's") == "it\\\\\\'s"
    assert escape_filter_value("x,y[1];z") == "x\\,y\\[1\\]\\;z"
    assert escape_filter_value("ü/ß") == "ü/ß"


def test_crop_commands_write_changes_only():
    crop = CropPath(clip_id="c", start_s=0, end_s=0.1, fps=10, source_width=100,
                    source_height=50, crop_width=28, crop_height=50,
                    x=[0, 0, 10.4, 10.6, 999], y=[0, 0, 0, 0, 0])
    script = window_commands(camera_windows(crop, _geometry(crop, 100, 50)), crop.fps)
    assert script.splitlines() == [
        "0.150000 crop@cam x 10;",
        "0.250000 crop@cam x 11;",
        "0.350000 crop@cam x 72;",
    ]


def test_ffmpeg_error_picks_the_root_cause():
    log = ("[Parsed_sendcmd_0 @ 0x55d] [error] No commands were specified\n"
           "[AVFilterGraph @ 0x55d] [error] Error initializing filters\n"
           "[fatal] Error opening output files: Invalid argument\n")
    assert _ffmpeg_error(log) == "Parsed_sendcmd_0: No commands were specified"
    assert _ffmpeg_error("[info] a\n[error] Error opening input file x.mp4.") == (
        "Error opening input file x.mp4.")


def test_loudness_filter_modes():
    linear, mode = loudness_filter(LoudnessStats(-24, -12, 5, -34), -14, -1)
    assert mode == "linear" and "linear=true" in linear and "measured_I=-24.00" in linear
    assert loudness_filter(LoudnessStats(-24, -12, 0, -34), -14, -1) == ("volume=10.00dB", "gain")
    assert loudness_filter(LoudnessStats(-24, -3, 5, -34), -14, -1)[1] == "dynamic"
    assert loudness_filter(LoudnessStats(-70, -90, 0, -70), -14, -1) == ("", "silent")


def test_zoomed_out_and_split_shots(work, source):
    """Per shot, the render follows the plan's layout: a plain window, then a split shot
    (two stacked windows, each its own face), then a zoomed-out shot (a window taller
    than the source: the picture fitted in the middle over a blurred copy)."""
    crop = panning_crop(1.0, 4.0)
    n = len(crop.x)
    third = n // 3
    crop.x = [300.0] * third + [100.0] * third + [352.0] * (n - 2 * third)
    crop.y = [0.0] * (2 * third) + [-540.0] * (n - 2 * third)
    crop.x2 = [300.0] * third + [1200.0] * third + [352.0] * (n - 2 * third)
    crop.y2 = [0.0] * third + [540.0] * third + [-540.0] * (n - 2 * third)
    crop.shots = [CameraShot(start=0.0, end=1.0, mode="stationary", focus="face:0"),
                  CameraShot(start=1.0, end=2.0, mode="split", focus="face:0 / face:1",
                             crop_width=608, crop_height=540, zoom=2.0),
                  CameraShot(start=2.0, end=3.0, mode="stationary", focus="group",
                             crop_width=1216, crop_height=2160, zoom=0.5)]
    empty = work / "layouts-empty.ass"
    empty.write_text("")
    out = work / "layouts.mp4"
    render_short(source, crop, empty, render_params(), out, progress=False)
    got = frames(out, {15, 45, 75})
    with av.open(str(source)) as c:
        src = {round(f.time * 24): f.to_ndarray(format="rgb24")
               for f in c.decode(video=0) if 1.0 <= f.time <= 4.0}

    def at(k: int) -> np.ndarray:
        return src[24 + k * 24 // 30]

    def view(region: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        return np.asarray(Image.fromarray(region).resize(size, Image.BICUBIC), dtype=np.float32)

    assert np.abs(small(got[15]) - small(expected_view(at(15), 300))).mean() < 25
    # Split: the upper half shows the top-left window, the lower half the bottom-right.
    upper = view(at(45)[0:540, 100:708], (1080, 960))
    lower = view(at(45)[540:1080, 1200:1808], (1080, 960))
    assert np.abs(got[45][:960].astype(np.float32) - upper).mean() < 25
    assert np.abs(got[45][960:].astype(np.float32) - lower).mean() < 25
    assert np.abs(got[45][960:].astype(np.float32) - upper).mean() > 40  # not the same
    # Zoomed out: 1216 px of the source's width fill the output's width; its full
    # height is the middle 960 rows; the bands above and below are a soft blur.
    band = got[75][480:1440].astype(np.float32)
    assert np.abs(band - view(at(75)[:, 352:1568], (1080, 960))).mean() < 25
    above = got[75][:460].astype(np.float32)
    # Sharp colour bars jump by ~250 between neighbouring pixels; blurred ones cannot.
    sharpest = np.percentile(np.abs(np.diff(band, axis=1)), 99.9)
    assert np.percentile(np.abs(np.diff(above, axis=1)), 99.9) < sharpest / 3


def test_subtitles_move_to_the_seam_during_split_shots(tmp_path):
    ass = subtitle_ass(tmp_path / "cue.ass", with_cue=True).read_text(encoding="utf-8")
    (plain,) = [ln for ln in ass.splitlines() if ln.startswith("Dialogue:")]
    assert "\\pos(540,1382)" in plain  # position_y 0.72 of 1920
    during = subtitles_at_seam(ass, [(0.0, 5.0)])
    (moved,) = [ln for ln in during.splitlines() if ln.startswith("Dialogue:")]
    assert moved == plain.replace("\\pos(540,1382)", "\\pos(540,960)")
    assert during.replace(moved, plain) == ass  # nothing else changes
    # The cue (0.5-3.8 s) is mostly outside a split shot from 3 s: it stays put.
    assert subtitles_at_seam(ass, [(3.0, 6.0)]) == ass
    assert subtitles_at_seam(ass, []) == ass


# --- real episodes: loud sound, no sound, rotated and anamorphic pictures (#17) ---------

TEARS = "faces/tears_of_steel/tears_of_steel_clip_10s.mp4"  # 640x360, no audio


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True)


def make_battle_source(path: Path) -> Path:
    """A loud battle scene's sound over real video: real speech (JFK) over a real music
    bed (Big Buck Bunny), with 40 ms bursts of that music 30x too loud and clipped to
    16 bits (square-ish, like gunfire) every 1.7 s; Tears of Steel's picture.

    Its crest factor is high (peaks far above the loudness) and its peaks are square:
    the shape AAC overshoots on (a Short cut from it measured -0.2 dBTP against -1)."""
    burst = "if(between(mod(t\\,1.7)\\,0.5\\,0.54)\\,30\\,0)"
    graph = (
        "[1:a]aresample=48000,aformat=channel_layouts=stereo[speech];"
        "[2:a]atrim=start=10,asetpts=PTS-STARTPTS,aresample=48000,"
        "aformat=channel_layouts=stereo,asplit[bed][hits];"
        f"[hits]volume=volume='{burst}':eval=frame,aformat=sample_fmts=s16,volume=0.9[loud];"
        "[bed]volume=0.3[music];"
        "[speech][music][loud]amix=inputs=3:normalize=0,aformat=sample_fmts=s16[a]"
    )
    ffmpeg("-i", str(shared_media(TEARS)),
           "-i", str(shared_media("speech/faster_whisper/jfk.flac")),
           "-i", str(shared_media("animated/blender/big_buck_bunny_0_30.webm")),
           "-filter_complex", graph, "-map", "0:v", "-map", "[a]", "-c:v", "copy",
           "-c:a", "aac", "-b:a", "192k", "-t", "10", str(path))
    return path


def still_crop(start: float, end: float, width: int, height: int, crop_w: int,
               crop_h: int) -> CropPath:
    n = round((end - start) * FPS)
    return CropPath(clip_id="c", start_s=start, end_s=end, fps=FPS, source_width=width,
                    source_height=height, crop_width=crop_w, crop_height=crop_h,
                    x=[(width - crop_w) / 2] * n, y=[0.0] * n)


def oversampled_peak_db(path: Path) -> float:
    """True peak (dBTP) computed here, independently of ffmpeg's meter: the decoded AAC,
    4x oversampled with a polyphase FIR (BS.1770-4 annex 2 asks for at least 4x)."""
    from scipy.signal import resample_poly

    with av.open(str(path)) as c:
        audio = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    peak = np.abs(resample_poly(audio.astype(np.float64), 4, 1, axis=1)).max()
    return 20 * np.log10(peak)


def test_true_peak_holds_after_aac_encoding(tmp_path, monkeypatch):
    """Loud, clipped material: the encoded Short overshoots the ceiling unless the render
    measures the finished file and corrects it; corrected, it holds and stays loud.
    (Without the headroom dynamic mode now starts with, so that the loop is exercised.)"""
    import shortfactory.clips.render as render

    monkeypatch.setattr(render, "_DYNAMIC_HEADROOM_DB", 0.0)
    source = make_battle_source(tmp_path / "battle.mp4")
    crop = still_crop(0.0, 8.0, 640, 360, 202, 360)
    ass = tmp_path / "none.ass"
    ass.write_text("")
    params = RenderSection(width=360, height=640)
    target = params.true_peak_db
    handler = _Capture()
    logger = logging.getLogger("shortfactory.clips.render")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        render_short(source, crop, ass, params, tmp_path / "before.mp4", progress=False,
                     peak_rounds=0)
        render_short(source, crop, ass, params, tmp_path / "after.mp4", progress=False)
    finally:
        logger.removeHandler(handler)
    _, before = measure_output_audio(tmp_path / "before.mp4")
    loudness, after = measure_output_audio(tmp_path / "after.mp4")
    assert before > target + 0.3, before  # the problem is real on this material
    assert after <= target, (before, after)
    assert loudness == pytest.approx(params.loudness_lufs, abs=1.0), loudness
    # ffmpeg's meter agrees with an oversampled peak computed here.
    for name, measured in (("before", before), ("after", after)):
        assert oversampled_peak_db(tmp_path / f"{name}.mp4") == pytest.approx(measured,
                                                                              abs=0.3)
    corrected = [m for m in handler.messages if "correction round" in m]
    assert len(corrected) == 1 and f"{after:.1f} dBTP" in corrected[0], handler.messages
    with av.open(str(tmp_path / "after.mp4")) as c:  # the picture was copied, not lost
        assert c.streams.video[0].codec_context.height == 640
        assert c.duration / 1e6 == pytest.approx(8.0, abs=0.1)


def test_dynamic_mode_holds_the_true_peak_without_a_correction_round(tmp_path):
    """The same material with the default headroom: the first encode already holds the
    ceiling, so no remux round is spent, and the loudness stays on target."""
    source = make_battle_source(tmp_path / "battle.mp4")
    ass = tmp_path / "none.ass"
    ass.write_text("")
    params = RenderSection(width=360, height=640)
    handler = _Capture()
    logger = logging.getLogger("shortfactory.clips.render")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        render_short(source, still_crop(0.0, 8.0, 640, 360, 202, 360), ass, params,
                     tmp_path / "short.mp4", progress=False)
    finally:
        logger.removeHandler(handler)
    loudness, peak = measure_output_audio(tmp_path / "short.mp4")
    assert any("dynamic" in m for m in handler.messages), handler.messages
    assert not any("correction round" in m for m in handler.messages), handler.messages
    assert peak <= params.true_peak_db
    assert loudness == pytest.approx(params.loudness_lufs, abs=1.0), loudness


def test_recipe_values_the_encoder_rejects_name_their_key(work, source, tmp_path):
    """The recipe check refuses these values up front; a section that still carries one
    (built without validation, an ffmpeg without the preset) fails naming the key."""
    ass = subtitle_ass(tmp_path / "s.ass", with_cue=False)
    crop = panning_crop(1.0, 2.0)
    for key, value in (("preset", "superfastx"), ("audio_bitrate", "160kk")):
        out = tmp_path / f"{key}.mp4"
        params = render_params().model_copy(update={key: value})  # not validated
        with pytest.raises(InputError) as err:
            render_short(source, crop, ass, params, out, progress=False)
        message = str(err.value)
        assert message.startswith(f"render.{key}: '{value}'") and "\n" not in message
        assert not out.exists() and not list(tmp_path.glob(f".{key}*"))


def twins(work: Path) -> dict[str, Path]:
    """Tears of Steel and four twins that a player shows alike: anamorphic (stored at
    half width, SAR 2) like the original; rotated (the original's stream copied with a
    90 degree display matrix) and rotated anamorphic (the anamorphic twin's, likewise)
    like an upright copy turned by ``transpose`` (counter-clockwise, as the matrix
    says). Re-encoded copies are lossless (x264 qp 0)."""
    original = shared_media(TEARS)
    made = {"square": original, "anamorphic": work / "anamorphic.mp4",
            "rotated": work / "rotated.mp4", "rotated_anamorphic": work / "rot-ana.mp4",
            "upright": work / "upright.mp4"}
    lossless = ("-c:v", "libx264", "-preset", "ultrafast", "-qp", "0")
    ffmpeg("-i", str(original), "-vf", "scale=iw/2:ih,setsar=2", *lossless,
           str(made["anamorphic"]))
    ffmpeg("-display_rotation", "90", "-i", str(original), "-c", "copy", str(made["rotated"]))
    ffmpeg("-display_rotation", "90", "-i", str(made["anamorphic"]), "-c", "copy",
           str(made["rotated_anamorphic"]))
    ffmpeg("-i", str(original), "-vf", "transpose=2", *lossless, str(made["upright"]))
    return made


@pytest.fixture(scope="module")
def geometry_renders(work: Path) -> dict[str, Path]:
    """Each twin rendered with the same plan (display pixels): a window panning across
    the landscape pair, and a zoomed window panning diagonally over the portrait pair."""
    sources = twins(work)
    n = round(2.5 * FPS)
    landscape = CropPath(clip_id="c", start_s=1.0, end_s=3.5, fps=FPS, source_width=640,
                         source_height=360, crop_width=202, crop_height=360,
                         x=[438 * i / (n - 1) for i in range(n)], y=[0.0] * n)
    portrait = CropPath(clip_id="c", start_s=1.0, end_s=3.5, fps=FPS, source_width=360,
                        source_height=640, crop_width=270, crop_height=480,
                        x=[90 * i / (n - 1) for i in range(n)],
                        y=[160 * i / (n - 1) for i in range(n)])
    empty = work / "geometry.ass"
    empty.write_text("")
    out = {}
    for name, src in sources.items():
        crop = landscape if name in ("square", "anamorphic") else portrait
        out[name] = work / f"render-{name}.mp4"
        render_short(src, crop, empty, render_params(), out[name], progress=False)
    return out


def psnr_per_frame(a: Path, b: Path) -> list[float]:
    """PSNR (dB) of each pair of decoded frames (RGB), in order; the counts must match."""
    with av.open(str(a)) as ca, av.open(str(b)) as cb:
        fa = [f.to_ndarray(format="rgb24") for f in ca.decode(video=0)]
        fb = [f.to_ndarray(format="rgb24") for f in cb.decode(video=0)]
    assert len(fa) == len(fb) > 0
    values = []
    for x, y in zip(fa, fb, strict=True):
        mse = float(np.mean((x.astype(np.float32) - y.astype(np.float32)) ** 2))
        values.append(99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse))
    return values


@pytest.mark.parametrize(("twin", "reference"), [("anamorphic", "square"),
                                                 ("rotated", "upright"),
                                                 ("rotated_anamorphic", "upright")])
def test_rotated_and_anamorphic_render_like_their_upright_twin(geometry_renders, twin,
                                                              reference):
    values = psnr_per_frame(geometry_renders[twin], geometry_renders[reference])
    assert min(values) > 30, (twin, min(values), float(np.mean(values)))


def test_twins_probe_in_display_geometry(work, geometry_renders):
    ana, rot = probe(work / "anamorphic.mp4"), probe(work / "rotated.mp4")
    both = probe(work / "rot-ana.mp4")
    assert (ana.stored_width, ana.sar, ana.width, ana.height) == (320, 2.0, 640, 360)
    assert (rot.stored_width, rot.rotation, rot.width, rot.height) == (640, 90, 360, 640)
    assert (both.stored_width, both.rotation, both.sar, both.width, both.height) == (
        320, 90, 2.0, 360, 640)


def test_source_without_audio_gets_a_silent_track(geometry_renders):
    """Tears of Steel has no audio stream: the Short is still 1080x1920 H.264 + AAC
    (stereo 48 kHz), as long as the picture, and silent."""
    assert probe(shared_media(TEARS)).audio_codec is None
    out = geometry_renders["square"]
    with av.open(str(out)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert (v.codec_context.width, v.codec_context.height) == (1080, 1920)
        assert v.codec_context.name == "h264" and v.codec_context.pix_fmt == "yuv420p"
        assert (a.codec_context.name, a.codec_context.sample_rate) == ("aac", 48000)
        assert a.codec_context.channels == 2
        assert float(v.duration * v.time_base) == pytest.approx(2.5, abs=0.05)
        assert float(a.duration * a.time_base) == pytest.approx(2.5, abs=0.05)
        samples = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
    assert samples.shape[1] / 48000 == pytest.approx(2.5, abs=0.05)
    assert np.abs(samples).max() < 1e-4
    assert frames(out, {30})[30].mean() > 20  # the picture is there, not black


# --- pure parts of the audio and geometry --------------------------------------------


def test_display_filters_square_the_pixels():
    assert display_filters(1.0, 640, 360) == []
    assert display_filters(2.0, 640, 360) == ["scale=640:360", "setsar=1"]
    assert display_filters(0.0, 640, 360) == []  # unknown SAR: treated as square


def test_parse_ebur128_summary():
    log = ("[Parsed_ebur128_0 @ 0x1] [info] Summary:\n\n  Integrated loudness:\n"
           "    I:         -14.1 LUFS\n    Threshold: -24.8 LUFS\n\n  True peak:\n"
           "    Peak:        0.9 dBFS\n")
    assert parse_ebur128_summary(log) == (-14.1, 0.9)
    silent = log.replace("-14.1", "-70.0").replace("0.9 dBFS", "-inf dBFS")
    assert parse_ebur128_summary(silent) == (-70.0, -np.inf)
    with pytest.raises(ValueError):
        parse_ebur128_summary("[error] nothing")


def test_next_correction_lowers_the_limiter_then_the_gain():
    first = next_correction(PeakCorrection(), 0.9, -1.0, -2.8, 1)
    assert first.ceiling_db == pytest.approx(-2.8 - 2.2) and first.trim_db == 0
    second = next_correction(first, -0.6, -1.0, -2.8, 2)
    assert second.ceiling_db == pytest.approx(-5.0 - 0.7) and second.trim_db == 0
    last = next_correction(second, -0.5, -1.0, -2.8, 3)
    assert last.ceiling_db == second.ceiling_db and last.trim_db == pytest.approx(-0.8)
    # From a pass that was not limiting (peaks expected above the ceiling: dynamic mode).
    assert next_correction(PeakCorrection(), 0.0, -1.0, 5.0, 1).ceiling_db == pytest.approx(
        -2.3)
    assert next_correction(PeakCorrection(), 40.0, -1.0, -1.0, 1).ceiling_db == -24.0


def test_expected_peak_follows_the_mode():
    stats = LoudnessStats(-24, -12, 5, -34)
    assert expected_peak_db(stats, "linear", -14, -1) == pytest.approx(-2.0)
    assert expected_peak_db(stats, "dynamic", -14, -1) == -1


def test_audio_chain_and_edge_fades():
    assert edge_fades(10.0) == ["afade=t=in:d=0.025", "afade=t=out:st=9.975:d=0.025"]
    assert edge_fades(0.04) == ["afade=t=in:d=0.010", "afade=t=out:st=0.030:d=0.010"]
    plain = audio_chain("aformat=channel_layouts=stereo", "volume=3.00dB", 10.0)
    assert plain.startswith("aformat=channel_layouts=stereo,volume=3.00dB,aresample=48000,")
    assert "alimiter" not in plain and plain.endswith("st=9.975:d=0.025")
    fixed = audio_chain("aformat=channel_layouts=stereo", "", 10.0,
                        PeakCorrection(ceiling_db=-6.0, trim_db=-0.5))
    assert "volume=-0.50dB,aresample=192000,alimiter=limit=0.50119:level=0:latency=1" in fixed
    assert fixed.index("alimiter") < fixed.index("aresample=48000")


def test_recipe_error_names_the_key():
    params = RenderSection().model_copy(update={"preset": "superfastx",
                                                "audio_bitrate": "160kk"})
    preset = ("x264 [error]: invalid preset 'superfastx'\n"
              "[libx264 @ 0x55c] [error] Error setting preset/tune superfastx/(null).\n"
              "[vost#0:0/libx264 @ 0x55c] [error] Error while opening encoder\n")
    assert recipe_error(preset, params) == (
        "render.preset: 'superfastx' was rejected by ffmpeg "
        "(libx264: Error setting preset/tune superfastx/(null).)")
    bitrate = ("[aac @ 0x5606] [Eval @ 0x7fff] [error] Invalid chars 'k' at the end\n"
               "[aac @ 0x5606] [error] Unable to parse \"b\" option value \"160kk\"\n")
    assert recipe_error(bitrate, params).startswith("render.audio_bitrate: '160kk'")
    odd = "[libx264 @ 0x5] [error] width not divisible by 2 (1081x1920)\n"
    assert recipe_error(odd, params).startswith("render.width: 1080")
    assert recipe_error("[error] Error opening input file x.mp4.", params) is None
    drawtext = "[Parsed_drawtext_7 @ 0x5] [error] Cannot load font\n"
    assert recipe_error(drawtext, render_params()).startswith(
        "render.watermark: '@shortfactory' was rejected by ffmpeg")


def _yellow_share(frame: np.ndarray) -> float:
    """Share of pixels near the hook's default box colour, #FFD400."""
    r, g, b = (frame[..., k].astype(np.int16) for k in range(3))
    return float(((r > 200) & (np.abs(g - 212) < 45) & (b < 90)).mean())


def test_the_hook_banner_opens_the_short_and_is_gone_after_it(work, source, rendered):
    out = work / "hook.mp4"
    render_short(source, panning_crop(), subtitle_ass(work / "h.ass", with_cue=True),
                 render_params(), out, progress=False,
                 hook_text="The dragon came back on Tuesday")
    band = slice(round(1920 * 0.2) - 60, round(1920 * 0.2) + 60)
    hooked, bare = frames(out, {30, 105}), frames(rendered["bare"], {30, 105})
    # 1.0 s: the yellow box is there; 3.5 s (2.5 s + fade): the picture is as without it.
    assert _yellow_share(hooked[30][band]) - _yellow_share(bare[30][band]) > 0.15
    assert abs(_yellow_share(hooked[105][band]) - _yellow_share(bare[105][band])) < 0.01
    assert np.abs(hooked[105][band].astype(np.int16) - bare[105][band]).mean() < 6


def test_progress_bar_fills_and_the_picture_fades_to_black(work, source):
    from shortfactory.core.recipe import Effects

    out = work / "effects.mp4"
    params = render_params(effects=Effects(progress_bar=True, fade_out_s=0.5))
    render_short(source, panning_crop(0.0, 4.0), subtitle_ass(work / "e.ass", with_cue=False),
                 params, out, progress=False)
    with av.open(str(out)) as c:
        decoded = [(f.time, f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]
    def bar_share(rgb: np.ndarray) -> float:  # white pixels in the bottom strip
        return float((rgb[-6].min(axis=1) > 230).mean())
    at = {round(t, 1): rgb for t, rgb in decoded}
    assert bar_share(at[1.0]) == pytest.approx(0.25, abs=0.05)
    assert bar_share(at[2.0]) == pytest.approx(0.5, abs=0.05)
    assert at[1.0][:1800].mean() > 60 and decoded[-1][1][:1800].mean() < 12  # faded out


# --- emoji, logo and punch-in (#20) -----------------------------------------------------

ROW_Y, ROW_SIZE = 0.6, 120 / 1920


def _accents(**kw):
    from shortfactory.core.artifacts import Accents, EmojiAccent

    return Accents(clip="c0000-0006", emoji=[EmojiAccent(
        start_s=1.0, end_s=3.0, emoji=["\U0001f525", "\U0001f1ef\U0001f1f5"], y=ROW_Y,
        size=ROW_SIZE)], **kw)


@pytest.fixture(scope="module")
def accented(work: Path, source: Path) -> Path:
    """The subtitled render again, with an emoji row over 1-3 s and a logo."""
    logo = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    logo.paste((20, 200, 120, 255), (0, 0, 100, 100))  # a green square, then a clear half
    logo.save(work / "logo.png")
    out = work / "accented.mp4"
    params = RenderSection(watermark=Watermark(image=str(work / "logo.png"), opacity=1.0,
                                               image_width=0.2, image_position="top-left"))
    render_short(source, panning_crop(), subtitle_ass(work / "a.ass", with_cue=True), params,
                 out, progress=False, accents=_accents())
    return out


def _row(frame: np.ndarray) -> np.ndarray:
    centre, half = round(ROW_Y * 1920), round(ROW_SIZE * 1920 / 2)
    return frame[centre - half: centre + half, 540 - 160: 540 + 160]


def test_emoji_are_drawn_while_their_cue_is_shown_and_gone_after(accented, work, source):
    plain = work / "plain.mp4"
    render_short(source, panning_crop(), subtitle_ass(work / "p.ass", with_cue=True),
                 RenderSection(), plain, progress=False)
    got, ref = frames(accented, {15, 60, 105}), frames(plain, {15, 60, 105})
    diff = {k: np.abs(_row(got[k]).astype(np.int16) - _row(ref[k])).mean() for k in got}
    assert diff[60] > 25  # 2.0 s: the row is there
    assert diff[15] < 3 and diff[105] < 3  # 0.5 s and 3.5 s: before and after its cue
    # Twemoji's flag of Japan: a red disc on white; the fire: orange.
    row = _row(got[60]).reshape(-1, 3).astype(np.int16)
    red = (row[:, 0] > 190) & (row[:, 1] < 70) & (row[:, 2] < 90)
    orange = (row[:, 0] > 220) & (row[:, 1] > 120) & (row[:, 1] < 200) & (row[:, 2] < 80)
    assert red.mean() > 0.01 and orange.mean() > 0.01


def test_logo_watermark_pixels_match(accented):
    frame = frames(accented, {45})[45]
    margin, top = round(0.04 * 1080), round(0.04 * 1920)
    side = round(0.2 * 1080) // 2  # the logo is 2:1, its left half the green square
    square = frame[top + 10: top + side - 10, margin + 10: margin + side - 10].reshape(-1, 3)
    assert np.abs(square.mean(axis=0) - (20, 200, 120)).max() < 12
    clear = frame[top + 10: top + side - 10, margin + side + 10: margin + 2 * side - 10]
    assert np.abs(clear.reshape(-1, 3).mean(axis=0) - (20, 200, 120)).max() > 40


def test_punch_in_zooms_on_the_moment_and_returns(work, source):
    from shortfactory.core.artifacts import Moment
    from shortfactory.core.recipe import Effects

    moments = [Moment(t_s=2.0, end_s=2.4, word="wow", kind="trigger", weight=1.0)]
    crop = panning_crop()
    plain, punched = work / "unpunched.mp4", work / "punched.mp4"
    for out, effects in ((plain, Effects()), (punched, Effects(punch_in=True,
                                                               punch_in_zoom=0.1))):
        render_short(source, crop, subtitle_ass(work / "n.ass", with_cue=False),
                     RenderSection(effects=effects), out, progress=False,
                     accents=_accents().model_copy(update={"emoji": [], "moments": moments}))
    got, ref = frames(punched, {66, 90}), frames(plain, {66, 90})
    # 2.2 s: the picture is the unzoomed one's centre, 10 % larger.
    h, w = ref[66].shape[:2]
    ch, cw = round(h / 1.1), round(w / 1.1)
    centre = ref[66][(h - ch) // 2: (h - ch) // 2 + ch, (w - cw) // 2: (w - cw) // 2 + cw]
    zoomed = np.asarray(Image.fromarray(centre).resize((w, h), Image.Resampling.BILINEAR))
    assert np.abs(small(got[66]).astype(np.int16) - small(zoomed)).mean() < \
        0.5 * np.abs(small(got[66]).astype(np.int16) - small(ref[66])).mean()
    # 3.0 s: back to the planned window.
    assert np.abs(got[90].astype(np.int16) - ref[90]).mean() < 3
