"""Editor hand-off: the exported timelines re-import with the same clips, to the frame.

Round trips go through the installed adapters (OTIO JSON, FCP XML, CMX 3600 EDL), on a
real run of the line and on an NTSC-rate episode made up here, and the expected frames
are computed from candidates.json and source.json, not from the written files.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pysubs2
import pytest
from report_line import EPISODE, EPISODE_FILE, report_line

from shortfactory.core.artifacts import Candidates, Clip, CropPath, SourceProbe, VideoStream
from shortfactory.core.io import read_model
from shortfactory.report.timeline import (
    ClipHandOff,
    Cue,
    edl_rate,
    frame_range,
    srt_cues,
    timeline_rate,
    timeline_texts,
)

NTSC = 30000 / 1001


def _reimport(path: Path, rate: float) -> otio.schema.Timeline:
    extra = {"rate": rate} if path.suffix == ".edl" else {}
    return otio.adapters.read_from_file(str(path), **extra)


def _video_clips(timeline: otio.schema.Timeline) -> list[otio.schema.Clip]:
    tracks = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    assert len(tracks) == 1
    return list(tracks[0].find_clips())


def _frames(item: otio.schema.Clip) -> tuple[int, int]:
    r = item.source_range
    return (round(r.start_time.value), round(r.end_time_exclusive().value))


def test_rates_snap_to_smpte_only_when_they_are_a_rounding() -> None:
    assert timeline_rate(23.976) == pytest.approx(24000 / 1001, abs=1e-12)
    assert timeline_rate(29.97) == pytest.approx(NTSC, abs=1e-12)
    assert timeline_rate(25.0) == 25.0 and timeline_rate(15.0) == 15.0
    assert otio.opentime.RationalTime.is_valid_timecode_rate(edl_rate(15.0))
    with pytest.raises(ValueError):
        timeline_rate(0.0)


def test_frame_range_rounds_both_ends() -> None:
    r = frame_range(9.75, 25.75, 24.0)
    assert (r.start_time.value, r.duration.value, r.start_time.rate) == (234, 384, 24.0)
    # Neighbours meet on one frame: the end of one is the start of the next.
    a, b = frame_range(1.01, 2.02, NTSC), frame_range(2.02, 3.0, NTSC)
    assert a.end_time_exclusive().value == b.start_time.value


def test_srt_cues_go_back_to_the_source_timeline() -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\nHello\nthere\n\n2\n00:00:04,000 --> " \
          "00:00:05,500\nbye\n"
    cues = srt_cues(srt, start_s=100.0, speed=1.5)
    assert [(c.start_s, c.end_s, c.text) for c in cues] == [
        (101.5, 103.0, "Hello there"), (106.0, 108.25, "bye")]


def _made_up(tmp_path: Path) -> tuple[Candidates, SourceProbe, str]:
    clips = [Clip(id="c0700-0715", rank=1, start_s=700.25, end_s=715.5, total=0.9,
                  signals={}, penalties={}, reasons=[]),
             Clip(id="c0009-0025", rank=2, start_s=9.751, end_s=25.749, total=0.5,
                  signals={}, penalties={}, reasons=[])]
    probe = SourceProbe(episode="ep", path=str(tmp_path / "ep.mkv"), size_bytes=1,
                        container="matroska", duration_s=1000.0,
                        video=VideoStream(codec="h264", width=1920, height=1080, fps=29.97))
    return (Candidates(episode="ep", duration_s=1000.0, clips=clips), probe,
            (tmp_path / "ep.mkv").as_uri())


def test_ntsc_episode_round_trips_through_every_adapter(tmp_path: Path) -> None:
    cands, probe, url = _made_up(tmp_path)
    cue = Cue(701.0, 702.5, "Hi, you")
    texts = timeline_texts(cands, probe, url, {"c0700-0715": ClipHandOff(None, None, None,
                                                                         [cue])})
    for suffix, text in texts.items():
        path = tmp_path / f"t.{suffix}"
        path.write_text(text, encoding="utf-8")
        clips = _video_clips(_reimport(path, NTSC))
        assert [_frames(c) for c in clips] == [
            (round(c.start_s * NTSC), round(c.end_s * NTSC)) for c in cands.clips], suffix
        assert all(c.source_range.start_time.rate == pytest.approx(NTSC) for c in clips)
        assert clips[0].media_reference.target_url == url
        if suffix == "edl":
            # The adapter writes drop-frame LOC lines but does not read them back.
            assert "* LOC: 00:11:40;29 YELLOW  HI, YOU" in text
            continue
        # The subtitle cue is a marker of its clip, on the source frames it covers.
        (marker,) = clips[0].markers
        assert round(marker.marked_range.start_time.to_seconds() * NTSC) == round(701 * NTSC)


def test_an_episode_without_clips_gives_empty_timelines_that_reimport(tmp_path: Path) -> None:
    """A still, silent episode selects nothing; its hand-off is three empty, readable files
    (the CMX adapter cannot write an empty track by itself)."""
    cands, probe, url = _made_up(tmp_path)
    texts = timeline_texts(cands.model_copy(update={"clips": []}), probe, url, {})
    for suffix, text in texts.items():
        path = tmp_path / f"empty.{suffix}"
        path.write_text(text, encoding="utf-8")
        assert list(_reimport(path, NTSC).find_clips()) == [], suffix


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report_line(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", ["otio", "xml", "edl"])
def test_exported_timeline_reimports_with_the_clip_times(line: Path, suffix: str) -> None:
    cands = read_model(line / "results" / EPISODE / "candidates.json", Candidates)
    probe = read_model(line / "results" / EPISODE / "source.json", SourceProbe)
    rate = timeline_rate(probe.video.fps)
    timeline = _reimport(line / "export" / f"{EPISODE}.{suffix}", rate)
    clips = _video_clips(timeline)
    ranked = sorted(cands.clips, key=lambda c: c.rank)
    assert [c.name for c in clips] == [c.id for c in ranked]
    for item, clip in zip(clips, ranked, strict=True):
        assert item.source_range.start_time.rate == pytest.approx(rate)
        assert _frames(item) == (round(clip.start_s * rate), round(clip.end_s * rate))
        # The SOURCE episode, by absolute URL, so the editor's NLE can relink it.
        assert item.media_reference.target_url == \
            (line / "episodes" / EPISODE_FILE).resolve().as_uri()
        srt = pysubs2.load(str(line / "results" / EPISODE / "clips" / clip.id /
                               "subtitles.srt"))
        assert len(item.markers) == len([e for e in srt if e.plaintext.strip()]) > 0
    if suffix != "edl":  # an EDL has one (video) track; the others carry the sound too
        audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
        assert [_frames(c) for c in audio[0].find_clips()] == [_frames(c) for c in clips]


@pytest.mark.slow
def test_otio_metadata_holds_crop_path_and_subtitles(line: Path) -> None:
    timeline = otio.adapters.read_from_file(str(line / "export" / f"{EPISODE}.otio"))
    for item in _video_clips(timeline):
        meta = item.metadata["shortfactory"]
        clip_dir = line / "results" / EPISODE / "clips" / item.name
        crop = read_model(clip_dir / "crop_path.json", CropPath)
        widths, heights = crop.frame_sizes()
        assert meta["crop"]["x"] == pytest.approx(crop.x, abs=0.051)
        assert meta["crop"]["y"] == pytest.approx(crop.y, abs=0.051)
        assert (list(meta["crop"]["w"]), list(meta["crop"]["h"])) == (widths, heights)
        assert meta["crop"]["fps"] == crop.fps
        assert Path(meta["subtitles"]["ass"]) == (clip_dir / "subtitles.ass").resolve()
        assert Path(meta["subtitles"]["srt"]).is_file()
        cues = meta["subtitles"]["cues"]
        assert cues and all(meta["start_s"] - 1e-6 <= a < b <= meta["end_s"] + 0.5
                            for a, b, _ in cues)
