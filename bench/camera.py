"""Camera benchmark: does the window keep the character, and does it move like a camera?

``bench_camera()`` plans the virtual camera over the whole bundled sample episode (one
148 s "clip", every shot) from the sample's real analysis artifacts (proxy, ASR
transcript, scene cuts, faces; made by the functions the rules call) with the default
recipe, and measures it against the sample's ground truth:

* ``coverage``: as the issue defines it: among source frames where the truth shows a
  face, the share where the speaking character's face (or the only face) lies fully
  inside the window. Frames with several faces and nobody speaking name no face and
  are left out: that pause is where the camera moves between speakers. Boxes partly
  outside the frame are clipped to it.
* ``coverage_all_face_frames``: the same, counting also the frames with several faces
  and nobody speaking (any face fully inside will do there); ``coverage_letterbox_on``
  with the recipe's ``letterbox`` option switched on (a letterboxed frame shows
  everyone), ``shots_letterboxed_when_on`` how many shots it letterboxes.
* The default recipe zooms out per shot (``zoom_range``) to frame two faces together;
  ``coverage_one_window`` / ``reversals_per_s_one_window`` are the same camera held at
  the base zoom (one full-height window that swings between speakers),
  ``coverage_oracle`` that window's ceiling (the path solver fed the true speaker boxes:
  what the speed limit alone costs), ``coverage_zoom_on`` with a zoom range that also
  zooms in (``BENCH_ZOOM_RANGE``), ``coverage_split_on`` with split screen.
* Baselines on the same frames, same run, fed the same per-frame target as the
  one-window camera (the face its target chooser picks, sampled at the analysis rate,
  as a detector gives it), at the base zoom: ``coverage_center`` (a still centre
  crop), ``coverage_follow`` (the window centred on the target every frame, no
  smoothing), ``coverage_tripod`` (no move while
  the target stays within a dead zone of 0.25 x crop width, then 3 px/frame, 15
  px/frame when far (beyond half a crop width), and a jump of the target followed only
  after 3 consecutive analysis frames confirm it).
* Motion, inside shots (a cut may jump): ``reversals_per_s`` (changes of pan direction
  per second; ``_tripod`` for the tripod), ``travel_px_s`` (path length per second),
  ``max_speed_px_s`` against ``speed_limit_px_s`` (the recipe's), ``within_shot_jumps``
  (steps faster than the limit), ``jerk_ratio_vs_follow`` (mean absolute third
  difference of the follow baseline over ours: > 1 is smoother).
* ``solve_s_per_60s``: wall seconds of ``plan_camera`` per 60 s of clip (the whole
  planner, not only the LP).
* ``coverage_real``: on the shared real clips with faces (Tears of Steel, Intel's
  people clips, Chaplin), the share of analysed frames with a tracked face where a
  tracked face lies fully inside the window (no transcript: mouth activity alone
  picks among faces); ``coverage_real_center`` the same for a centre crop.

Run it as ``python bench/run.py camera``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"
REAL_CLIPS = (
    "faces/tears_of_steel/tears_of_steel_clip_10s.mp4",
    "faces/chaplin/chaplin.mp4",
    "faces/intel_sample_videos/head-pose-face-detection-female-and-male.gif",
    "faces/intel_sample_videos/head-pose-face-detection-female.gif",
    "faces/intel_sample_videos/head-pose-face-detection-male.gif",
    "faces/intel_sample_videos/face-demographics-walking-and-pause.gif",
    "faces/intel_sample_videos/classroom.gif",
)
TRIPOD_DEAD_ZONE = 0.25  # share of the crop width (the whole zone, centred)
TRIPOD_SLOW_PX = 3.0  # px per frame
TRIPOD_FAST_PX = 15.0  # px per frame, when the target is far
TRIPOD_FAR = 0.5  # share of the crop width that counts as far
TRIPOD_CONFIRM = 3  # analysis frames that must confirm a jump of the target
STILL_PX = 0.05  # a smaller step is no motion
# The zoom range tried for ``coverage_zoom_on``: out far enough for the sample's
# two-shots (faces about 900 px apart edge to edge), in up to 1.5 on small faces.
BENCH_ZOOM_RANGE = (0.5, 1.5)

# --- truth --------------------------------------------------------------------------


def truth_needs(truth: Any, n_frames: int, silent_groups: bool = False,
                ) -> list[list[tuple[float, float]] | None]:
    """Per source frame: the acceptable face spans ``(left, right)`` (one must be fully
    inside), or ``None`` where the truth shows no face.

    One span where the truth says who matters (the speaker, the only face). Where
    several faces are there and nobody speaks the issue names no face: such frames are
    left out, or, with ``silent_groups``, any of the faces will do.
    """
    by_frame = {f.frame: f.faces for f in truth.faces}
    out: list[list[tuple[float, float]] | None] = [None] * n_frames
    for k in range(n_frames):
        faces = by_frame.get(k)
        if not faces:
            continue

        def span(fb: Any) -> tuple[float, float]:
            x, _, w, _ = fb.box
            return max(0.0, float(x)), min(float(truth.width), float(x + w))

        speaking = [f for f in faces if f.speaking]
        if speaking:
            out[k] = [span(speaking[0])]
        elif len(faces) == 1:
            out[k] = [span(faces[0])]
        elif silent_groups:
            out[k] = [span(f) for f in faces]
    return out


def coverage(x: np.ndarray, crop_w: float | np.ndarray, needs: list,
             letterbox: np.ndarray | None = None, x2: np.ndarray | None = None) -> float:
    """Share of frames with a need where one needed span lies fully inside the window.

    ``crop_w`` may vary per frame (zoomed shots); ``x2`` is the second window of split
    shots (NaN elsewhere): a face fully inside either panel is shown.
    """
    widths = np.broadcast_to(np.asarray(crop_w, dtype=float), (len(x),))
    hit = total = 0
    for k, spans in enumerate(needs[:len(x)]):
        if spans is None:
            continue
        total += 1
        if letterbox is not None and letterbox[k]:
            hit += 1
            continue
        lefts = [x[k]] if x2 is None or np.isnan(x2[k]) else [x[k], x2[k]]
        hit += any(lo >= left - 0.5 and hi <= left + widths[k] + 0.5
                   for lo, hi in spans for left in lefts)
    return hit / max(1, total)


# --- baselines ----------------------------------------------------------------------


def sampled_targets(plans: list, analysis_times: np.ndarray) -> np.ndarray:
    """Our chooser's target centre per output frame, as a detector would give it:
    refreshed only at analysis frames (held in between), NaN where there is none."""
    out = []
    for _, plan, times in plans:
        centre = plan.targets.centre if plan.targets is not None else np.full(len(times), np.nan)
        k = np.searchsorted(analysis_times, times + 1e-6, side="right") - 1
        last_t = analysis_times[np.clip(k, 0, len(analysis_times) - 1)]
        idx = np.clip(np.searchsorted(times, last_t - 1e-6), 0, len(times) - 1)
        out.append(centre[idx])
    return np.concatenate(out)


def follow_path(target: np.ndarray, edges: list[int], crop_w: int, max_left: float
                ) -> np.ndarray:
    """The window centred on the target every frame; held where there is none."""
    x = np.empty(len(target))
    for s, e in zip(edges, edges[1:], strict=False):
        pos = max_left / 2
        for i in range(s, e):
            if not np.isnan(target[i]):
                pos = float(np.clip(target[i] - crop_w / 2, 0, max_left))
            x[i] = pos
    return x


def tripod_path(target: np.ndarray, edges: list[int], crop_w: int, max_left: float,
                frames_per_analysis: int) -> np.ndarray:
    """A simple operator: dead zone, slow then fast fixed speeds, jumps confirmed first."""
    x = np.empty(len(target))
    half_zone, far = TRIPOD_DEAD_ZONE * crop_w / 2, TRIPOD_FAR * crop_w
    for s, e in zip(edges, edges[1:], strict=False):
        first = next((i for i in range(s, e) if not np.isnan(target[i])), None)
        centre = target[first] if first is not None else max_left / 2 + crop_w / 2
        pos = float(np.clip(centre - crop_w / 2, 0, max_left))
        goal = centre
        pending: list[float] = []
        for i in range(s, e):
            t = target[i]
            fresh = (i - s) % frames_per_analysis == 0
            if not np.isnan(t) and fresh:
                if abs(t - goal) > half_zone * 2:  # a jump: wait for confirmation
                    pending = [p for p in pending if abs(p - t) <= half_zone * 2] + [t]
                    if len(pending) >= TRIPOD_CONFIRM:
                        goal, pending = t, []
                else:
                    goal, pending = t, []
            d = goal - (pos + crop_w / 2)
            if abs(d) > half_zone:
                step = TRIPOD_FAST_PX if abs(d) > far else TRIPOD_SLOW_PX
                pos += float(np.sign(d)) * min(step, abs(d) - half_zone)
            pos = float(np.clip(pos, 0, max_left))
            x[i] = pos
    return x


# --- motion -------------------------------------------------------------------------


def motion_stats(x: np.ndarray, edges: list[int], fps: float, limit: float) -> dict[str, float]:
    """Reversals, travel, top speed, jumps and mean |jerk| inside shots."""
    reversals = jumps = 0
    travel = top = 0.0
    jerks: list[np.ndarray] = []
    for s, e in zip(edges, edges[1:], strict=False):
        v = np.diff(x[s:e])
        if not v.size:
            continue
        travel += float(np.abs(v).sum())
        top = max(top, float(np.abs(v).max()) * fps)
        jumps += int(np.sum(np.abs(v) * fps > limit + 1.0))
        signs = np.sign(v[np.abs(v) > STILL_PX])
        reversals += int(np.sum(signs[1:] != signs[:-1]))
        if e - s > 3:
            jerks.append(np.abs(np.diff(x[s:e], 3)))
    seconds = len(x) / fps
    return {"reversals_per_s": reversals / seconds, "travel_px_s": travel / seconds,
            "max_speed_px_s": top, "within_shot_jumps": jumps,
            "mean_abs_jerk": float(np.mean(np.concatenate(jerks))) if jerks else 0.0}


# --- runs ---------------------------------------------------------------------------


def sample_run(recipe: Any) -> dict[str, float]:
    """Plan the whole sample episode and score it and the baselines against the truth."""
    from candidates import analyse  # bench/ is on sys.path when run.py runs
    from run import ensure_sample

    from shortfactory.clips.camera import plan_camera, plan_clip
    from shortfactory.clips.camera_geometry import crop_size
    from shortfactory.sample.generator import load_truth

    source = ensure_sample()
    truth = load_truth(Path(source).with_name("sample.truth.json"))
    art = analyse(source, recipe)
    return score_sample(art, truth, recipe.camera, plan_camera, plan_clip, crop_size)


def with_options(section: Any, **options: Any) -> Any:
    """The camera section with some options changed, validated like a recipe's (a zoom
    range that excludes the base zoom fails here, not as a strange figure)."""
    return type(section).model_validate({**section.model_dump(), **options})


def oracle_path(truth: Any, needs: list, n: int, fps: float, crop_w: int, max_left: float,
                section: Any) -> np.ndarray:
    """Our path solver fed the truth itself: the speaking (or only) face's true box as
    the target of every frame that has one, the true cuts as shot edges.

    Why: it is the ceiling of ``coverage`` under the recipe's speed and acceleration
    limits with one window (a perfect transcript, perfect attribution, perfect boxes);
    the gap between it and ``coverage`` is what perception loses, the gap between it and
    1 what the speed limit costs (a 700 px swing between speakers in a 0.4 s pause).
    """
    from shortfactory.clips.camera_geometry import Targets
    from shortfactory.clips.camera_solver import solve_path

    edges = [0, *sorted(c.frame for c in truth.cuts if 0 < c.frame < n), n]
    x = np.full(n, max_left / 2)
    for s, e in zip(edges, edges[1:], strict=False):
        m = e - s
        tg = Targets(centre=np.full(m, np.nan), half_zone=np.full(m, crop_w / 2),
                     weight=np.zeros(m), need_lo=np.full(m, np.nan),
                     need_hi=np.full(m, np.nan), top=np.full(m, np.nan), label=[""] * m,
                     fallback=np.zeros(m, dtype=bool))
        for i in range(m):
            if needs[s + i]:
                lo, hi = needs[s + i][0]
                tg.need_lo[i], tg.need_hi[i], tg.centre[i] = lo, hi, (lo + hi) / 2
                tg.weight[i] = 1e-3  # the need decides; the centre only breaks ties
        if m >= 4 and not np.all(np.isnan(tg.need_lo)):
            x[s:e] = solve_path(tg, fps, crop_w, max_left, section)
    return x


def option_run(art: dict[str, Any], section: Any, needs: list, plan_camera: Any,
               ) -> tuple[float, float]:
    """Coverage and reversals per second with a recipe option switched on."""
    probe, faces, cuts, tr = art["probe"], art["faces"], art["scenes"], art.get("transcript")
    path = plan_camera("bench", 0.0, probe.duration_s, probe, faces, cuts, section,
                       transcript=tr)
    x, widths, x2, boxed, edges = path_arrays(path)
    fps = probe.video.fps
    revs = motion_stats(x, edges, fps, section.max_speed_px_s)["reversals_per_s"]
    if x2 is not None:  # the lower panel's moves count too
        revs += motion_stats(x2, edges, fps, 1e9)["reversals_per_s"]
    return coverage(x, widths, needs, boxed, x2), revs


def path_arrays(path: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray,
                                    list[int]]:
    """A crop path as arrays: left edges, window widths, the lower panel's left edges
    in split frames (NaN elsewhere; None without split shots), letterboxed frames, and
    the frame index where each shot starts (plus the end)."""
    x = np.asarray(path.x, dtype=float)
    widths = np.asarray(path.frame_sizes()[0], dtype=float)
    owner = np.asarray(path.frame_shots())
    modes = np.array([s.mode for s in path.shots]) if path.shots else np.array(["?"])
    boxed = modes[owner] == "letterbox"
    x2 = None
    if path.x2:
        x2 = np.where(modes[owner] == "split", np.asarray(path.x2, dtype=float), np.nan)
    edges = [0, *np.flatnonzero(np.diff(owner) != 0) + 1, len(x)]
    return x, widths, x2, boxed, [int(e) for e in edges]


def score_sample(art: dict[str, Any], truth: Any, section: Any, plan_camera: Any,
                 plan_clip: Any, crop_size: Any) -> dict[str, float]:
    """All sample figures from ready analysis artifacts (split out for tests);
    ``section`` is the recipe's camera section (a ``CameraSection``)."""
    probe, faces, cuts, tr = art["probe"], art["faces"], art["scenes"], art.get("transcript")
    duration = probe.duration_s
    start = time.perf_counter()
    path = plan_camera("bench", 0.0, duration, probe, faces, cuts, section, transcript=tr)
    solve_s = time.perf_counter() - start
    # The baselines follow the plain one-window plan's target (the speaker, or the pair
    # when it fits) at the base zoom: they have no zoom, split or letterbox of their own.
    plain = with_options(section, zoom_range=None, split_screen=False, letterbox=False)
    plans = plan_clip(0.0, duration, probe, faces, cuts, plain, tr)
    fps, width = probe.video.fps, probe.video.width
    crop_w, _ = crop_size(width, probe.video.height, section.aspect, section.zoom)
    max_left = float(width - crop_w)
    x, widths, x2, letterbox, _ = path_arrays(path)
    edges = [0]
    for _, p, _ in plans:
        edges.append(edges[-1] + len(p.left))
    needs = truth_needs(truth, len(x))
    all_needs = truth_needs(truth, len(x), silent_groups=True)
    analysis_times = np.array([f.t for f in faces.frames])
    target = sampled_targets(plans, analysis_times)
    per_analysis = max(1, int(round(fps / faces.analysis_fps)))
    follow = follow_path(target, edges, crop_w, max_left)
    tripod = tripod_path(target, edges, crop_w, max_left, per_analysis)
    centre = np.full(len(x), max_left / 2)
    limit = section.max_speed_px_s
    boxed = [p.mode == "letterbox" for _, p, _ in plan_clip(
        0.0, duration, probe, faces, cuts, with_options(plain, letterbox=True), tr)]
    ours = motion_stats(x, edges, fps, limit)
    m_follow = motion_stats(follow, edges, fps, limit)
    m_tripod = motion_stats(tripod, edges, fps, limit)
    oracle = oracle_path(truth, needs, len(x), fps, crop_w, max_left, section)
    zoom_cov, zoom_revs = option_run(
        art, with_options(section, zoom_range=tuple(BENCH_ZOOM_RANGE)), needs, plan_camera)
    split_cov, split_revs = option_run(art, with_options(section, split_screen=True), needs,
                                       plan_camera)
    letterbox_cov, _ = option_run(art, with_options(plain, letterbox=True), needs,
                                  plan_camera)
    one_cov, one_revs = option_run(art, plain, needs, plan_camera)
    return {
        "coverage": round(coverage(x, widths, needs, letterbox, x2), 4),
        "coverage_all_face_frames": round(coverage(x, widths, all_needs, letterbox, x2), 4),
        "coverage_letterbox_on": round(letterbox_cov, 4),
        "shots_letterboxed_when_on": int(sum(boxed)),
        "coverage_center": round(coverage(centre, crop_w, needs), 4),
        "coverage_follow": round(coverage(follow, crop_w, needs), 4),
        "coverage_tripod": round(coverage(tripod, crop_w, needs), 4),
        "coverage_oracle": round(coverage(oracle, crop_w, needs), 4),
        "coverage_one_window": round(one_cov, 4),
        "reversals_per_s_one_window": round(one_revs, 4),
        "coverage_zoom_on": round(zoom_cov, 4),
        "reversals_per_s_zoom_on": round(zoom_revs, 4),
        "coverage_split_on": round(split_cov, 4),
        "reversals_per_s_split_on": round(split_revs, 4),
        "reversals_per_s": round(ours["reversals_per_s"], 4),
        "reversals_per_s_tripod": round(m_tripod["reversals_per_s"], 4),
        "reversals_per_s_follow": round(m_follow["reversals_per_s"], 4),
        "travel_px_s": round(ours["travel_px_s"], 2),
        "travel_px_s_tripod": round(m_tripod["travel_px_s"], 2),
        "max_speed_px_s": round(ours["max_speed_px_s"], 2),
        "speed_limit_px_s": limit,
        "within_shot_jumps": ours["within_shot_jumps"],
        "within_shot_jumps_tripod": m_tripod["within_shot_jumps"],
        "jerk_ratio_vs_follow": round(m_follow["mean_abs_jerk"] / max(ours["mean_abs_jerk"],
                                                                      1e-9), 2),
        "solve_s_per_60s": round(solve_s / (duration / 60), 4),
        "episode_s": round(duration, 2),
        "shots": len(path.shots),
        "shots_stationary": sum(s.mode == "stationary" for s in path.shots),
        "shots_panning": sum(s.mode == "panning" for s in path.shots),
        "shots_tracking": sum(s.mode == "tracking" for s in path.shots),
    }


def real_run(recipe: Any) -> dict[str, float]:
    """Coverage of detected faces on the shared real clips (skipped where absent)."""
    from shortfactory.clips.camera import plan_camera
    from shortfactory.clips.camera_geometry import crop_size
    from shortfactory.core.artifacts import AudioStream, SourceProbe, VideoStream
    from shortfactory.core.media import probe_video_only
    from shortfactory.vision import faces as faces_mod
    from shortfactory.vision import scenes

    vision, ingest, section = recipe.vision, recipe.ingest, recipe.camera
    hit = hit_centre = total = 0
    clips = 0
    for rel in REAL_CLIPS:
        path = MEDIA / rel
        if not path.exists():
            continue
        w, h, fps, *rest = probe_video_only(path)
        duration = _duration(path)
        height = min(ingest.proxy_height, h)
        afps = ingest.proxy_fps
        cuts = scenes.detect_scenes(path, vision.scenes, duration_s=duration, fps=afps,
                                    height=height, progress=False)
        fc = faces_mod.track_faces(path, cuts, vision.faces, source_width=w,
                                   source_height=h, fps=afps, height=height, progress=False)
        probe = SourceProbe(episode="bench", path=str(path), size_bytes=path.stat().st_size,
                            container=path.suffix[1:], duration_s=duration,
                            video=VideoStream(codec="?", width=w, height=h, fps=float(fps)),
                            audio=AudioStream(codec="none", sample_rate=0, channels=0))
        crop = plan_camera("bench", 0.0, duration, probe, fc, cuts, section)
        crop_w, _ = crop_size(w, h, section.aspect, section.zoom)
        x = np.asarray(crop.x)
        for frame in fc.frames:
            spans = [(d.box[0], d.box[0] + d.box[2]) for d in frame.detections
                     if d.track_id is not None]
            if not spans:
                continue
            k = min(len(x) - 1, int(round(frame.t * fps)))
            total += 1
            hit += any(lo >= x[k] - 0.5 and hi <= x[k] + crop_w + 0.5 for lo, hi in spans)
            c = (w - crop_w) / 2
            hit_centre += any(lo >= c - 0.5 and hi <= c + crop_w + 0.5 for lo, hi in spans)
        clips += 1
    if not total:
        return {}
    return {"coverage_real": round(hit / total, 4),
            "coverage_real_center": round(hit_centre / total, 4),
            "real_clips": clips, "real_face_frames": total}


def _duration(path: Path) -> float:
    import av

    with av.open(str(path)) as c:
        if c.duration:
            return c.duration / 1_000_000
        v = c.streams.video[0]
        return float(v.frames / v.average_rate) if v.frames else 0.0


def bench_camera() -> dict[str, float]:
    """The camera figures named in issue #6 (see the module docstring)."""
    from run import REPO as ROOT

    from shortfactory.core.recipe import load_recipe

    recipe = load_recipe(ROOT / "recipes" / "default.yaml")
    return {**sample_run(recipe), **real_run(recipe)}
