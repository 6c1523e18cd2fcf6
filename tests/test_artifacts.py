"""Every artifact model round-trips through its JSON file; stale files fail loudly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from shortfactory.core import artifacts as a
from shortfactory.core.errors import InputError
from shortfactory.core.io import atomic_path, read_model, write_model

WORDS = [a.Word(word="Hello", start=0.0, end=0.4, probability=0.9),
         a.Word(word="there!", start=0.45, end=0.9)]

EXAMPLES: list[BaseModel] = [
    a.SourceProbe(episode="ep", path="/x/ep.mp4", size_bytes=10, container="mp4",
                  duration_s=12.5, video=a.VideoStream(codec="h264", width=1920, height=1080,
                                                       fps=24.0, frames=300, pix_fmt="yuv420p"),
                  audio=a.AudioStream(codec="aac", sample_rate=48000, channels=2)),
    a.Transcript(language="en", language_probability=1.0, duration_s=12.5,
                 model="bundled:tiny.en", options={"beam_size": 5},
                 segments=[a.Segment(id=0, start=0.0, end=0.9, text="Hello there!",
                                     words=WORDS)]),
    a.AudioFeatures(hop_s=0.1, duration_s=0.2, options={}, loudness_lufs=[-20.0, -21.5],
                    speech=[1.0, 0.0], energy_delta=[0.0, 1.5], onset=[0.1, 0.2],
                    voice=[True, False],
                    silence=[False, False], score=[0.5, 0.25]),
    a.SceneCuts(analysis_fps=6.0, duration_s=12.5, cuts=[a.Cut(time_s=4.0, kind="hard",
                                                               score=0.8)],
                shots=[a.Shot(index=0, start_s=0.0, end_s=4.0),
                       a.Shot(index=1, start_s=4.0, end_s=12.5, mean_motion=0.1)],
                frame_scores=[0.0, 0.8]),
    a.Faces(analysis_fps=6.0, source_width=1920, source_height=1080, backends={"haar": 1},
            frames=[a.FaceFrame(t=0.0, detections=[a.Detection(box=(1, 2, 30, 40), score=0.9,
                                                              backend="haar", track_id=0)],
                                activity=0.2, focus=None),
                    a.FaceFrame(t=0.17, focus=(960.0, 540.0))],
            tracks=[a.Track(id=0, shot=0, start_s=0.0, end_s=0.0, times=[0.0],
                            boxes=[(1, 2, 30, 40)], mean_score=0.9, mean_size=0.04,
                            persistence=1.0, activity=0.1)]),
    a.Candidates(episode="ep", duration_s=12.5, clips=[a.Clip(
        id="c0000-0012", rank=1, start_s=0.0, end_s=12.0, total=0.5,
        signals={"audio": 0.5}, penalties={"length": 0.1}, reasons=["hook"], text="Hi")]),
    a.CropPath(clip_id="c0000-0012", start_s=0.0, end_s=0.1, fps=24.0, source_width=1920,
               source_height=1080, crop_width=608, crop_height=1080, x=[0.0, 1.0],
               y=[0.0, 0.0], shots=[a.CameraShot(start=0, end=0.1, mode="stationary",
                                                 focus="face:0")], fallback=[False, False]),
    a.ClipMetadata(clip_id="c0000-0012", episode="ep", title="Hi", description="d",
                   tags=["t"], hashtags=["#shorts"], start_s=0.0, end_s=12.0,
                   source_timecode="00:00:00", scores={"total": 0.5}, recipe_hash="abc"),
    a.ShortsIndex(episode="ep", shorts=[a.ShortEntry(id="c0000-0012", rank=1, video="v.mp4",
                                                     captions="v.srt", thumbnail="v.png",
                                                     metadata="m.json", start_s=0, end_s=12,
                                                     total=0.5, title="Hi")]),
    a.Accents(clip="c0000-0012", emoji=[a.EmojiAccent(start_s=1.0, end_s=2.5, emoji=["\U0001f525"],
                                                      y=0.6, size=0.0625)],
              moments=[a.Moment(t_s=1.0, end_s=1.4, word="wow", kind="trigger", weight=0.7)]),
]


@pytest.mark.parametrize("model", EXAMPLES, ids=lambda m: type(m).__name__)
def test_round_trip(tmp_path: Path, model: BaseModel) -> None:
    path = tmp_path / "artifact.json"
    write_model(path, model)
    again = read_model(path, type(model))
    assert again == model
    assert again.schema_version == a.SCHEMA_VERSION


def test_every_artifact_model_has_an_example() -> None:
    models = {v for v in vars(a).values() if isinstance(v, type) and issubclass(v, a.Artifact)
              and v is not a.Artifact}
    assert models == {type(m) for m in EXAMPLES}


def test_stale_artifact_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "transcript.json"
    path.write_text('{"language": "en", "duration_s": 1, "model": "m", "segmentz": []}')
    with pytest.raises(InputError, match=r"transcript.json: not a valid Transcript .*segmentz"):
        read_model(path, a.Transcript)


def test_written_artifacts_get_normal_permissions(tmp_path: Path) -> None:
    import os

    path = tmp_path / "a.json"
    write_model(path, EXAMPLES[0])
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_an_artifact_of_another_schema_version_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "candidates.json"
    path.write_text(json.dumps({"schema_version": a.SCHEMA_VERSION + 1, "episode": "e",
                                "duration_s": 1.0, "clips": []}))
    with pytest.raises(InputError, match=r"candidates\.json.*schema version"):
        read_model(path, a.Candidates)


def test_options_are_the_recipe_section_typed(tmp_path: Path) -> None:
    """An echoed section is read back as the section model: a key the recipe does not
    have, or a value it would refuse, is an error, not a silently different echo."""
    path = tmp_path / "scene_cuts.json"
    good = a.SceneCuts(analysis_fps=6.0, duration_s=1.0,
                       options={"threshold": 2.5, "seam_shots": 1})
    write_model(path, good)
    again = read_model(path, a.SceneCuts)
    assert again.options.threshold == 2.5 and again.options.seam_shots == 1
    assert again.options.refinement is None and again.options.min_distance == 0.3
    data = json.loads(path.read_text())
    for bad in ({"thresold": 2.5}, {"threshold": "high"}):
        path.write_text(json.dumps({**data, "options": bad}))
        with pytest.raises(InputError, match=r"scene_cuts\.json.*options"):
            read_model(path, a.SceneCuts)


def test_a_crop_path_with_arrays_of_different_lengths_is_refused() -> None:
    base = {"clip_id": "c1", "start_s": 0.0, "end_s": 1.0, "fps": 2.0, "source_width": 640,
            "source_height": 360, "crop_width": 202, "crop_height": 360,
            "x": [0.0, 1.0], "y": [0.0, 0.0]}
    assert len(a.CropPath(**base).x) == 2  # optional per-frame arrays may be empty
    for key, values in (("y", [0.0]), ("fallback", [False]), ("x2", [0.0, 1.0, 2.0])):
        with pytest.raises(ValidationError, match=f"{key} has"):
            a.CropPath(**{**base, key: values})
