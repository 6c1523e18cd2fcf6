"""Audio signals on a fixed hop grid: loudness, speech, energy change, onsets.

Everything is vectorized (filters and strided reductions), so an hour of 16 kHz audio
takes seconds. Loudness follows ITU-R BS.1770: a K-weighting pre-filter (high shelf
+ high pass, designed for the actual sample rate) then mean square in LUFS.

The samples are read once, in chunks of whole hops, from the memory-mapped WAV: the
filter state is carried across chunk borders, so the per-hop results equal a
whole-array computation while memory holds one chunk plus the per-hop arrays (a
3-hour episode at 10 hops a second is ~100 000 hops, a few MB each).
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage, signal

from shortfactory.core.artifacts import AudioFeatures, Transcript
from shortfactory.core.media import open_wav, to_float
from shortfactory.core.recipe import AudioSection

LUFS_FLOOR = -70.0  # BS.1770 absolute gate; also the value reported for digital silence
_FLOOR_POWER = 10 ** ((LUFS_FLOOR + 0.691) / 10)  # mean square that reads as LUFS_FLOOR
CHUNK_S = 60.0  # seconds of samples held at once: ~4 MB of float32 at 16 kHz


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
    """Mean square per hop (the last partial hop is zero-padded to a whole hop)."""
    n_hops = int(np.ceil(len(x) / hop))
    padded = np.zeros(n_hops * hop, dtype=np.float64)
    padded[: len(x)] = x.astype(np.float64) ** 2
    return padded.reshape(n_hops, hop).mean(axis=1)


def lufs_from_power(power: np.ndarray) -> np.ndarray:
    """LUFS of K-weighted mean-square power; digital silence reads exactly LUFS_FLOOR.

    Zero power has no logarithm (-inf), and a power that float rounding left a hair
    below zero gives NaN, which ``np.maximum`` would carry on: clamping the power
    before the logarithm keeps every value finite.
    """
    lufs = -0.691 + 10 * np.log10(np.maximum(power, _FLOOR_POWER))
    return np.maximum(lufs, LUFS_FLOOR)


def moving_mean(x: np.ndarray, span: int) -> np.ndarray:
    """Centred mean over ``span`` values, edges repeated.

    A direct sum per output, not a running sum (``uniform_filter1d``): a running sum
    drifts by ~1e-19 over zeros, so the power of digital silence came out negative.
    """
    if span <= 1:
        return x
    return ndimage.correlate1d(x, np.full(span, 1.0 / span), mode="nearest")


@dataclass(slots=True)
class HopGrid:
    """Where hops and FFT frames lie in the samples: hop ``i`` starts at ``i * hop``."""

    hop: int
    n_hops: int
    nfft: int
    n_frames: int  # hops with a whole FFT frame inside the audio; later ones stay 0

    @classmethod
    def of(cls, n_samples: int, rate: int, hop_s: float) -> HopGrid:
        hop = max(1, int(round(hop_s * rate)))
        nfft = 1 << int(np.ceil(np.log2(max(hop * 2, 256))))
        n_frames = (n_samples - nfft) // hop + 1 if n_samples >= nfft else 0
        return cls(hop, int(np.ceil(n_samples / hop)), nfft, n_frames)


@dataclass(slots=True)
class Spectra:
    """Log-spectral flux and voice-band share, fed frame blocks in time order.

    The last log spectrum is kept between blocks, so the flux across a block
    border is the same as inside a block.
    """

    window: np.ndarray
    band: np.ndarray
    previous: np.ndarray | None = None

    @classmethod
    def of(cls, nfft: int, rate: int, voice_band: tuple[float, float]) -> Spectra:
        freqs = np.fft.rfftfreq(nfft, 1.0 / rate)
        band = (freqs >= voice_band[0]) & (freqs <= voice_band[1])
        return cls(np.hanning(nfft).astype(np.float32), band)

    def block(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flux and band share for consecutive frames (rows)."""
        spec = np.abs(np.fft.rfft(frames * self.window, axis=1))
        log_spec = np.log1p(100 * spec)
        prev = log_spec[:1] if self.previous is None else self.previous[None, :]
        flux = np.maximum(np.diff(np.concatenate([prev, log_spec]), axis=0), 0).sum(axis=1)
        power = spec**2
        share = power[:, self.band].sum(axis=1) / np.maximum(power.sum(axis=1), 1e-12)
        self.previous = log_spec[-1]
        return flux, share


def _as_float(block: np.ndarray) -> np.ndarray:
    """PCM samples to float32 in [-1, 1]; float input is used as it is."""
    return to_float(block) if block.dtype.kind in "iu" else np.asarray(block)


def _drop_read_pages(samples: np.ndarray, upto: int) -> None:
    """Let the kernel take back the mapped file pages before sample ``upto``.

    A memory map keeps every page it touched resident: reading a 3-hour WAV once
    would leave all of it (345 MB) in the process's memory although each chunk is
    needed only once. The map is read-only here, so dropped pages are simply re-read
    from the file if ever touched again. Plain arrays are left alone.
    """
    mm = getattr(samples, "_mmap", None)  # numpy.memmap's mapping, shared by its views
    if mm is None or not hasattr(mm, "madvise") or not 0 < upto <= len(samples):
        return
    start = np.frombuffer(mm, dtype=np.uint8).ctypes.data
    length = (samples[upto:].ctypes.data - start) // mmap.PAGESIZE * mmap.PAGESIZE
    if length > 0:
        mm.madvise(mmap.MADV_DONTNEED, 0, length)


def hop_signals(samples: np.ndarray, rate: int, hop_s: float, *, chunk_s: float = CHUNK_S,
                voice_band: tuple[float, float] = (250.0, 4000.0),
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per hop: K-weighted mean square, spectral flux and voice-band share, in one pass.

    ``samples`` may be a memory-mapped PCM array: it is read in chunks of whole hops
    (about ``chunk_s`` seconds), so only one chunk is ever held as float. The filter
    state ``zi`` is carried over each chunk border and each chunk also reads the
    ``nfft - hop`` samples its last FFT frames need, so the result does not depend
    on the chunk size.
    """
    grid = HopGrid.of(len(samples), rate, hop_s)
    hop, n = grid.hop, len(samples)
    sos = k_weighting_sos(rate)
    zi = np.zeros((len(sos), 2))
    spectra = Spectra.of(grid.nfft, rate, voice_band)
    power, flux, share = np.zeros(grid.n_hops), np.zeros(grid.n_hops), np.zeros(grid.n_hops)
    step = max(1, int(round(chunk_s / hop_s)))
    for a in range(0, grid.n_hops, step):
        b = min(grid.n_hops, a + step)
        f_end = min(b, grid.n_frames)  # FFT frames a .. f_end - 1 are whole
        stop = max(b * hop, (f_end - 1) * hop + grid.nfft if f_end > a else 0)
        x = _as_float(samples[a * hop: min(n, stop)])
        weighted, zi = signal.sosfilt(sos, x[: (b - a) * hop], zi=zi)
        power[a:b] = hop_mean_square(weighted, hop)
        if f_end > a:
            frames = np.lib.stride_tricks.sliding_window_view(x, grid.nfft)[::hop]
            flux[a:f_end], share[a:f_end] = spectra.block(frames[: f_end - a])
        _drop_read_pages(samples, b * hop)
    return power, flux, share


def loudness_per_hop(samples: np.ndarray, rate: int, hop_s: float,
                     window_s: float = 0.4) -> np.ndarray:
    """Momentary loudness (LUFS over ``window_s``) centred on each hop."""
    power, _, _ = hop_signals(samples, rate, hop_s)
    return lufs_from_power(moving_mean(power, max(1, int(round(window_s / hop_s)))))


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """Gated integrated loudness (BS.1770-4), used to check measurements in tests."""
    weighted = signal.sosfilt(k_weighting_sos(rate), samples)
    block, step = int(0.4 * rate), int(0.1 * rate)
    if len(weighted) < block:
        return LUFS_FLOOR
    power = np.lib.stride_tricks.sliding_window_view(weighted**2, block)[::step].mean(axis=1)
    block_lufs = lufs_from_power(power)
    gated = power[block_lufs > LUFS_FLOOR]
    if gated.size == 0:
        return LUFS_FLOOR
    relative = float(lufs_from_power(np.array([gated.mean()]))[0]) - 10
    gated = power[(block_lufs > LUFS_FLOOR) & (block_lufs > relative)]
    return float(lufs_from_power(np.array([gated.mean()]))[0])


def spectral_features(samples: np.ndarray, rate: int, hop_s: float,
                      voice_band: tuple[float, float] = (250.0, 4000.0),
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Per hop: log-spectral flux (onset strength) and the voice-band energy share."""
    _, flux, share = hop_signals(samples, rate, hop_s, voice_band=voice_band)
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


def change_over(x: np.ndarray, lag: int) -> np.ndarray:
    """|x[i] - x[i - lag]|, the first ``lag`` values compared with x[0]."""
    if x.size == 0:
        return x
    return np.abs(x - np.concatenate([np.full(lag, x[0]), x[:-lag]])[: x.size])


def compute_features(samples: np.ndarray, rate: int, transcript: Transcript | None,
                     section: AudioSection, *, chunk_s: float = CHUNK_S) -> AudioFeatures:
    """All per-hop features plus the combined audio interest score.

    ``samples`` may be float or PCM, in memory or memory-mapped; see :func:`hop_signals`.
    ``section`` is the recipe's typed ``audio`` section: its defaults are the only ones.
    """
    hop_s = section.hop_s
    power, flux, band_share = hop_signals(samples, rate, hop_s, chunk_s=chunk_s)
    lufs = lufs_from_power(moving_mean(power, max(1, int(round(0.4 / hop_s)))))
    # Peaks and changes use per-hop loudness (no 0.4 s smearing), so that the
    # persistence test below can tell a 10 ms click from a reaction that lasts.
    instant = lufs_from_power(power)
    n = len(lufs)
    speech = speech_mask(transcript, n, hop_s)
    # Energy change over ~0.5 s: a reaction or a bang, not the syllable ripple.
    delta = change_over(instant, max(1, int(round(0.5 / hop_s))))
    silence = lufs < section.silence_lufs
    # A coarse energy VAD: audible, with most energy in the voice band.
    voice = (band_share >= section.voice_band_share) & ~silence

    lo, hi = section.floor_percentile, section.peak_percentile
    span = max(1, int(round(section.peak_persist_s / hop_s)))
    density = ndimage.uniform_filter1d(speech, max(1, int(round(2.0 / hop_s))), mode="nearest")
    level = robust_unit(instant, lo, hi)
    # A peak counts if it persists, or if a second feature confirms it: a strong onset
    # while someone speaks (a short shout), never a lone click.
    confirmed = (robust_unit(flux, lo, hi) > 0.8) & (np.maximum(speech, voice) > 0)
    loud = np.maximum(persistent(level, span), level * confirmed) * ~silence
    change = persistent(robust_unit(delta, lo, hi), span)
    w = section.weights
    total_w = max(1e-9, w.speech_density + w.loudness_peak + w.energy_delta)
    score = (w.speech_density * density + w.loudness_peak * loud
             + w.energy_delta * change) / total_w

    def r(a: np.ndarray, nd: int = 3) -> list[float]:
        return [float(v) for v in np.round(a, nd)]

    return AudioFeatures(
        hop_s=hop_s, duration_s=round(len(samples) / rate, 3),
        options=section,  # the section as the rule received it
        loudness_lufs=r(lufs, 2), speech=r(speech, 2), energy_delta=r(delta, 2),
        onset=r(flux, 2), voice=[bool(v) for v in voice],
        silence=[bool(s) for s in silence], score=r(score),
    )


def features_from_files(audio_path: str | Path, transcript: Transcript | None,
                        section: AudioSection, *, chunk_s: float = CHUNK_S) -> AudioFeatures:
    """Features of a WAV file, read through a memory map one chunk at a time."""
    samples, rate = open_wav(audio_path)
    return compute_features(samples, rate, transcript, section, chunk_s=chunk_s)
