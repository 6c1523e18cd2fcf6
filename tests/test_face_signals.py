"""Face backends (MediaPipe and its install-time models, preference order), search
cadence, visual activity and the fallback focus.

``make install`` installs mediapipe (--no-deps) and fetches BlazeFace's models from the
mediapipe 0.10.14 wheel, so these run on real frames wherever the suite runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_vision import FACES, MEDIA, lavfi_video, needs_media, one_shot

from shortfactory.cli import main as cli_main
from shortfactory.core import models
from shortfactory.core.errors import ShortfactoryError
from shortfactory.core.io import write_model
from shortfactory.core.media import ffmpeg_exe, iter_frames, probe_video_only
from shortfactory.core.recipe import FaceSection, load_recipe
from shortfactory.vision import face_backends as FB
from shortfactory.vision import face_tracking as FT
from shortfactory.vision import faces as F

REPO = Path(__file__).resolve().parents[1]


def fake_wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_models_are_extracted_from_a_wheel_and_kept(tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path / "mediapipe-0.10.14.whl", {
        models.MEDIAPIPE_WHEEL_DIR + name: name.encode() for name in models.MEDIAPIPE_FACE_MODELS})
    dest = tmp_path / "models"
    assert cli_main(["fetch-models", "--dest", str(dest), "--wheel", str(wheel),
                     "--whisper", "none", "--fonts", "none"]) == 0
    for name in models.MEDIAPIPE_FACE_MODELS:
        assert (dest / name).read_bytes() == name.encode()
        assert models.find_model(name, dest) == dest / name
    # Present already: nothing is downloaded or rewritten (no wheel given this time).
    assert models.fetch_mediapipe_face_models(dest) == [dest / n for n in
                                                        models.MEDIAPIPE_FACE_MODELS]
    assert sorted(p.name for p in dest.iterdir()) == sorted(models.MEDIAPIPE_FACE_MODELS)


def test_a_wheel_without_the_models_is_a_clear_error(tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path / "other.whl", {"README": b"x"})
    with pytest.raises(ShortfactoryError, match="other.whl: has no mediapipe/modules"):
        models.fetch_mediapipe_face_models(tmp_path / "models", wheel=wheel)
    assert not any((tmp_path / "models").iterdir())  # nothing half-written


def test_the_installed_environment_has_the_mediapipe_backend() -> None:
    backends, unavailable = FB.make_backends(["mediapipe"])
    assert [b.name for b in backends] == ["mediapipe"], unavailable
    backends[0].close()


def test_first_only_uses_the_first_backend_that_loads(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    backends, unavailable = FB.make_backends(["mediapipe", "haar"], first_only=True)
    assert [b.name for b in backends] == ["mediapipe"] and not unavailable
    backends[0].close()
    # No model where it is looked for: Haar takes over, and the warning says what to do.
    monkeypatch.setenv(models.MODEL_ENV, str(tmp_path))
    monkeypatch.delenv("SHORTFACTORY_MEDIAPIPE_MODEL", raising=False)
    backends, unavailable = FB.make_backends(["mediapipe", "haar"], first_only=True)
    assert [b.name for b in backends] == ["haar"]
    assert "shortfactory fetch-models" in unavailable["mediapipe"]


def test_backends_that_cannot_load_are_named_in_faces_json(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    # A corrupt MediaPipe model (a truncated download: MediaPipe raises ValueError, which
    # used to stop the stage) and animeface not installed: the stage runs on Haar, and
    # faces.json says why each other backend is missing, so a later fix shows up there.
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a flatbuffer " * 64)
    monkeypatch.setenv("SHORTFACTORY_MEDIAPIPE_MODEL", str(broken))
    monkeypatch.setattr(FB, "pillow_version", lambda: "11.3.0")
    monkeypatch.setitem(sys.modules, "animeface", None)  # its import fails
    clip = lavfi_video(tmp_path / "grey.mp4", "color=c=gray:size=320x180:rate=6", 1.0)
    section = FaceSection(backends=["mediapipe", "animeface", "haar"])
    result = F.track_faces(clip, one_shot(1.0), section, source_width=320,
                           source_height=180, progress=False)
    out = tmp_path / "faces.json"
    write_model(out, result)
    options = json.loads(out.read_text())["options"]
    reasons = options["unavailable"]  # the JSON file, as a person reads it
    assert set(reasons) == {"mediapipe", "animeface"}, reasons
    assert "broken.tflite" in reasons["mediapipe"] and "Flatbuffer" in reasons["mediapipe"]
    assert reasons["animeface"].startswith("animeface is not installed")
    assert options["backends"] == ["mediapipe", "animeface", "haar"]  # what was asked
    assert result.backends == {"mediapipe": 0, "animeface": 0, "haar": 0}


def test_any_load_failure_is_one_line_and_never_stops_the_stage(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # An installed but broken package fails with whatever it raises, over several lines.
    class Broken:
        def __init__(self) -> None:
            raise AttributeError("module 'google.protobuf' has no attribute 'x'\n"
                                 "  File ...\n" + "detail " * 100)

    monkeypatch.setitem(FB.BACKENDS, "mediapipe", Broken)
    backends, unavailable = FB.make_backends(["mediapipe", "haar"], first_only=True)
    assert [b.name for b in backends] == ["haar"]
    assert unavailable == {
        "mediapipe": "AttributeError: module 'google.protobuf' has no attribute 'x'"}
    long = FB.one_line(RuntimeError("x" * 1000))
    assert len(long) == FB.REASON_CHARS and long.endswith("...") and "\n" not in long


@pytest.fixture
def mediapipe() -> Iterator[FB.MediaPipeBackend]:
    backend = FB.MediaPipeBackend()
    yield backend
    backend.close()


@needs_media
def test_mediapipe_finds_the_face_in_a_live_action_close_up(
        mediapipe: FB.MediaPipeBackend) -> None:
    clip = MEDIA / "faces/tears_of_steel/tears_of_steel_clip_10s.mp4"
    _, frame = next(iter_frames(clip, height=360, start_s=9.6, duration_s=0.2))
    found = FB.detect_frame(frame, [mediapipe], min_size_px=24, min_score=0.0)
    assert len(found) == 1
    (x, y, w, h), score, name = found[0]
    assert name == "mediapipe" and score > 0.5
    assert 180 < x + w / 2 < 420 and 120 < y + h / 2 < 260 and h > 80  # the woman's face


@needs_media
def test_mediapipe_follows_a_face_it_only_finds_in_the_whole_scene(
        mediapipe: FB.MediaPipeBackend) -> None:
    # Chaplin, head half turned, 46 px: MediaPipe scores him 0.54 in the 360p frame and
    # finds nothing in crops around him, so its near search runs on the whole frame.
    clip = MEDIA / "faces/chaplin/chaplin.mp4"
    _, frame = next(iter_frames(clip, height=360, start_s=0.95, duration_s=0.2))
    [(box, score)] = mediapipe.detect(frame)
    x0, y0, x1, y1 = FB.near_region(box, frame.shape, 2.0)
    assert mediapipe.detect(np.ascontiguousarray(frame[y0:y1, x0:x1])) == []
    near = FB.detect_near(frame, (box[0] + 4, box[1] - 3, box[2], box[3]), mediapipe,
                         min_size_px=24, min_score=0.4)
    assert near is not None and FB.iou(near[0], box) > 0.9 and near[2] == "mediapipe"
    assert mediapipe.detect(frame) == [(box, score)]  # the same frame: remembered
    assert mediapipe._last is not None and mediapipe._last[0] is frame


@needs_media
def test_live_recipe_tracks_filmed_people_with_mediapipe() -> None:
    clip = MEDIA / "faces/intel_sample_videos/face-demographics-walking.gif"
    width, height, _ = probe_video_only(clip)
    section = load_recipe(REPO / "recipes" / "live.yaml").vision.faces
    result = F.track_faces(clip, one_shot(2.9), section, source_width=width,
                           source_height=height, fps=6, height=360, progress=False)
    assert len(result.tracks) == 2, [(t.start_s, t.end_s) for t in result.tracks]
    assert result.backends["mediapipe"] >= 15 and result.backends.get("haar", 0) == 0


def test_search_interval_backs_off_to_the_follow_back_window() -> None:
    waits = [F.search_interval(1.0, n, 3.0) for n in range(6)]
    assert waits == [1.0, 1.0, 2.0, 3.0, 3.0, 3.0]
    assert F.search_interval(0.0, 5, 3.0) == 0.0  # 0: search every changed frame


def test_a_faceless_shot_is_searched_less_and_less_often(tmp_path: Path) -> None:
    clip = lavfi_video(tmp_path / "testsrc.mp4", "testsrc=size=320x240:rate=12", seconds=10)
    result = F.track_faces(clip, one_shot(10.0), FACES, source_width=320, source_height=240,
                           fps=6, progress=False)
    assert result.tracks == []
    # 0, 1, 3, 6, 9 s instead of every second.
    assert result.options.runs["whole_frame"] == 5


# --- visual activity and the fallback focus ---------------------------------------


def test_still_faceless_shot_focuses_its_salient_subject(tmp_path: Path) -> None:
    # A plain backdrop with a detailed object on the left third that never moves.
    clip = tmp_path / "still.mp4"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "color=c=0x606060:size=640x360:rate=6:duration=2",
                    "-f", "lavfi", "-i", "testsrc2=size=120x120:rate=6:duration=2",
                    "-filter_complex", "[1:v]trim=end_frame=1,loop=loop=-1:size=1[obj];"
                    "[0:v][obj]overlay=x=80:y=180:shortest=1",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    str(clip)], check=True)
    result = F.track_faces(clip, one_shot(2.0), FACES, source_width=1280, source_height=720,
                           fps=6, progress=False)
    assert result.tracks == []
    for frame in result.frames:
        x, y = frame.focus
        assert 200 < x < 500 and 380 < y < 620, frame.focus  # the object (x 160-400, y 360-600)
        assert 0.01 < frame.edges < 0.5


def test_edge_density_tells_busy_from_flat_frames() -> None:
    flat = np.full((90, 160), 96, np.uint8)
    busy = (np.indices((90, 160)).sum(axis=0) % 8 < 4).astype(np.uint8) * 200
    assert FT.edge_density(flat) == 0.0
    assert FT.edge_density(busy) > 0.5
