"""The virtual camera: a smooth, speed-limited 9:16 window over the source.

A controller, not a tracker (DESIGN principle 4). Per shot it works in three steps:

1. **What must be seen, frame by frame** (:func:`plan_targets`). Face tracks shorter
   than ``min_face_s`` are ignored, so a one-frame detection never moves the window.
   Faces that fit in one window are framed together; otherwise the active speaker is
   followed: the transcript says *when* someone speaks, mouth activity says *who*
   (:mod:`shortfactory.clips.camera_speaker`). A target must hold for ``min_hold_s``
   or the camera does not turn to it (hysteresis; short interjections are ignored).
   A lost face is held for ``lost_face_hold_s``, then the camera eases to the
   fallback focus (centre of motion, else the frame centre).
2. **The whole shot's path at once** (:mod:`shortfactory.clips.camera_solver`): one
   sparse L1 linear program that minimises travel, the change of speed and the change
   of acceleration, keeps the target inside a dead zone and its face box inside the
   window (soft) and respects the speed, acceleration and frame-edge limits (hard).
   Being offline, it sees the future: a move to the next speaker starts in the pause
   before they speak.
3. **A mode per shot**: ``stationary`` when one window satisfies the shot (no solve),
   else ``panning`` (one monotone move) or ``tracking``; ``letterbox`` (recipe option)
   when the faces that must be seen together never fit a 9:16 window, so the render
   shows the whole frame over a blurred copy instead of cutting someone out.

The window never jumps inside a shot; at a cut it may. One exception: a split-screen
shot (two pictures side by side, ``Shot.seams`` from the scene pass) is planned panel by
panel (:mod:`shortfactory.clips.camera_layouts`, which also plans the split layout's two
stacked windows): the window cuts between panels instead of panning across the border.
``crop_path.json`` records per shot the mode, what the camera looked at when
(``focus_spans``) and flags that explain the compromises, so a person can see why the
camera did what it did.

This module is the stage: the targets, the per-shot plan and the entry points
:func:`plan_camera` and :func:`plan_clip`. It imports its parts (``camera_geometry``,
``camera_speaker``, ``camera_solver``, ``camera_layouts``); they never import it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shortfactory.clips.camera_geometry import (
    DEAD_ZONE_WEIGHT,
    GROUP_MARGIN,
    WEAK_WEIGHT,
    Targets,
    TrackView,
    crop_size,
    equal_runs,
)
from shortfactory.clips.camera_layouts import (
    assign_panels,
    panel_size,
    panel_spans,
    seams_at,
    solve_in,
    solve_panels,
    split_pair,
)
from shortfactory.clips.camera_solver import path_mode, solve_window, window_top
from shortfactory.clips.camera_speaker import speaker_per_frame, speech_runs, track_views
from shortfactory.core.artifacts import (
    CameraShot,
    CropPath,
    Faces,
    SceneCuts,
    SourceProbe,
    Transcript,
)
from shortfactory.core.recipe import CameraSection

# Free space kept around a followed face box, share of the crop width, so that small
# detector jitter does not put an ear outside the window.
FACE_MARGIN = 0.0
# Dead zone of the fallback focus, share of the crop width: a centre of motion is noisy.
FALLBACK_DEAD_ZONE = 0.3
# Window of the running median that steadies the centre of motion, seconds.
FALLBACK_MEDIAN_S = 1.5
# Zooming out must frame the group in this share of the shot's several-face frames (the
# rest: faces crossing, a detector's wide box) - see :func:`choose_zoom`.
ZOOM_FIT_SHARE = 0.9
# Zooming in stops when the (median) face is this share of the window's height: a face
# larger than that leaves no room to move or gesture.
FACE_FILL = 0.25


# --- targets --------------------------------------------------------------------------


def _fits(lefts: list[float], rights: list[float], crop_w: int) -> bool:
    return max(rights) - min(lefts) <= crop_w * (1 - 2 * GROUP_MARGIN)


def _fits_views(vis: list[TrackView], i: int, crop_w: int) -> bool:
    """The faces ``vis`` fit one window at frame ``i``: close enough, and in one panel (two
    pictures of a split screen are never framed together, however near their faces)."""
    return len({v.panel for v in vis}) == 1 and _fits(
        [v.left[i] for v in vis], [v.right[i] for v in vis], crop_w)


def wanted_keys(views: dict[int, TrackView], who: list[int | None], strategy: str,
                crop_w: int) -> list[str | None]:
    """Per frame: ``group``, ``speaker:<id>``, ``face:<id>`` or ``None`` (no face / unsure).

    Strategies: ``speaker`` and ``group`` frame faces together when they fit in one
    window and otherwise follow the speaker (both names stay valid in recipes; the
    issue asks for exactly this); ``largest`` follows the biggest face alone. ``None``
    frames are filled later by :func:`fill_keys`, which knows what came before.
    """
    n = len(who)
    keys: list[str | None] = [None] * n
    for i in range(n):
        speaker = views.get(who[i]) if who[i] is not None else None
        if speaker is not None and not speaker.visible[i] and speaker.present(i):
            keys[i] = f"speaker:{speaker.id}"  # lost mid-line: held, not abandoned
            continue
        vis = [v for v in views.values() if v.visible[i]]
        if not vis:
            continue
        if len(vis) == 1:
            keys[i] = f"face:{vis[0].id}"
        elif strategy == "largest":
            keys[i] = f"face:{max(vis, key=lambda v: v.right[i] - v.left[i]).id}"
        elif _fits_views(vis, i, crop_w):
            keys[i] = "group"
        elif who[i] is not None and views[who[i]].visible[i]:
            keys[i] = f"speaker:{who[i]}"
    return keys


def _key_valid(key: str | None, views: dict[int, TrackView], i: int, crop_w: int) -> bool:
    if key is None:
        return False
    if key == "group":
        vis = [v for v in views.values() if v.visible[i]]
        return len(vis) > 1 and _fits_views(vis, i, crop_w)
    tid = int(key.split(":")[1])
    return tid in views and views[tid].present(i)


def _same_face(a: str | None, b: str | None) -> bool:
    """``face:3`` and ``speaker:3`` look at the same face: not a switch."""
    return a is not None and b is not None and a.split(":")[-1] == b.split(":")[-1]


def fill_keys(keys: list[str | None], views: dict[int, TrackView], crop_w: int,
              ) -> list[str | None]:
    """Resolve unsure frames: stay on the previous target while it is visible.

    Several faces, too far apart, speaker unknown: keep looking where we looked (a
    silent reaction is no reason to move); with no history, the face that speaks next,
    else the largest face.
    """
    out = list(keys)
    last: str | None = None
    for i, k in enumerate(out):
        if k is not None:
            last = k
            continue
        if _key_valid(last, views, i, crop_w):
            out[i] = last
            continue
        vis = [v for v in views.values() if v.visible[i]]
        if not vis:
            continue
        ahead = next((keys[j] for j in range(i + 1, len(keys))
                      if keys[j] is not None and _key_valid(keys[j], views, i, crop_w)), None)
        out[i] = ahead or f"face:{max(vis, key=lambda v: v.right[i] - v.left[i]).id}"
        last = out[i]
    return out


def hysteresis(keys: list[str | None], views: dict[int, TrackView], crop_w: int,
               min_frames: int) -> list[str | None]:
    """Drop target runs shorter than ``min_frames``: keep the previous target through them.

    Why: a camera that switches for a one-word interjection or a face that flickers
    into a group for a moment looks nervous. A short run is replaced by the target
    before it where that stays visible throughout, else by the one after.
    """
    out = list(keys)
    changed = True
    while changed:
        changed = False
        runs = equal_runs(out)
        if len(runs) < 2:
            break
        for r, (s, e, key) in enumerate(runs):
            if key is None or e - s >= min_frames:
                continue
            before = runs[r - 1][2] if r > 0 else None
            after = runs[r + 1][2] if r + 1 < len(runs) else None
            for cand in (before, after):
                if cand is not None and all(_key_valid(cand, views, i, crop_w)
                                            for i in range(s, e)):
                    out[s:e] = [cand] * (e - s)
                    changed = True
                    break
            else:
                if before is not None and after is None:
                    # The target left and another face shows briefly before all are
                    # gone (a fade, an exit): hold on the first instead of turning.
                    out[s:e] = [None] * (e - s)
                    changed = True
            if changed:
                break
    return out


def _key_box(key: str, views: dict[int, TrackView], i: int) -> tuple[float, float, float]:
    """``(left, right, top)`` of what ``key`` shows at frame ``i``."""
    if key == "group":
        vis = [v for v in views.values() if v.visible[i]]
        return (min(v.left[i] for v in vis), max(v.right[i] for v in vis),
                min(v.top[i] for v in vis))
    return views[int(key.split(":")[1])].box(i)


def hold_lost_speakers(views: dict[int, TrackView], who: list[int | None],
                       hold_frames: int) -> None:
    """Mark the frames where a face is lost while its own line goes on (``held``).

    Why: the detector loses a face that turns or starts to walk while its owner is
    still talking; the line says who the audience is listening to, so the camera holds
    on where that face was (for at most ``hold_frames``) instead of turning to a silent
    face that happens to be visible. Outside the face's lines a lost face is not held
    here; :func:`plan_targets` holds the window then.
    """
    speaking = np.array([-1 if w is None else w for w in who])
    for v in views.values():
        vis = v.visible
        held = np.zeros(len(vis), dtype=bool)
        src = np.zeros(len(vis), dtype=int)
        last = -1
        for i in range(len(vis)):
            if vis[i]:
                last = i
            elif last >= 0 and i - last <= hold_frames and speaking[i] == v.id:
                held[i], src[i] = True, last
        v.held, v.held_from = held, src


def fallback_centres(faces: Faces, a: float, b: float, times: np.ndarray, frame_w: int,
                     mode: str) -> tuple[np.ndarray, str]:
    """Where to look without a face: the steadied centre of motion, else the frame centre."""
    pts = [(f.t, f.focus[0]) for f in faces.frames
           if a - 1e-6 <= f.t < b and f.focus is not None]
    if mode != "motion" or len(pts) < 2:
        return np.full(len(times), frame_w / 2), "fallback:centre"
    ts = np.array([p[0] for p in pts])
    xs = np.array([p[1] for p in pts])
    half = FALLBACK_MEDIAN_S / 2
    steady = np.array([np.median(xs[np.abs(ts - t) <= half]) for t in ts])
    return np.interp(times, ts, steady), "fallback:motion"


def plan_targets(views: dict[int, TrackView], times: np.ndarray,
                 runs: list[tuple[float, float]], have_transcript: bool, fallback: np.ndarray,
                 fallback_label: str, section: CameraSection, fps: float, crop_w: int,
                 ) -> Targets:
    """What the camera should show at each output frame of one shot, and how firmly."""
    n = len(times)
    strategy = section.multi_face
    who = speaker_per_frame(views, times, runs, have_transcript)
    hold_frames = int(round(section.lost_face_hold_s * fps))
    hold_lost_speakers(views, who, hold_frames)
    keys = fill_keys(wanted_keys(views, who, strategy, crop_w), views, crop_w)
    min_hold = max(1, int(round(section.min_hold_s * fps)))
    keys = hysteresis(keys, views, crop_w, min_hold)
    speaking = np.zeros(n, dtype=bool)
    for s, e in runs:
        speaking |= (times >= s) & (times < e)

    half_dz = section.dead_zone * crop_w / 2
    tg = Targets(centre=np.full(n, np.nan), half_zone=np.full(n, half_dz),
                 weight=np.zeros(n), need_lo=np.full(n, np.nan), need_hi=np.full(n, np.nan),
                 top=np.full(n, np.nan), label=[""] * n, fallback=np.zeros(n, dtype=bool))
    margin = FACE_MARGIN * crop_w
    last: tuple[str, tuple[float, float, float], int] | None = None
    for i, key in enumerate(keys):
        if key is not None:
            box = _key_box(key, views, i)
            tg.need_lo[i], tg.need_hi[i] = box[0] - margin, box[1] + margin
            tg.centre[i], tg.top[i] = (box[0] + box[1]) / 2, box[2]
            tg.weight[i], tg.label[i] = DEAD_ZONE_WEIGHT, key
            if key != "group" and not views[int(key.split(":")[1])].visible[i]:
                # The speaker's face is lost mid-line: held where it was last seen.
                tg.label[i], tg.fallback[i] = "hold", True
                tg.flags.add("face_lost")
            last = (key, box, i)
        elif last is not None and i - last[2] <= hold_frames:
            # Face lost: hold the window where it was (the face may come back).
            box = last[1]
            tg.need_lo[i], tg.need_hi[i] = box[0] - margin, box[1] + margin
            tg.centre[i], tg.top[i] = (box[0] + box[1]) / 2, box[2]
            tg.weight[i], tg.label[i], tg.fallback[i] = DEAD_ZONE_WEIGHT, "hold", True
            tg.flags.add("face_lost")
        else:
            tg.centre[i], tg.half_zone[i] = fallback[i], FALLBACK_DEAD_ZONE * crop_w / 2
            tg.weight[i], tg.label[i], tg.fallback[i] = WEAK_WEIGHT, fallback_label, True
            if last is not None:
                tg.flags.add("face_lost")
    _anticipate(tg, keys, views, fallback_label)
    _free_gaps(tg, keys, speaking, bool(runs))
    runs_k = [r for r in equal_runs(keys) if r[2] is not None]
    # speaker:3 after face:3 is the same shot of the same face: not a switch.
    tg.switches = sum(not _same_face(a[2], b[2]) for a, b in zip(runs_k, runs_k[1:],
                                                                 strict=False))
    if any(k is not None and k.startswith("speaker:") for k in keys):
        tg.flags.add("speaker_follow")
    if strategy != "largest" and any(
            k is not None and k.startswith("face:") and who[i] is None
            and sum(v.visible[i] for v in views.values()) > 1 for i, k in enumerate(keys)):
        tg.flags.add("speaker_unknown")
    return tg


def _anticipate(tg: Targets, keys: list[str | None], views: dict[int, TrackView],
                fallback_label: str) -> None:
    """Before the shot's first face appears, already look (gently) where it will be."""
    first = next((i for i, k in enumerate(keys) if k is not None), None)
    if first is None or first == 0:
        return
    box = _key_box(keys[first], views, first)
    for i in range(first):
        if tg.label[i] == fallback_label:
            tg.centre[i] = (box[0] + box[1]) / 2
            tg.half_zone[i] = tg.half_zone[first]
            tg.label[i] = f"before:{keys[first]}"


def _free_gaps(tg: Targets, keys: list[str | None], speaking: np.ndarray,
               have_speech: bool) -> None:
    """Silent frames between two different targets only weakly prefer either.

    Why: that pause is where a camera operator moves to the next speaker. Inside it
    the face box need not stay in the window and the dead zone is only a weak
    preference, so the solver is free to make the move there, arriving as the next
    line starts, rather than during either line.
    """
    if not have_speech:
        return
    runs = equal_runs([bool(s) for s in speaking])
    for s, e, talking in runs:
        if talking or s == 0 or e >= len(keys):
            continue
        before, after = keys[s - 1], keys[e]
        if before is None or after is None or _same_face(before, after):
            continue
        for i in range(s, e):
            if tg.label[i] in ("hold", "") or tg.fallback[i]:
                continue
            tg.weight[i] = WEAK_WEIGHT
            tg.need_lo[i] = tg.need_hi[i] = np.nan


# --- the clip -------------------------------------------------------------------------


def shot_bounds(start: float, end: float, scenes: SceneCuts) -> list[tuple[float, float]]:
    """Clip-absolute shot spans inside ``[start, end)``."""
    cuts = sorted(c.time_s for c in scenes.cuts if start < c.time_s < end)
    edges = [start, *cuts, end]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b - a > 1e-6]


def too_wide(views: dict[int, TrackView], crop_w: int, min_share: float) -> bool:
    """The shot's faces mostly cannot be framed together in one window."""
    n = len(next(iter(views.values())).left) if views else 0
    several = wide = 0
    for i in range(n):
        vis = [v for v in views.values() if v.visible[i]]
        if len(vis) > 1:
            several += 1
            wide += not _fits_views(vis, i, crop_w)
    return several > 0 and wide >= min_share * max(1, several) and several >= n * min_share


def group_spans(views: dict[int, TrackView]) -> tuple[np.ndarray, np.ndarray]:
    """Per frame with several faces, the width they span; per frame with a face, the
    width of the faces (one face: its own)."""
    n = len(next(iter(views.values())).left) if views else 0
    several, any_face = [], []
    for i in range(n):
        vis = [v for v in views.values() if v.visible[i]]
        if vis:
            span = max(v.right[i] for v in vis) - min(v.left[i] for v in vis)
            any_face.append(span)
            if len(vis) > 1:
                several.append(span)
    return np.array(several), np.array(any_face)


def choose_zoom(views: dict[int, TrackView], section: CameraSection, frame_w: int,
                frame_h: int) -> float:
    """The shot's zoom, within the recipe's ``zoom_range`` (without one: ``zoom``).

    Out: when the shot's faces are mostly too far apart for one window at the base
    zoom but fit a wider one within the range (on ``ZOOM_FIT_SHARE`` of its
    several-face frames), the widest needed: showing both beats swinging between
    them. In: on a shot whose faces are small, until they fill ``FACE_FILL`` of the
    window's height, as long as everything the shot shows still fits. Otherwise the
    base zoom. Why per shot and not per frame: a zoom that breathes inside a shot reads
    as nervous; at a cut a new framing is natural.
    """
    base = section.zoom
    if section.zoom_range is None or not views:
        return base
    lo, hi = section.zoom_range
    unit_w, _ = crop_size(frame_w, frame_h, section.aspect, 1.0)
    base_w, _ = crop_size(frame_w, frame_h, section.aspect, base)
    several, spans = group_spans(views)
    usable = 1 - 2 * GROUP_MARGIN
    if several.size and too_wide(views, base_w, section.letterbox_min_share):
        need = float(np.percentile(several, 100 * ZOOM_FIT_SHARE)) / usable
        fit = unit_w / need
        return float(np.floor(fit * 100) / 100) if lo <= fit < base else base
    if hi <= base or not spans.size:
        return base
    widths = np.concatenate([v.sizes for v in views.values()])
    by_face = FACE_FILL * frame_h / float(np.median(widths))
    by_span = unit_w * usable / float(np.max(spans))
    zoom = min(hi, by_face, by_span)
    return float(np.floor(zoom * 100) / 100) if zoom > base else base


@dataclass(slots=True)
class ShotPlan:
    """One shot's result, kept for benchmarks and the preview.

    ``crop_w``/``crop_h``/``zoom`` are this shot's window (a split shot: each panel's);
    ``left2``/``top2`` the lower panel of a split shot.
    """

    left: np.ndarray
    top: float
    mode: str
    targets: Targets | None
    solve_s: float = 0.0
    crop_w: int = 0
    crop_h: int = 0
    zoom: float = 1.0
    left2: np.ndarray | None = None
    top2: float = 0.0
    targets2: Targets | None = None


def plan_split(views: dict[int, TrackView], pair: tuple[int, int], times: np.ndarray,
               fallback: np.ndarray, fallback_label: str, section: CameraSection, fps: float,
               frame_w: int, frame_h: int, panels: Sequence[tuple[float, float]] = (),
               ) -> ShotPlan | None:
    """Two stacked windows, each following one face of ``pair`` on its own path; in a
    split-screen shot each inside its face's panel, or ``None`` (no split) where a panel
    is narrower than the windows."""
    pw, ph = panel_size(views, pair, section, frame_w, frame_h)
    spans = [panels[views[tid].panel] if panels else (0.0, float(frame_w)) for tid in pair]
    if any(hi - lo < pw for lo, hi in spans):
        return None
    solo = section.model_copy(update={"multi_face": "largest"})
    plans = []
    start = time.perf_counter()
    for tid, span in zip(pair, spans, strict=True):
        tg = plan_targets({tid: views[tid]}, times, [], False, fallback, fallback_label,
                          solo, fps, pw)
        plans.append((solve_in(tg, fps, pw, span, frame_w, section)[0], tg))
    solve_s = time.perf_counter() - start
    (left, tg), (left2, tg2) = plans
    tg.flags.add("split")
    if panels:
        tg.flags.add("panels")
    headroom = section.headroom
    face = [face_height(views[tid]) for tid in pair]
    return ShotPlan(left, window_top(tg, ph, frame_h, headroom, face[0]), "split", tg,
                    solve_s, pw, ph, frame_h / ph, left2,
                    window_top(tg2, ph, frame_h, headroom, face[1]), tg2)


def face_height(view: TrackView) -> float:
    """A track's median face size (0 when never visible)."""
    return float(np.median(view.sizes)) if view.sizes.size else 0.0


def plan_shot(views: dict[int, TrackView], times: np.ndarray, runs: list[tuple[float, float]],
              have_transcript: bool, fallback: np.ndarray, fallback_label: str,
              section: CameraSection, fps: float, frame_w: int, frame_h: int,
              seams: Sequence[float] = ()) -> ShotPlan:
    """Layout, zoom, targets, mode and path of one shot.

    In order: split screen (recipe option) when two faces stay far apart for long;
    the shot's zoom (:func:`choose_zoom`); letterbox (recipe option) when the faces
    still do not fit; else the solved path of one window.

    A shot with ``seams`` (a split-screen source) keeps every window inside one panel:
    faces in different panels are never framed together, the split layout puts each
    window in its face's panel (or is not used where a panel is too narrow for it), and
    zooming out and letterboxing, which show more than a panel, are not used; the one
    window cuts between panels (:func:`solve_panels`).
    """
    aspect = section.aspect
    base_w, _ = crop_size(frame_w, frame_h, aspect, section.zoom)
    panels = panel_spans(seams, frame_w) if seams else []
    assign_panels(views, panels)
    if section.split_screen:
        pair = split_pair(views, base_w, int(round(section.split_min_s * fps)))
        if pair is not None:
            split = plan_split(views, pair, times, fallback, fallback_label, section, fps,
                               frame_w, frame_h, panels)
            if split is not None:
                return split
    zoom = choose_zoom(views, section, frame_w, frame_h)
    if panels:
        zoom = max(zoom, section.zoom)
    crop_w, crop_h = crop_size(frame_w, frame_h, aspect, zoom)
    max_left = float(frame_w - crop_w)
    tg = plan_targets(views, times, runs, have_transcript, fallback, fallback_label, section,
                      fps, crop_w)
    if section.letterbox and not panels and too_wide(views, crop_w,
                                                     section.letterbox_min_share):
        tg.flags.add("too_wide")
        return ShotPlan(np.full(len(times), max_left / 2), 0.0, "letterbox", tg, 0.0, crop_w,
                        crop_h, zoom)
    start = time.perf_counter()
    cuts: list[int] = []
    if panels:
        left, cuts = solve_panels(tg, panels, fps, crop_w, frame_w, section)
    else:
        left = solve_window(tg, fps, crop_w, max_left, section)
    solve_s = time.perf_counter() - start
    top = window_top(tg, crop_h, frame_h, section.headroom)
    return ShotPlan(left, top, path_mode(left, cuts), tg, solve_s, crop_w, crop_h, zoom)


def describe_spans(labels: list[str], times: np.ndarray, clip_start: float,
                   ) -> list[tuple[float, float, str]]:
    """Clip-relative ``(start, end, label)`` of each run of one focus label."""
    step = times[1] - times[0] if len(times) > 1 else 0.0
    return [(round(float(times[s]) - clip_start, 3),
             round(float(times[e - 1]) - clip_start + step, 3), lab)
            for s, e, lab in equal_runs(labels)]


def describe_shot(plan: ShotPlan, times: np.ndarray, clip_start: float, a: float, b: float,
                  base_size: tuple[int, int]) -> CameraShot:
    """The shot's record in crop_path.json: mode, focus, when it looked at what, flags,
    and its window size where it differs from the clip's."""
    crop_w = plan.crop_w or base_size[0]
    tg = plan.targets
    labels = tg.label if tg is not None else ["fallback:centre"] * len(times)
    spans = describe_spans(labels, times, clip_start)
    counts = Counter(labels)
    flags = sorted(tg.flags) if tg is not None else []
    outside = 0.0
    if tg is not None and plan.mode != "letterbox":
        need = ~np.isnan(tg.need_lo) & (tg.weight >= DEAD_ZONE_WEIGHT)
        if need.any():
            lo, hi = plan.left[need], plan.left[need] + crop_w
            miss = (tg.need_lo[need] < lo - 1) | (tg.need_hi[need] > hi + 1)
            outside = float(np.mean(miss))
            if outside > 0:
                flags.append("target_outside")
    if all(lab.startswith("fallback") for lab in labels):
        flags.append("no_face")
    focus = counts.most_common(1)[0][0]
    if plan.targets2 is not None:
        # A split shot: the lower panel's focus too, so both faces are accounted for.
        lower = plan.targets2.label
        focus = f"{focus} / {Counter(lower).most_common(1)[0][0]}"
        spans += [(s0, s1, f"lower:{lab}") for s0, s1, lab in describe_spans(
            lower, times, clip_start)]
    resized = plan.crop_w and (plan.crop_w, plan.crop_h) != base_size
    return CameraShot(
        start=round(a - clip_start, 3), end=round(b - clip_start, 3), mode=plan.mode,
        focus=focus, focus_spans=spans, flags=flags,
        switches=tg.switches if tg is not None else 0, outside_share=round(outside, 4),
        zoom=round(plan.zoom, 4) if resized else None,
        crop_width=plan.crop_w if resized else None,
        crop_height=plan.crop_h if resized else None,
    )


def plan_camera(clip_id: str, start: float, end: float, source: SourceProbe, faces: Faces,
                scenes: SceneCuts, section: CameraSection,
                transcript: Transcript | None = None) -> CropPath:
    """The crop path of one clip, with per-shot modes, focus sources and flags recorded.

    Args:
        clip_id: the clip's stable id.
        start: clip start, source seconds.
        end: clip end, source seconds.
        source: the probe (size and frame rate of the source).
        faces: detections and tracks of the episode (faces.json).
        scenes: the episode's cuts (scene_cuts.json): the window may jump only there.
        section: the recipe's ``camera`` section, the validated model: every setting
            comes from it (no defaults of this module's own, so what the recipe
            documents is what runs). The artifact echoes it whole in ``options``.
        transcript: the episode's transcript; its words say when someone speaks, so the
            camera can follow the speaker and move in the pauses. Optional: without it
            mouth activity alone decides.
    """
    plans = plan_clip(start, end, source, faces, scenes, section, transcript)
    width, height, fps = source.video.width, source.video.height, source.video.fps
    crop_w, crop_h = crop_size(width, height, section.aspect, section.zoom)
    xs = np.concatenate([p.left for _, p, _ in plans]) if plans else np.zeros(0)
    ys = np.concatenate([np.full(len(p.left), p.top) for _, p, _ in plans]) if plans \
        else np.zeros(0)
    fallback = np.concatenate([p.targets.fallback if p.targets is not None
                               else np.ones(len(p.left), dtype=bool) for _, p, _ in plans]) \
        if plans else np.zeros(0, dtype=bool)
    x2: list[float] = []
    y2: list[float] = []
    if any(p.left2 is not None for _, p, _ in plans):
        x2 = [round(float(v), 2) for v in np.concatenate(
            [p.left if p.left2 is None else p.left2 for _, p, _ in plans])]
        y2 = [round(float(v), 2) for v in np.concatenate(
            [np.full(len(p.left), p.top if p.left2 is None else p.top2) for _, p, _ in plans])]
    shots = [describe_shot(p, times, start, a, b, (crop_w, crop_h))
             for (a, b), p, times in plans]
    return CropPath(
        clip_id=clip_id, start_s=start, end_s=end, fps=fps, source_width=width,
        source_height=height, crop_width=crop_w, crop_height=crop_h,
        options=section,
        x=[round(float(v), 2) for v in xs], y=[round(float(v), 2) for v in ys],
        shots=shots, fallback=[bool(v) for v in fallback], x2=x2, y2=y2,
    )


def plan_clip(start: float, end: float, source: SourceProbe, faces: Faces, scenes: SceneCuts,
              section: CameraSection, transcript: Transcript | None = None,
              ) -> list[tuple[tuple[float, float], ShotPlan, np.ndarray]]:
    """Per shot of the clip: its span, its plan and its output frame times.

    ``max_gap_s`` is the face tracker's, as faces.json echoes it in its typed
    ``options`` (a hand-written faces.json without it reads the tracker's default).
    """
    width, height, fps = source.video.width, source.video.height, source.video.fps
    n = max(1, int(round((end - start) * fps)))
    times = start + np.arange(n) / fps
    max_gap_s = faces.options.max_gap_s
    out = []
    for a, b in shot_bounds(start, end, scenes):
        in_shot = (times >= a - 1e-9) & (times < b - 1e-9)
        if not in_shot.any():
            continue
        t = times[in_shot]
        views = track_views(faces, a, b, t, section.min_face_s, max_gap_s)
        runs = speech_runs(transcript, a, b)
        fb, fb_label = fallback_centres(faces, a, b, t, width, section.fallback)
        plan = plan_shot(views, t, runs, transcript is not None, fb, fb_label, section, fps,
                         width, height, seams_at(scenes, a, b))
        out.append(((a, b), plan, t))
    return out
