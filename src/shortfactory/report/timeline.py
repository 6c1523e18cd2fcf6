"""Editor hand-off: an episode's selected clips as an editable timeline.

The Shorts are finished videos; an editor who wants to trim a clip, move its crop or
fix a caption needs the cut itself. This writes it with OpenTimelineIO: one clip per
candidate (publishing order, back to back) referencing the SOURCE episode, so the
source timecodes are the clip's start and end; the same clips on an audio track; the
subtitle cues as markers; and, in each clip's metadata under ``shortfactory``, the
per-frame crop window (x, y, w, h in source pixels), the camera's shots and the paths
of the ASS/SRT files. The ``.otio`` keeps all of it; FCP XML (Premiere, Resolve,
Kdenlive) keeps clips, audio and markers; the CMX 3600 EDL keeps the video cut and the
markers as ``LOC`` comments (an EDL has one video track and no metadata).

Times are snapped to whole frames of the timeline rate: the source fps, or the SMPTE
rate it is a rounding of (23.976 is 24000/1001), since EDL and FCP XML count frames.
Media paths are absolute ``file://`` URLs: editing applications relink by absolute
path, and a moved project is one "relink media" away.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import opentimelineio as otio
import pysubs2

from shortfactory.core.artifacts import Candidates, Clip, CropPath, SourceProbe
from shortfactory.core.errors import InputError
from shortfactory.core.io import read_model, write_text_atomic

log = logging.getLogger(__name__)

# How close a probed fps must be to a SMPTE rate to be read as that rate (23.976 ->
# 24000/1001): containers store rounded or averaged rates.
RATE_TOLERANCE = 1e-3
ADAPTERS = {"otio": "otio_json", "xml": "fcp_xml", "edl": "cmx_3600"}


@dataclass(slots=True)
class Cue:
    """A subtitle cue on the source timeline (seconds)."""

    start_s: float
    end_s: float
    text: str


@dataclass(slots=True)
class ClipHandOff:
    """What the timeline carries for one clip besides its times."""

    crop: CropPath | None
    ass: str | None
    srt: str | None
    cues: list[Cue]


def timeline_rate(fps: float) -> float:
    """The frame rate the timeline counts in: the SMPTE rate ``fps`` rounds, else
    ``fps`` itself (a 15 fps screen recording stays 15 in .otio and FCP XML)."""
    if not fps > 0:
        raise ValueError(f"frame rate must be positive, got {fps}")
    nearest = otio.opentime.RationalTime.nearest_valid_timecode_rate(fps)
    return nearest if abs(nearest - fps) <= RATE_TOLERANCE * fps else fps


def edl_rate(rate: float) -> float:
    """An EDL needs a SMPTE timecode rate; other rates use the nearest one."""
    if otio.opentime.RationalTime.is_valid_timecode_rate(rate):
        return rate
    return otio.opentime.RationalTime.nearest_valid_timecode_rate(rate)


def frame_range(start_s: float, end_s: float, rate: float) -> otio.opentime.TimeRange:
    """``[start_s, end_s)`` snapped to whole frames: both ends are rounded (not the
    duration), so neighbouring clips cut on the same frame they meet at."""
    first = round(start_s * rate)
    last = max(round(end_s * rate), first + 1)
    return otio.opentime.TimeRange(otio.opentime.RationalTime(first, rate),
                                   otio.opentime.RationalTime(last - first, rate))


def srt_cues(srt_text: str, start_s: float, speed: float) -> list[Cue]:
    """The SRT's cues on the source timeline.

    The SRT is written on the finished Short's timeline (divided by ``render.speed``),
    so its times are multiplied back and shifted by the clip's source start.
    """
    subs = pysubs2.SSAFile.from_string(srt_text, format_="srt")
    return [Cue(start_s + event.start / 1000.0 * speed, start_s + event.end / 1000.0 * speed,
                event.plaintext.replace("\n", " ").strip())
            for event in subs if event.plaintext.strip()]


def crop_metadata(crop: CropPath) -> dict:
    """Per output frame the window (x, y, w, h, source px; 0.1 px), with the camera's
    shots: the crop an editor would otherwise rebuild by hand as keyframes."""
    widths, heights = crop.frame_sizes()
    data = {
        "fps": crop.fps, "start_s": crop.start_s, "end_s": crop.end_s,
        "source_width": crop.source_width, "source_height": crop.source_height,
        "frame_time": "start_s + i / fps (source seconds)",
        "x": [round(v, 1) for v in crop.x], "y": [round(v, 1) for v in crop.y],
        "w": list(widths), "h": list(heights),
        "shots": [shot.model_dump(mode="json") for shot in crop.shots],
    }
    if crop.x2:
        data["x2"] = [round(v, 1) for v in crop.x2]
        data["y2"] = [round(v, 1) for v in crop.y2]
    return data


def _clip(clip: Clip, rate: float, media: otio.schema.ExternalReference,
          hand_off: ClipHandOff | None, with_metadata: bool) -> otio.schema.Clip:
    item = otio.schema.Clip(name=clip.id, media_reference=media,
                            source_range=frame_range(clip.start_s, clip.end_s, rate))
    if hand_off is None:
        return item
    for cue in hand_off.cues:
        marker = otio.schema.Marker(name=cue.text, color=otio.schema.MarkerColor.YELLOW,
                                    marked_range=frame_range(cue.start_s, cue.end_s, rate))
        marker.metadata["shortfactory"] = {"kind": "subtitle"}
        item.markers.append(marker)
    if with_metadata:
        item.metadata["shortfactory"] = {
            "clip_id": clip.id, "rank": clip.rank, "total": clip.total,
            "start_s": clip.start_s, "end_s": clip.end_s,
            "signals": dict(clip.signals), "penalties": dict(clip.penalties),
            "reasons": list(clip.reasons),
            "crop": crop_metadata(hand_off.crop) if hand_off.crop is not None else None,
            "subtitles": {"ass": hand_off.ass, "srt": hand_off.srt,
                          "cues": [[c.start_s, c.end_s, c.text] for c in hand_off.cues]},
        }
    return item


def build_timeline(candidates: Candidates, probe: SourceProbe, source_url: str,
                   hand_offs: Mapping[str, ClipHandOff], *, rate: float | None = None,
                   audio: bool = True) -> otio.schema.Timeline:
    """The episode's clips in rank order on a video track (and an audio track).

    ``rate`` defaults to :func:`timeline_rate` of the source; the EDL passes its own.
    """
    rate = rate if rate is not None else timeline_rate(probe.video.fps)
    available = otio.opentime.TimeRange(
        otio.opentime.RationalTime(0, rate),
        otio.opentime.RationalTime(round(probe.duration_s * rate), rate))
    timeline = otio.schema.Timeline(name=candidates.episode)
    timeline.global_start_time = otio.opentime.RationalTime(0, rate)
    timeline.metadata["shortfactory"] = {
        "episode": candidates.episode, "source": source_url, "source_fps": probe.video.fps,
        "rate": rate, "source_width": probe.video.width, "source_height": probe.video.height,
    }
    kinds = [otio.schema.TrackKind.Video] + ([otio.schema.TrackKind.Audio] if audio else [])
    for kind in kinds:
        track = otio.schema.Track(name=f"Shorts ({kind.lower()})", kind=kind)
        for clip in sorted(candidates.clips, key=lambda c: c.rank):
            media = otio.schema.ExternalReference(target_url=source_url,
                                                  available_range=available)
            media.name = Path(probe.path).name
            # Markers and metadata once, on the picture: they would double on import.
            video = kind == otio.schema.TrackKind.Video
            track.append(_clip(clip, rate, media, hand_offs.get(clip.id) if video else None,
                               with_metadata=video))
        timeline.tracks.append(track)
    return timeline


def timeline_texts(candidates: Candidates, probe: SourceProbe, source_url: str,
                   hand_offs: Mapping[str, ClipHandOff]) -> dict[str, str]:
    """The three files' contents by suffix (``otio``, ``xml``, ``edl``)."""
    timeline = build_timeline(candidates, probe, source_url, hand_offs)
    rate = timeline_rate(probe.video.fps)
    texts = {suffix: otio.adapters.write_to_string(timeline, adapter_name=name)
             for suffix, name in ADAPTERS.items() if suffix != "edl"}
    cut_rate = edl_rate(rate)
    if cut_rate != rate:
        log.warning("%s: %.3f fps is no SMPTE timecode rate; the EDL counts %.3f fps "
                    "frames (the .otio and .xml keep the source rate)",
                    candidates.episode, rate, cut_rate)
    if not candidates.clips:
        # The CMX adapter cannot write an empty track; an EDL of no events is its header.
        log.warning("%s: no clips selected; the timelines are empty", candidates.episode)
        texts["edl"] = f"TITLE: {timeline.name}\nFCM: NON-DROP FRAME\n"
        return texts
    edl = build_timeline(candidates, probe, source_url, hand_offs, rate=cut_rate, audio=False)
    texts["edl"] = otio.adapters.write_to_string(edl, adapter_name=ADAPTERS["edl"])
    return texts


def export_timeline(candidates_path: str | Path, probe_path: str | Path,
                    source: str | Path, crop_paths: Sequence[str | Path],
                    srt_paths: Sequence[str | Path], ass_paths: Sequence[str | Path],
                    speed: float, outputs: Mapping[str, str | Path]) -> None:
    """Read the artifacts and write ``outputs`` (``otio``/``xml``/``edl`` -> path).

    Per-clip files are matched to clips by the clip-id folder they sit in
    (``results/<ep>/clips/<id>/...``), as the line names them.
    """
    candidates = read_model(candidates_path, Candidates)
    probe = read_model(probe_path, SourceProbe)
    if not probe.video.fps > 0:
        raise InputError(f"{probe_path}: video frame rate is {probe.video.fps}, cannot "
                         "place clips on a timeline")
    if not speed > 0:
        raise InputError(f"render.speed must be positive for subtitle times, got {speed}")
    crops = {Path(p).parent.name: read_model(p, CropPath) for p in crop_paths}
    srts = {Path(p).parent.name: Path(p) for p in srt_paths}
    asses = {Path(p).parent.name: Path(p) for p in ass_paths}
    hand_offs = {}
    for clip in candidates.clips:
        srt = srts.get(clip.id)
        cues = srt_cues(srt.read_text(encoding="utf-8"), clip.start_s, speed) if srt else []
        hand_offs[clip.id] = ClipHandOff(
            crop=crops.get(clip.id), cues=cues,
            srt=str(srt.resolve()) if srt else None,
            ass=str(asses[clip.id].resolve()) if clip.id in asses else None)
    texts = timeline_texts(candidates, probe, Path(source).resolve().as_uri(), hand_offs)
    for suffix, path in outputs.items():
        write_text_atomic(path, texts[suffix])
