"""The camera debug preview on a tiny lavfi source: size, length, and what is drawn."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from shortfactory.clips.preview import WINDOW, caption, faces_near, render_preview, vertical_view
from shortfactory.core.artifacts import CameraShot, CropPath, Detection, FaceFrame, Faces
from shortfactory.core.media import ffmpeg_exe

av = pytest.importorskip("av")

SRC_W, SRC_H, FPS, SECONDS = 640, 360, 12, 2.0
CROP_W = 202  # 9:16 of 360 px


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("preview") / "src.mp4"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"color=c=gray:size={SRC_W}x{SRC_H}:rate={FPS}:duration={SECONDS}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    str(path)], check=True)
    return path


def plan(letterbox_second_half: bool = False) -> CropPath:
    n = int(SECONDS * FPS)
    shots = [CameraShot(start=0.0, end=1.0, mode="stationary", focus="face:0",
                        focus_spans=[(0.0, 1.0, "face:0")]),
             CameraShot(start=1.0, end=2.0,
                        mode="letterbox" if letterbox_second_half else "panning",
                        focus="group")]
    return CropPath(clip_id="c0000-0002", start_s=0.0, end_s=SECONDS, fps=FPS,
                    source_width=SRC_W, source_height=SRC_H, crop_width=CROP_W,
                    crop_height=SRC_H, x=[100.0] * n, y=[0.0] * n, shots=shots,
                    fallback=[False] * n)


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_side_by_side_preview(source: Path, tmp_path: Path) -> None:
    faces = Faces(analysis_fps=FPS, source_width=SRC_W, source_height=SRC_H,
                  frames=[FaceFrame(t=k / FPS, detections=[Detection(
                      box=(150, 100, 60, 60), score=1.0, backend="t", track_id=0)])
                      for k in range(int(SECONDS * FPS))])
    out = tmp_path / "p.mp4"
    render_preview(source, plan(letterbox_second_half=True), out, faces=faces, height=180)
    frames = decoded(out)
    assert abs(len(frames) - SECONDS * FPS) <= 1
    assert frames[0].shape == (180, 320 + 100, 3)  # source panel + 9:16 panel
    first = frames[2].astype(int)
    # The window's left edge (x = 100 source px = 50 preview px) is drawn in green.
    column = first[40:140, 51]
    assert np.abs(column - np.array(WINDOW)).sum(axis=1).min() < 90
    # Letterboxed shot: no window drawn; the right panel shows the whole (grey) frame.
    late = frames[-2].astype(int)
    assert np.abs(late[40:140, 51] - np.array(WINDOW)).sum(axis=1).min() > 90
    assert not list(tmp_path.glob(".p.*"))  # no temporary left behind


def test_caption_names_mode_and_focus() -> None:
    crop = plan()
    assert caption(crop, 0.5).split()[2:] == ["stationary", "face:0"]
    assert caption(crop, 1.5).split()[2:] == ["panning", "group"]


def test_faces_near_picks_the_nearest_analysis_frame() -> None:
    faces = Faces(analysis_fps=6.0, source_width=SRC_W, source_height=SRC_H,
                  frames=[FaceFrame(t=k / 6, detections=[Detection(
                      box=(k, 0, 10, 10), score=1.0, backend="t", track_id=k)])
                      for k in range(6)])
    assert faces_near(faces, 0.49)[0][1] == 3  # 0.5 s is frame 3
    assert faces_near(faces, 0.40)[0][1] == 2
    assert faces_near(faces, 5.0) == []  # far past the last analysed frame
    assert faces_near(None, 0.0) == []


def test_vertical_view_of_split_and_zoomed_out_windows() -> None:
    """The right panel shows what the render makes: two stacked panels in a split shot;
    a window taller than the source has the picture in its middle, blurred bands around."""
    frame = np.zeros((SRC_H, SRC_W, 3), dtype=np.uint8)
    frame[:, : SRC_W // 2] = (200, 0, 0)  # left half red, right half blue
    frame[:, SRC_W // 2:] = (0, 0, 200)
    n = int(SECONDS * FPS)
    crop = plan()
    crop.x2, crop.y2 = [500.0] * n, [180.0] * n
    crop.x = [20.0] * n
    split = vertical_view(frame, crop, 0, 1.0, (90, 160), False, (101, 180), split=True)
    assert split.shape == (160, 90, 3)
    assert split[:80, :, 0].mean() > 150 and split[80:, :, 2].mean() > 150
    crop.x, crop.y = [120.0] * n, [-180.0] * n  # 404 x 720: twice the source's height
    zoomed = vertical_view(frame, crop, 0, 1.0, (90, 160), False, (404, 720))
    middle = zoomed[45:115].astype(int)
    assert np.abs(middle[:, 5] - [200, 0, 0]).sum(axis=1).max() < 40  # sharp source
    assert np.abs(middle[:, -5] - [0, 0, 200]).sum(axis=1).max() < 40
    band = zoomed[:35].astype(int)
    edge = np.abs(np.diff(band, axis=1)).max()
    assert edge < np.abs(np.diff(middle, axis=1)).max() / 2  # blurred, not sharp
