"""The speech benchmark's helpers: normalization, alignment/WER, reference readers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from conftest import REPO, shared_media

# bench/ is not a package: load bench/speech.py by path under a name that cannot
# collide with an installed module.
_spec = importlib.util.spec_from_file_location("bench_speech", REPO / "bench" / "speech.py")
speech = importlib.util.module_from_spec(_spec)
sys.modules["bench_speech"] = speech  # dataclasses look their module up by name
_spec.loader.exec_module(speech)


# --------------------------------------------------------------------------- normalization


@pytest.mark.parametrize(("text", "expected"), [
    ("Hello, World!", "hello world"),
    ("Mr. Dashwood's 15th book", "mister dashwood's fifteenth book"),
    ("forty-two", "forty two"),
    ("42", "forty two"),
    ("in 1455 and 1900 and 1905",
     "in fourteen fifty five and nineteen hundred and nineteen oh five"),
    ("2024", "two thousand twenty four"),
    ("1,000 people", "one thousand people"),
    ("3.25 or 50%", "three point two five or fifty percent"),
    ("I can\u2019t -- \"what?!\"", "i can't what"),
    ("OK, i.e. etc.", "okay i e etc"),
    ("the dashwoods' home", "the dashwoods home"),
    ("  ", ""),
])
def test_normalize(text: str, expected: str) -> None:
    assert speech.normalize(text) == expected.split()


@pytest.mark.parametrize(("n", "words"), [
    (0, "zero"), (13, "thirteen"), (20, "twenty"), (99, "ninety nine"), (100, "one hundred"),
    (101, "one hundred one"), (1000, "one thousand"),
    (12_345, "twelve thousand three hundred forty five"),
    (2_000_000, "two million"),
])
def test_number_words(n: int, words: str) -> None:
    assert speech.number_words(n) == words


def test_ordinals_and_years() -> None:
    assert [speech.ordinal_words(n) for n in (1, 2, 3, 5, 12, 21, 40, 100)] == [
        "first", "second", "third", "fifth", "twelfth", "twenty first", "fortieth",
        "one hundredth"]
    assert speech.year_words(1462) == "fourteen sixty two"
    assert speech.year_words(1066) == "one thousand sixty six"  # outside 1100..1999


def test_normalize_words_keeps_the_source_word() -> None:
    words = ["In", "1465", "--", "forty-two", "books."]
    tokens = speech.normalize_words(words)
    assert tokens == [("in", 0), ("fourteen", 1), ("sixty", 1), ("five", 1), ("forty", 3),
                      ("two", 3), ("books", 4)]
    assert [t for t, _ in tokens] == speech.normalize(" ".join(words))


# --------------------------------------------------------------------------- alignment


def test_align_reports_each_edit_in_order() -> None:
    ops = speech.align("the cat sat on the mat".split(), "the cat sat in the big mat".split())
    assert [e.op for e in ops] == ["equal", "equal", "equal", "sub", "equal", "ins", "equal"]
    assert [(e.ref, e.hyp) for e in ops][3] == (3, 3)
    assert speech.align([], ["a"]) == [speech.Edit("ins", None, 0)]
    assert speech.align(["a"], []) == [speech.Edit("del", 0, None)]


@pytest.mark.parametrize(("ref", "hyp", "subs", "dels", "ins"), [
    ("a b c d", "a b c d", 0, 0, 0),
    ("a b c d", "a x c", 1, 1, 0),
    ("a b c d", "a b c d e", 0, 0, 1),
    ("a b c d", "", 0, 4, 0),
    ("a b", "c d e f", 2, 0, 2),
    ("one two three", "two three four", 0, 1, 1),
])
def test_count_errors(ref: str, hyp: str, subs: int, dels: int, ins: int) -> None:
    count = speech.count_errors(ref.split(), hyp.split())
    assert (count.substitutions, count.deletions, count.insertions) == (subs, dels, ins)
    assert count.ref_words == len(ref.split())
    assert count.wer == pytest.approx((subs + dels + ins) / len(ref.split()))


def test_wer_normalizes_both_sides_and_pools_by_words() -> None:
    assert speech.wer("Ask not, what your country can do!", "ask not what your country can do") == 0
    assert speech.wer("ten of clubs", "10 of Clubs.") == 0
    assert speech.wer("mister john dashwood", "Mr. John Dashwood") == 0
    a = speech.count_errors(["a"], ["b"])  # WER 1.0 on one word
    b = speech.count_errors(list("abcdefghi"), list("abcdefghi"))  # 0.0 on nine words
    assert (a + b).wer == pytest.approx(0.1)  # pooled, not the mean of 1.0 and 0.0
    with pytest.raises(ValueError, match="undefined"):
        speech.count_errors([], ["a"]).wer  # noqa: B018


def test_word_start_errors_count_exact_matches_only() -> None:
    ref = [("Good", 1.0), ("morning,", 1.5), ("forty-two", 2.0), ("cats", 3.0)]
    hyp = [("good", 1.1), ("evening", 1.4), ("42", 1.9), ("cats.", 2.8)]
    errors = speech.word_start_errors(ref, hyp)
    # good (+0.1), forty (-0.1, opens its word on both sides), cats (-0.2); "two" does
    # not open a word and "morning"/"evening" is a substitution.
    assert errors == pytest.approx([0.1, -0.1, -0.2])


# --------------------------------------------------------------------------- readers


def test_sphinx_reader_on_a_hand_made_file(tmp_path: Path) -> None:
    path = tmp_path / "x.transcription"
    path.write_text("<s> go forward(2) <sil> ten meters </s> (utt-1)\n\n"
                    "plain text without markers (dir/utt_2)\n")
    assert speech.read_sphinx_transcription(path) == {
        "utt-1": "go forward ten meters", "dir/utt_2": "plain text without markers"}
    path.write_text("no id here\n")
    with pytest.raises(ValueError, match="Sphinx"):
        speech.read_sphinx_transcription(path)


def test_stm_reader_sorts_by_start(tmp_path: Path) -> None:
    path = tmp_path / "x.stm"
    path.write_text(";; comment\nrec 1 B 2.0 3.0 Second line.\nrec 1 A 0.5 1.5 First, yes.\n")
    assert speech.read_stm(path) == [("A", 0.5, 1.5, "First, yes."),
                                     ("B", 2.0, 3.0, "Second line.")]


def test_reads_the_shared_sphinx_sets() -> None:
    librivox = speech.read_sphinx_transcription(
        shared_media("speech/pocketsphinx_librivox/transcription"))
    ids = speech.read_fileids(shared_media("speech/pocketsphinx_librivox/fileids"))
    assert ids == sorted(librivox) and len(ids) == 5
    assert librivox[ids[0]].startswith("and mister john dashwood")
    cards = speech.read_sphinx_transcription(
        shared_media("speech/pocketsphinx_cards/cards.transcription"))
    assert cards["001"] == "ten of clubs" and cards["004"] == "five five"
    assert speech.read_fileids(shared_media("speech/pocketsphinx_cards/cards.fileids")) == [
        "001", "002", "003", "004", "005"]


def test_reads_the_shared_ljspeech_metadata() -> None:
    texts = speech.read_ljspeech_metadata(shared_media("speech/ljspeech_subset/metadata_full.csv"))
    assert len(texts) == 32 and texts["LJ001-0002"] == "in being comparatively modern."
    assert "fourteen fifty-five" in texts["LJ001-0007"]  # the normalized column, not "1455"


def test_reads_the_shared_faster_whisper_and_note_texts() -> None:
    texts = speech.read_faster_whisper_transcripts(
        shared_media("speech/faster_whisper/TRANSCRIPTS.txt"))
    assert texts["jfk.flac"].startswith("And so my fellow Americans, ask not")
    assert texts["stereo_diarization.wav:right"] == "The horizon seems extremely distant."
    assert speech.read_reference_note(
        shared_media("speech/pocketsphinx_cards/goforward.txt")) == "go forward ten meters"


def test_reads_the_shared_conversation() -> None:
    rows = speech.read_stm(shared_media("speech/pyannote_sample/sample.stm"))
    assert {r[0] for r in rows} == {"Diane", "Sheila"}
    assert rows[0][3] == "Hello?"
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)


def test_real_speech_clips_lists_every_set() -> None:
    shared_media("speech")
    sets = speech.real_speech_clips()
    assert {k: len(v) for k, v in sets.items()} == {
        "jfk": 1, "ljspeech": 32, "pocketsphinx_librivox": 5, "pocketsphinx_cards": 5,
        "pocketsphinx_goforward": 1}
    assert all(c.audio.exists() and c.reference for v in sets.values() for c in v)
    assert sets["pocketsphinx_goforward"][0].raw_pcm
    assert speech.conversation_clip() is not None


def test_make_wav_gives_a_header_to_raw_pcm(tmp_path: Path) -> None:
    from shortfactory.core.media import wav_duration_s
    from shortfactory.core.recipe import IngestSection

    raw = tmp_path / "x.raw"
    raw.write_bytes(b"\x00\x01" * 8000)  # 0.5 s of 16 kHz s16le
    clip = speech.Clip("t", "x", raw, "", raw_pcm=True)
    out = speech.make_wav(clip, tmp_path / "x.wav", IngestSection(audio_rate=16000))
    assert wav_duration_s(out) == pytest.approx(0.5, abs=0.01)
