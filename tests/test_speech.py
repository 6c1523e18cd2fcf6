"""Transcription with the bundled model on real speech, and audio features on known signals."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_media
from scipy.io import wavfile

from shortfactory.core.artifacts import Segment, Transcript, Word
from shortfactory.core.errors import InputError, ModelError
from shortfactory.core.recipe import AudioSection, IngestSection, TranscribeSection
from shortfactory.ingest.stage import write_audio
from shortfactory.speech.audio import compute_features, integrated_loudness, loudness_per_hop
from shortfactory.speech.transcribe import chunk_bounds, resolve_model, transcribe

RATE = 16000


def audio_params() -> AudioSection:
    return AudioSection()


def asr_params(**overrides) -> TranscribeSection:
    return TranscribeSection(**overrides)


def small_chunks(chunk_s: float) -> TranscribeSection:
    """The default section with chunks below the recipe's 30 s floor (unvalidated copy):
    the only way to make an 11 s clip split."""
    return TranscribeSection().model_copy(update={"chunk_s": chunk_s})


@pytest.fixture(scope="module")
def jfk_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("asr") / "jfk.wav"
    write_audio(shared_media("speech/faster_whisper/jfk.flac"), IngestSection(audio_rate=RATE),
                out)
    return out


@pytest.mark.slow
def test_transcribes_real_speech_with_word_times(jfk_wav: Path) -> None:
    result = transcribe(jfk_wav, asr_params(), progress=False)
    text = " ".join(s.text for s in result.segments).lower()
    words = re.findall(r"[a-z']+", text)
    expected = ("and so my fellow americans ask not what your country can do for you "
                "ask what you can do for your country").split()
    assert sum(w in words for w in expected) >= len(expected) - 1
    timed = result.words()
    assert all(w.end >= w.start for w in timed)
    assert all(a.start <= b.start for a, b in zip(timed, timed[1:], strict=False))
    assert 0.0 <= timed[0].start < 1.5 and 9.0 < timed[-1].end <= 11.2
    assert result.language == "en" and result.duration_s == pytest.approx(11.0, abs=0.1)


@pytest.mark.slow
def test_silence_gives_an_empty_transcript(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    wavfile.write(path, RATE, np.zeros(RATE * 5, dtype=np.int16))
    result = transcribe(path, asr_params(), progress=False)
    assert result.segments == []


def test_transcript_echoes_the_section_and_what_the_decoder_got(tmp_path: Path) -> None:
    """The section's own values reach faster-whisper (empty prompt and hotwords as None)
    and are echoed into the transcript as the rule received them."""
    from types import SimpleNamespace

    class FakeModel:
        def __init__(self) -> None:
            self.calls: list[dict] = []

        def transcribe(self, audio, language, **options):  # noqa: ANN001, ANN201
            self.calls.append({"language": language, **options})
            return iter([]), SimpleNamespace(language="en", language_probability=0.5)

        def detect_language(self, audio, vad_filter):  # noqa: ANN001, ANN201
            raise AssertionError("silence has no language to detect")

    path = tmp_path / "quiet.wav"
    wavfile.write(path, RATE, np.zeros(RATE * 2, dtype=np.int16))
    model = FakeModel()
    section = TranscribeSection(hotwords=["Zorblax", "Quib"], beam_size=2)
    result = transcribe(path, section, progress=False, load=lambda *_: model)
    (call,) = model.calls
    assert call == {"language": None, "task": "transcribe", "beam_size": 2, "vad_filter": True,
                    "word_timestamps": True, "condition_on_previous_text": False,
                    "initial_prompt": None, "hotwords": "Zorblax Quib"}
    del call["language"], call["task"]
    assert result.options.whisper.model_dump() == call  # what the library got, echoed
    assert result.options.model_dump(exclude={"whisper"}) == section.model_dump()
    assert result.model == "bundled:tiny.en" and result.language == "en"
    assert result.language_id is None  # two seconds of silence: nothing to tell it from


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no bundled model"):
        resolve_model("bundled:large-v3")
    empty = tmp_path / "model"
    empty.mkdir()
    with pytest.raises(ModelError, match="no model.bin"):
        resolve_model(str(empty))


def sine(freq: float, seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_loudness_of_a_calibrated_sine() -> None:
    # A 997 Hz sine at -20 dBFS peak reads -23.0 LUFS after K-weighting (BS.1770 test).
    x = sine(997, 5.0, 10 ** (-20 / 20))
    assert integrated_loudness(x, RATE) == pytest.approx(-23.0, abs=0.5)
    per_hop = loudness_per_hop(x, RATE, 0.1)
    assert np.median(per_hop) == pytest.approx(-23.0, abs=0.5)
    quieter = loudness_per_hop(x * 0.1, RATE, 0.1)
    assert np.median(per_hop) - np.median(quieter) == pytest.approx(20.0, abs=0.1)


def test_single_hop_spike_is_not_a_peak() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.01, RATE * 20).astype(np.float32)
    click = np.zeros_like(x)
    click[RATE * 5: RATE * 5 + 160] = 0.9  # 10 ms click: one hop
    burst = np.zeros_like(x)
    burst[RATE * 12: RATE * 14] = rng.normal(0, 0.3, RATE * 2)  # 2 s loud event
    score = np.array(compute_features(x + burst + click, RATE, None, audio_params()).score)
    baseline = np.r_[score[:40], score[70:110]]
    assert score[120:140].mean() > 0.3 and score[120:140].mean() > 3 * baseline.mean()
    # The lone click is louder than the burst for one hop, yet persistence keeps it at
    # the noise floor's level instead of making it a peak.
    assert score[45:56].max() <= baseline.max() + 0.05
    assert score[45:56].max() < 0.3 * score[120:140].mean()


def test_speech_mask_follows_the_transcript() -> None:
    transcript = Transcript(language="en", duration_s=4.0, model="m", segments=[
        Segment(id=0, start=1.0, end=2.0, text="hi there",
                words=[Word(word="hi", start=1.0, end=1.4), Word(word="there", start=1.5,
                                                                 end=2.0)])])
    features = compute_features(sine(300, 4.0, 0.1), RATE, transcript, audio_params())
    speech = np.array(features.speech)
    assert speech[10:14].all() and speech[15:20].all()
    assert not speech[:9].any() and not speech[21:].any()


def test_silent_input_is_marked_silent() -> None:
    features = compute_features(np.zeros(RATE * 3, dtype=np.float32), RATE, None, audio_params())
    assert all(features.silence) and max(features.score) == 0.0


@pytest.mark.slow
def test_chunked_transcription_keeps_words_and_times(jfk_wav: Path) -> None:
    whole = transcribe(jfk_wav, asr_params(), progress=False)
    chunked = transcribe(jfk_wav, small_chunks(4.0), progress=False)
    words = [w.word.lower().strip(",.") for w in chunked.words()]
    assert "americans" in words and "country" in words
    assert len(words) >= len(whole.words()) - 3
    starts = [w.start for w in chunked.words()]
    assert starts == sorted(starts) and 9.0 < chunked.words()[-1].end <= 11.2


def test_chunks_split_in_the_quietest_place() -> None:
    x = sine(300, 20.0, 0.3)
    x[int(8.0 * RATE): int(8.4 * RATE)] = 0.0  # a pause between 8.0 and 8.4 s
    pcm = (x * 32767).astype(np.int16)
    bounds = chunk_bounds(pcm, RATE, chunk_s=10.0, search_s=4.0)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(pcm)
    assert 8.0 <= bounds[0][1] / RATE <= 8.4
    assert all(b - a <= 10 * RATE for a, b in bounds)


def test_corrupt_audio_stream_is_a_clear_error(tmp_path: Path) -> None:
    from conftest import make_media

    good = make_media(tmp_path / "good.mkv", seconds=10.0)
    data = bytearray(good.read_bytes())
    rng = np.random.default_rng(1)
    lo, hi = int(len(data) * 0.2), int(len(data) * 0.95)
    data[lo:hi] = rng.integers(0, 256, hi - lo, dtype=np.uint8).tobytes()
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"bad.mkv: audio stream is corrupt or truncated"):
        write_audio(bad, IngestSection(audio_rate=RATE), tmp_path / "audio.wav",
                    expected_s=10.0)
    assert not (tmp_path / "audio.wav").exists()


def test_energy_vad_tells_voice_from_noise(jfk_wav: Path) -> None:
    from shortfactory.core.media import read_wav_mono

    speech, _ = read_wav_mono(jfk_wav)
    voiced = compute_features(speech, RATE, None, audio_params())
    noise = np.random.default_rng(0).normal(0, 0.1, RATE * 5).astype(np.float32)
    hiss = compute_features(noise, RATE, None, audio_params())
    assert np.mean(voiced.voice) > 0.4 and np.mean(hiss.voice) < 0.05


def test_short_peak_counts_only_when_speech_confirms_it() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(0, 0.01, RATE * 20).astype(np.float32)
    # A 0.2 s broadband burst: too short to persist, not voice-like by its spectrum.
    x[RATE * 10: RATE * 10 + 3200] += rng.normal(0, 0.4, 3200).astype(np.float32)
    # A long loud passage elsewhere, as any episode has: it sets the peak percentile.
    x[RATE * 15: RATE * 17] += rng.normal(0, 0.3, RATE * 2).astype(np.float32)
    words = [Word(word="Hey!", start=10.0, end=10.2)]
    transcript = Transcript(language="en", duration_s=20, model="m",
                            segments=[Segment(id=0, start=10.0, end=10.2, text="Hey!",
                                              words=words)])
    with_speech = np.array(compute_features(x, RATE, transcript, audio_params()).score)
    without = np.array(compute_features(x, RATE, None, audio_params()).score)
    assert with_speech[99:103].max() > without[99:103].max() + 0.2
