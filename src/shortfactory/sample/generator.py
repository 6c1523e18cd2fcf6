"""The bundled sample episode: a synthetic cartoon with planted ground truth.

``generate_sample(video, truth)`` renders a 2-3 minute 1920x1080 24 fps H.264/AAC
episode offline and deterministically, and writes ``truth`` (a :class:`SampleTruth`
JSON) describing exactly what is in it: shots and cuts, every face box on every
frame, every spoken line with word timings, the loud moments and six planted
moments (three strong clips, three decoys) for the candidate scorer.

A longer ``duration_s`` plays the script again in varied passes (see
``sample_script.script_pass``), six more planted moments per pass, so that a
10-minute or 3-hour sample has speech, cuts, faces and moments over its whole length.
Video and audio are streamed to ffmpeg (the mix through a window of a few shots), so
memory does not grow with the length; the truth does (about 2.5 MB per 10 minutes).

Voices come from Piper (GPL-3.0, the optional ``sample`` extra); pictures are drawn
with OpenCV; music and effects are synthesized with numpy/scipy. See
``sample_script.py`` for the script, ``sample_draw.py`` for drawing,
``sample_audio.py`` for music/effects and ``sample_tts.py`` for speech.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from shortfactory.sample import audio as sa
from shortfactory.sample.draw import (
    H,
    W,
    background,
    draw_actor,
    draw_explosion,
    face_box_rel,
)
from shortfactory.sample.script import (
    ROLES,
    SCRIPT,
    SHOUT_GAIN_DB,
    Place,
    ShotSpec,
    script_pass,
)
from shortfactory.sample.tts import Line, VoiceStyle, synthesize

__all__ = [
    "CharacterInfo",
    "Cut",
    "FaceBox",
    "FrameFaces",
    "LoudMoment",
    "Moment",
    "SampleTruth",
    "SfxEvent",
    "ShotInfo",
    "SpeechLine",
    "WordTiming",
    "dump_truth",
    "generate_sample",
    "load_truth",
]

FPS = 24
AUDIO_RATE = sa.RATE
SCHEMA_VERSION = 1

# --------------------------------------------------------------------------- truth schema


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CharacterInfo(_Model):
    id: str
    name: str
    on_screen: bool = Field(description="False for an off-screen voice (the narrator)")
    colours: dict[str, str] = Field(description="part -> #rrggbb (skin, hair, iris, shirt)")
    voice: str = Field(description="how the voice was made")


class ShotInfo(_Model):
    index: int
    name: str
    location: str
    framing: Literal["wide", "medium", "close", "empty"]
    start_s: float
    end_s: float
    start_frame: int
    end_frame: int = Field(description="exclusive")
    fade_in_s: float = 0.0
    fade_out_s: float = 0.0


class Cut(_Model):
    time_s: float = Field(description="time of the first frame of the new shot")
    frame: int
    kind: Literal["hard", "fade"]
    from_shot: int
    to_shot: int


class FaceBox(_Model):
    character: str
    box: tuple[int, int, int, int] = Field(description="x, y, w, h in source pixels")
    fully_visible: bool = Field(description="the whole box lies inside the frame")
    speaking: bool = False


class FrameFaces(_Model):
    frame: int
    time_s: float
    brightness: float = Field(1.0, description="< 1 while fading from/to black")
    faces: list[FaceBox]


class WordTiming(_Model):
    word: str
    start_s: float
    end_s: float


class SpeechLine(_Model):
    character: str
    text: str
    start_s: float
    end_s: float
    shot: int
    on_screen: bool = Field(description="the speaker's face is visible during the line")
    shouted: bool = False
    truncated: bool = Field(False, description="cut off by a hard cut mid-sentence")
    words: list[WordTiming]


class Moment(_Model):
    name: str
    kind: Literal["strong", "decoy"]
    label: str
    description: str
    start_s: float
    end_s: float


class LoudMoment(_Model):
    name: str
    kind: Literal["reaction", "explosion", "sfx"]
    start_s: float
    end_s: float
    peak_dbfs: float
    rms_dbfs: float


class SfxEvent(_Model):
    kind: str
    start_s: float
    end_s: float
    gain_db: float


class SampleTruth(_Model):
    schema_version: int = SCHEMA_VERSION
    generator: str = "shortfactory.sample.generator"
    seed: int
    fps: int
    width: int
    height: int
    duration_s: float
    n_frames: int
    audio_rate: int
    faces_sampling: Literal["every_frame"] = Field(
        "every_frame",
        description="faces lists every frame that shows at least one face (wholly or "
        "partly); frames not listed show no face",
    )
    characters: list[CharacterInfo]
    shots: list[ShotInfo]
    cuts: list[Cut]
    speech: list[SpeechLine]
    moments: list[Moment]
    loud_moments: list[LoudMoment]
    sfx: list[SfxEvent]
    faces: list[FrameFaces]


def load_truth(path: str | os.PathLike[str]) -> SampleTruth:
    """Read and validate a truth file written by :func:`generate_sample`."""
    return SampleTruth.model_validate_json(Path(path).read_bytes())


def dump_truth(truth: SampleTruth) -> str:
    """JSON text: one line per list element, so the file stays small and diffable."""
    d = truth.model_dump(mode="json")
    items = list(d.items())
    out = ["{"]
    for i, (k, v) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(v, list) and v:
            out.append(f" {json.dumps(k)}: [")
            for j, e in enumerate(v):
                sep = "," if j < len(v) - 1 else ""
                out.append("  " + json.dumps(e, separators=(",", ":"), ensure_ascii=False) + sep)
            out.append(" ]" + comma)
        else:
            out.append(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}{comma}")
    out.append("}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- layout


@dataclass
class _LaidLine:
    shot: int
    who: str
    text: str
    start: float  # absolute time of the line audio's first sample
    line: Line
    end: float  # absolute end of the audio actually played (truncated lines end early)
    shout: bool
    truncated: bool
    expression: str | None
    sfx: str | None
    sfx_at: float


@dataclass
class _LaidShot:
    index: int
    spec: ShotSpec
    start_frame: int
    n_frames: int
    natural_frames: int  # length before any shortening/lengthening (motion keys use it)
    lines: list[_LaidLine]
    all_lines: bool = True  # False when fitting the length dropped a line (or its cut)

    @property
    def start(self) -> float:
        return self.start_frame / FPS

    @property
    def end(self) -> float:
        return (self.start_frame + self.n_frames) / FPS


def _voice_for(who: str, shout: bool) -> VoiceStyle:
    v = ROLES[who].voice
    if shout:
        return VoiceStyle(
            pitch=v.pitch * 1.04,
            length_scale=v.length_scale * 0.95,
            gain_db=v.gain_db + SHOUT_GAIN_DB,
            noise_scale=v.noise_scale,
            noise_w=v.noise_w,
        )
    return v


Synth = Callable[[str, VoiceStyle, int], Line]


def _shot_specs(n_target: int | None, bar: Any) -> Iterator[ShotSpec]:
    """The script, then (only when a length is asked for) varied passes of it, endlessly.

    Why: a long sample must carry content over its whole length, not pad the script's
    last shot; the caller stops taking shots once the asked length is reached. ``bar``
    (tqdm) learns of each pass's lines as the pass begins.
    """
    yield from SCRIPT
    k = 1
    while n_target is not None:
        specs = script_pass(k, SCRIPT)
        bar.total += sum(len(s.lines) for s in specs)
        bar.refresh()
        yield from specs
        k += 1


def _layout(n_target: int | None, progress: bool, synth: Synth = synthesize) -> list[_LaidShot]:
    """Lay the script out on frames; ``n_target`` frames (None: the natural length).

    ``synth`` makes a line's audio and word times (a stand-in lets tests lay out hours
    without a voice model).
    """
    from tqdm import tqdm

    shots: list[_LaidShot] = []
    frame = 0
    bar = tqdm(
        total=sum(len(s.lines) for s in SCRIPT),
        desc="speech",
        unit="line",
        file=sys.stderr,
        disable=not progress,
        leave=False,
    )
    try:
        for idx, spec in enumerate(_shot_specs(n_target, bar)):
            if n_target is not None and frame >= n_target:
                break
            t = spec.lead
            rel: list[tuple[float, Line, object]] = []
            cut_at = None
            for k, say in enumerate(spec.lines):
                if k:
                    t += say.gap
                line = synth(say.text, _voice_for(say.who, say.shout), AUDIO_RATE)
                bar.update(1)
                dur = len(line.audio) / AUDIO_RATE
                rel.append((t, line, say))
                if say.cut_after is not None:
                    cut_at = t + dur * say.cut_after
                    break
                t += dur
            if cut_at is not None:
                n = int(round(cut_at * FPS))
            else:
                n = int(round(max(spec.min_dur, t + spec.tail) * FPS))
            start = frame
            lines = []
            for t0, line, say in rel:
                a = start / FPS + t0
                e = a + len(line.audio) / AUDIO_RATE
                trunc = say.cut_after is not None
                if trunc:
                    e = (start + n) / FPS
                lines.append(
                    _LaidLine(
                        idx,
                        say.who,
                        say.text,
                        a,
                        line,
                        e,
                        say.shout,
                        trunc,
                        say.expression,
                        say.sfx,
                        a + say.sfx_offset,
                    )
                )
            shots.append(_LaidShot(idx, spec, start, n, n, lines))
            frame += n
    finally:
        bar.close()
    if n_target is None:
        return shots
    # fit the target length: shorten the last shot (dropping lines that would not
    # finish), or drop a last shot too short to read as one and lengthen the one before
    last = shots[-1]
    if last.start_frame + last.n_frames > n_target:
        remaining = n_target - last.start_frame
        if remaining < FPS * 1.5 and len(shots) > 1:
            shots.pop()
            last = shots[-1]
        last.n_frames = n_target - last.start_frame
        end = last.end
        kept = [
            ln
            for ln in last.lines
            if not ln.truncated and ln.end <= end - 0.25 and ln.sfx_at <= end
        ]
        last.all_lines = len(kept) == len(last.lines)
        last.lines = kept
    return shots


# --------------------------------------------------------------------------- per-frame state


def _ease(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return u * u * (3 - 2 * u)


def _position(place: Place, u: float) -> tuple[float, float, bool]:
    """Face centre at shot fraction ``u`` and whether the actor is walking."""
    keys = place.keys
    if u <= keys[0][0] or len(keys) == 1:
        return keys[0][1], keys[0][2], False
    for (u0, x0, y0), (u1, x1, y1) in zip(keys, keys[1:], strict=False):
        if u0 <= u <= u1:
            e = _ease((u - u0) / max(1e-9, u1 - u0))
            moving = (x0, y0) != (x1, y1) and 0.0 < u - u0 and u < u1
            return x0 + (x1 - x0) * e, y0 + (y1 - y0) * e, moving
    return keys[-1][1], keys[-1][2], False


def _body_len(place: Place) -> float:
    lowest = min(y for _, _, y in place.keys)
    need = (H + 40 - lowest) / place.face_h
    return max(1.5, math.ceil(need * 4) / 4)


_VOWEL_OPEN = {False: 2, True: 3}


def _mouth(lines: list[_LaidLine], who: str, t: float) -> int:
    for ln in lines:
        if ln.who != who or not (ln.start <= t < ln.end):
            continue
        rt = t - ln.start
        for w in ln.line.words:
            if w.start_s <= rt < w.end_s:
                for a, b in w.vowel_times:
                    if a <= rt < b:
                        return _VOWEL_OPEN[ln.shout]
                return 1
        return 0
    return 0


def _expression(lines: list[_LaidLine], place: Place, t: float) -> str:
    expr = place.expression
    for ln in lines:
        if ln.who == place.who and ln.expression and ln.start <= t:
            expr = ln.expression
    return expr


def _blinks(rng: np.random.Generator, n_frames: int) -> set[int]:
    out: set[int] = set()
    f = int(rng.integers(FPS, 3 * FPS))
    while f < n_frames:
        out.update(range(f, f + 3))
        f += int(rng.integers(2 * FPS, 5 * FPS))
    return out


def _fade(shot: _LaidShot, i: int) -> float:
    """Brightness of the shot's ``i``-th frame (0 black .. 1)."""
    f = 1.0
    fi = int(round(shot.spec.fade_in * FPS))
    if fi and i < fi:
        f = min(f, i / fi)
    fo = int(round(shot.spec.fade_out * FPS))
    if fo and i >= shot.n_frames - fo:
        f = min(f, (shot.n_frames - 1 - i) / fo)
    return f


@dataclass
class _ActorState:
    who: str
    face_h: int
    body_len: float
    x: int
    y: int
    mouth: int
    blink: bool
    expression: str


def _frame_states(shot: _LaidShot, seed: int):
    """Yield (frame index in shot, [actor states]) for every frame of the shot."""
    rngs = {
        p.who: np.random.default_rng([seed, shot.index, k]) for k, p in enumerate(shot.spec.actors)
    }
    blinks = {p.who: _blinks(rngs[p.who], shot.n_frames) for p in shot.spec.actors}
    bodies = {p.who: _body_len(p) for p in shot.spec.actors}
    for i in range(shot.n_frames):
        t = (shot.start_frame + i) / FPS
        u = i / max(1, shot.natural_frames - 1)
        states = []
        for p in shot.spec.actors:
            x, y, moving = _position(p, u)
            if moving:
                y -= abs(math.sin(2 * math.pi * 1.6 * t)) * 0.05 * p.face_h
            states.append(
                _ActorState(
                    p.who,
                    p.face_h,
                    bodies[p.who],
                    int(round(x)),
                    int(round(y)),
                    _mouth(shot.lines, p.who, t),
                    i in blinks[p.who],
                    _expression(shot.lines, p, t),
                )
            )
        yield i, states


def _face_entries(states: list[_ActorState], shot: _LaidShot, t: float) -> list[FaceBox]:
    out = []
    for st in states:
        bx, by, bw, bh = face_box_rel(st.face_h)
        x, y = st.x + bx, st.y + by
        if x + bw <= 0 or y + bh <= 0 or x >= W or y >= H:
            continue
        full = x >= 0 and y >= 0 and x + bw <= W and y + bh <= H
        speaking = any(ln.who == st.who and ln.start <= t < ln.end for ln in shot.lines)
        out.append(
            FaceBox(character=st.who, box=(x, y, bw, bh), fully_visible=full, speaking=speaking)
        )
    return out


# --------------------------------------------------------------------------- audio


def _dbfs(x: np.ndarray) -> tuple[float, float]:
    if x.size == 0:
        return -120.0, -120.0
    peak = float(np.max(np.abs(x)))
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return (round(20 * math.log10(max(peak, 1e-6)), 2), round(20 * math.log10(max(rms, 1e-6)), 2))


# Effects may start before their shot (a crash leads its line by up to a second): the mix
# keeps this much before the next shot open when it writes out what is final.
MIX_MARGIN_S = 2.0

# a loud moment to measure: name, kind, start, end
_Span = tuple[str, Literal["reaction", "explosion"], float, float]


def _loud_spans(shot: _LaidShot, shot_sfx: list[SfxEvent]) -> list[_Span]:
    """The loud moments of one shot, in truth order: the reaction to a crash, blasts."""
    out: list[_Span] = []
    shout = [ln for ln in shot.lines if ln.shout]
    crash = [e for e in shot_sfx if e.kind == "crash" and shot.start <= e.start_s < shot.end]
    if crash:
        a = crash[0].start_s
        b = max(
            [a + 0.8] + [ln.start + ln.line.words[-1].end_s for ln in shout[:1] if ln.line.words]
        )
        out.append((f"{shot.spec.name}_reaction", "reaction", a, b))
    for e in shot_sfx:
        if e.kind == "explosion" and shot.start <= e.start_s < shot.end:
            end = min(e.end_s, e.start_s + 2.5)
            out.append((f"{shot.spec.name}_blast", "explosion", e.start_s, end))
    return out


def _measure(span: _Span, seg: np.ndarray) -> LoudMoment:
    name, kind, a, b = span
    peak, rms = _dbfs(seg)
    return LoudMoment(
        name=name,
        kind=kind,
        start_s=round(a, 4),
        end_s=round(b, 4),
        peak_dbfs=peak,
        rms_dbfs=rms,
    )


def _mix(
    shots: list[_LaidShot], n_samples: int, seed: int, sink: Callable[[np.ndarray], None]
) -> tuple[list[SfxEvent], list[LoudMoment]]:
    """Mix the episode's mono soundtrack into ``sink``, in order, piece by piece.

    Returns the sound effects placed and the loud moments (measured on the final mix).
    Only a window of about one shot is held, so memory does not grow with the length.
    """
    rng = np.random.default_rng([seed, 999])
    win = sa.MixWindow(n_samples)
    sfx: list[SfxEvent] = []
    shot_sfx: list[SfxEvent] = []
    pending: list[tuple[int, _Span]] = []  # loud moments whose samples are not final yet
    loud: list[tuple[int, LoudMoment]] = []
    order = itertools.count()  # loud moments are listed in shot order, not measuring order

    def add_sfx(kind: str, at: float, gain: float, end_limit: float) -> None:
        if kind == "rumble":
            sig = sa.rumble(rng, 2.2)
        else:
            sig = sa.SFX[kind](rng)
        sig = sig[: max(0, int((end_limit - at) * AUDIO_RATE))]
        if not sig.size:
            return
        win.place(sig, at, gain)
        event = SfxEvent(
            kind=kind,
            start_s=round(at, 4),
            end_s=round(at + len(sig) / AUDIO_RATE, 4),
            gain_db=gain,
        )
        sfx.append(event)
        shot_sfx.append(event)

    def flush(target: int) -> None:
        # a loud moment is measured on one piece of the final mix: never split one
        final = target >= n_samples
        starts = [int(sp[2] * AUDIO_RATE) for _, sp in pending if int(sp[3] * AUDIO_RATE) > target]
        upto = target if final else min([target, *starts])
        base = win.base
        if upto <= base:
            return
        chunk = win.take(upto)
        keep = []
        for i, span in pending:
            a, b = int(span[2] * AUDIO_RATE), int(span[3] * AUDIO_RATE)
            if final or b <= upto:
                if a < base:
                    raise RuntimeError(f"sample mix: loud moment {span[0]} was split")
                loud.append((i, _measure(span, chunk[a - base : b - base])))
            else:
                keep.append((i, span))
        pending[:] = keep
        sink(chunk)

    for k, shot in enumerate(shots):
        spec = shot.spec
        s0, s1 = shot.start, shot.end
        dur = s1 - s0
        shot_sfx.clear()
        if spec.music:
            win.place(sa.music(dur, spec.music), s0, spec.music_db)
        if spec.ambience == "wind":
            win.place(sa.wind(rng, dur), s0, -30.0)
        else:
            win.place(sa.ambience(rng, dur, spec.ambience), s0, -40.0)
        for kind, at, gain in spec.sfx:
            if s0 + at < s1:
                add_sfx(kind, s0 + at, gain, s1)
        for ln in shot.lines:
            audio = ln.line.audio[: int(round((ln.end - ln.start) * AUDIO_RATE))].copy()
            if ln.truncated:  # abrupt: a 5 ms ramp only, to avoid a click
                r = min(len(audio), int(0.005 * AUDIO_RATE))
                audio[len(audio) - r :] *= np.linspace(1, 0, r, dtype=np.float32)
            win.place(audio, ln.start, 0.0)
            if ln.sfx:
                add_sfx(ln.sfx, ln.sfx_at, 0.0 if ln.sfx == "crash" else -8.0, s1)
        # footsteps while an actor walks
        for p in spec.actors:
            last_step = -1.0
            for i in range(shot.n_frames):
                u = i / max(1, shot.natural_frames - 1)
                _, _, moving = _position(p, u)
                t = (shot.start_frame + i) / FPS
                if moving and t - last_step >= 0.3125:
                    win.place(sa.footstep(rng), t, -30.0)
                    last_step = t
        # fades apply to the sound too
        for i in range(shot.n_frames):
            b = _fade(shot, i)
            if b < 1.0:
                win.set_gain(int((shot.start_frame + i) * AUDIO_RATE / FPS), AUDIO_RATE // FPS, b)
        pending.extend((next(order), span) for span in _loud_spans(shot, shot_sfx))
        if k + 1 < len(shots):
            flush(shots[k + 1].start_frame * AUDIO_RATE // FPS - int(MIX_MARGIN_S * AUDIO_RATE))
    flush(n_samples)
    return sfx, [m for _, m in sorted(loud, key=lambda om: om[0])]


def _pcm_stereo(mono: np.ndarray) -> bytes:
    """16-bit stereo WAV frames of a mono piece of the mix (both channels the same)."""
    pcm = (np.clip(mono, -1, 1) * 32767).round().astype(np.int16)
    return np.repeat(pcm[:, None], 2, axis=1).tobytes()


def _write_mix(path: Path, shots: list[_LaidShot], n_samples: int, seed: int):
    """Mix the soundtrack straight into a WAV file; returns (sfx placed, loud moments)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(AUDIO_RATE)
        return _mix(shots, n_samples, seed, lambda chunk: w.writeframes(_pcm_stereo(chunk)))


# --------------------------------------------------------------------------- truth


def _hex(bgr: tuple[int, int, int]) -> str:
    return f"#{bgr[2]:02x}{bgr[1]:02x}{bgr[0]:02x}"


def _characters() -> list[CharacterInfo]:
    out = []
    for role in ROLES.values():
        v = role.voice
        desc = f"piper en_US-joe-medium, pitch x{v.pitch:g}, length_scale {v.length_scale:g}"
        colours = {}
        if role.style is not None:
            st = role.style
            colours = {
                "skin": _hex(st.skin),
                "hair": _hex(st.hair),
                "iris": _hex(st.iris),
                "shirt": _hex(st.shirt),
            }
        out.append(
            CharacterInfo(
                id=role.id,
                name=role.name,
                on_screen=role.style is not None,
                colours=colours,
                voice=desc,
            )
        )
    return out


def _speech(shots: list[_LaidShot], faces_by_frame: dict[int, list[FaceBox]]) -> list[SpeechLine]:
    out = []
    for shot in shots:
        for ln in shot.lines:
            words = []
            for w in ln.line.words:
                a = ln.start + w.start_s
                if a >= ln.end:
                    break
                words.append(
                    WordTiming(
                        word=w.word,
                        start_s=round(a, 4),
                        end_s=round(min(ln.end, ln.start + w.end_s), 4),
                    )
                )
            if not words:
                continue
            mid = (words[0].start_s + words[-1].end_s) / 2
            fr = faces_by_frame.get(int(mid * FPS), [])
            on = any(f.character == ln.who and f.fully_visible for f in fr)
            text = ln.text if not ln.truncated else " ".join(w.word for w in words)
            out.append(
                SpeechLine(
                    character=ln.who,
                    text=text,
                    start_s=words[0].start_s,
                    end_s=words[-1].end_s,
                    shot=shot.index,
                    on_screen=on,
                    shouted=ln.shout,
                    truncated=ln.truncated,
                    words=words,
                )
            )
    return out


# --------------------------------------------------------------------------- public API


def generate_sample(
    video_path: Path,
    truth_path: Path,
    *,
    seed: int = 7,
    duration_s: float | None = None,
    progress: bool = True,
) -> SampleTruth:
    """Render the sample episode to ``video_path`` and its ground truth to ``truth_path``.

    Deterministic: the same ``seed`` and ``duration_s`` give the same truth bytes and
    the same decoded frames. ``duration_s`` (None: the whole script, about 2.5 min)
    shortens the episode to a prefix of the script, or lengthens it with varied passes
    of the script (each planting its own moments) up to that length. Both files are
    written atomically.
    """
    import imageio_ffmpeg
    from tqdm import tqdm

    video_path, truth_path = Path(video_path), Path(truth_path)
    if duration_s is not None and duration_s <= 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")
    n_target = None if duration_s is None else max(1, int(round(duration_s * FPS)))

    shots = _layout(n_target, progress)
    n_frames = shots[-1].start_frame + shots[-1].n_frames
    n_samples = int(round(n_frames * AUDIO_RATE / FPS))

    video_path.parent.mkdir(parents=True, exist_ok=True)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_files: list[Path] = []

    umask = os.umask(0)
    os.umask(umask)

    def tmp(final: Path, suffix: str) -> Path:
        fd, name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=suffix, dir=final.parent)
        os.close(fd)
        tmp_files.append(Path(name))
        os.chmod(name, 0o666 & ~umask)  # mkstemp makes 0600; finished files get the usual mode
        return Path(name)

    try:
        wav = tmp(video_path, ".wav")
        sfx, loud = _write_mix(wav, shots, n_samples, seed)
        tmp_video = tmp(video_path, ".mp4")
        err_log = tmp(video_path, ".log")
        faces = _render(
            shots,
            n_frames,
            seed,
            wav,
            tmp_video,
            err_log,
            imageio_ffmpeg.get_ffmpeg_exe(),
            progress,
            tqdm,
        )
        faces_by_frame = {ff.frame: ff.faces for ff in faces}

        cuts = []
        for a, b in zip(shots, shots[1:], strict=False):
            kind = "fade" if (a.spec.fade_out or b.spec.fade_in) else "hard"
            cuts.append(
                Cut(
                    time_s=round(b.start, 4),
                    frame=b.start_frame,
                    kind=kind,
                    from_shot=a.index,
                    to_shot=b.index,
                )
            )
        end_s = n_frames / FPS
        moments = [
            Moment(
                name=s.spec.moment.name,
                kind=s.spec.moment.kind,
                label=s.spec.moment.label,
                description=s.spec.moment.description,
                start_s=round(s.start, 4),
                end_s=round((s.start_frame + s.natural_frames) / FPS, 4),
            )
            for s in shots
            # a moment is planted only where its whole shot made it into the episode
            # (a lengthened last shot loses its mid-sentence cut, and with it the moment)
            if s.spec.moment is not None and s.n_frames >= s.natural_frames and s.all_lines
        ]
        truth = SampleTruth(
            seed=seed,
            fps=FPS,
            width=W,
            height=H,
            duration_s=round(end_s, 4),
            n_frames=n_frames,
            audio_rate=AUDIO_RATE,
            characters=_characters(),
            shots=[
                ShotInfo(
                    index=s.index,
                    name=s.spec.name,
                    location=s.spec.location,
                    framing=s.spec.framing,
                    start_s=round(s.start, 4),
                    end_s=round(s.end, 4),
                    start_frame=s.start_frame,
                    end_frame=s.start_frame + s.n_frames,
                    fade_in_s=s.spec.fade_in,
                    fade_out_s=s.spec.fade_out,
                )
                for s in shots
            ],
            cuts=cuts,
            speech=_speech(shots, faces_by_frame),
            moments=moments,
            loud_moments=loud,
            sfx=sfx,
            faces=faces,
        )
        tmp_truth = tmp(truth_path, ".json")
        tmp_truth.write_text(dump_truth(truth), encoding="utf-8")
        os.replace(tmp_video, video_path)
        os.replace(tmp_truth, truth_path)
        return truth
    finally:
        for p in tmp_files:
            p.unlink(missing_ok=True)


def _ffmpeg_cmd(ffmpeg: str, wav: Path, out: Path) -> list[str]:
    return [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "bgr24",
        "-s",
        f"{W}x{H}",
        "-r",
        str(FPS),
        "-i",
        "pipe:0",
        "-i",
        str(wav),
        "-map",
        "0:v:0",
        "-map",
        "1:a:0",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "animation",
        "-crf",
        "21",
        "-g",
        str(2 * FPS),
        "-pix_fmt",
        "yuv420p",
        "-threads",
        "4",
        "-c:a",
        "aac",
        "-b:a",
        "160k",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-flags:a",
        "+bitexact",
        "-map_metadata",
        "-1",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        str(out),
    ]


def _render(
    shots: list[_LaidShot],
    n_frames: int,
    seed: int,
    wav: Path,
    out: Path,
    err_log: Path,
    ffmpeg: str,
    progress: bool,
    tqdm,
) -> list[FrameFaces]:
    """Stream every frame to ffmpeg; return the per-frame face truth."""
    import cv2

    from shortfactory.sample.script import ROLES as roles

    faces: list[FrameFaces] = []
    with open(err_log, "wb") as err:
        proc = subprocess.Popen(
            _ffmpeg_cmd(ffmpeg, wav, out),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        bar = tqdm(
            total=n_frames, desc="frames", unit="frame", file=sys.stderr, disable=not progress
        )
        try:
            prev_key = None
            prev_bytes = b""
            for shot in shots:
                bg = background(shot.spec.location, seed)
                if shot.spec.mirror:  # a varied pass of a long sample: the set seen flipped
                    bg = np.ascontiguousarray(bg[:, ::-1])
                for i, states in _frame_states(shot, seed):
                    fi = shot.start_frame + i
                    t = fi / FPS
                    bright = _fade(shot, i)
                    ex_t = None
                    if shot.spec.explosion_at is not None:
                        et = t - shot.start - shot.spec.explosion_at
                        if -0.001 < et < 3.5:
                            ex_t = round(et, 4)
                    key = (
                        shot.index,
                        bright,
                        ex_t,
                        tuple((s.who, s.x, s.y, s.mouth, s.blink, s.expression) for s in states),
                    )
                    if key != prev_key:
                        frame = bg.copy()
                        if ex_t is not None:
                            draw_explosion(frame, ex_t)
                            if ex_t < 1.0:  # camera shake
                                dx = int(round(8 * math.sin(47 * ex_t) * (1 - ex_t)))
                                dy = int(round(6 * math.cos(31 * ex_t) * (1 - ex_t)))
                                frame = np.roll(frame, (dy, dx), axis=(0, 1))
                        for s in states:
                            style = roles[s.who].style
                            draw_actor(
                                frame,
                                style,
                                s.face_h,
                                s.body_len,
                                s.x,
                                s.y,
                                s.mouth,
                                s.blink,
                                s.expression,
                            )
                        if bright < 1.0:
                            frame = cv2.convertScaleAbs(frame, alpha=bright)
                        prev_bytes = frame.tobytes()
                        prev_key = key
                    proc.stdin.write(prev_bytes)
                    fb = _face_entries(states, shot, t)
                    if fb:
                        faces.append(
                            FrameFaces(
                                frame=fi, time_s=round(t, 4), brightness=round(bright, 3), faces=fb
                            )
                        )
                    bar.update(1)
            proc.stdin.close()
            rc = proc.wait()
        except BrokenPipeError:
            rc = proc.wait()  # ffmpeg died: report its own message below
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            bar.close()
    if rc != 0:
        msg = err_log.read_text(encoding="utf-8", errors="replace").strip()[-2000:]
        raise RuntimeError(f"ffmpeg failed to encode the sample episode (exit {rc}): {msg}")
    return faces
