"""A debug preview of the virtual camera: why the window is where it is, as a video.

Left: the source with the planned 9:16 window (green; orange where the camera had no
face and used its fallback; the whole frame in cyan for a letterboxed shot), the
detected face boxes with their track ids, and a caption with the time, the shot's
mode and what the camera looked at (``crop_path.json``'s focus spans). Right: the
vertical frame that the render will make from it. Small (default 640 px tall) and
quick to encode, for a person checking a plan before the real render.

Frames come from :func:`shortfactory.core.media.iter_frames` (scaled inside ffmpeg), are
drawn with OpenCV and piped to one ffmpeg encoder; the file is written to a temporary
sibling and renamed, so a failed preview never looks finished.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np

from shortfactory.core.artifacts import CropPath, Faces
from shortfactory.core.errors import InputError
from shortfactory.core.io import atomic_path
from shortfactory.core.media import even_width, ffmpeg_exe, iter_frames

WINDOW = (60, 220, 60)  # RGB: the planned window
FALLBACK = (255, 150, 30)  # the window while no face guides it
LETTERBOX = (40, 220, 230)  # the whole frame, letterboxed shot
FACE = (255, 255, 255)
TEXT_BG = (0, 0, 0)


def shot_at(crop: CropPath, t: float) -> int | None:
    """Index of the shot containing clip-relative time ``t``."""
    for k, shot in enumerate(crop.shots):
        if shot.start - 1e-6 <= t < shot.end - 1e-6:
            return k
    return len(crop.shots) - 1 if crop.shots else None


def caption(crop: CropPath, t: float) -> str:
    """``12.3 s  tracking  speaker:1`` for clip-relative time ``t``."""
    k = shot_at(crop, t)
    if k is None:
        return f"{t:5.1f} s"
    shot = crop.shots[k]
    focus = next((label for a, b, label in shot.focus_spans if a - 1e-6 <= t < b),
                 shot.focus)
    return f"{t:5.1f} s  {shot.mode}  {focus}"


def faces_near(faces: Faces | None, t: float, times: np.ndarray | None = None,
               ) -> list[tuple[tuple[float, float, float, float], int | None]]:
    """Detections of the analysis frame nearest source time ``t`` (within half a frame).

    ``times`` (the analysis frames' times, sorted) can be passed to save rebuilding it
    for every preview frame of a long episode.
    """
    if faces is None or not faces.frames:
        return []
    if times is None:
        times = np.array([f.t for f in faces.frames])
    k = int(np.clip(np.searchsorted(times, t), 1, len(times) - 1)) if len(times) > 1 else 0
    if len(times) > 1 and abs(times[k - 1] - t) < abs(times[k] - t):
        k -= 1
    if abs(times[k] - t) > 0.6 / max(faces.analysis_fps, 1e-6):
        return []
    return [(d.box, d.track_id) for d in faces.frames[k].detections]


def _blurred(frame: np.ndarray, w: int, h: int) -> np.ndarray:
    """``frame`` stretched over ``w`` x ``h``, blurred (the render's background bands)."""
    bg = cv2.resize(frame, (max(2, w // 4), max(2, h // 4)), interpolation=cv2.INTER_AREA)
    return cv2.resize(cv2.blur(bg, (9, 9)), (w, h), interpolation=cv2.INTER_LINEAR)


def _window(frame: np.ndarray, x: float, y: float, cw: float, ch: float, scale: float,
            size: tuple[int, int]) -> np.ndarray:
    """One window of the source scaled to ``size``; where it reaches above or below the
    source (a zoomed-out shot), the render's blurred bands fill the rest."""
    w, h = size
    xi, yi = int(round(x * scale)), int(round(y * scale))
    cwi, chi = max(1, int(round(cw * scale))), max(1, int(round(ch * scale)))
    if yi >= 0 and yi + chi <= frame.shape[0]:
        return cv2.resize(frame[yi:yi + chi, xi:xi + cwi], (w, h), interpolation=cv2.INTER_AREA)
    canvas = _blurred(frame, frame.shape[1], chi)
    top = max(0, -yi)
    canvas[top:top + frame.shape[0]] = frame[:chi - top]
    return cv2.resize(canvas[:, xi:xi + cwi], (w, h), interpolation=cv2.INTER_AREA)


def vertical_view(frame: np.ndarray, crop: CropPath, i: int, scale: float, size: tuple[int, int],
                  letterbox: bool, window: tuple[float, float] | None = None,
                  split: bool = False) -> np.ndarray:
    """The output frame (``size`` = width, height) the render makes from ``frame``.

    ``window`` is frame ``i``'s window size in source px (default the clip's); in a
    split shot it is each panel's, stacked upper (x, y) over lower (x2, y2).
    """
    w, h = size
    if letterbox:
        bg = _blurred(frame, w, h)
        fit_h = max(1, round(frame.shape[0] * w / frame.shape[1]))
        fg = cv2.resize(frame, (w, fit_h), interpolation=cv2.INTER_AREA)
        top = (h - fit_h) // 2
        bg[top:top + fit_h] = fg
        return bg
    cw, ch = window or (crop.crop_width, crop.crop_height)
    if split and crop.x2:
        half = h // 2
        upper = _window(frame, crop.x[i], crop.y[i], cw, ch, scale, (w, half))
        lower = _window(frame, crop.x2[i], crop.y2[i], cw, ch, scale, (w, h - half))
        return np.vstack([upper, lower])
    return _window(frame, crop.x[i], crop.y[i], cw, ch, scale, size)


def annotate(frame: np.ndarray, crop: CropPath, i: int, scale: float, faces: list,
             text: str, letterbox: bool, window: tuple[float, float] | None = None,
             split: bool = False) -> np.ndarray:
    """The source panel: window(s), face boxes and caption drawn on a copy of ``frame``
    (a zoomed-out window is clipped to the frame; a split shot draws both panels)."""
    img = frame.copy()
    for box, tid in faces:
        x, y, w, h = (int(round(v * scale)) for v in box)
        cv2.rectangle(img, (x, y), (x + w, y + h), FACE, 1)
        if tid is not None:
            cv2.putText(img, str(tid), (x + 2, max(10, y - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                        FACE, 1, cv2.LINE_AA)
    if letterbox:
        cv2.rectangle(img, (1, 1), (img.shape[1] - 2, img.shape[0] - 2), LETTERBOX, 3)
    else:
        colour = FALLBACK if crop.fallback and crop.fallback[i] else WINDOW
        size = window or (crop.crop_width, crop.crop_height)
        cw, ch = int(round(size[0] * scale)), int(round(size[1] * scale))
        corners = [(crop.x[i], crop.y[i])]
        if split and crop.x2:
            corners.append((crop.x2[i], crop.y2[i]))
        bottom = img.shape[0] - 2
        for x0, y0 in corners:
            x, y = int(round(x0 * scale)), int(round(y0 * scale))
            cv2.rectangle(img, (x + 1, max(1, y + 1)), (x + cw - 2, min(bottom, y + ch - 2)),
                          colour, 3)
    cv2.rectangle(img, (0, 0), (min(img.shape[1], 9 * len(text) + 10), 22), TEXT_BG, -1)
    cv2.putText(img, text, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1,
                cv2.LINE_AA)
    return img


def render_preview(source: str | Path, crop: CropPath, out: str | Path, *,
                   faces: Faces | None = None, height: int = 640,
                   fps: float | None = None) -> None:
    """Write the side-by-side debug preview of one clip's camera plan.

    Args:
        source: the episode video the plan was made for.
        crop: the clip's ``crop_path.json``.
        out: the ``.mp4`` to write (atomically).
        faces: the episode's ``faces.json``, to draw the detections; optional.
        height: preview height in px (both panels).
        fps: preview frame rate; default the plan's own (every planned window shown).

    Raises:
        InputError: the source cannot be read or the encoder fails.
    """
    source, out = Path(source), Path(out)
    rate = float(fps or crop.fps)
    height = height - height % 2
    scale = height / crop.source_height
    src_w = even_width(crop.source_width, crop.source_height, height)
    out_w = even_width(crop.crop_width, crop.crop_height, height)
    width = src_w + out_w
    lb_shots = {k for k, s in enumerate(crop.shots) if s.mode == "letterbox"}
    split_shots = {k for k, s in enumerate(crop.shots) if s.mode == "split"}
    widths, heights = crop.frame_sizes()
    face_times = np.array([f.t for f in faces.frames]) if faces is not None else None
    with atomic_path(out) as tmp:
        args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
                "-r", f"{rate:.6f}", "-i", "-", "-c:v", "libx264", "-preset", "veryfast",
                "-crf", "26", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
                "-f", "mp4", str(tmp)]
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdin is not None
        try:
            for t, rgb in iter_frames(source, fps=rate, height=height, start_s=crop.start_s,
                                      duration_s=crop.end_s - crop.start_s):
                rel = t - crop.start_s
                if not crop.x:
                    break
                i = min(len(crop.x) - 1, max(0, int(round(rel * crop.fps))))
                frame = np.ascontiguousarray(rgb[:, :src_w]) if rgb.shape[1] >= src_w else \
                    cv2.resize(rgb, (src_w, height))
                k = shot_at(crop, rel)
                lb, split = k in lb_shots, k in split_shots
                window = (widths[i], heights[i])
                left = annotate(frame, crop, i, scale, faces_near(faces, t, face_times),
                                caption(crop, rel), lb, window, split)
                right = vertical_view(frame, crop, i, scale, (out_w, height), lb, window,
                                      split)
                proc.stdin.write(np.hstack([left, right]).tobytes())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise InputError(f"{out}: preview encoding failed: {err.strip()[-300:]}")
