"""Audio features from real WAV files: digital silence stays finite, chunks change nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_media
from scipy import signal
from scipy.io import wavfile

from shortfactory.core.artifacts import AudioFeatures
from shortfactory.core.recipe import AudioSection
from shortfactory.speech.audio import (
    LUFS_FLOOR,
    features_from_files,
    hop_mean_square,
    hop_signals,
    k_weighting_sos,
    lufs_from_power,
    moving_mean,
)

RATE = 16000
SERIES = ("loudness_lufs", "speech", "energy_delta", "onset", "score")


def audio_params() -> AudioSection:
    return AudioSection()


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """24 s of two real speakers talking, 16 kHz int16 (the file's quiet first 6 s cut)."""
    rate, data = wavfile.read(shared_media("speech/pyannote_sample/sample.wav"))
    assert rate == RATE and data.dtype == np.int16
    return data[6 * RATE:]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def write(path: Path, samples: np.ndarray) -> Path:
    wavfile.write(path, RATE, samples)
    return path


def assert_all_finite(features: AudioFeatures) -> None:
    """Every series is finite, also after a JSON round trip (NaN would be written as null)."""
    for name in SERIES:
        assert np.isfinite(np.asarray(getattr(features, name), dtype=float)).all(), name
    dumped = json.loads(features.model_dump_json())
    for name in SERIES:
        assert None not in dumped[name], name


def test_digital_silence_in_real_speech_gives_finite_features(speech: np.ndarray,
                                                              tmp_path: Path) -> None:
    # Exact zeros at the start, twice in the middle and at the end, as real files have.
    samples = np.concatenate([silence(0.5), speech[: 8 * RATE], silence(1.0),
                              speech[8 * RATE: 16 * RATE], silence(0.3),
                              speech[16 * RATE: 20 * RATE], silence(2.0)])
    features = features_from_files(write(tmp_path / "gaps.wav", samples), None, audio_params())
    assert_all_finite(features)
    lufs = np.asarray(features.loudness_lufs)
    hop = features.hop_s
    # Inside each zero stretch (away from the 0.4 s window's reach) loudness is the floor.
    for start, end in ((0.0, 0.3), (8.8, 9.2), (22.1, 23.6)):
        inside = lufs[int(start / hop): int(end / hop)]
        assert (inside == LUFS_FLOOR).all() and all(
            features.silence[int(start / hop): int(end / hop)]), (start, end)
    assert np.median(lufs[10:80]) > -45  # the speech around them is measured as speech
    assert max(features.score) > 0


def test_all_zero_file_reads_as_floor_loudness(tmp_path: Path) -> None:
    features = features_from_files(write(tmp_path / "zero.wav", silence(3.0)), None,
                                   audio_params())
    assert_all_finite(features)
    assert len(features.loudness_lufs) == 30
    assert set(features.loudness_lufs) == {LUFS_FLOOR}
    assert all(features.silence) and not any(features.voice)
    assert max(features.score) == 0.0 and max(features.energy_delta) == 0.0
    assert features.options == AudioSection()  # the section, echoed


def test_power_of_silence_after_sound_never_goes_negative() -> None:
    # A running-sum moving average left ~-1e-19 over zeros: log10 gave NaN.
    power = np.concatenate([np.full(50, 0.3), np.zeros(50), np.full(5, 1e-3), np.zeros(20)])
    smoothed = moving_mean(power, 4)
    assert (smoothed >= 0).all() and (smoothed[60:98] == 0).all()
    assert (lufs_from_power(np.array([0.0, -1e-19, 1e-30])) == LUFS_FLOOR).all()


def test_chunked_features_equal_one_piece(speech: np.ndarray, tmp_path: Path) -> None:
    """Chunks of 3 hops (filter state and FFT frames across every border) change nothing."""
    wav = write(tmp_path / "speech.wav", np.concatenate([speech, silence(0.37)]))
    whole = features_from_files(wav, None, audio_params(), chunk_s=1e9)
    chunked = features_from_files(wav, None, audio_params(), chunk_s=0.3)
    for name in (*SERIES, "voice", "silence"):
        assert np.allclose(getattr(chunked, name), getattr(whole, name), rtol=0, atol=1e-9), name
    assert chunked.duration_s == whole.duration_s


def test_chunked_power_equals_whole_array_filtering(speech: np.ndarray) -> None:
    """Against an independent reference: K-weighting over the whole array at once."""
    samples = speech[: 10 * RATE + 123]  # a partial last hop
    hop = RATE // 10
    x = samples.astype(np.float32) / 32768.0
    reference = hop_mean_square(signal.sosfilt(k_weighting_sos(RATE), x), hop)
    for chunk_s in (0.1, 0.7, 60.0):
        power, flux, share = hop_signals(samples, RATE, 0.1, chunk_s=chunk_s)
        assert np.allclose(power, reference, rtol=1e-9, atol=0), chunk_s
        assert len(flux) == len(share) == len(reference)
    assert power[-1] > 0 and flux.max() > 0 and 0 < share.max() <= 1
