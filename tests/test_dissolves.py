"""Dissolves (cross-fades): the linear-mix test, the detector, and real decoded frames.

Pure helpers on synthetic arrays first (the mix fit from a Gram matrix, what counts as a
cross-fade, where it is half done, how a dissolve merges with other boundaries), then
short clips made with ffmpeg from the shared media (skipped, with the reason, where that
folder is absent): a dissolve between two real shots is one ``dissolve`` cut at its
middle; a hard cut, a camera pan, a zoom, a lighting change and fast motion are none.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_media

from shortfactory.core.artifacts import SceneCuts
from shortfactory.core.media import ffmpeg_exe
from shortfactory.core.recipe import SceneSection
from shortfactory.vision import scenes as S

# The default recipe's scene settings (refinement off: these tests pass no source).
SCENES = SceneSection(refine=False)
TEARS = "faces/tears_of_steel/tears_of_steel_clip_10s.mp4"  # 2.708-7.708 s: one shot
BUNNY = "animated/blender/big_buck_bunny_0_30.webm"  # 15.67-22.96 s: one shot


def texture(seed: int, shape: tuple[int, int] = (45, 80)) -> np.ndarray:
    """A grey picture with structure at several scales (not white noise)."""
    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 255, (shape[0] // 5 + 2, shape[1] // 5 + 2))
    big = np.kron(small, np.ones((5, 5)))[: shape[0], : shape[1]]
    return np.clip(0.7 * big + 0.3 * rng.uniform(0, 255, shape), 0, 255)


def feed(frames: list[np.ndarray], fps: float = 6.0, **kw) -> S.DissolveDetector:
    det = S.DissolveDetector(fps=fps, **kw)
    for i, grey in enumerate(frames):
        thumb = np.clip(grey, 0, 255).astype(np.uint8)
        hist = np.histogram(thumb, bins=16, range=(0, 256))[0].astype(np.float32)
        det.process_frame(i, i / fps, S.FrameFeatures(hist / hist.sum(), thumb,
                                                      float(thumb.mean()),
                                                      layout=S.layout_vector(thumb)))
    return det


# --- pure helpers -----------------------------------------------------------------


def test_mix_fit_from_dot_products_finds_the_weights() -> None:
    a, b = texture(1).ravel(), texture(2).ravel()
    weights = [0.0, 0.25, 0.5, 0.75, 1.0]
    frames = np.array([(1 - w) * a + w * b for w in weights])
    alpha, residual = S.mix_fits(frames @ frames.T)
    assert alpha[0, 1:4] == pytest.approx([0.25, 0.5, 0.75], abs=1e-6)
    assert residual[0, 1:4] == pytest.approx([0, 0, 0], abs=1e-4)
    # A frame that is neither end nor a mix of them is far from every mix.
    frames[2] = texture(3).ravel()
    _, residual = S.mix_fits(frames @ frames.T)
    assert residual[0, 2] > 0.5


def test_a_cross_fade_rises_and_mixes_a_hard_cut_does_not() -> None:
    assert S.is_cross_fade(np.array([0.0, 0.2, 0.5, 0.8, 1.0]))
    assert S.is_cross_fade(np.array([0.58]))  # a short dissolve: one mixed frame
    assert not S.is_cross_fade(np.array([0.0, 0.02, 0.98, 1.0]))  # a hard cut
    assert not S.is_cross_fade(np.array([0.2, 0.6, 0.2, 0.9]))  # back and forth
    assert not S.is_cross_fade(np.array([0.5, 1.4]))  # overshoot: not a mix


def test_mix_crossing_is_where_the_mix_is_half_done() -> None:
    times = np.arange(8) / 6
    time_s, index, lo, hi = S.mix_crossing(times, np.array([0.0, 0.0, 0.25, 0.75, 1.0, 1.0]))
    assert time_s == pytest.approx(3.5 / 6) and index == 4
    assert (lo, hi) == (2, 5)  # last frame all old (0.0) to first frame all new (1.0)


def test_detector_finds_a_cross_fade_of_textures_at_its_middle() -> None:
    a, b = texture(1), texture(2)
    weights = [0] * 10 + [1 / 7, 2 / 7, 3 / 7, 4 / 7, 5 / 7, 6 / 7] + [1] * 10
    frames = [(1 - w) * a + w * b for w in weights]
    found = feed(frames).finish(6.0)
    assert [c.kind for c in found] == ["dissolve"]
    assert found[0].time_s == pytest.approx(12.5 / 6, abs=0.02)  # halfway: frame 12.5
    assert found[0].covers == (9, 16)


def test_detector_ignores_a_pan_a_brightness_ramp_and_a_hard_cut() -> None:
    wide = np.hstack([texture(4), texture(5)])
    pan = [wide[:, 3 * i: 3 * i + 80] for i in range(26)]  # 3 px a frame, 75 px in all
    assert feed(pan).finish(6.0) == []
    a = texture(6)
    ramp = [a * (0.5 + 0.05 * i) for i in range(20)]  # lighting: only brighter
    assert feed(ramp).finish(6.0) == []
    cut = [a] * 10 + [texture(7)] * 10
    assert feed(cut).finish(6.0) == []


def test_a_picture_that_comes_back_is_no_dissolve() -> None:
    # Something fades away over a background that was on screen just before it came:
    # one shot (an explosion dying out), not a transition between two shots.
    background, blast = texture(8), texture(9)
    weights = [0] * 6 + [1] * 4 + [1 - k / 7 for k in range(1, 7)] + [0] * 6
    frames = [(1 - w) * background + w * blast for w in weights]
    det = feed(frames)
    assert det.windows, "the fade-out is a linear mix"
    assert det.finish(6.0) == []


def test_dissolve_absorbs_its_content_jumps_and_a_fade_absorbs_the_dissolve() -> None:
    dissolve = S.CutCandidate(13, 12.5 / 6, "dissolve", 0.8, covers=(9, 16))
    inside = S.CutCandidate(12, 2.0, "hard", 0.6)
    after = S.CutCandidate(30, 5.0, "hard", 0.9)
    merged = S.merge_cuts([dissolve, inside, after], min_shot_s=0.6)
    assert [(c.kind, c.index) for c in merged] == [("dissolve", 13), ("hard", 30)]
    fade = S.CutCandidate(14, 14 / 6, "fade", 0.9, covers=(8, 20))
    merged = S.merge_cuts([dissolve, fade], min_shot_s=0.6)
    assert [c.kind for c in merged] == ["fade"]


# --- real decoded frames ----------------------------------------------------------


def make_clip(out: Path, inputs: list[tuple[str, float, float]], graph: str) -> Path:
    """Encode ``graph`` over pieces ``(file under shared media, start, length)``, each
    first brought to 640x360, 24 fps as ``[v0]``, ``[v1]``...; the graph ends in [out]."""
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    chains = []
    for i, (rel, start, length) in enumerate(inputs):
        args += ["-ss", f"{start}", "-t", f"{length}", "-i", str(shared_media(rel))]
        chains.append(f"[{i}:v:0]fps=24,scale=640:360,setsar=1,format=yuv420p,"
                      f"setpts=PTS-STARTPTS[v{i}]")
    args += ["-filter_complex", ";".join([*chains, graph]), "-map", "[out]",
             "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", str(out)]
    subprocess.run(args, check=True)
    return out


def scenes_of(clip: Path, duration_s: float) -> SceneCuts:
    return S.detect_scenes(clip, SCENES, duration_s=duration_s, fps=6, height=360,
                           progress=False)


def test_a_dissolve_between_two_real_shots_is_one_dissolve_cut(tmp_path: Path) -> None:
    # Tears of Steel cross-fades into Big Buck Bunny from 1.5 s to 2.5 s.
    clip = make_clip(tmp_path / "dissolve.mp4", [(TEARS, 2.8, 2.5), (BUNNY, 16.0, 2.5)],
                     "[v0][v1]xfade=transition=fade:duration=1.0:offset=1.5[out]")
    result = scenes_of(clip, 4.0)
    assert [c.kind for c in result.cuts] == ["dissolve"], result.cuts
    assert result.cuts[0].time_s == pytest.approx(2.0, abs=0.2)
    start, end = result.cuts[0].span_s
    assert 1.3 <= start <= 1.7 and 2.3 <= end <= 2.7, result.cuts[0].span_s
    assert [s.end_s for s in result.shots] == [result.cuts[0].time_s, 4.0]


def test_a_hard_cut_between_the_same_shots_is_a_hard_cut(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "cut.mp4", [(TEARS, 2.8, 2.0), (BUNNY, 16.0, 2.0)],
                     "[v0][v1]concat=n=2:v=1:a=0[out]")
    result = scenes_of(clip, 4.0)
    assert [c.kind for c in result.cuts] == ["hard"], result.cuts
    assert result.cuts[0].time_s == pytest.approx(2.0, abs=0.2)


@pytest.mark.parametrize("name, chain", [
    # A camera pan across a real 1280x720 frame, 120 px/s (its 640 px window moves 480 px).
    ("pan", "scale=1280:720,crop=640:360:x='min(120*t,640)':y=180"),
    # A zoom in to 2x over 4 s, centred.
    ("zoom", "scale=1280:720,zoompan=z='1+in/96':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':"
             "d=1:s=640x360:fps=24"),
    # The light changing: darker, then much brighter and washed out.
    ("lighting", "scale=640:360,eq=brightness='0.1*t-0.15':contrast='1-0.12*t':eval=frame"),
])
def test_camera_moves_and_light_changes_on_a_still_are_no_dissolve(
        tmp_path: Path, name: str, chain: str) -> None:
    # One real frame (Big Buck Bunny at 18 s), held for 4 s while the camera moves.
    clip = tmp_path / f"{name}.mp4"
    graph = f"[0:v:0]trim=end_frame=1,loop=loop=95:size=1,setpts=N/24/TB,{chain}[out]"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                    "-ss", "18.0", "-i", str(shared_media(BUNNY)), "-filter_complex", graph,
                    "-map", "[out]", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18",
                    "-pix_fmt", "yuv420p", str(clip)], check=True)
    result = scenes_of(clip, 4.0)
    assert not [c for c in result.cuts if c.kind == "dissolve"], result.cuts
    assert all(c.span_s is None for c in result.cuts)


@pytest.mark.parametrize("rel, start, length", [
    ("animated/blender/caminandes1_clip_10s.mp4", 0.0, 10.0),  # fast motion, one shot
    ("faces/chaplin/chaplin.mp4", 0.0, 9.6),  # one shot, people walking
    (TEARS, 2.8, 4.9),  # a moving camera on a live-action shot
])
def test_motion_inside_one_real_shot_is_no_dissolve(rel: str, start: float,
                                                    length: float) -> None:
    result = S.detect_scenes(shared_media(rel), SCENES, duration_s=length, fps=6, height=360,
                             progress=False)
    cuts = [c for c in result.cuts if start <= c.time_s <= start + length]
    assert not [c for c in cuts if c.kind == "dissolve"], cuts
