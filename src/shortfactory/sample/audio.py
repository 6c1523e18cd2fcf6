"""Synthesized music and sound effects for the sample episode (numpy/scipy only).

All signals are float32 mono at ``RATE`` with peaks near 1.0 before gain; the episode
mixer places them with a gain in dB. Everything is deterministic given the rng.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.signal import butter, sosfilt

RATE = 48000

# chord progressions as MIDI note lists, one chord per bar
PROGRESSIONS: dict[str, list[list[int]]] = {
    "happy": [[60, 64, 67], [55, 59, 62], [57, 60, 64], [53, 57, 60]],  # C G Am F
    "warm": [[53, 57, 60, 64], [55, 59, 62], [52, 55, 59], [57, 60, 64]],  # Fmaj7 G Em Am
    "sad": [[57, 60, 64], [53, 57, 60], [60, 64, 67], [55, 59, 62]],  # Am F C G
    "night": [[50, 53, 57], [46, 50, 53], [48, 52, 55], [45, 49, 52]],  # Dm Bb C A
    "tense": [[52, 55, 59], [53, 57, 60], [52, 55, 59], [51, 55, 58]],
}


def _t(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.float64) / RATE


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def _lp(x: np.ndarray, hz: float, order: int = 4) -> np.ndarray:
    return sosfilt(butter(order, hz, "low", fs=RATE, output="sos"), x)


def _hp(x: np.ndarray, hz: float, order: int = 4) -> np.ndarray:
    return sosfilt(butter(order, hz, "high", fs=RATE, output="sos"), x)


def _bp(x: np.ndarray, lo: float, hi: float, order: int = 2) -> np.ndarray:
    return sosfilt(butter(order, [lo, hi], "band", fs=RATE, output="sos"), x)


def _norm(x: np.ndarray) -> np.ndarray:
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return (x / peak if peak > 0 else x).astype(np.float32)


@functools.lru_cache(maxsize=32)
def _bar(chord: tuple[int, ...], bpm: float) -> np.ndarray:
    """One bar of pad chord and bass, with its release tail (read-only).

    Cached: a bar depends only on its chord, and a long sample plays the same few
    bars hundreds of times (drawing them was most of the mixing time).
    """
    beat = 60.0 / bpm
    bar = 4 * beat
    bar_n = int(round(bar * RATE))
    tb = _t(bar_n + int(0.6 * RATE))
    env = np.minimum(1.0, tb / 0.35) * np.exp(-np.maximum(0.0, tb - bar) / 0.15)
    sig = np.zeros_like(tb)
    for m in chord:
        f = _hz(m)
        for k, a in ((1, 1.0), (2, 0.25), (3, 0.1)):
            sig += a * np.sin(2 * np.pi * f * k * tb) + 0.5 * a * np.sin(
                2 * np.pi * f * k * 1.003 * tb
            )
    sig *= env / (len(chord) * 1.5)
    # bass: root two octaves down on beats 1 and 3
    for beat_i in (0, 2):
        bs = int(beat_i * beat * RATE)
        bl = int(beat * 1.8 * RATE)
        bt = _t(bl)
        bass = np.sin(2 * np.pi * _hz(chord[0] - 24) * bt) * np.exp(-bt / 0.5) * 0.8
        sig[bs : bs + bl] += bass[: max(0, min(bl, len(sig) - bs))]
    sig.setflags(write=False)
    return sig


def music(duration_s: float, mood: str, bpm: float = 84.0) -> np.ndarray:
    """Soft pad chords with a plucked bass, peak ~1 (scale it down in the mix)."""
    n = int(round(duration_s * RATE))
    out = np.zeros(n, np.float64)
    prog = PROGRESSIONS[mood]
    bar = 4 * (60.0 / bpm)  # as _bar computes it, to the last bit
    nbar = int(np.ceil(duration_s / bar)) + 1
    bar_n = int(round(bar * RATE))
    for b in range(nbar):
        sig = _bar(tuple(prog[b % len(prog)]), bpm)
        s = b * bar_n
        if s >= n:
            break
        e = min(n, s + len(sig))
        out[s:e] += sig[: e - s]
    # fade the edges so that shot changes do not click
    f = min(n // 2, int(0.05 * RATE))
    if f:
        ramp = np.linspace(0, 1, f)
        out[:f] *= ramp
        out[-f:] *= ramp[::-1]
    return _norm(out)


def crash(rng: np.random.Generator) -> np.ndarray:
    """Something big falling over: noise burst, metallic ring and a thud."""
    n = int(1.4 * RATE)
    t = _t(n)
    noise = _hp(rng.standard_normal(n), 1500) * np.exp(-t / 0.3)
    ring = sum(
        np.sin(2 * np.pi * f * t) * np.exp(-t / d)
        for f, d in ((523, 0.6), (787, 0.5), (1123, 0.45), (1657, 0.35), (2311, 0.3))
    )
    thud = np.sin(2 * np.pi * 70 * t * (1 + 0.5 * np.exp(-t / 0.05))) * np.exp(-t / 0.12)
    return _norm(1.0 * noise / np.max(np.abs(noise)) + 0.5 * ring / 5 + 0.9 * thud)


def explosion(rng: np.random.Generator) -> np.ndarray:
    """A long, very loud blast: low rumble, sub thump and crackle."""
    n = int(4.5 * RATE)
    t = _t(n)
    env = np.minimum(1.0, t / 0.01) * np.exp(-t / 1.1)
    body = _lp(rng.standard_normal(n), 500) * env
    body /= np.max(np.abs(body))
    sub = np.sin(2 * np.pi * (30 + 60 * np.exp(-t / 0.3)) * t) * np.exp(-t / 0.8)
    crackle = _hp(rng.standard_normal(n), 2500) * (rng.random(n) < 0.02) * np.exp(-t / 1.5)
    x = 1.0 * body + 0.8 * sub + 0.4 * crackle
    return _norm(np.tanh(2.0 * _norm(x)))


def rumble(rng: np.random.Generator, duration_s: float) -> np.ndarray:
    """A low rising rumble (before the explosion)."""
    n = int(duration_s * RATE)
    t = _t(n)
    x = _lp(rng.standard_normal(n), 150) * (t / max(t[-1], 1e-6)) ** 2
    return _norm(x)


def rimshot(rng: np.random.Generator) -> np.ndarray:
    """Ba-dum-tss after the joke."""
    n = int(1.3 * RATE)
    out = np.zeros(n)
    for at, f0 in ((0.0, 190.0), (0.17, 150.0)):
        s = int(at * RATE)
        tt = _t(int(0.2 * RATE))
        tom = np.sin(2 * np.pi * f0 * tt * (1 - 0.3 * tt / 0.2)) * np.exp(-tt / 0.06)
        out[s : s + len(tom)] += tom
    s = int(0.4 * RATE)
    tt = _t(n - s)
    cym = _hp(rng.standard_normal(n - s), 5000) * np.exp(-tt / 0.35)
    out[s:] += 0.6 * cym / np.max(np.abs(cym))
    return _norm(out)


def footstep(rng: np.random.Generator) -> np.ndarray:
    n = int(0.08 * RATE)
    t = _t(n)
    return _norm(_lp(rng.standard_normal(n), 900) * np.exp(-t / 0.015))


def bird(rng: np.random.Generator) -> np.ndarray:
    """Two or three short chirps."""
    out = np.zeros(int(0.6 * RATE))
    for k in range(int(rng.integers(2, 4))):
        n = int(0.07 * RATE)
        t = _t(n)
        f0 = 3000 + 800 * rng.random()
        ph = 2 * np.pi * np.cumsum(f0 + 1500 * t / t[-1]) / RATE
        chirp = np.sin(ph) * np.sin(np.pi * t / t[-1])
        s = int(k * 0.15 * RATE)
        out[s : s + n] += chirp
    return _norm(out)


def chime(rng: np.random.Generator) -> np.ndarray:
    """A two-tone station announcement chime."""
    out = np.zeros(int(1.6 * RATE))
    for k, m in enumerate((76, 72)):
        n = int(1.0 * RATE)
        t = _t(n)
        tone = (np.sin(2 * np.pi * _hz(m) * t) + 0.3 * np.sin(4 * np.pi * _hz(m) * t)) * np.exp(
            -t / 0.35
        )
        s = int(k * 0.5 * RATE)
        out[s : s + n] += tone
    return _norm(out)


def wind(rng: np.random.Generator, duration_s: float) -> np.ndarray:
    n = int(duration_s * RATE)
    t = _t(n)
    x = _bp(rng.standard_normal(n), 200, 900) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.3 * t))
    return _norm(x)


def ambience(rng: np.random.Generator, duration_s: float, kind: str) -> np.ndarray:
    """Quiet room tone/traffic/sea so that no part of the episode is digital silence."""
    n = int(duration_s * RATE)
    t = _t(n)
    base = rng.standard_normal(n)
    if kind == "sea":
        x = _lp(base, 700) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.12 * t) ** 2)
    elif kind == "city":
        x = _lp(base, 300) + 0.2 * _bp(rng.standard_normal(n), 800, 2000)
    else:
        x = _lp(base, 400)
    return _norm(x)


SFX = {
    "crash": crash,
    "explosion": explosion,
    "rimshot": rimshot,
    "footstep": footstep,
    "bird": bird,
    "chime": chime,
}


def place(buf: np.ndarray, sig: np.ndarray, at_s: float, gain_db: float) -> None:
    """Add ``sig`` into ``buf`` at ``at_s`` seconds with ``gain_db``; clipped to the buffer."""
    s = int(round(at_s * RATE))
    if s >= len(buf) or s + len(sig) <= 0:
        return
    a = max(0, -s)
    e = min(len(buf), s + len(sig))
    buf[s + a : e] += sig[a : e - s] * np.float32(10 ** (gain_db / 20))


def limit(x: np.ndarray, ceiling: float = 0.97) -> np.ndarray:
    """A soft clipper above 0.8 so the loud moments do not wrap around."""
    knee = 0.8
    y = x.copy()
    over = np.abs(y) > knee
    y[over] = np.sign(y[over]) * (
        knee + (ceiling - knee) * np.tanh((np.abs(y[over]) - knee) / (ceiling - knee))
    )
    return y.astype(np.float32)


class MixWindow:
    """The unfinished part of a long mix: episode samples ``[base, base + len(buf))``.

    Why: a long sample must not hold its whole soundtrack (a 3-hour mix is 2 GB as
    float32). Each shot adds sound only near its own time, so everything before the next
    shot (less a margin for effects that lead their line) is final: :meth:`take` hands
    it out, faded and limited, and forgets it. Each sample is the same sum, in the same
    order, as in one whole-episode buffer, so the result does not depend on the chunking.
    """

    def __init__(self, n_total: int) -> None:
        self.n_total = n_total
        self.base = 0
        self.buf = np.zeros(0, np.float32)
        self.gain = np.ones(0, np.float32)  # fades: brightness of the picture, per sample

    def _grow(self, end: int) -> None:
        need = min(end, self.n_total) - self.base - len(self.buf)
        if need > 0:
            self.buf = np.concatenate([self.buf, np.zeros(need, np.float32)])
            self.gain = np.concatenate([self.gain, np.ones(need, np.float32)])

    def _check(self, start: int) -> None:
        if start < self.base:
            raise RuntimeError(
                f"sample mix: sound placed at sample {start}, before the part already "
                f"written (up to {self.base})"
            )

    def place(self, sig: np.ndarray, at_s: float, gain_db: float) -> None:
        """Add ``sig`` at ``at_s`` seconds with ``gain_db``, like :func:`place` on the whole mix."""
        s = int(round(at_s * RATE))
        if s >= self.n_total or s + len(sig) <= 0:
            return
        a = max(0, -s)
        e = min(self.n_total, s + len(sig))
        self._check(s + a)
        self._grow(e)
        o = self.base
        self.buf[s + a - o : e - o] += sig[a : e - s] * np.float32(10 ** (gain_db / 20))

    def set_gain(self, start: int, n: int, value: float) -> None:
        """Scale samples ``[start, start + n)`` by ``value`` when they are taken (a fade)."""
        end = min(self.n_total, start + n)
        if start >= end:
            return
        self._check(start)
        self._grow(end)
        self.gain[start - self.base : end - self.base] = value

    def take(self, upto: int) -> np.ndarray:
        """The final mix of samples ``[base, upto)`` (faded, limited); they leave the window."""
        upto = min(upto, self.n_total)
        k = max(0, upto - self.base)
        self._grow(upto)
        buf = self.buf[:k]
        buf *= self.gain[:k]
        out = limit(buf)
        self.buf = self.buf[k:].copy()
        self.gain = self.gain[k:].copy()
        self.base += k
        return out
