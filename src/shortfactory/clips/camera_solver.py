"""The camera path: a shot's window, solved for the whole shot at once.

The L1 path optimisation of Grundmann et al. ("Auto-directed video stabilization with
robust L1 optimal camera paths", CVPR 2011) as one sparse linear program for HiGHS
(:func:`solve_path`). It minimises travel, the change of speed and the change of
acceleration (L1 norms give what an operator does: still segments, constant-speed pans and
eased transitions, not a constantly creeping window), with soft constraints that keep the
target inside a dead zone and the target's face box inside the window, and hard limits on
speed, acceleration and the frame edges. Being offline, it sees the future: a move to the
next speaker starts in the pause before they speak. A shot that one still window satisfies
needs no solve (:func:`stationary_window`); :func:`path_mode` names the result and
:func:`window_top` places the window vertically.

Split out of :mod:`shortfactory.clips.camera` because it knows nothing of faces or
speakers: its input is :class:`~shortfactory.clips.camera_geometry.Targets`, per frame
what must be seen and how much it matters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from shortfactory.clips.camera_geometry import NEED_WEIGHT, Targets
from shortfactory.core.recipe import CameraSection

ROUNDING_PX = 0.01  # crop_path.json stores positions to this precision
# Weights of travel, change of speed and change of acceleration, times tau^0, tau^1,
# tau^2 (tau = smoothing_s in frames). Travel weighs most so that a settled window
# stays put and a move stops where it should (a heavier jerk term buys smoothness with
# small overshoots that come back: extra reversals); on the sample this gave fewer
# reversals and less travel than (1, 1, 1) at the same coverage.
PATH_WEIGHTS = (3.0, 1.0, 0.3)
# A step smaller than this (px per frame) is "not moving" when naming a shot's mode.
STILL_PX = 0.05
# Room kept above a face box in a window shorter than the source, in face heights: the
# box starts at the brows; the sample's spiky hair reaches 0.5 face heights above it.
HAIR_ROOM = 0.6


def stationary_window(tg: Targets, crop_w: int, max_left: float) -> float | None:
    """One left edge that satisfies every constrained frame of the shot, else ``None``."""
    lo, hi = 0.0, max_left
    ideal = []
    for i in np.flatnonzero(tg.weight > 0):
        c_lo = tg.centre[i] - tg.half_zone[i] - crop_w / 2
        c_hi = tg.centre[i] + tg.half_zone[i] - crop_w / 2
        if not np.isnan(tg.need_lo[i]):
            c_lo, c_hi = max(c_lo, tg.need_hi[i] - crop_w), min(c_hi, tg.need_lo[i])
        # A target beyond the frame edge is satisfied by the edge itself.
        c_lo, c_hi = min(max(c_lo, 0.0), max_left), max(min(c_hi, max_left), 0.0)
        lo, hi = max(lo, c_lo), min(hi, c_hi)
        ideal.append(tg.centre[i] - crop_w / 2)
    if lo > hi + 1e-9:
        return None
    if not ideal:
        return max_left / 2
    return float(np.clip(np.median(ideal), lo, hi))


def solve_path(tg: Targets, fps: float, crop_w: int, max_left: float, section: CameraSection,
               ) -> np.ndarray:
    """The shot's left edge per frame: one sparse L1 linear program (HiGHS).

    Variables: left edge ``x`` per frame; ``e1, e2, e3 >= |D1 x|, |D2 x|, |D3 x|``;
    dead-zone slacks ``d`` and need slacks ``s`` per constrained frame. Minimise
    ``sum e1 + tau sum e2 + tau^2 sum e3`` (``tau = smoothing_s`` in frames, so each
    term is in pixels and the balance does not change with the frame rate) plus the
    weighted slacks. Hard: ``e1 <= v_max``, ``e2 <= a_max`` (per frame), ``0 <= x <=
    max_left``. Always feasible: a still window satisfies every hard constraint.
    """
    n = len(tg.centre)
    v_max = max(0.0, section.max_speed_px_s / fps - 2 * ROUNDING_PX)
    a_max = max(0.0, section.max_accel_px_s2 / fps / fps - 4 * ROUNDING_PX)
    tau = max(1.0, section.smoothing_s * fps)
    dz = np.flatnonzero(tg.weight > 0)
    nd = np.flatnonzero(~np.isnan(tg.need_lo))
    diffs = [_diff(n, k) for k in (1, 2, 3) if n > k]
    sizes = [n, *(d.shape[0] for d in diffs), 2 * len(dz), 2 * len(nd)]
    offs = np.cumsum([0, *sizes])
    nv = int(offs[-1])

    cost = np.zeros(nv)
    for k in range(len(diffs)):
        cost[offs[k + 1]:offs[k + 2]] = PATH_WEIGHTS[k] * tau ** k
    kd = len(diffs) + 1
    w_dz = tg.weight[dz] / fps
    cost[offs[kd]:offs[kd + 1]] = np.r_[w_dz, w_dz]
    cost[offs[kd + 1]:offs[kd + 2]] = NEED_WEIGHT / fps

    blocks, rhs = [], []

    def cols(rows: sparse.spmatrix, start: int) -> sparse.csr_matrix:
        """Place ``rows`` (acting on one variable block) at column ``start``."""
        rows = sparse.csr_matrix(rows)
        pad_l = sparse.csr_matrix((rows.shape[0], start))
        pad_r = sparse.csr_matrix((rows.shape[0], nv - start - rows.shape[1]))
        return sparse.hstack([pad_l, rows, pad_r], format="csr")

    for k, d in enumerate(diffs):
        eye = sparse.identity(d.shape[0], format="csr")
        blocks += [cols(d, 0) - cols(eye, offs[k + 1]), cols(-d, 0) - cols(eye, offs[k + 1])]
        rhs += [np.zeros(d.shape[0])] * 2
    if len(dz):
        pick = sparse.csr_matrix((np.ones(len(dz)), (np.arange(len(dz)), dz)), shape=(len(dz), n))
        eye = sparse.identity(len(dz), format="csr")
        target = tg.centre[dz] - crop_w / 2
        blocks += [cols(pick, 0) - cols(eye, offs[kd]),
                   cols(-pick, 0) - cols(eye, offs[kd] + len(dz))]
        rhs += [target + tg.half_zone[dz], -(target - tg.half_zone[dz])]
    if len(nd):
        pick = sparse.csr_matrix((np.ones(len(nd)), (np.arange(len(nd)), nd)), shape=(len(nd), n))
        eye = sparse.identity(len(nd), format="csr")
        # x <= need_lo (left edge left of the box), x + crop_w >= need_hi.
        blocks += [cols(pick, 0) - cols(eye, offs[kd + 1]),
                   cols(-pick, 0) - cols(eye, offs[kd + 1] + len(nd))]
        rhs += [tg.need_lo[nd], crop_w - tg.need_hi[nd]]

    bounds = np.zeros((nv, 2))
    bounds[:, 1] = np.inf
    bounds[:n, 1] = max_left
    if len(diffs) > 0:
        bounds[offs[1]:offs[2], 1] = v_max
    if len(diffs) > 1:
        bounds[offs[2]:offs[3], 1] = a_max
    res = linprog(cost, A_ub=sparse.vstack(blocks, format="csr"), b_ub=np.concatenate(rhs),
                  bounds=bounds, method="highs")
    if res.x is None:  # pragma: no cover - the still window is always feasible
        raise RuntimeError(f"camera path solve failed: {res.message}")
    return np.clip(res.x[:n], 0.0, max_left)


def _diff(n: int, order: int) -> sparse.csr_matrix:
    """Finite difference operator of ``order`` on ``n`` samples, ``(n - order, n)``."""
    coeffs = {1: [-1.0, 1.0], 2: [1.0, -2.0, 1.0], 3: [-1.0, 3.0, -3.0, 1.0]}[order]
    return sparse.diags(coeffs, list(range(order + 1)), shape=(n - order, n), format="csr")


def path_mode(left: np.ndarray, cuts: Sequence[int] = ()) -> str:
    """``stationary``, ``panning`` (one monotone move) or ``tracking``; the jumps onto the
    frames ``cuts`` (cuts between the panels of a split screen) are no moves."""
    steps = np.delete(np.diff(left), [c - 1 for c in cuts if 0 < c < len(left)])
    moving = steps[np.abs(steps) > STILL_PX]
    if not moving.size:
        return "stationary"
    return "panning" if np.all(moving > 0) or np.all(moving < 0) else "tracking"


def window_top(tg: Targets, crop_h: int, frame_h: int, headroom: float,
               face_h: float = 0.0) -> float:
    """Top edge of a window shorter than the source: the face's top ``headroom`` below the
    window's, and at least ``HAIR_ROOM`` x ``face_h`` (the box of a detector starts at
    the brows: forehead and hair need that much more); a window taller than the source
    is centred on it."""
    if crop_h >= frame_h:
        return -(crop_h - frame_h) / 2
    tops = tg.top[~np.isnan(tg.top)]
    room = max(headroom * crop_h, HAIR_ROOM * face_h)
    top = float(np.median(tops)) - room if tops.size else (frame_h - crop_h) / 2
    return float(np.clip(top, 0, frame_h - crop_h))


def solve_window(tg: Targets, fps: float, crop_w: int, max_left: float,
                 section: CameraSection) -> np.ndarray:
    """One still window when one satisfies the whole shot (no solve), else the solved path."""
    still = stationary_window(tg, crop_w, max_left)
    if still is not None or len(tg.centre) < 4:
        return np.full(len(tg.centre), max_left / 2 if still is None else still)
    return solve_path(tg, fps, crop_w, max_left, section)
