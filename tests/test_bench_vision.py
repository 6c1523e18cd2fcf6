"""The vision benchmark's scoring: cut matching, fade gaps, face matching, frame mapping."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import REPO

from shortfactory.core.artifacts import Detection, FaceFrame, Faces
from shortfactory.core.media import ffmpeg_exe

# bench/ is not a package: load bench/vision.py by path under its own name.
_spec = importlib.util.spec_from_file_location("bench_vision", REPO / "bench" / "vision.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_vision"] = bench
_spec.loader.exec_module(bench)


def test_cut_matching_is_one_to_one_within_the_tolerance() -> None:
    truth = [bench.CutTruth(1.0), bench.CutTruth(2.0)]
    assert bench.match_cuts([1.1, 1.2, 2.6], truth) == (1, 2, 1)  # 1.2 is a second claim
    assert bench.match_cuts([], truth) == (0, 0, 2)
    assert bench.match_cuts([0.9, 2.4], truth) == (2, 0, 0)
    assert bench.f1(0, 0, 0) == 1.0  # nothing to find, nothing found
    assert bench.f1(0, 1, 0) == 0.0
    assert bench.f1(2, 1, 1) == pytest.approx(4 / 6)


def test_a_fade_is_hit_anywhere_in_its_black_gap() -> None:
    fade = bench.CutTruth(6.7, "fade", 6.2, 7.2)
    assert fade.distance(7.0) == 0.0 and fade.distance(7.6) == pytest.approx(0.4)
    assert bench.match_cuts([7.65], [fade]) == (1, 0, 0)
    assert bench.match_cuts([7.8], [fade]) == (0, 1, 1)


def test_sample_cut_truth_spans_the_fade_ramps() -> None:
    shots = [SimpleNamespace(index=0, fade_out_s=1.0, fade_in_s=0.0),
             SimpleNamespace(index=1, fade_out_s=0.0, fade_in_s=1.0),
             SimpleNamespace(index=2, fade_out_s=0.0, fade_in_s=0.0)]
    cuts = [SimpleNamespace(time_s=10.0, kind="fade", from_shot=0, to_shot=1),
            SimpleNamespace(time_s=20.0, kind="hard", from_shot=1, to_shot=2)]
    got = bench.sample_cut_truth(SimpleNamespace(shots=shots, cuts=cuts))
    assert (got[0].lo_s, got[0].hi_s) == (9.0, 11.0) and got[1].lo_s is None


def test_shown_frame_matches_what_ffmpeg_fps_filter_shows(tmp_path: Path) -> None:
    # Frame n of a 24 fps clip has grey level 4n; read it back at 6 fps.
    clip = tmp_path / "count.mp4"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=black:size=32x32:rate=24:duration=2,format=gray,geq=lum='4*N'",
                    "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", str(clip)],
                   check=True)
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(clip), "-vf", "fps=6",
                          "-pix_fmt", "gray", "-f", "rawvideo", "-"], capture_output=True,
                         check=True).stdout
    shown = np.round(np.frombuffer(raw, np.uint8).reshape(-1, 32 * 32).mean(axis=1) / 4)
    expected = [bench.shown_frame(k / 6, 6.0, 24.0) for k in range(len(shown))]
    assert shown[1:].tolist() == expected[1:]  # frame 0 too, but 4 * 0 hides in noise
    assert expected[:3] == [1, 5, 9]


def _truth_frame(frame: int, boxes: list[tuple[str, tuple, bool]]) -> SimpleNamespace:
    return SimpleNamespace(frame=frame, faces=[
        SimpleNamespace(character=c, box=b, speaking=s) for c, b, s in boxes])


def test_face_scores_recall_precision_switches_and_speaker_ranking() -> None:
    a, b = (100, 100, 200, 200), (1000, 100, 200, 200)
    truth = SimpleNamespace(
        fps=24, duration_s=60.0, shots=[SimpleNamespace(start_frame=0)],
        faces=[_truth_frame(shown, [("ann", a, True), ("bob", b, False)])
               for shown in (1, 5, 9, 13)])

    def det(box: tuple, track: int, activity: float) -> Detection:
        return Detection(box=box, score=0.9, backend="haar", track_id=track, activity=activity)

    frames = [FaceFrame(t=0.0, detections=[det(a, 0, 0.8), det(b, 1, 0.1)]),
              FaceFrame(t=1 / 6, detections=[det(a, 0, 0.7)]),  # bob missed
              FaceFrame(t=2 / 6, detections=[det(a, 2, 0.9), det(b, 1, 0.2),
                                             det((500, 500, 50, 50), 3, 0.0)]),  # switch, FP
              FaceFrame(t=3 / 6)]
    faces = Faces(analysis_fps=6.0, source_width=1920, source_height=1080, frames=frames)
    got = bench.face_scores(faces, truth)
    assert got["face_recall_sample"] == pytest.approx(5 / 8)
    assert got["face_precision_sample"] == pytest.approx(5 / 6)
    assert got["id_switches_per_min"] == pytest.approx(1.0)  # ann: track 0 -> 2, in 1 min
    assert got["speaker_activity_auc_sample"] == 1.0  # ann (speaking) always above bob


def test_recall_against_dense_counts_tracked_faces_one_to_one() -> None:
    def frames(*per_frame: list[tuple[list[float], int | None]]) -> Faces:
        return Faces(analysis_fps=6.0, source_width=1920, source_height=1080, frames=[
            FaceFrame(t=k / 6, detections=[Detection(box=box, score=0.9, backend="mediapipe",
                                                     track_id=tid) for box, tid in dets])
            for k, dets in enumerate(per_frame)])

    face, other = [100.0, 100.0, 50.0, 50.0], [400.0, 100.0, 50.0, 50.0]
    dense = frames([(face, 0), (other, 1)], [(face, 0)], [(other, None)])
    # Frame 0: one of its two tracked faces found; frame 1: the face, nudged; frame 2:
    # the dense run's untracked stray does not count.
    sparse = frames([(face, 0)], [([104.0, 102.0, 50.0, 50.0], 3)], [])
    assert bench.recall_against_dense(sparse, dense) == pytest.approx(2 / 3)
    # Untracked detections of the sparse run are no hit either, and one box is one hit.
    assert bench.recall_against_dense(frames([(face, None), (other, 1)], [], []),
                                      dense) == pytest.approx(1 / 3)
    assert bench.recall_against_dense(dense, dense) == 1.0


def test_auc_counts_ties_half() -> None:
    assert bench.auc([1.0, 2.0], [0.0]) == 1.0
    assert bench.auc([1.0], [1.0]) == 0.5
    assert bench.auc([0.0], [1.0, 2.0]) == 0.0


def test_cut_cases_cover_the_shared_media_with_truth() -> None:
    cases = bench.cut_cases()
    if not bench.MEDIA.is_dir():
        assert cases == []
        pytest.skip(f"shared media not found at {bench.MEDIA}")
    names = {Path(c.rel).name for c in cases}
    assert {"sintel_clip_10s.mp4", "tears_of_steel_clip_10s.mp4", "caminandes1_clip_10s.mp4",
            "big_buck_bunny_0_30.webm", "chaplin.mp4", "bikes.mp4", "testvideo.mp4",
            "fades.mp4"} == names
    assert sum(len(c.cuts) for c in cases) == 23
    assert [tr.kind for c in cases for tr in c.cuts].count("dissolve") == 1  # testvideo's
    assert {c.rel for c in cases if c.fade_case} >= {"scenecuts/pyscenedetect/fades.mp4"}


def test_fades_gaps_are_where_the_picture_is_black() -> None:
    clip = bench.MEDIA / "scenecuts/pyscenedetect/fades.mp4"
    if not clip.exists():
        pytest.skip(f"shared media not found: {clip}")
    gaps = bench.black_gaps(clip)
    for lo, hi in bench.FADES_GAPS.values():
        assert any(abs(g_lo - lo) < 0.05 and abs(g_hi + 0.04 - hi) < 0.05 for g_lo, g_hi in gaps)


def test_transition_files_keep_transitions_apart_and_inside_the_pieces() -> None:
    for name, (pieces, transitions) in bench.TRANSITION_FILES.items():
        assert len(pieces) == len(transitions) + 1, name
        lengths = [bench.PIECES[p][2] for p in pieces]
        seconds = [0.0] + [d for _, d in transitions] + [0.0]
        for k, length in enumerate(lengths):  # each piece keeps 0.5 s to itself
            assert length - seconds[k] - seconds[k + 1] >= 0.5, (name, pieces[k])
    kinds = [kind for _, ts in bench.TRANSITION_FILES.values() for kind, _ in ts]
    assert kinds.count("fade") == 12 and kinds.count("fadeblack") == 4


def test_a_made_transition_file_has_its_transitions_where_the_truth_says(
        tmp_path: Path) -> None:
    if not bench.MEDIA.is_dir():
        pytest.skip(f"shared media not found at {bench.MEDIA}")
    out = tmp_path / "dissolve1.mp4"
    truth = bench.make_transition_file("dissolve1", out)
    assert [(t.kind, t.lo_s, t.hi_s) for t in truth] == [
        ("dissolve", pytest.approx(3.2), pytest.approx(3.5)),
        ("dissolve", pytest.approx(5.2), pytest.approx(6.7))]
    assert bench.duration_of(out) == pytest.approx(3.5 + 3.5 + 3.5 - 0.3 - 1.5, abs=0.1)
