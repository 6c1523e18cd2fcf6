"""Audio signals on a fixed hop grid: loudness, speech, energy change, onsets.

Everything is vectorized (filters and strided reductions), so an hour of 16 kHz audio
takes seconds. Loudness follows ITU-R BS.1770: a K-weighting pre-filter (high shelf
+ high pass, designed for the actual sample rate) then mean square in LUFS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage, signal

from .artifacts import AudioFeatures, Transcript
from .media import read_wav_mono

LUFS_FLOOR = -70.0  # BS.1770 absolute gate; also the value reported for digital silence


def k_weighting_sos(rate: int) -> np.ndarray:
    """BS.1770 K-weighting as second-order sections for any sample rate.

    The standard gives coefficients at 48 kHz only; designing the two stages from
    their analog prototypes (as pyloudnorm does) keeps 16 kHz audio measurable.
    """
    # Stage 1: high shelf, +4 dB above ~1.5 kHz (head acoustics).
    gain_db, q, fc = 4.0, 1 / np.sqrt(2), 1500.0
    a = 10 ** (gain_db / 40.0)
    w0 = 2 * np.pi * fc / rate
    alpha = np.sin(w0) / (2 * q)
    cos = np.cos(w0)
    b_shelf = [a * ((a + 1) + (a - 1) * cos + 2 * np.sqrt(a) * alpha),
               -2 * a * ((a - 1) + (a + 1) * cos),
               a * ((a + 1) + (a - 1) * cos - 2 * np.sqrt(a) * alpha)]
    a_shelf = [(a + 1) - (a - 1) * cos + 2 * np.sqrt(a) * alpha,
               2 * ((a - 1) - (a + 1) * cos),
               (a + 1) - (a - 1) * cos - 2 * np.sqrt(a) * alpha]
    # Stage 2: RLB high pass at ~38 Hz.
    q2, fc2 = 0.5, 38.0
    w0 = 2 * np.pi * fc2 / rate
    alpha = np.sin(w0) / (2 * q2)
    cos = np.cos(w0)
    b_hp = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
    a_hp = [1 + alpha, -2 * cos, 1 - alpha]
    sos = np.array([np.r_[b_shelf, a_shelf] / a_shelf[0], np.r_[b_hp, a_hp] / a_hp[0]])
    return sos


def hop_mean_square(x: np.ndarray, hop: int) -> np.ndarray:
    """Mean square per hop (the last partial hop is padded with its own mean)."""
    n_hops = int(np.ceil(len(x) / hop))
    padded = np.zeros(n_hops * hop, dtype=np.float64)
    padded[: len(x)] = x.astype(np.float64) ** 2
    return padded.reshape(n_hops, hop).mean(axis=1)


def loudness_per_hop(samples: np.ndarray, rate: int, hop_s: float,
                     window_s: float = 0.4) -> np.ndarray:
    """Momentary loudness (LUFS over ``window_s``) centred on each hop."""
    hop = max(1, int(round(hop_s * rate)))
    weighted = signal.sosfilt(k_weighting_sos(rate), samples)
    ms = hop_mean_square(weighted, hop)
    span = max(1, int(round(window_s / hop_s)))
    ms = ndimage.uniform_filter1d(ms, span, mode="nearest")
    with np.errstate(divide="ignore"):
        lufs = -0.691 + 10 * np.log10(ms)
    return np.maximum(lufs, LUFS_FLOOR)


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """Gated integrated loudness (BS.1770-4), used to check measurements in tests."""
    weighted = signal.sosfilt(k_weighting_sos(rate), samples)
    block, step = int(0.4 * rate), int(0.1 * rate)
    if len(weighted) < block:
        return LUFS_FLOOR
    power = np.lib.stride_tricks.sliding_window_view(weighted**2, block)[::step].mean(axis=1)
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10 * np.log10(power)
    gated = power[block_lufs > LUFS_FLOOR]
    if gated.size == 0:
        return LUFS_FLOOR
    relative = -0.691 + 10 * np.log10(gated.mean()) - 10
    gated = power[(block_lufs > LUFS_FLOOR) & (block_lufs > relative)]
    return float(-0.691 + 10 * np.log10(gated.mean()))


def spectral_features(samples: np.ndarray, rate: int, hop_s: float,
                      voice_band: tuple[float, float] = (250.0, 4000.0),
                      block_hops: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Per hop: log-spectral flux (onset strength) and the voice-band energy share.

    Both come from one FFT per hop, computed in blocks so that an hour of audio never
    holds more than ``block_hops`` spectra at once.
    """
    hop = max(1, int(round(hop_s * rate)))
    nfft = 1 << int(np.ceil(np.log2(max(hop * 2, 256))))
    n_hops = int(np.ceil(len(samples) / hop))
    flux, share = np.zeros(n_hops), np.zeros(n_hops)
    if len(samples) < nfft:
        return flux, share
    freqs = np.fft.rfftfreq(nfft, 1.0 / rate)
    band = (freqs >= voice_band[0]) & (freqs <= voice_band[1])
    window = np.hanning(nfft).astype(np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(samples, nfft)[::hop]
    previous = None
    for a in range(0, len(frames), block_hops):
        spec = np.abs(np.fft.rfft(frames[a: a + block_hops] * window, axis=1))
        log_spec = np.log1p(100 * spec)
        prev = log_spec[:1] if previous is None else previous[None, :]
        diffs = np.diff(np.concatenate([prev, log_spec]), axis=0)
        flux[a: a + len(spec)] = np.maximum(diffs, 0).sum(axis=1)
        power = spec**2
        share[a: a + len(spec)] = power[:, band].sum(axis=1) / np.maximum(power.sum(axis=1),
                                                                           1e-12)
        previous = log_spec[-1]
    return flux, share


def speech_mask(transcript: Transcript | None, n_hops: int, hop_s: float) -> np.ndarray:
    """1.0 on hops covered by a transcribed word, else 0.0."""
    mask = np.zeros(n_hops)
    if transcript is None:
        return mask
    for word in transcript.words():
        a = int(np.floor(word.start / hop_s))
        b = int(np.ceil(word.end / hop_s))
        mask[max(0, a): max(0, min(n_hops, b))] = 1.0
    return mask


def robust_unit(x: np.ndarray, low_pct: float, high_pct: float) -> np.ndarray:
    """Map to [0, 1] between two percentiles: one outlier cannot flatten the rest."""
    if x.size == 0:
        return x
    lo, hi = np.percentile(x, [low_pct, high_pct])
    if hi - lo < 1e-9:
        return np.zeros_like(x, dtype=float)
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def persistent(x: np.ndarray, span: int) -> np.ndarray:
    """Keep only values that hold for ``span`` hops (grey opening): kills 1-hop spikes."""
    if span <= 1:
        return x
    return ndimage.grey_opening(x, size=span, mode="nearest")


def compute_features(samples: np.ndarray, rate: int, transcript: Transcript | None,
                     params: dict[str, Any]) -> AudioFeatures:
    """All per-hop features plus the combined audio interest score."""
    hop_s = float(params["hop_s"])
    lufs = loudness_per_hop(samples, rate, hop_s)
    # Peaks and changes use per-hop loudness (no 0.4 s smearing), so that the
    # persistence test below can tell a 10 ms click from a reaction that lasts.
    instant = loudness_per_hop(samples, rate, hop_s, window_s=hop_s)
    n = len(lufs)
    flux, band_share = spectral_features(samples, rate, hop_s)
    flux, band_share = flux[:n], band_share[:n]
    speech = speech_mask(transcript, n, hop_s)
    # Energy change over ~0.5 s: a reaction or a bang, not the syllable ripple.
    lag = max(1, int(round(0.5 / hop_s)))
    delta = np.abs(instant - np.concatenate([np.full(lag, instant[0]), instant[:-lag]]))
    silence = lufs < float(params["silence_lufs"])
    # A coarse energy VAD: audible, with most energy in the voice band.
    voice = (band_share >= float(params["voice_band_share"])) & ~silence

    lo, hi = float(params["floor_percentile"]), float(params["peak_percentile"])
    span = max(1, int(round(float(params["peak_persist_s"]) / hop_s)))
    density = ndimage.uniform_filter1d(speech, max(1, int(round(2.0 / hop_s))), mode="nearest")
    level = robust_unit(instant, lo, hi)
    # A peak counts if it persists, or if a second feature confirms it: a strong onset
    # while someone speaks (a short shout), never a lone click.
    confirmed = (robust_unit(flux, lo, hi) > 0.8) & (np.maximum(speech, voice) > 0)
    loud = np.maximum(persistent(level, span), level * confirmed) * ~silence
    change = persistent(robust_unit(delta, lo, hi), span)
    w = params["weights"]
    total_w = max(1e-9, w["speech_density"] + w["loudness_peak"] + w["energy_delta"])
    score = (w["speech_density"] * density + w["loudness_peak"] * loud
             + w["energy_delta"] * change) / total_w

    def r(a: np.ndarray, nd: int = 3) -> list[float]:
        return [float(v) for v in np.round(a, nd)]

    return AudioFeatures(
        hop_s=hop_s, duration_s=round(len(samples) / rate, 3), options=params,
        loudness_lufs=r(lufs, 2), speech=r(speech, 2), energy_delta=r(delta, 2),
        onset=r(flux, 2), voice=[bool(v) for v in voice],
        silence=[bool(s) for s in silence], score=r(score),
    )


def features_from_files(audio_path: str | Path, transcript: Transcript | None,
                        params: dict[str, Any]) -> AudioFeatures:
    samples, rate = read_wav_mono(audio_path)
    return compute_features(np.asarray(samples, dtype=np.float32), rate, transcript, params)
