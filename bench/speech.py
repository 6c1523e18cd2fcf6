"""Speech benchmark: word error rate on real read speech and the sample, word timing, speed.

``bench_speech()`` transcribes, with the project's own code paths and the default
recipe, every clip of ``../shared/media/speech`` that has a clean English reference
text, plus the bundled sample episode, and reports:

* ``wer_real`` (pooled: total edits / total reference words) and ``wer_real_<set>``
  for the sets ``jfk``, ``ljspeech`` (32 clips, the normalized-text column),
  ``pocketsphinx_librivox``, ``pocketsphinx_cards`` and ``pocketsphinx_goforward``;
* ``wer_conversation_pyannote``: the 30 s two-speaker phone conversation of
  ``pyannote_sample`` against its STM text, reported on its own and **not** pooled
  (spontaneous, overlapping speech: a different difficulty from read speech);
* ``wer_sample`` and the word start error on the sample (its truth has every word's
  start time);
* ``asr_x_realtime`` (model load excluded, reported as ``asr_model_load_s``) and
  ``audio_features_x_realtime``.

Left out on purpose: ``faster_whisper/stereo_diarization.wav`` (its "reference" is
Whisper tiny's own output, so scoring tiny.en against it is circular, and it needs
one channel at a time while the project's audio path downmixes) and
``ami_mixture_pyannote`` (a 4-speaker meeting with overlapping, disfluent speech; its
per-speaker texts are untimed, so a mixture has no single reference word order).

Per-clip references and hypotheses, worst first, go to
``bench/results/speech_clips.json`` so the errors can be read, not only counted.

Text normalization (:func:`normalize`), applied identically to both sides:
Unicode NFKC and lowercase; curly quotes to ``'``; ``&`` -> ``and``, ``%`` ->
``percent``; hyphens, dashes and slashes split words; numbers become words
(cardinals, ``1,000``-style groups, decimals, ordinals such as ``15th``; a four-digit
number from 1100 to 1999 is read as a year: ``1455`` -> ``fourteen fifty five``);
every other character outside ``a-z``, ``0-9`` and inner apostrophes separates
words; a few spellings are unified (``mr`` -> ``mister``, ``mrs`` -> ``missus``,
``ok`` -> ``okay``).
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
import unicodedata
import wave
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from shortfactory.core.recipe import IngestSection, TranscribeSection

REPO = Path(__file__).resolve().parents[1]
SPEECH = REPO.parent / "shared" / "media" / "speech"
RESULTS = REPO / "bench" / "results"

# --------------------------------------------------------------------------- normalization

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                      "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
SPELLINGS = {"mr": "mister", "mrs": "missus", "ok": "okay"}

_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+")
_DECIMAL = re.compile(r"(\d+)\.(\d+)")
_ORDINAL = re.compile(r"(\d+)(st|nd|rd|th)")
_SPLIT = re.compile(r"[-\u2010-\u2015/]+")
_EDGE = re.compile(r"^[^a-z0-9]+|[^a-z0-9]+$")
_NOT_WORD = re.compile(r"[^a-z0-9']+")


def number_words(n: int) -> str:
    """Cardinal ``n`` (0 <= n < 10**12) in words, space separated: 42 -> 'forty two'."""
    if n < 0 or n >= 10**12:
        raise ValueError(f"number out of range: {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    for scale, name in _SCALES:
        if n >= scale:
            high, rest = divmod(n, scale)
            return f"{number_words(high)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError("unreachable")


def year_words(n: int) -> str:
    """A year as it is read aloud: 1455 -> 'fourteen fifty five', 1905 -> 'nineteen oh five'.

    Only for 1100..1999; other numbers are read as cardinals (2024 -> 'two thousand
    twenty four'), which is also how Whisper and most references spell recent years.
    """
    if not 1100 <= n <= 1999:
        return number_words(n)
    high, low = divmod(n, 100)
    if low == 0:
        return f"{number_words(high)} hundred"
    if low < 10:
        return f"{number_words(high)} oh {_ONES[low]}"
    return f"{number_words(high)} {number_words(low)}"


def ordinal_words(n: int) -> str:
    """Ordinal in words: 15 -> 'fifteenth', 21 -> 'twenty first', 40 -> 'fortieth'."""
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL_IRREGULAR:
        words[-1] = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _number_token(part: str) -> str | None:
    """Words for a token that is a number (``1455``, ``1,000``, ``3.5``, ``15th``), else None."""
    if part.isdigit():
        n = int(part)
        return year_words(n) if len(part) == 4 else number_words(n)
    if _GROUPED.fullmatch(part):
        return number_words(int(part.replace(",", "")))
    if m := _DECIMAL.fullmatch(part):
        return f"{number_words(int(m[1]))} point {' '.join(_ONES[int(d)] for d in m[2])}"
    if m := _ORDINAL.fullmatch(part):
        return ordinal_words(int(m[1]))
    return None


def _normalize_word(raw: str) -> list[str]:
    text = unicodedata.normalize("NFKC", raw).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = text.replace("&", " and ").replace("%", " percent ")
    tokens: list[str] = []
    for piece in _SPLIT.split(text):
        for part in piece.split():
            part = _EDGE.sub("", part)
            if not part:
                continue
            spoken = _number_token(part)
            if spoken is not None:
                tokens.extend(spoken.split())
                continue
            for word in _NOT_WORD.split(part):
                word = word.strip("'")
                if word:
                    tokens.append(SPELLINGS.get(word, word))
    return tokens


def normalize_words(words: Iterable[str]) -> list[tuple[str, int]]:
    """Normalized tokens of a word sequence, each with the index of the word it came from.

    One word may give several tokens (``1455``, ``forty-two``) or none (``--``); the
    index lets token-level alignments map back to timed words.
    """
    return [(token, i) for i, word in enumerate(words) for token in _normalize_word(word)]


def normalize(text: str) -> list[str]:
    """Normalized word tokens of ``text`` (the rules are in the module docstring)."""
    return [token for token, _ in normalize_words(text.split())]


# --------------------------------------------------------------------------- alignment


@dataclass(slots=True, frozen=True)
class Edit:
    """One step of an alignment: ``op`` is equal, sub, del (ref word missed) or ins."""

    op: str
    ref: int | None
    hyp: int | None


@dataclass(slots=True)
class ErrorCount:
    """Word edit counts; add counts to pool them over clips."""

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    ref_words: int = 0

    @property
    def edits(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        """Edits per reference word; raises ValueError with no reference words."""
        if self.ref_words == 0:
            raise ValueError("WER is undefined without reference words")
        return self.edits / self.ref_words

    def __add__(self, other: ErrorCount) -> ErrorCount:
        return ErrorCount(self.substitutions + other.substitutions,
                          self.deletions + other.deletions,
                          self.insertions + other.insertions,
                          self.ref_words + other.ref_words)


def align(ref: Sequence[str], hyp: Sequence[str]) -> list[Edit]:
    """Minimum-edit (Levenshtein) word alignment of ``hyp`` to ``ref``, in order.

    Substitution, deletion and insertion each cost 1. Among equally cheap
    alignments the backtrace prefers a match/substitution, then a deletion.
    """
    n, m = len(ref), len(hyp)
    # cost[i][j]: edits to turn ref[:i] into hyp[:j]
    cost = [list(range(m + 1))] + [[i] + [0] * m for i in range(1, n + 1)]
    for i in range(1, n + 1):
        row, prev, r = cost[i], cost[i - 1], ref[i - 1]
        for j in range(1, m + 1):
            row[j] = min(prev[j - 1] + (r != hyp[j - 1]), prev[j] + 1, row[j - 1] + 1)
    edits: list[Edit] = []
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            edits.append(Edit("equal" if ref[i - 1] == hyp[j - 1] else "sub", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            edits.append(Edit("del", i - 1, None))
            i -= 1
        else:
            edits.append(Edit("ins", None, j - 1))
            j -= 1
    edits.reverse()
    return edits


def count_errors(ref: Sequence[str], hyp: Sequence[str]) -> ErrorCount:
    """Substitutions, deletions and insertions of the best alignment, and len(ref)."""
    count = ErrorCount(ref_words=len(ref))
    for edit in align(ref, hyp):
        if edit.op == "sub":
            count.substitutions += 1
        elif edit.op == "del":
            count.deletions += 1
        elif edit.op == "ins":
            count.insertions += 1
    return count


def wer(ref: str, hyp: str) -> float:
    """Word error rate of hypothesis text against reference text, both normalized."""
    return count_errors(normalize(ref), normalize(hyp)).wer


def word_start_errors(ref: Sequence[tuple[str, float]],
                      hyp: Sequence[tuple[str, float]]) -> list[float]:
    """Signed start errors (hyp - ref, s) of words the alignment matches exactly.

    ``ref`` and ``hyp`` are (word, start_s) in time order. Both are normalized and
    aligned as for WER; a match counts when its token opens its word on both sides
    (the second token of ``forty-two`` has no start time of its own).
    """
    ref_tokens = normalize_words(w for w, _ in ref)
    hyp_tokens = normalize_words(w for w, _ in hyp)

    def opens(tokens: list[tuple[str, int]], k: int) -> bool:
        return k == 0 or tokens[k - 1][1] != tokens[k][1]

    errors = []
    for edit in align([t for t, _ in ref_tokens], [t for t, _ in hyp_tokens]):
        if edit.op == "equal" and opens(ref_tokens, edit.ref) and opens(hyp_tokens, edit.hyp):
            errors.append(hyp[hyp_tokens[edit.hyp][1]][1] - ref[ref_tokens[edit.ref][1]][1])
    return errors


# --------------------------------------------------------------------------- readers

_SPHINX_LINE = re.compile(r"^(?P<text>.*?)\s*\((?P<id>[^()\s]+)\)\s*$")
_SPHINX_MARKUP = re.compile(r"</?s>|<sil>|\(\d+\)")


def read_sphinx_transcription(path: str | Path) -> dict[str, str]:
    """A Sphinx ``.transcription`` file: ``<s> words </s> (utterance_id)`` per line.

    Returns {utterance id: text}; sentence/silence markers and alternate
    pronunciation suffixes (``word(2)``) are removed.
    """
    out: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        m = _SPHINX_LINE.match(line)
        if not m:
            raise ValueError(f"{path}: not a Sphinx transcription line: {line!r}")
        out[m["id"]] = " ".join(_SPHINX_MARKUP.sub(" ", m["text"]).split())
    return out


def read_fileids(path: str | Path) -> list[str]:
    """A Sphinx ``.fileids`` file: one utterance id (a path without extension) a line."""
    return [s for s in (ln.strip() for ln in Path(path).read_text().splitlines()) if s]


def read_ljspeech_metadata(path: str | Path) -> dict[str, str]:
    """LJSpeech ``metadata.csv`` (``id|text|normalized text``, no quoting): {id: normalized}.

    The normalized column spells numbers out (``fourteen fifty-five``), so it is the
    one a speech recognizer's output should be compared with.
    """
    out: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            clip_id, _, normalized = line.split("|", 2)
            out[clip_id] = normalized
    return out


def read_faster_whisper_transcripts(path: str | Path) -> dict[str, str]:
    """The shared ``TRANSCRIPTS.txt`` of faster-whisper's test audio.

    A block starts with ``<file> (description)``; its text is the line after
    ``Reference text...`` or ``left channel : ...``/``right channel: ...`` lines.
    Returns {file: text} and {file:left / file:right: text} for channel texts.
    """
    out: dict[str, str] = {}
    current: str | None = None
    expect_text = False
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if m := re.match(r"^(\S+\.(?:flac|wav|mp3|ogg))\s+\(", stripped):
            current, expect_text = m[1], False
        elif current and (m := re.match(r"^(left|right) channel\s*:\s*(.+)$", stripped)):
            out[f"{current}:{m[1]}"] = m[2]
        elif current and stripped.startswith("Reference text"):
            expect_text = True
        elif current and expect_text and stripped:
            out[current], expect_text = stripped, False
    return out


def read_reference_note(path: str | Path) -> str:
    """Text after ``Reference text (...):`` in a note such as ``goforward.txt``."""
    m = re.search(r"Reference text[^:]*:\s*(.+)", Path(path).read_text(encoding="utf-8"))
    if not m:
        raise ValueError(f"{path}: no 'Reference text ...:' line")
    return m[1].strip()


def read_stm(path: str | Path) -> list[tuple[str, float, float, str]]:
    """An STM file (``file channel speaker start end text``): (speaker, start, end, text).

    Lines are returned in start-time order; ``;;`` comment lines are skipped.
    """
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(";;"):
            continue
        _, _, speaker, start, end, *text = line.split()
        rows.append((speaker, float(start), float(end), " ".join(text)))
    return sorted(rows, key=lambda r: r[1])


# --------------------------------------------------------------------------- clips


@dataclass(slots=True)
class Clip:
    """A piece of real speech and its reference text; ``raw_pcm``: headerless s16le."""

    set: str
    id: str
    audio: Path
    reference: str
    raw_pcm: bool = False


def real_speech_clips(root: Path = SPEECH) -> dict[str, list[Clip]]:
    """Every shared clip with a clean English single-speaker reference, by set.

    Sets whose files are missing are left out; see the module docstring for what
    is excluded on purpose.
    """
    sets: dict[str, list[Clip]] = {}
    fw = root / "faster_whisper"
    if (fw / "TRANSCRIPTS.txt").exists() and (fw / "jfk.flac").exists():
        text = read_faster_whisper_transcripts(fw / "TRANSCRIPTS.txt")["jfk.flac"]
        sets["jfk"] = [Clip("jfk", "jfk", fw / "jfk.flac", text)]
    lj = root / "ljspeech_subset"
    if (lj / "metadata_full.csv").exists():
        sets["ljspeech"] = [Clip("ljspeech", clip_id, lj / "wavs" / f"{clip_id}.wav", text)
                            for clip_id, text in sorted(read_ljspeech_metadata(
                                lj / "metadata_full.csv").items())]
    for name, ids, trans in (("pocketsphinx_librivox", "fileids", "transcription"),
                             ("pocketsphinx_cards", "cards.fileids", "cards.transcription")):
        folder = root / name
        if (folder / ids).exists() and (folder / trans).exists():
            texts = read_sphinx_transcription(folder / trans)
            sets[name] = [Clip(name, i, folder / f"{i}.wav", texts[i])
                          for i in read_fileids(folder / ids)]
    cards = root / "pocketsphinx_cards"
    if (cards / "goforward.raw").exists() and (cards / "goforward.txt").exists():
        sets["pocketsphinx_goforward"] = [Clip(
            "pocketsphinx_goforward", "goforward", cards / "goforward.raw",
            read_reference_note(cards / "goforward.txt"), raw_pcm=True)]
    for clips in sets.values():
        for clip in clips:
            if not clip.audio.exists():
                raise FileNotFoundError(f"{clip.audio}: listed by its reference but missing")
    return sets


def conversation_clip(root: Path = SPEECH) -> Clip | None:
    """The pyannote two-speaker conversation with its STM lines joined in time order."""
    folder = root / "pyannote_sample"
    if not ((folder / "sample.wav").exists() and (folder / "sample.stm").exists()):
        return None
    text = " ".join(row[3] for row in read_stm(folder / "sample.stm"))
    return Clip("conversation_pyannote", "sample", folder / "sample.wav", text)


# --------------------------------------------------------------------------- running


@dataclass(slots=True)
class ClipResult:
    """A transcribed clip: texts, edit counts, audio and transcription seconds."""

    set: str
    id: str
    reference: str
    hypothesis: str
    audio_s: float
    asr_s: float
    errors: ErrorCount = field(default_factory=ErrorCount)


def make_wav(clip: Clip, out: Path, ingest: IngestSection) -> Path:
    """The clip as the project's 16 kHz mono WAV, through ``ingest.write_audio`` with the
    recipe's typed ``ingest`` section (as the rule runs it)."""
    from shortfactory.ingest.stage import write_audio

    source = clip.audio
    if clip.raw_pcm:  # 16 kHz s16le mono without a header: give it one, unchanged
        source = out.with_suffix(".src.wav")
        with wave.open(str(source), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(clip.audio.read_bytes())
    write_audio(source, ingest, out)
    return out


def transcribe_clips(clips: Iterable[Clip], section: TranscribeSection, load: Any,
                     ingest: IngestSection, tmp: Path) -> list[ClipResult]:
    """Transcribe each clip with ``transcribe.transcribe`` and score it against its text."""
    from shortfactory.core.media import wav_duration_s
    from shortfactory.speech.transcribe import transcribe

    results = []
    for k, clip in enumerate(clips):
        wav = make_wav(clip, tmp / f"{clip.set}_{k}.wav", ingest)
        start = time.perf_counter()
        transcript = transcribe(wav, section, progress=False, load=load)
        seconds = time.perf_counter() - start
        hyp = " ".join(w.word for w in transcript.words())
        results.append(ClipResult(clip.set, clip.id, clip.reference, hyp,
                                  wav_duration_s(wav), seconds,
                                  count_errors(normalize(clip.reference), normalize(hyp))))
    return results


def pooled(results: Iterable[ClipResult]) -> ErrorCount:
    """Sum of the clips' edit counts."""
    total = ErrorCount()
    for r in results:
        total = total + r.errors
    return total


def _write_clip_details(results: list[ClipResult], path: Path) -> None:
    rows = []
    for r in sorted(results, key=lambda r: (-r.errors.edits, r.set, r.id)):
        row = asdict(r)
        row.pop("errors")
        rows.append({**row, "edits": r.errors.edits, **asdict(r.errors),
                     "wer": round(r.errors.wer, 4) if r.errors.ref_words else None})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


def bench_speech() -> dict[str, float]:
    """Speech recognition quality and speed, audio features speed (see the module doc)."""
    from run import ensure_sample

    from shortfactory.core.media import wav_duration_s
    from shortfactory.core.recipe import load_recipe
    from shortfactory.ingest import stage as ingest
    from shortfactory.sample.generator import load_truth
    from shortfactory.speech import audio, transcribe

    recipe = load_recipe(REPO / "recipes" / "default.yaml")
    # The typed sections, as the rules validate theirs.
    p_ingest, p_asr, p_audio = recipe.ingest, recipe.transcribe, recipe.audio
    source = ensure_sample()
    truth = load_truth(source.with_name("sample.truth.json"))
    sets = real_speech_clips()
    if not sets:
        print(f"speech: no shared speech in {SPEECH}; real-speech figures left out",
              file=sys.stderr)
    out: dict[str, float] = {}
    start = time.perf_counter()
    load = transcribe.cached_loader()
    load(p_asr.model, p_asr)
    load(p_asr.multilingual_model, p_asr)  # language ID
    load_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        real = transcribe_clips([c for clips in sets.values() for c in clips], p_asr, load,
                                p_ingest, tmp)
        conversation = conversation_clip()
        conv = transcribe_clips([conversation] if conversation else [], p_asr, load,
                                p_ingest, tmp)

        wav = tmp / "sample.wav"
        ingest.write_audio(source, p_ingest, wav)
        start = time.perf_counter()
        tr = transcribe.transcribe(wav, p_asr, progress=False, load=load)
        sample_asr_s = time.perf_counter() - start
        sample_s = wav_duration_s(wav)
        # Features take a fraction of a second: best of 3 damps the scheduler noise.
        feature_runs = []
        for _ in range(3):
            start = time.perf_counter()
            audio.features_from_files(wav, tr, p_audio)
            feature_runs.append(time.perf_counter() - start)

    if real:
        total = pooled(real)
        out["wer_real"] = round(total.wer, 4)
        for name in sets:
            out[f"wer_real_{name}"] = round(pooled(r for r in real if r.set == name).wer, 4)
        out["real_clips"] = len(real)
        out["real_ref_words"] = total.ref_words
        out["real_substitutions"] = total.substitutions
        out["real_deletions"] = total.deletions
        out["real_insertions"] = total.insertions
        out["real_audio_s"] = round(sum(r.audio_s for r in real), 2)
    if conv:
        out["wer_conversation_pyannote"] = round(pooled(conv).wer, 4)

    ref_words = [(w.word, w.start_s) for line in sorted(truth.speech, key=lambda s: s.start_s)
                 for w in line.words]
    hyp_words = [(w.word, w.start) for w in tr.words()]
    sample_errors = count_errors(normalize(" ".join(w for w, _ in ref_words)),
                                 normalize(" ".join(w for w, _ in hyp_words)))
    out["wer_sample"] = round(sample_errors.wer, 4)
    out["sample_ref_words"] = sample_errors.ref_words
    starts = word_start_errors(ref_words, hyp_words)
    if starts:
        out["word_start_median_err_s"] = round(statistics.median(abs(e) for e in starts), 4)
        out["word_start_p90_err_s"] = round(float(np.percentile(np.abs(starts), 90)), 4)
        out["word_start_median_bias_s"] = round(statistics.median(starts), 4)
    out["word_start_matched_share"] = round(len(starts) / max(1, sample_errors.ref_words), 4)

    audio_s = sum(r.audio_s for r in real + conv) + sample_s
    asr_s = sum(r.asr_s for r in real + conv) + sample_asr_s
    out["asr_audio_s"] = round(audio_s, 2)
    out["asr_x_realtime"] = round(audio_s / asr_s, 2)
    out["asr_model_load_s"] = round(load_s, 3)
    out["sample_asr_x_realtime"] = round(sample_s / sample_asr_s, 2)
    out["audio_features_x_realtime"] = round(sample_s / min(feature_runs), 2)

    sample_result = ClipResult("sample", "sample", " ".join(w for w, _ in ref_words),
                               " ".join(w for w, _ in hyp_words), sample_s, sample_asr_s,
                               sample_errors)
    _write_clip_details(real + conv + [sample_result], RESULTS / "speech_clips.json")
    return out

