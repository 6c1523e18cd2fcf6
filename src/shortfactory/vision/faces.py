"""Faces on the analysis proxy: detections per frame, tracks within shots, motion fallback.

The stage (:func:`track_faces`); its layers, each replaceable on its own, live in
modules of their own:

1. **Backends** (:mod:`shortfactory.vision.face_backends`) find faces in one frame:
   ``haar`` (OpenCV's cascade, frontal live-action faces), ``animeface`` (drawn faces),
   ``mediapipe`` (where the package and a face-detector model are installed). A backend
   that cannot load is skipped with a warning and named, with a one-line reason, in
   ``Faces.options.unavailable``: missing faces degrade the camera to its motion
   fallback, they never stop the line. The detections of all backends in a frame are
   merged by non-maximum suppression.
   **Which frames run what** (the cost of the stage, scheduled here): the whole-frame
   pass (20-40 ms a 360p frame for Haar) runs on each shot's first frame, then at most
   every ``detect_every_s`` (recipe default 2 s) while faces are followed and every
   ``search_every_s`` (1 s) while none is, and only on frames that changed. In between,
   each face seen is looked for near where it was (:func:`detect_near`: Haar on a small
   region at a finer scale step, ~1 ms, which also finds faces the coarse whole-frame
   pass misses; MediaPipe, whose network costs the same on any input, on the whole
   frame, once per frame: so while it follows a face, each changed frame is a
   whole-frame pass, new faces included); a frame that barely differs from the last one
   searched (held cels, a static camera) keeps its faces; a face found late is followed
   back through the frames before it. On the sample cartoon: recall 0.98, precision 1.0
   against its truth with ~60 whole-frame runs; the whole-frame pass alone on every
   changed frame made 341 runs for recall 0.92. On the filmed 1080p mix
   (``recipes/live.yaml``) this keeps 94 % of the tracked faces that MediaPipe on every
   changed frame finds, at 60 % of its cost (``face_recall_vs_dense_mix1080_live``).
   Each detection records which of these found it (``kind``).
2. **Tracking** (:func:`link_tracks`, in :mod:`shortfactory.vision.face_tracking`)
   links detections frame to frame within a shot; here a track's gaps (up to
   ``max_gap_s``) are filled with interpolated boxes (:func:`interpolate_track`).
3. **Per-frame signals** (measured by :mod:`shortfactory.vision.face_tracking`):
   ``activity`` (the share of the frame that moved, [0, 1]) and, for frames without a
   tracked face, a ``focus`` point at the centre of motion, so the camera has something
   better than the frame centre to follow. Each detection gets an ``activity`` of its
   own, the change of the mouth area that motion cannot explain (:func:`mouth_change`),
   averaged along its track over +-0.2 s (:func:`smooth_activity`); each track the
   mean. On the sample it ranks the speaking face above the silent one of the same
   frame with AUC 0.83. A hint for choosing the active speaker frame by frame, not a
   lip reader.
4. **Per-shot statistics** (``Faces.shots``): the shots of ``scene_cuts.json`` with the
   mean number of tracked faces per frame, the share of frames with one, the tracks.

Boxes are ``[x, y, w, h]`` in **source** pixels (scaled from the proxy); ``min_size_px``
applies at the proxy's scale, where the detectors run.
"""

from __future__ import annotations

import logging
import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from shortfactory.core.artifacts import (
    Detection,
    FaceFrame,
    FaceOptions,
    Faces,
    SceneCuts,
    Shot,
    Track,
)
from shortfactory.core.media import iter_frames, probe_video_only
from shortfactory.core.recipe import FaceSection
from shortfactory.vision.face_backends import (
    NMS_IOU,
    BoxT,
    FaceBackend,
    detect_frame,
    detect_near,
    iou,
    make_backends,
    scale_box,
)
from shortfactory.vision.face_tracking import (
    MAX_SIZE_RATIO,
    activity_of,
    edge_density,
    link_tracks,
    motion_energy,
    mouth_change,
    salient_point,
)

log = logging.getLogger(__name__)

# Width of the thumbnail motion is measured on (enough for a centre, cheap).
MOTION_WIDTH = 160
# Below this edge density a frame is too flat to have a salient point: the centre is used.
MIN_EDGE_DENSITY = 0.005
# A frame that differs from the last frame the detectors ran on in less than this share
# of its pixels (same shot) keeps that frame's detections instead of running them again:
# 0.2 % is smaller than any face the detectors can find, and held cels (anime) or a
# static podcast camera make most frames like that (69 % of the sample episode's).
REUSE_SHARE = 0.002
# A detection's activity is the mean mouth change of its track within this many seconds
# either side (one analysis frame at 6 fps): it ranked the speaking face above the
# silent ones with AUC 0.85 on the sample instead of 0.79 frame by frame.
ACTIVITY_SMOOTH_S = 0.2
# The whole-frame detectors run on a shot's first frame and then at most every
# ``detect_every_s`` (recipe) on frames that changed since, or every ``search_every_s``
# while no face is being followed in the shot: each pass that finds nothing then doubles
# that wait, up to the follow-back window, so a face that shows up is found at most
# FOLLOW_BACK_S late and followed back to where it appeared, and a faceless shot (most of
# a cartoon without photo-like faces) costs a third of the whole-frame runs for no loss
# in recall. In between, each face seen is looked for in a region around where it was
# (:func:`detect_near`, with the NEAR_* settings of
# :mod:`shortfactory.vision.face_backends`).
# A face the whole-frame pass finds for the first time is looked for in up to this many
# seconds of the frames before it (in the same shot), so finding it late loses nothing.
FOLLOW_BACK_S = 3.0


# --- the stage entry point --------------------------------------------------------


def shot_starts(scene_cuts: SceneCuts) -> tuple[np.ndarray, np.ndarray]:
    """(start time, index) of each shot, as :func:`shot_of_times` assigns frames to them.

    A cut refined onto its source frame can sit a fraction of a source frame after the
    nominal time of the analysis frame that first showed the new shot (that frame shows
    a source frame a little after its slot); such a frame belongs to the new shot, so
    where the cut kept its ``analysis_time_s`` that is where the new shot starts here.
    """
    starts = np.array([s.start_s for s in scene_cuts.shots], dtype=np.float64)
    if len(scene_cuts.cuts) == len(starts) - 1:
        for i, cut in enumerate(scene_cuts.cuts):
            if cut.analysis_time_s is not None:
                starts[i + 1] = min(starts[i + 1], cut.analysis_time_s)
    return starts, np.array([s.index for s in scene_cuts.shots], dtype=int)


def shot_of_times(times: np.ndarray, scene_cuts: SceneCuts,
                  starts: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Shot index of each analysis-frame time, from ``scene_cuts`` (one shot if none);
    ``starts``: :func:`shot_starts` of it, when already at hand."""
    if not scene_cuts.shots:
        return np.zeros(len(np.atleast_1d(times)), dtype=int)
    begin, indices = starts if starts is not None else shot_starts(scene_cuts)
    # Cut times are analysis-frame times: a frame at the cut belongs to the new shot.
    pos = np.searchsorted(begin, np.asarray(times) + 1e-3, side="right") - 1
    return indices[np.clip(pos, 0, len(indices) - 1)]


@dataclass(slots=True)
class _Det:
    """One face in one analysis frame, in proxy pixels, while the stage runs."""

    box: BoxT
    score: float
    backend: str
    kind: str = "detected"
    mouth: float | None = None
    activity: float | None = None  # set once tracks are known (smoothed along the track)


@dataclass(slots=True)
class _FrameRecord:
    t: float
    shot: int
    dets: list[_Det]
    activity: float
    motion_centre: tuple[float, float] | None
    edges: float = 0.0
    salient: tuple[float, float] | None = None  # where a still frame draws the eye


@dataclass(slots=True)
class _Follow:
    """A face the loop is following inside the current shot, between whole-frame runs.

    Its size is anchored to what the whole-frame pass measured (searches near it pick
    the candidate closest to that size, so the box cannot creep), and its centre moves
    at the velocity seen between its last two sightings.
    """

    box: BoxT
    t: float
    backend: str
    size: float
    velocity: tuple[float, float] = (0.0, 0.0)

    def predict(self, t: float) -> BoxT:
        x, y, w, h = self.box
        dt = t - self.t
        cx = x + w / 2 + self.velocity[0] * dt
        cy = y + h / 2 + self.velocity[1] * dt
        k = self.size / max(h, 1e-6)
        return cx - w * k / 2, cy - self.size / 2, w * k, self.size

    def seen(self, det: _Det, t: float) -> _Follow:
        """This face, seen again as ``det`` at ``t``."""
        dt = t - self.t
        velocity = self.velocity
        if dt > 1e-6:
            x, y, w, h = self.box
            nx, ny, nw, nh = det.box
            now = ((nx + nw / 2 - x - w / 2) / dt, (ny + nh / 2 - y - h / 2) / dt)
            velocity = (0.5 * (velocity[0] + now[0]), 0.5 * (velocity[1] + now[1]))
        size = det.box[3] if det.kind == "detected" else self.size
        return _Follow(det.box, t, det.backend, size, velocity)


def _same_face(a: BoxT, b: BoxT) -> bool:
    """Loose identity for the loop's own bookkeeping (the tracks are linked later).

    Boxes of very different size are not the same face even where they overlap: a
    stray half-size detection inside a followed face (Haar on a turning head) would
    otherwise become its new anchor, and the near search would then look for a face
    half its size and lose it.
    """
    if max(a[3], b[3]) > MAX_SIZE_RATIO * max(1e-6, min(a[3], b[3])):
        return False
    if iou(a, b) > NMS_IOU:
        return True
    dist = np.hypot(a[0] + a[2] / 2 - b[0] - b[2] / 2, a[1] + a[3] / 2 - b[1] - b[3] / 2)
    return bool(dist < 0.5 * max(a[3], b[3]))


def _add_if_new(dets: list[_Det], found: _Det | None) -> None:
    """Add a near search's find to a frame's detections unless one of them is that face."""
    if found is not None and not any(_same_face(found.box, d.box) for d in dets):
        dets.append(found)


def track_faces(proxy_path: str | Path, scene_cuts: SceneCuts, section: FaceSection, *,
                source_width: int, source_height: int, fps: float | None = None,
                height: int | None = None, progress: bool = True) -> Faces:
    """Detect, track and describe the faces of a video; never fails for lack of faces.

    The whole-frame detectors run on the first frame of every shot and then at most
    every ``detect_every_s`` (``search_every_s`` while no face is being followed), and
    only on frames that changed since their last run; on
    the frames in between each face seen is looked for near where it was
    (:func:`detect_near`, ~1 ms instead of 20-40 ms), and a frame that barely changed
    keeps the last frame's faces. A face that the whole-frame pass finds for the first
    time is followed back through the frames since its previous run, so finding it late
    loses nothing. After linking, a track's gaps (up to ``max_gap_s``) are filled with
    interpolated boxes. Every detection says which of these it came from (``kind``).

    Args:
        proxy_path: the analysis proxy (or any video with ``fps``/``height`` given).
        scene_cuts: the episode's shots; tracks are cut at every shot boundary.
        section: the recipe's ``vision.faces`` section, the validated model: every
            setting comes from it (no defaults of this function's own, so what the
            recipe documents is what runs): ``backends`` and ``use``, ``min_size_px``,
            ``min_score``, ``track_iou``, ``max_gap_s``, ``min_track_s``,
            ``detect_every_s``, ``search_every_s`` (0 runs the whole-frame detectors on
            every changed frame). The artifact echoes the whole section in ``options``,
            with the backends that could not load under ``unavailable``.
        source_width: width of the source the boxes are reported in.
        source_height: height of the source.
        fps: analysis frame rate; default the proxy's own.
        height: analysis height; default the proxy's own.
        progress: show a tqdm bar (frames) on stderr.

    Returns:
        :class:`Faces` with one :class:`FaceFrame` per analysis frame, the tracks, and the
        shots of ``scene_cuts`` with their face statistics.
    """
    backends, unavailable = make_backends(section.backends, min_size_px=section.min_size_px,
                                          first_only=section.use == "first")
    try:
        return _track_faces(proxy_path, scene_cuts, section, backends, unavailable,
                            source_width=source_width, source_height=source_height, fps=fps,
                            height=height, progress=progress)
    finally:
        for backend in backends:
            if hasattr(backend, "close"):
                backend.close()


def _track_faces(proxy_path: str | Path, scene_cuts: SceneCuts, section: FaceSection,
                 backends: list[FaceBackend], unavailable: dict[str, str], *,
                 source_width: int, source_height: int, fps: float | None,
                 height: int | None, progress: bool) -> Faces:
    native_fps = probe_video_only(proxy_path)[2]
    rate = float(fps or native_fps)
    min_size = section.min_size_px
    min_score = section.min_score
    max_gap = section.max_gap_s
    every = section.detect_every_s
    search_every = section.search_every_s
    names = section.backends
    by_name = {b.name: b for b in backends}
    if not backends:
        log.warning("no face backend can run (%s): motion fallback only",
                    "; ".join(f"{k}: {v}" for k, v in unavailable.items()) or "none requested")

    def near(rgb: np.ndarray, grey: np.ndarray, box: BoxT, name: str) -> _Det | None:
        backend = by_name.get(name)
        hit = None if backend is None else detect_near(
            rgb, box, backend, min_size_px=min_size, min_score=min_score, grey=grey)
        return None if hit is None else _Det(hit[0], hit[1], hit[2], "tracked")

    near_is_whole_frame = bool(backends) and all(
        getattr(b, "near_in_whole_frame", False) for b in backends)
    records: list[_FrameRecord] = []
    runs = {"whole_frame": 0, "near": 0, "reused": 0, "followed_back": 0}
    sx = sy = 1.0
    prev_grey: np.ndarray | None = None
    prev_small: np.ndarray | None = None
    prev_shot: int | None = None
    key_small: np.ndarray | None = None  # last frame any detector ran on ...
    key_dets: list[_Det] = []  # ... and what it found there
    full_small: np.ndarray | None = None  # last frame the whole-frame pass ran on
    last_full_t = -np.inf
    empty_passes = 0  # whole-frame passes in a row, in this shot, that found nothing
    moved_in_shot = False  # a centre of motion has been seen in this shot
    following: list[_Follow] = []
    # The last frames of this shot, for following a new face back in time:
    # (record, rgb, grey, previous grey); bounded, so memory does not grow.
    lookback = max(1, round(max(FOLLOW_BACK_S, every) * rate))
    recent: deque[tuple[int, np.ndarray, np.ndarray, np.ndarray | None]] = deque(
        maxlen=lookback)
    starts = shot_starts(scene_cuts)
    total = max(1, round(scene_cuts.duration_s * rate))
    bar = tqdm(total=total, unit="frame", desc="faces", file=sys.stderr, disable=not progress,
               mininterval=1.0)
    with bar:
        for t, rgb in iter_frames(proxy_path, fps=fps, height=height):
            h, w = rgb.shape[:2]
            sx, sy = source_width / w, source_height / h
            shot = int(shot_of_times(np.array([t]), scene_cuts, starts)[0])
            if shot != prev_shot:  # nothing carries over a cut
                prev_grey = prev_small = key_small = full_small = None
                key_dets, following = [], []
                recent.clear()
                last_full_t = -np.inf
                empty_passes = 0
                moved_in_shot = False
            grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            small = cv2.resize(grey, (MOTION_WIDTH, max(1, round(MOTION_WIDTH * h / w))),
                               interpolation=cv2.INTER_AREA)
            small = cv2.GaussianBlur(small, (3, 3), 0)
            changed_since_full = (full_small is None
                                  or motion_energy(full_small, small)[0] >= REUSE_SHARE)
            # With no face to follow, look again sooner: nothing else would find one.
            interval = every if following else search_interval(
                min(every, search_every), empty_passes, lookback / rate)
            # Where every near search is a whole-frame run anyway (MediaPipe alone), a
            # frame with a face to follow gets the whole-frame pass for free: new faces too.
            if following and near_is_whole_frame:
                interval = 0.0
            if backends and t - last_full_t >= interval - 1e-6 and changed_since_full:
                dets = [_Det(b, sc, n) for b, sc, n in detect_frame(
                    rgb, backends, min_size_px=min_size, min_score=min_score, grey=grey)]
                runs["whole_frame"] += 1
                # Faces followed so far that this pass missed: look near where they were.
                for fol in following:
                    if not any(_same_face(fol.predict(t), d.box) for d in dets):
                        _add_if_new(dets, near(rgb, grey, fol.predict(t), fol.backend))
                # Faces new to this pass: follow them back to where they appeared.
                for d in dets:
                    if d.kind == "detected" and not any(_same_face(f.predict(t), d.box)
                                                        for f in following):
                        runs["followed_back"] += follow_back(d, t, recent, records, near,
                                                                 max_gap)
                last_full_t = t
                empty_passes = 0 if dets else empty_passes + 1
                full_small = key_small = small
                key_dets = dets
            elif key_small is not None and motion_energy(key_small, small)[0] < REUSE_SHARE:
                dets = [_Det(d.box, d.score, d.backend, "reused") for d in key_dets]
                runs["reused"] += 1
            else:
                dets = []
                for fol in following:
                    if t - fol.t <= max_gap + 1e-6:
                        _add_if_new(dets, near(rgb, grey, fol.predict(t), fol.backend))
                runs["near"] += bool(following)
                key_small, key_dets = small, dets
            for d in dets:
                d.mouth = mouth_change(prev_grey, grey, d.box)
            following = _update_following(following, dets, t, max_gap)
            share, centre = motion_energy(prev_small, small)
            to_frame = (w / small.shape[1], h / small.shape[0])
            if centre is not None:
                centre = (centre[0] * to_frame[0], centre[1] * to_frame[1])
                moved_in_shot = True
            edges = edge_density(small)
            salient = None
            # Only where it can be the focus: no face, and nothing has moved yet in this
            # shot (a centre of motion, once seen, is held; see _describe_frames).
            if not dets and not moved_in_shot and edges >= MIN_EDGE_DENSITY:
                sx_, sy_ = salient_point(small)
                salient = (sx_ * to_frame[0], sy_ * to_frame[1])
            records.append(_FrameRecord(t=t, shot=shot, dets=dets, activity=share,
                                        motion_centre=centre, edges=edges, salient=salient))
            recent.append((len(records) - 1, rgb, grey, prev_grey))
            prev_grey, prev_small, prev_shot = grey, small, shot
            bar.update(1)

    times = np.array([r.t for r in records])
    shots = np.array([r.shot for r in records], dtype=int)
    links = link_tracks(times, shots, [[d.box for d in r.dets] for r in records],
                        min_iou=section.track_iou, max_gap_s=max_gap,
                        min_track_s=section.min_track_s, frame_s=1.0 / rate)
    links = [interpolate_track(members, records) for members in links]
    for r in records:
        for d in r.dets:
            d.activity = activity_of(d.mouth)
    for members in links:
        smooth_activity(members, records, ACTIVITY_SMOOTH_S)
    track_of: dict[tuple[int, int], int] = {}
    tracks: list[Track] = []
    for tid, members in enumerate(links):
        for key in members:
            track_of[key] = tid
        tracks.append(_describe_track(tid, members, records, int(shots[members[0][0]]), rate,
                                      sx, sy, source_height))
    frames = _describe_frames(records, shots, track_of, sx, sy, source_width, source_height)
    counts = dict.fromkeys(names, 0)
    for r in records:
        for d in r.dets:
            if d.kind != "interpolated":
                counts[d.backend] = counts.get(d.backend, 0) + 1
    options = FaceOptions(**section.model_dump(), runs=runs, unavailable=unavailable)
    log.info("%s: %d frames, detector runs %s, %d detections, %d tracks", proxy_path,
             len(records), runs, sum(len(r.dets) for r in records), len(tracks))
    return Faces(analysis_fps=rate, source_width=source_width, source_height=source_height,
                 options=options, backends=counts, frames=frames, tracks=tracks,
                 shots=shot_stats(scene_cuts, frames, shots, tracks))


def search_interval(base_s: float, empty_passes: int, limit_s: float) -> float:
    """Wait before the next whole-frame search while no face is followed.

    Doubles with every empty pass since the shot began or a face was last seen, never
    beyond ``limit_s`` (the follow-back window) nor below ``base_s``; ``base_s`` 0 keeps
    searching every changed frame.
    """
    if base_s <= 0:
        return 0.0
    return max(base_s, min(limit_s, base_s * 2.0 ** max(0, empty_passes - 1)))


def follow_back(det: _Det, t: float,
                recent: Sequence[tuple[int, np.ndarray, np.ndarray, np.ndarray | None]],
                records: list[_FrameRecord], near: Any, max_gap: float) -> int:
    """Look for a face found at ``t`` in the frames before it (newest first) until it
    has not been seen for ``max_gap`` seconds; add it to the frames where it is found.
    Returns how many frames gained it."""
    box, added, seen_t = det.box, 0, t
    for index, rgb, grey, before in reversed(recent):
        rec = records[index]
        if seen_t - rec.t > max_gap + 1e-6 or any(_same_face(box, d.box) for d in rec.dets):
            break
        found = near(rgb, grey, box, det.backend)
        if found is None:
            continue
        found.mouth = mouth_change(before, grey, found.box)
        rec.dets.append(found)
        box, seen_t = found.box, rec.t
        added += 1
    return added


def _update_following(following: list[_Follow], dets: list[_Det], t: float,
                      max_gap: float) -> list[_Follow]:
    """Move followed faces to this frame's detections; start new ones; drop the lost."""
    out: list[_Follow] = []
    used: set[int] = set()
    for fol in following:
        guess = fol.predict(t)
        match = next((i for i, d in enumerate(dets)
                      if i not in used and _same_face(guess, d.box)), None)
        if match is not None:
            used.add(match)
            out.append(fol.seen(dets[match], t))
        elif t - fol.t <= max_gap + 1e-6:
            out.append(fol)
    out.extend(_Follow(d.box, t, d.backend, d.box[3]) for i, d in enumerate(dets)
               if i not in used)
    return out


def interpolate_track(members: list[tuple[int, int]], records: list[_FrameRecord],
                      ) -> list[tuple[int, int]]:
    """Fill the frames a track skipped (a missed detection, bridged by the linker) with
    boxes interpolated between its detections either side; returns the new members."""
    out: list[tuple[int, int]] = []
    for (f0, d0), (f1, d1) in zip(members, members[1:], strict=False):
        out.append((f0, d0))
        a, b = records[f0].dets[d0], records[f1].dets[d1]
        for f in range(f0 + 1, f1):
            u = (records[f].t - records[f0].t) / max(records[f1].t - records[f0].t, 1e-9)
            box = tuple(round(p + u * (q - p), 2) for p, q in zip(a.box, b.box, strict=True))
            if any(iou(box, d.box) > NMS_IOU for d in records[f].dets):
                continue  # something else is there: leave the gap
            records[f].dets.append(_Det(box, round(min(a.score, b.score), 4), a.backend,
                                        "interpolated"))
            out.append((f, len(records[f].dets) - 1))
    out.append(members[-1])
    return out


def smooth_activity(members: list[tuple[int, int]], records: list[_FrameRecord],
                    half_window_s: float) -> None:
    """Set each member's ``activity`` from the mean mouth change of the track within
    ``half_window_s`` either side (None where none was measured)."""
    times = np.array([records[f].t for f, _ in members])
    mouths = [records[f].dets[d].mouth for f, d in members]
    for i, (f, d) in enumerate(members):
        lo = np.searchsorted(times, times[i] - half_window_s - 1e-6)
        hi = np.searchsorted(times, times[i] + half_window_s + 1e-6, side="right")
        near = [m for m in mouths[lo:hi] if m is not None]
        records[f].dets[d].activity = activity_of(float(np.mean(near))) if near else None


def shot_stats(scene_cuts: SceneCuts, frames: list[FaceFrame], shot_index: np.ndarray,
               tracks: list[Track]) -> list[Shot]:
    """The shots of ``scene_cuts`` with their face statistics: mean tracked faces per
    analysis frame, the share of frames with one, and how many tracks (``shot_index``:
    the shot of each frame, as the loop assigned it)."""
    counts = np.array([sum(d.track_id is not None for d in f.detections) for f in frames])
    out = []
    for shot in scene_cuts.shots:
        inside = shot_index == shot.index
        n = counts[inside]
        out.append(shot.model_copy(update={
            "mean_faces": round(float(n.mean()), 4) if n.size else 0.0,
            "face_share": round(float((n > 0).mean()), 4) if n.size else 0.0,
            "tracks": sum(tr.shot == shot.index for tr in tracks),
        }))
    return out


def _describe_track(tid: int, members: list[tuple[int, int]], records: list[_FrameRecord],
                    shot: int, rate: float, sx: float, sy: float, source_height: int) -> Track:
    times = [records[f].t for f, _ in members]
    dets = [records[f].dets[d] for f, d in members]
    boxes = [scale_box(d.box, sx, sy) for d in dets]
    span_frames = round((times[-1] - times[0]) * rate) + 1
    seen = [d for d in dets if d.kind != "interpolated"]
    changes = [d.mouth for d in seen if d.mouth is not None]
    activity = activity_of(float(np.mean(changes))) if changes else 0.0
    return Track(
        id=tid, shot=shot, start_s=round(times[0], 4), end_s=round(times[-1], 4),
        times=[round(t, 4) for t in times], boxes=boxes,
        mean_score=round(float(np.mean([d.score for d in seen])), 4),
        mean_size=round(float(np.mean([b[3] for b in boxes])) / source_height, 4),
        persistence=round(len(seen) / max(1, span_frames), 4),
        activity=round(activity, 4),
    )


def _describe_frames(records: list[_FrameRecord], shots: np.ndarray,
                     track_of: dict[tuple[int, int], int], sx: float, sy: float,
                     source_width: int, source_height: int) -> list[FaceFrame]:
    frames = []
    held: tuple[float, float] | None = None
    for f, rec in enumerate(records):
        if f == 0 or shots[f] != shots[f - 1]:
            held = None  # a new shot: the old centre of motion means nothing here
        if rec.motion_centre is not None:
            held = (round(rec.motion_centre[0] * sx, 1), round(rec.motion_centre[1] * sy, 1))
        detections = []
        for d, det in enumerate(rec.dets):
            act = det.activity
            detections.append(Detection(
                box=scale_box(det.box, sx, sy), score=round(det.score, 4), backend=det.backend,
                track_id=track_of.get((f, d)), kind=det.kind,
                activity=None if act is None else round(act, 4)))
        tracked = any(det.track_id is not None for det in detections)
        # Without a tracked face: the centre of motion, held through still frames; where
        # nothing has moved yet in this shot, the salient point; for a flat frame, the
        # frame centre.
        salient = None if rec.salient is None else (round(rec.salient[0] * sx, 1),
                                                     round(rec.salient[1] * sy, 1))
        focus = None if tracked else (held or salient or (source_width / 2, source_height / 2))
        frames.append(FaceFrame(t=round(rec.t, 4), detections=detections,
                                activity=round(rec.activity, 4), edges=round(rec.edges, 4),
                                focus=focus))
    return frames
