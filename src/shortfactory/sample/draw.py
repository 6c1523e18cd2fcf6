"""Drawing for the bundled sample episode: cartoon characters and backgrounds.

Everything is drawn with OpenCV primitives on numpy arrays (BGR, uint8) and cached:
a character sprite is drawn once per (character, size, mouth, eyes, expression) and
composited with premultiplied alpha; a background is drawn once per shot.

The faces are designed to be found by the detectors the pipeline uses (OpenCV's
``haarcascade_frontalface_alt2`` and ``animeface``): a skin-toned oval with dark hair
around it, white sclera with dark irises, dark eyebrows, a shaded nose and a dark
mouth, in roughly human proportions.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

SS = 2  # supersampling factor for sprites and backgrounds

# --------------------------------------------------------------------------- characters


@dataclass(frozen=True)
class CharacterStyle:
    """Colours (BGR) and shape choices of one character."""

    id: str
    name: str
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    iris: tuple[int, int, int]
    shirt: tuple[int, int, int]
    hair_style: str  # "long" or "spiky"


@dataclass(frozen=True, eq=False)
class Sprite:
    """A BGR image with float alpha weights, anchored at the face centre."""

    bgr: np.ndarray  # straight (not premultiplied) colour, uint8
    alpha: np.ndarray  # float32 0..1
    inv_alpha: np.ndarray  # float32 1 - alpha
    cx: int  # face centre inside the sprite
    cy: int
    face_box: tuple[int, int, int, int]  # ground-truth face box relative to the face centre


def face_box_rel(face_h: int) -> tuple[int, int, int, int]:
    """The ground-truth face box (x, y, w, h) relative to the face centre.

    Square, from just above the eyebrows to the chin, cheek to cheek: the region that
    frontal face detectors report.
    """
    w = round(0.84 * face_h)
    top = round(-0.36 * face_h)
    bottom = round(0.50 * face_h)
    return (-w // 2, top, w, bottom - top)


def _shade(c: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    return tuple(int(max(0, min(255, round(v * f)))) for v in c)  # type: ignore[return-value]


def _draw_character(
    style: CharacterStyle, face_h: int, mouth: int, blink: bool, expression: str, body_len: float
) -> tuple[np.ndarray, int, int]:
    """Draw at SS x resolution on a transparent BGRA canvas; returns (img, cx, cy)."""
    s = face_h * SS
    w = int(2.2 * s) // SS * SS
    h = int((0.85 + body_len + 0.05) * s) // SS * SS
    cx, cy = w // 2 // SS * SS, int(0.85 * s) // SS * SS
    img = np.zeros((h, w, 4), np.uint8)

    def P(x: float, y: float) -> tuple[int, int]:
        return (int(round(cx + x * s)), int(round(cy + y * s)))

    def L(v: float) -> int:
        return max(1, int(round(v * s)))

    def col(c: tuple[int, int, int]) -> tuple[int, int, int, int]:
        return (int(c[0]), int(c[1]), int(c[2]), 255)

    aa = cv2.LINE_AA
    skin = style.skin
    hair = style.hair
    hair_dark = _shade(hair, 0.6)
    skin_shadow = _shade(skin, 0.82)
    outline = (40, 30, 30)

    # body: shoulders / torso, neck
    torso = np.array(
        [
            P(-0.55, 0.78),
            P(0.55, 0.78),
            P(0.95, 1.35),
            P(1.0, body_len),
            P(-1.0, body_len),
            P(-0.95, 1.35),
        ],
        np.int32,
    )
    cv2.fillPoly(img, [torso], col(style.shirt), aa)
    cv2.polylines(img, [torso], True, col(outline), L(0.015), aa)
    collar = np.array([P(-0.2, 0.74), P(0.2, 0.74), P(0.0, 0.98)], np.int32)
    cv2.fillPoly(img, [collar], col(skin_shadow), aa)
    for sx in (-1, 1):  # arms: a fold line down each side of the shirt
        arm = np.array([P(sx * 0.62, 1.1), P(sx * 0.7, 1.6), P(sx * 0.74, body_len)], np.int32)
        cv2.polylines(img, [arm], False, col(_shade(style.shirt, 0.7)), L(0.025), aa)
    cv2.rectangle(img, P(-0.13, 0.35), P(0.13, 0.8), col(skin_shadow), -1, aa)

    # back hair
    if style.hair_style == "long":
        cv2.ellipse(img, P(0, -0.08), (L(0.58), L(0.62)), 0, 180, 360, col(hair), -1, aa)
        back = np.array(
            [
                P(-0.58, -0.1),
                P(0.58, -0.1),
                P(0.62, 0.75),
                P(0.3, 0.85),
                P(-0.3, 0.85),
                P(-0.62, 0.75),
            ],
            np.int32,
        )
        cv2.fillPoly(img, [back], col(hair_dark), aa)
    else:
        cv2.ellipse(img, P(0, -0.1), (L(0.54), L(0.58)), 0, 180, 360, col(hair), -1, aa)
        for i in range(9):
            a = math.radians(190 + i * 20)
            tip = P(0.78 * math.cos(a), -0.12 + 0.82 * math.sin(a))
            b1 = P(0.5 * math.cos(a - 0.22), -0.12 + 0.55 * math.sin(a - 0.22))
            b2 = P(0.5 * math.cos(a + 0.22), -0.12 + 0.55 * math.sin(a + 0.22))
            cv2.fillPoly(img, [np.array([b1, tip, b2], np.int32)], col(hair), aa)

    # ears
    for sx in (-1, 1):
        cv2.ellipse(
            img, P(sx * 0.41, 0.05), (L(0.07), L(0.11)), 0, 0, 360, col(skin_shadow), -1, aa
        )

    # face: an oval with a slightly narrower jaw
    face = cv2.ellipse2Poly(P(0, 0), (L(0.42), L(0.5)), 0, 0, 360, 4)
    face = face.astype(np.float64)
    rel_y = (face[:, 1] - cy) / s
    narrow = np.clip((rel_y - 0.1) / 0.4, 0, 1) * 0.18
    face[:, 0] = cx + (face[:, 0] - cx) * (1 - narrow)
    face = face.round().astype(np.int32)
    cv2.fillPoly(img, [face], col(skin), aa)
    cv2.polylines(img, [face], True, col(outline), L(0.012), aa)

    # bangs over the forehead
    if style.hair_style == "long":
        bangs = [
            P(-0.5, -0.05),
            P(-0.46, -0.42),
            P(-0.2, -0.58),
            P(0.2, -0.58),
            P(0.46, -0.42),
            P(0.5, -0.05),
            P(0.40, -0.2),
            P(0.30, -0.25),
            P(0.18, -0.2),
            P(0.05, -0.27),
            P(-0.1, -0.2),
            P(-0.24, -0.26),
            P(-0.36, -0.2),
            P(-0.44, -0.12),
        ]
    else:
        bangs = [
            P(-0.48, -0.05),
            P(-0.46, -0.45),
            P(-0.2, -0.6),
            P(0.2, -0.6),
            P(0.46, -0.45),
            P(0.48, -0.05),
            P(0.38, -0.26),
            P(0.28, -0.2),
            P(0.16, -0.29),
            P(0.02, -0.22),
            P(-0.12, -0.29),
            P(-0.26, -0.22),
            P(-0.38, -0.27),
        ]
    cv2.fillPoly(img, [np.array(bangs, np.int32)], col(hair), aa)
    cv2.polylines(img, [np.array(bangs, np.int32)], True, col(hair_dark), L(0.01), aa)

    # eyebrows: (inner dy, outer dy) per expression
    brow_y = -0.15
    din, dout = {
        "neutral": (0.0, 0.0),
        "happy": (-0.01, 0.0),
        "shocked": (-0.05, -0.03),
        "sad": (-0.04, 0.03),
        "angry": (0.04, -0.03),
    }.get(expression, (0.0, 0.0))
    for sx in (-1, 1):
        inner = P(sx * 0.07, brow_y + din)
        mid = P(sx * 0.19, brow_y - 0.025 + (din + dout) / 2)
        outer = P(sx * 0.3, brow_y + 0.01 + dout)
        cv2.polylines(
            img, [np.array([inner, mid, outer], np.int32)], False, col(hair_dark), L(0.035), aa
        )

    # eyes: white sclera, dark iris, pupil, highlight, upper lash line
    eye_y = 0.02
    ew, eh = 0.105, 0.085 if expression != "shocked" else 0.1
    for sx in (-1, 1):
        c = P(sx * 0.18, eye_y)
        if blink:
            cv2.ellipse(img, c, (L(ew), L(0.03)), 0, 0, 180, col(outline), L(0.03), aa)
            continue
        cv2.ellipse(img, c, (L(ew), L(eh)), 0, 0, 360, col((250, 250, 250)), -1, aa)
        cv2.ellipse(
            img, P(sx * 0.18, eye_y + 0.01), (L(0.06), L(0.075)), 0, 0, 360, col(style.iris), -1, aa
        )
        cv2.ellipse(
            img,
            P(sx * 0.18, eye_y + 0.015),
            (L(0.035), L(0.045)),
            0,
            0,
            360,
            col((15, 10, 10)),
            -1,
            aa,
        )
        cv2.circle(img, P(sx * 0.18 - 0.02, eye_y - 0.02), L(0.017), col((255, 255, 255)), -1, aa)
        cv2.ellipse(
            img, c, (L(ew + 0.01), L(eh + 0.005)), 0, 190, 350, col((20, 15, 15)), L(0.03), aa
        )

    # nose: a small shadow and a tip highlight
    cv2.line(img, P(0.015, 0.12), P(-0.02, 0.2), col(_shade(skin, 0.62)), L(0.022), aa)
    cv2.ellipse(
        img, P(0.0, 0.21), (L(0.04), L(0.015)), 0, 0, 180, col(_shade(skin, 0.7)), L(0.015), aa
    )

    # mouth
    mouth_y = 0.32
    dark = (40, 30, 110)
    if mouth == 0:
        if expression == "sad":
            cv2.ellipse(
                img, P(0, mouth_y + 0.03), (L(0.08), L(0.03)), 0, 200, 340, col(dark), L(0.022), aa
            )
        else:
            cv2.ellipse(
                img, P(0, mouth_y - 0.02), (L(0.09), L(0.035)), 0, 20, 160, col(dark), L(0.022), aa
            )
    else:
        mh = {1: 0.035, 2: 0.06, 3: 0.09}[min(mouth, 3)]
        mw = {1: 0.07, 2: 0.085, 3: 0.11}[min(mouth, 3)]
        cv2.ellipse(img, P(0, mouth_y), (L(mw), L(mh)), 0, 0, 360, col(dark), -1, aa)
        cv2.ellipse(
            img,
            P(0, mouth_y + mh * 0.45),
            (L(mw * 0.6), L(mh * 0.4)),
            0,
            0,
            360,
            col((90, 90, 210)),
            -1,
            aa,
        )
        if mouth >= 2:
            cv2.ellipse(
                img,
                P(0, mouth_y - mh * 0.75),
                (L(mw * 0.75), L(mh * 0.22)),
                0,
                0,
                360,
                col((245, 245, 245)),
                -1,
                aa,
            )
    if expression == "happy":
        for sx in (-1, 1):
            cv2.ellipse(
                img,
                P(sx * 0.27, 0.17),
                (L(0.05), L(0.022)),
                0,
                0,
                360,
                col((150, 150, 245)),
                -1,
                aa,
            )

    small = cv2.resize(img, (w // SS, h // SS), interpolation=cv2.INTER_AREA)
    return small, cx // SS, cy // SS


# Face regions that change with mouth/eyes/expression. Both lie inside the opaque face
# (skin or bangs), so a state change is a plain copy of these patches over the base.
_PATCHES = ((-0.34, -0.27, 0.34, 0.20), (-0.15, 0.20, 0.15, 0.44))  # x0, y0, x1, y1 in face_h


def _patch_rects(face_h: int) -> list[tuple[int, int, int, int]]:
    return [
        (round(x0 * face_h), round(y0 * face_h), round(x1 * face_h), round(y1 * face_h))
        for x0, y0, x1, y1 in _PATCHES
    ]


@functools.lru_cache(maxsize=16)
def character_sprite(style: CharacterStyle, face_h: int, body_len: float = 3.0) -> Sprite:
    """The whole character (neutral face, eyes open, mouth closed) as a sprite.

    ``face_h`` is the hairline-to-chin height in output pixels; the torso reaches
    ``body_len`` face heights below the face centre. Cached for a few shots only: a
    sprite is 5-20 MB, a shot uses two, and a long sample's passes bring new sizes.
    """
    small, cx, cy = _draw_character(style, face_h, 0, False, "neutral", body_len)
    alpha = small[:, :, 3].astype(np.float32) / 255.0
    # cv2 anti-aliasing on a transparent canvas yields premultiplied colour: unpremultiply.
    bgr = small[:, :, :3].astype(np.float32) / np.maximum(alpha, 1e-3)[:, :, None]
    bgr = np.clip(bgr, 0, 255).astype(np.uint8)
    return Sprite(
        bgr=bgr, alpha=alpha, inv_alpha=1.0 - alpha, cx=cx, cy=cy, face_box=face_box_rel(face_h)
    )


@functools.lru_cache(maxsize=1024)
def face_patches(
    style: CharacterStyle, face_h: int, mouth: int, blink: bool, expression: str
) -> tuple[tuple[int, int, np.ndarray], ...]:
    """Opaque BGR patches (dx, dy, image) relative to the face centre for one face state."""
    small, cx, cy = _draw_character(style, face_h, mouth, blink, expression, 1.0)
    out = []
    for x0, y0, x1, y1 in _patch_rects(face_h):
        out.append((x0, y0, np.ascontiguousarray(small[cy + y0 : cy + y1, cx + x0 : cx + x1, :3])))
    return tuple(out)


def paste(frame: np.ndarray, patches, x: int, y: int) -> None:
    """Copy opaque face patches onto ``frame`` around the face centre (x, y), clipped."""
    H_, W_ = frame.shape[:2]
    for dx, dy, img in patches:
        x0, y0 = x + dx, y + dy
        h, w = img.shape[:2]
        fx0, fy0, fx1, fy1 = max(0, x0), max(0, y0), min(W_, x0 + w), min(H_, y0 + h)
        if fx0 < fx1 and fy0 < fy1:
            frame[fy0:fy1, fx0:fx1] = img[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]


def draw_actor(
    frame: np.ndarray,
    style: CharacterStyle,
    face_h: int,
    body_len: float,
    x: int,
    y: int,
    mouth: int = 0,
    blink: bool = False,
    expression: str = "neutral",
) -> None:
    """Draw one character with its face centre at (x, y)."""
    composite(frame, character_sprite(style, face_h, body_len), x, y)
    if mouth or blink or expression != "neutral":
        paste(frame, face_patches(style, face_h, mouth, blink, expression), x, y)


def composite(frame: np.ndarray, sprite: Sprite, x: int, y: int) -> None:
    """Composite ``sprite`` onto ``frame`` in place with its face centre at (x, y)."""
    H, W = frame.shape[:2]
    x0, y0 = x - sprite.cx, y - sprite.cy
    sh, sw = sprite.alpha.shape
    fx0, fy0 = max(0, x0), max(0, y0)
    fx1, fy1 = min(W, x0 + sw), min(H, y0 + sh)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    sx0, sy0 = fx0 - x0, fy0 - y0
    sx1, sy1 = sx0 + (fx1 - fx0), sy0 + (fy1 - fy0)
    region = frame[fy0:fy1, fx0:fx1]
    region[:] = cv2.blendLinear(
        np.ascontiguousarray(region),
        sprite.bgr[sy0:sy1, sx0:sx1],
        sprite.inv_alpha[sy0:sy1, sx0:sx1],
        sprite.alpha[sy0:sy1, sx0:sx1],
    )


# --------------------------------------------------------------------------- backgrounds

W, H = 1920, 1080
AA = cv2.LINE_AA


def _vgrad(
    top: tuple[int, int, int],
    bottom: tuple[int, int, int],
    h: int = H,
    w: int = W,
) -> np.ndarray:
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    col = np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t
    return np.repeat(col, w, axis=1)


def _texture(
    img: np.ndarray,
    rng: np.random.Generator,
    amp: float = 7.0,
    cell: int = 24,
) -> np.ndarray:
    """Add soft, low-frequency noise so that no area is a flat colour."""
    h, w = img.shape[:2]
    n = rng.standard_normal((h // cell + 2, w // cell + 2)).astype(np.float32)
    n = cv2.resize(n, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(img.astype(np.float32) + amp * n[:, :, None], 0, 255)


def _finish(img: np.ndarray, rng: np.random.Generator, amp: float = 4.0) -> np.ndarray:
    return _texture(img, rng, amp).astype(np.uint8)


def _cloud(img: np.ndarray, x: int, y: int, s: float, color=(250, 250, 250)) -> None:
    for dx, dy, r in ((0, 0, 60), (55, -25, 50), (110, 0, 55), (-55, 10, 40), (160, 15, 35)):
        cv2.ellipse(
            img,
            (int(x + dx * s), int(y + dy * s)),
            (int(r * s * 1.3), int(r * s)),
            0,
            0,
            360,
            color,
            -1,
            AA,
        )


def _tree(img: np.ndarray, x: int, ground: int, s: float, leaf=(60, 140, 60)) -> None:
    cv2.rectangle(
        img,
        (int(x - 18 * s), int(ground - 260 * s)),
        (int(x + 18 * s), ground),
        (40, 70, 110),
        -1,
        AA,
    )
    dark = _shade(leaf, 0.8)
    for dx, dy, r, c in (
        (0, -330, 110, leaf),
        (-80, -270, 85, dark),
        (80, -270, 90, dark),
        (0, -250, 80, leaf),
    ):
        cv2.circle(img, (int(x + dx * s), int(ground + dy * s)), int(r * s), c, -1, AA)


def bg_park(rng: np.random.Generator) -> np.ndarray:
    img = _vgrad((235, 185, 120), (245, 225, 200))
    cv2.circle(img, (1650, 170), 85, (150, 235, 255), -1, AA)
    for x, y, s in ((300, 160, 1.0), (900, 110, 0.8), (1300, 230, 0.7)):
        _cloud(img, x, y, s)
    cv2.ellipse(img, (500, 760), (900, 220), 0, 180, 360, (110, 170, 110), -1, AA)
    cv2.ellipse(img, (1500, 780), (800, 200), 0, 180, 360, (95, 160, 100), -1, AA)
    img[700:] = _vgrad((90, 175, 95), (60, 130, 70), H - 700)
    for x in (120, 1780, 1540):
        _tree(img, x, 720, 1.1 if x != 1540 else 0.8)
    path = np.array([[820, 1080], [1100, 1080], [1000, 700], [940, 700]], np.int32)
    cv2.fillPoly(img, [path], (150, 200, 225), AA)
    for _ in range(60):
        x, y = int(rng.integers(0, W)), int(rng.integers(760, H))
        cv2.circle(img, (x, y), 5, [(80, 80, 230), (80, 220, 240), (230, 230, 250)][_ % 3], -1, AA)
    return _finish(img, rng)


def bg_living_room(rng: np.random.Generator) -> np.ndarray:
    img = _vgrad((170, 205, 230), (140, 180, 215))
    for x in range(0, W, 80):
        cv2.line(img, (x, 0), (x, 800), (150, 190, 220), 14, AA)
    cv2.rectangle(img, (1250, 120), (1700, 520), (235, 200, 150), -1, AA)
    cv2.rectangle(img, (1250, 120), (1700, 520), (245, 245, 245), 18, AA)
    cv2.line(img, (1475, 120), (1475, 520), (245, 245, 245), 12, AA)
    cv2.rectangle(img, (1180, 90), (1260, 600), (80, 80, 170), -1, AA)
    cv2.rectangle(img, (1690, 90), (1770, 600), (80, 80, 170), -1, AA)
    cv2.rectangle(img, (200, 170), (520, 400), (60, 90, 120), 14, AA)
    pts = np.array([[215, 385], [320, 250], [390, 330], [440, 280], [505, 385]], np.int32)
    cv2.fillPoly(img, [pts], (120, 150, 90), AA)
    img[800:] = _vgrad((70, 110, 160), (50, 80, 120), H - 800)
    for y in range(820, H, 55):
        cv2.line(img, (0, y), (W, y), (45, 70, 105), 3, AA)
    cv2.rectangle(img, (80, 600), (900, 860), (90, 60, 140), -1, AA)
    cv2.rectangle(img, (60, 560), (140, 880), (80, 50, 125), -1, AA)
    cv2.rectangle(img, (840, 560), (920, 880), (80, 50, 125), -1, AA)
    cv2.line(img, (1850, 300), (1850, 820), (60, 60, 60), 10, AA)
    cv2.ellipse(img, (1850, 290), (70, 60), 0, 180, 360, (140, 220, 250), -1, AA)
    return _finish(img, rng)


def bg_street(rng: np.random.Generator) -> np.ndarray:
    img = _vgrad((230, 200, 160), (240, 225, 205))
    x = -40
    palette = [(120, 140, 200), (170, 170, 170), (110, 170, 210), (180, 150, 140), (100, 120, 150)]
    i = 0
    while x < W:
        bw = int(rng.integers(220, 360))
        top = int(rng.integers(120, 380))
        c = palette[i % len(palette)]
        cv2.rectangle(img, (x, top), (x + bw, 760), c, -1, AA)
        for wy in range(top + 40, 700, 90):
            for wx in range(x + 30, x + bw - 50, 80):
                lit = rng.random() < 0.3
                cv2.rectangle(
                    img,
                    (wx, wy),
                    (wx + 40, wy + 50),
                    (150, 230, 250) if lit else (200, 170, 120),
                    -1,
                    AA,
                )
        x += bw + 10
        i += 1
    img[760:860] = _vgrad((185, 190, 195), (165, 170, 175), 100)
    img[860:] = _vgrad((90, 90, 95), (70, 70, 75), H - 860)
    for lx in range(0, W, 240):
        cv2.rectangle(img, (lx, 960), (lx + 140, 980), (230, 230, 230), -1, AA)
    return _finish(img, rng)


def bg_cafe(rng: np.random.Generator) -> np.ndarray:
    img = _vgrad((80, 110, 170), (60, 90, 140))
    for row, y in enumerate(range(0, 760, 48)):
        off = 0 if row % 2 == 0 else 60
        cv2.line(img, (0, y), (W, y), (150, 175, 200), 4, AA)
        for x in range(off, W, 120):
            cv2.line(img, (x, y), (x, y + 48), (150, 175, 200), 4, AA)
    cv2.rectangle(img, (700, 90), (1220, 420), (50, 60, 50), -1, AA)
    cv2.rectangle(img, (700, 90), (1220, 420), (60, 110, 160), 16, AA)
    for i, y in enumerate(range(150, 400, 55)):
        cv2.line(img, (750, y), (1000 + 40 * (i % 3), y), (235, 235, 235), 6, AA)
        cv2.circle(img, (1140, y), 10, (200, 230, 250), -1, AA)
    for lx in (300, 1620):
        cv2.line(img, (lx, 0), (lx, 120), (40, 40, 40), 6, AA)
        tri = np.array([[lx - 70, 200], [lx + 70, 200], [lx, 110]], np.int32)
        cv2.fillPoly(img, [tri], (60, 150, 60), AA)
        cv2.circle(img, (lx, 210), 26, (180, 245, 255), -1, AA)
    img[760:] = _vgrad((60, 100, 150), (40, 70, 110), H - 760)
    cv2.rectangle(img, (0, 740), (W, 790), (40, 80, 120), -1, AA)
    for x in range(80, W, 230):
        cv2.rectangle(img, (x, 690), (x + 60, 740), (240, 240, 240), -1, AA)
        cv2.ellipse(img, (x + 60, 715), (16, 16), 0, -90, 90, (240, 240, 240), 6, AA)
    return _finish(img, rng)


def bg_beach(rng: np.random.Generator) -> np.ndarray:
    img = _vgrad((140, 90, 120), (120, 170, 250), 620)
    img = np.concatenate(
        [
            img,
            _vgrad((150, 120, 60), (200, 170, 90), 200),
            _vgrad((150, 200, 230), (120, 170, 210), H - 820),
        ],
        axis=0,
    )
    cv2.circle(img, (960, 620), 150, (90, 190, 255), -1, AA)
    img[620:820] = _vgrad((150, 120, 60), (200, 170, 90), 200)
    for y in range(640, 820, 22):
        x0 = int(rng.integers(0, 400))
        for x in range(x0, W, 420):
            cv2.line(img, (x, y), (x + 160, y), (170, 210, 240), 3, AA)
    cv2.line(img, (1680, 1080), (1600, 420), (50, 80, 110), 30, AA)
    for a in range(0, 360, 60):
        end = (
            int(1600 + 170 * math.cos(math.radians(a))),
            int(420 + 90 * math.sin(math.radians(a))),
        )
        cv2.line(img, (1600, 420), end, (50, 120, 40), 28, AA)
    for x, y, s in ((250, 180, 0.9), (1200, 120, 0.7)):
        _cloud(img, x, y, s, (170, 150, 220))
    return _finish(img, rng)


def bg_night_city(rng: np.random.Generator) -> np.ndarray:
    img = _vgrad((60, 20, 15), (110, 50, 40))
    for _ in range(160):
        x, y = int(rng.integers(0, W)), int(rng.integers(0, 520))
        cv2.circle(img, (x, y), int(rng.integers(1, 4)), (230, 240, 250), -1, AA)
    cv2.circle(img, (1550, 180), 90, (200, 235, 245), -1, AA)
    cv2.circle(img, (1585, 160), 80, (60, 22, 18), -1, AA)
    x = 0
    while x < W:
        bw = int(rng.integers(90, 220))
        top = int(rng.integers(420, 760))
        cv2.rectangle(img, (x, top), (x + bw, H), (45, 25, 30), -1, AA)
        for wy in range(top + 20, H - 40, 40):
            for wx in range(x + 14, x + bw - 20, 30):
                if rng.random() < 0.35:
                    cv2.rectangle(img, (wx, wy), (wx + 14, wy + 20), (120, 220, 250), -1, AA)
        x += bw + int(rng.integers(0, 30))
    cv2.line(img, (0, 900), (W, 860), (90, 90, 120), 12, AA)
    for bx in range(0, W, 160):
        cv2.line(img, (bx, 900 - bx * 40 // W), (bx + 80, 820), (90, 90, 120), 5, AA)
    return _finish(img, rng, 4.0)


def bg_canyon(rng: np.random.Generator) -> np.ndarray:
    img = _vgrad((220, 190, 150), (200, 220, 240))
    mesas = [
        [(0, 700), (0, 420), (150, 400), (420, 410), (520, 700)],
        [(1100, 700), (1180, 380), (1500, 360), (1620, 700)],
        [(600, 700), (700, 520), (900, 510), (1000, 700)],
    ]
    for i, m in enumerate(mesas):
        c = [(60, 90, 170), (50, 80, 160), (80, 110, 190)][i]
        layer = np.zeros((H, W, 3), np.float32)
        mask = np.zeros((H, W), np.uint8)
        cv2.fillPoly(mask, [np.array(m, np.int32)], 255, AA)
        layer[:] = c
        for k in range(3):
            y = m[1][1] + 60 + 70 * k
            cv2.line(layer, (0, y), (W, y), _shade(c, 0.8), 8, AA)
        a = (mask.astype(np.float32) / 255.0)[:, :, None]
        img = img * (1 - a) + layer * a
    img[700:] = _vgrad((120, 170, 215), (90, 140, 190), H - 700)
    for _ in range(40):
        x, y = int(rng.integers(0, W)), int(rng.integers(720, H))
        cv2.ellipse(img, (x, y), (int(rng.integers(10, 40)), 10), 0, 0, 360, (80, 120, 160), -1, AA)
    return _finish(img, rng)


def bg_bench(rng: np.random.Generator) -> np.ndarray:
    img = _vgrad((225, 200, 160), (215, 225, 215))
    for x in range(-100, W + 100, 170):
        cv2.circle(img, (x, 520 + int(rng.integers(-30, 30))), 140, (70, 130, 60), -1, AA)
    img[560:] = _vgrad((80, 150, 90), (60, 120, 70), H - 560)
    cv2.fillPoly(
        img, [np.array([[0, 760], [W, 700], [W, 860], [0, 920]], np.int32)], (170, 200, 215), AA
    )
    cv2.rectangle(img, (160, 720), (1760, 760), (50, 90, 140), -1, AA)
    for y in (610, 650, 690):
        cv2.rectangle(img, (160, y), (1760, y + 28), (60, 110, 160), -1, AA)
    cv2.line(img, (1820, 120), (1820, 900), (50, 50, 50), 14, AA)
    cv2.circle(img, (1820, 110), 40, (190, 240, 250), -1, AA)
    return _finish(img, rng)


def bg_bench_close(rng: np.random.Generator) -> np.ndarray:
    """The bench location seen close: a zoomed, blurred (out of focus) background."""
    wide = bg_bench(rng)
    crop = wide[300:840, 400:1360]
    big = cv2.resize(crop, (W, H), interpolation=cv2.INTER_LINEAR)
    big = cv2.GaussianBlur(big, (0, 0), 9)
    for _ in range(12):
        x, y = int(rng.integers(0, W)), int(rng.integers(0, 500))
        ov = big.copy()
        cv2.circle(ov, (x, y), int(rng.integers(40, 90)), (200, 240, 250), -1, AA)
        big = cv2.addWeighted(big, 0.8, ov, 0.2, 0)
    return _finish(big, rng, 3.0)


def bg_station(rng: np.random.Generator) -> np.ndarray:
    img = _vgrad((200, 200, 190), (170, 170, 160))
    cv2.rectangle(img, (0, 250), (W, 640), (170, 120, 60), -1, AA)
    for x in range(40, W, 260):
        cv2.rectangle(img, (x, 310), (x + 180, 450), (240, 220, 190), -1, AA)
        cv2.rectangle(img, (x, 310), (x + 180, 450), (90, 60, 30), 8, AA)
    cv2.rectangle(img, (0, 520), (W, 545), (60, 200, 240), -1, AA)
    for x in range(200, W, 560):
        cv2.rectangle(img, (x, 0), (x + 70, 760), (140, 140, 140), -1, AA)
    cv2.rectangle(img, (760, 60), (1160, 170), (120, 60, 20), -1, AA)
    cv2.putText(
        img, "PLATFORM 2", (790, 135), cv2.FONT_HERSHEY_SIMPLEX, 1.8, (255, 255, 255), 4, AA
    )
    img[760:] = _vgrad((150, 150, 150), (120, 120, 125), H - 760)
    cv2.rectangle(img, (0, 760), (W, 790), (40, 210, 240), -1, AA)
    for x in range(0, W, 120):
        cv2.line(img, (x, 790), (x - 200, H), (110, 110, 115), 3, AA)
    cv2.circle(img, (1700, 120), 55, (240, 240, 240), -1, AA)
    cv2.circle(img, (1700, 120), 55, (40, 40, 40), 6, AA)
    cv2.line(img, (1700, 120), (1700, 80), (40, 40, 40), 5, AA)
    cv2.line(img, (1700, 120), (1730, 130), (40, 40, 40), 5, AA)
    return _finish(img, rng)


def bg_library(rng: np.random.Generator) -> np.ndarray:
    img = _vgrad((175, 150, 120), (150, 130, 105))
    spines = [
        (60, 60, 170),
        (150, 90, 40),
        (60, 140, 60),
        (40, 170, 210),
        (120, 60, 120),
        (200, 200, 200),
        (50, 90, 150),
    ]
    for top in (60, 300, 540):
        cv2.rectangle(img, (0, top + 200), (W, top + 225), (90, 75, 60), -1, AA)
        x = 10
        while x < W:
            bw = int(rng.integers(26, 60))
            bh = int(rng.integers(140, 195))
            c = spines[int(rng.integers(0, len(spines)))]
            cv2.rectangle(img, (x, top + 200 - bh), (x + bw, top + 200), c, -1, AA)
            cv2.line(
                img, (x + 6, top + 230 - bh), (x + bw - 6, top + 230 - bh), _shade(c, 1.4), 4, AA
            )
            x += bw + int(rng.integers(2, 8))
    img[790:] = _vgrad((80, 120, 60), (60, 95, 45), H - 790)
    cv2.rectangle(img, (0, 780), (W, 800), (70, 60, 50), -1, AA)
    return _finish(img, rng)


def bg_bedroom(rng: np.random.Generator) -> np.ndarray:
    img = _vgrad((120, 70, 80), (100, 60, 70))
    for y in range(40, 760, 90):
        for x in range((y // 90 % 2) * 60, W, 120):
            cv2.circle(img, (x, y), 8, (140, 90, 100), -1, AA)
    cv2.rectangle(img, (220, 150), (640, 520), (90, 40, 30), -1, AA)
    cv2.circle(img, (520, 260), 50, (200, 235, 245), -1, AA)
    cv2.rectangle(img, (220, 150), (640, 520), (200, 200, 210), 16, AA)
    cv2.line(img, (430, 150), (430, 520), (200, 200, 210), 10, AA)
    img[780:] = _vgrad((80, 60, 90), (60, 45, 70), H - 780)
    cv2.rectangle(img, (1150, 560), (1900, 860), (200, 170, 150), -1, AA)
    cv2.rectangle(img, (1150, 520), (1420, 620), (240, 240, 240), -1, AA)
    cv2.rectangle(img, (1150, 640), (1900, 860), (160, 90, 110), -1, AA)
    glow = np.zeros((H // 4, W // 4, 3), np.float32)
    cv2.circle(glow, (250, 117), 40, (60, 120, 160), -1, AA)
    img = img + cv2.resize(cv2.GaussianBlur(glow, (0, 0), 12), (W, H))
    cv2.rectangle(img, (960, 500), (1040, 760), (60, 60, 70), -1, AA)
    cv2.ellipse(img, (1000, 480), (80, 60), 0, 180, 360, (150, 220, 250), -1, AA)
    return _finish(np.clip(img, 0, 255), rng)


BACKGROUNDS = {
    "park": bg_park,
    "living_room": bg_living_room,
    "street": bg_street,
    "cafe": bg_cafe,
    "beach": bg_beach,
    "night_city": bg_night_city,
    "canyon": bg_canyon,
    "bench": bg_bench,
    "bench_close": bg_bench_close,
    "station": bg_station,
    "bedroom": bg_bedroom,
    "library": bg_library,
}


@functools.lru_cache(maxsize=16)
def background(name: str, seed: int) -> np.ndarray:
    """The cached background of a location (BGR uint8, 1080x1920); read-only."""
    rng = np.random.default_rng([seed, sum(ord(c) * (i + 1) for i, c in enumerate(name))])
    img = BACKGROUNDS[name](rng)
    img.setflags(write=False)
    return img


def draw_explosion(frame: np.ndarray, t: float, x: int = 960, y: int = 600) -> None:
    """An explosion ``t`` seconds after the blast (nothing before 0), drawn in place.

    It grows over a few frames and the flash is partial, so that a content-based cut
    detector does not mistake the blast for a cut.
    """
    if t < 0:
        return
    grow = min(1.0, t / 0.6)
    fade = max(0.0, 1.0 - max(0.0, t - 0.8) / 2.5)
    if fade <= 0:
        return
    ov = frame.copy()
    r = int(30 + 470 * grow)
    for k in range(7):  # smoke puffs rising
        a = k * 2 * math.pi / 7
        px = int(x + 0.8 * r * math.cos(a))
        py = int(y - 0.5 * r * abs(math.sin(a)) - 80 * t)
        cv2.circle(ov, (px, py), int(0.55 * r), (90, 90, 95), -1, AA)
    cv2.circle(ov, (x, y - int(40 * t)), r, (30, 110, 235), -1, AA)
    cv2.circle(ov, (x, y - int(40 * t)), int(0.7 * r), (40, 180, 255), -1, AA)
    cv2.circle(ov, (x, y - int(40 * t)), int(0.4 * r), (170, 245, 255), -1, AA)
    cv2.addWeighted(
        ov,
        fade * min(1.0, 0.35 + t / 0.2),
        frame,
        1 - fade * min(1.0, 0.35 + t / 0.2),
        0,
        dst=frame,
    )
    flash = 30.0 * min(1.0, t / 0.08) * max(0.0, 1.0 - (t - 0.08) / 0.3) if t < 0.38 else 0.0
    if flash > 0:  # a soft, partial flash (not a white frame)
        cv2.add(frame, (flash, flash, flash, 0.0), dst=frame)
