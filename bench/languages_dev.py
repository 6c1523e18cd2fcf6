"""The languages benchmark's development split: the data transcription choices are made
on, kept apart from what ``bench/languages.py`` reports.

``python bench/languages_dev.py [fetch|measure|all]`` writes
``bench/results/languages_dev.json``. A choice (how language ID reads short speech,
how the multilingual model decodes) is compared here, and only the chosen setting is
then measured once on the report clips: a figure measured on the data it was chosen on
says nothing.

Data (``fetch``, into ``bench/results/cache/languages/dev``; idempotent):

* Tux Paint stamp descriptions (Debian ``tuxpaint-stamps-default``, GPL-2, fetched by
  ``bench/languages.py``) in English and eleven other languages, ``PER_LANG`` a
  language, chosen by name hash among the stamps that the report clips do not use;
* English also from the MFA sdist's test clips the report leaves alone (``MFA_EN_DEV``:
  three Common Voice sentences, CC0, and two MFA test recordings, MIT); the shared
  clean speech stays out, it is what ``wer_en`` is measured on;
* Japanese: no second real Japanese recording ships in the packages reachable here,
  so ``JA_SENTENCES`` (dialogue written for this project, CC0) are **synthesized** with
  Open JTalk (the ``pyopenjtalk-plus`` wheel from PyPI, MIT, with its bundled
  dictionary and the Mei voice, CC-BY-3.0), each at two voices (pitch and speed
  shifted) and mixed with a quiet noise bed so the recording is not studio-clean.
  Synthesized speech is easier than a person: it tells settings apart, it is not a
  Japanese accuracy figure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from languages import (  # noqa: E402 - bench/ is no package
    CACHE,
    RESULTS,
    TUX_SENTENCES,
    TUX_STAMPS,
    errors_for,
    fetch_mfa,
    fetch_tuxpaint,
    read_lab,
    read_tuxpaint_text,
)

DEV = CACHE / "dev"
PER_LANG = 6
TUX_LANGS = ("en", "fr", "es", "ru", "ca", "ro", "bg", "el", "da", "nl", "be", "lt")
JTALK_REQ = "pyopenjtalk-plus==0.4.1.post10"
JA_VOICES = ({"half_tone": 0.0, "speed": 1.0}, {"half_tone": -3.0, "speed": 1.15})
NOISE_SNR_DB = 20.0
RATE = 16000
MFA_EN_DEV = ("common_voice_en_22058264.mp3", "common_voice_en_22058266.mp3",
              "common_voice_en_22058267.mp3", "acoustic_corpus.wav", "cold_corpus.wav")

JA_SENTENCES = (
    "ちょっと待って、まだ話は終わってないよ。",
    "先輩、今日の練習は何時からですか？",
    "この町に来てから、もう三年になるんだ。",
    "あいつは絶対に戻ってくるって信じてる。",
    "お腹すいた、何か食べに行こうよ。",
    "危ない、後ろに気をつけて！",
    "明日の朝、駅の前で会いましょう。",
    "そんなこと、一度も言ったことがない。",
    "ねえ、あの星の名前を知ってる？",
    "試験の結果はどうだった？",
    "僕たちの夏休みは、まだ始まったばかりだ。",
    "お母さんに電話するのを忘れてた。",
    "この剣は、祖父から受け継いだものだ。",
    "雨が降る前に、洗濯物を取り込んでおいて。",
    "どうしてそんなに悲しそうな顔をしているの？",
    "今度こそ、みんなを守ってみせる。",
    "図書館で借りた本を、まだ返していない。",
    "彼女の笑顔を見ると、元気が出るんだ。",
    "ここから先は、一人で行かなければならない。",
    "電車が遅れて、会議に間に合わなかった。",
    "もう少しだけ、ここにいてもいいかな。",
    "犯人はこの部屋の中にいる。",
    "約束したじゃないか、一緒に帰るって。",
    "新しいクラスにはもう慣れましたか？",
)


def _stable_rank(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def tux_dev_clips(stamps: Path) -> list[dict[str, Any]]:
    """``PER_LANG`` descriptions a language whose stamp no report clip uses."""
    used = {stamp for _, stamp, _, _ in TUX_SENTENCES}
    clips = []
    for lang in TUX_LANGS:
        suffix = "_desc.ogg" if lang == "en" else f"_desc_{lang}.ogg"
        found = []
        for audio in stamps.rglob(f"*{suffix}"):
            stamp = str(audio.relative_to(stamps))[: -len(suffix)]
            txt = stamps / f"{stamp}.txt"
            if stamp in used or not txt.is_file():
                continue
            text = (txt.read_text(encoding="utf-8").splitlines() or [""])[0].strip() \
                if lang == "en" else read_tuxpaint_text(txt, lang)
            if text and len(text.split()) >= 3:  # "A koala." says little
                found.append({"id": f"dev_tux_{lang}_{Path(stamp).name}", "lang": lang,
                              "text": text, "source": str(audio)})
        clips += sorted(found, key=lambda c: _stable_rank(c["id"]))[:PER_LANG]
    return clips


def mfa_en_dev_clips(cache: Path) -> list[dict[str, Any]]:
    """The :data:`MFA_EN_DEV` clips with their ``.lab`` texts, from the MFA sdist."""
    members = [f"tests/data/wav/{name}" for name in MFA_EN_DEV]
    members += [f"tests/data/lab/{Path(name).stem}.lab" for name in MFA_EN_DEV]
    root = fetch_mfa(cache, extra=members)
    if root is None:
        return []
    return [{"id": f"dev_mfa_en_{Path(name).stem}", "lang": "en",
             "text": read_lab(root / "tests/data/lab" / f"{Path(name).stem}.lab"),
             "source": str(root / "tests/data/wav" / name)} for name in MFA_EN_DEV
            if (root / "tests/data/wav" / name).is_file()]


SYNTH = r"""
import json, sys, wave
import numpy as np
import pyopenjtalk
jobs = json.loads(sys.stdin.read())
for job in jobs:
    x, sr = pyopenjtalk.tts(job["text"], speed=job["speed"], half_tone=job["half_tone"])
    with wave.open(job["out"], "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(sr)
        w.writeframes(np.clip(x, -32768, 32767).astype("<i2").tobytes())
"""


def ja_dev_clips(dev: Path) -> list[dict[str, Any]]:
    """Synthesize :data:`JA_SENTENCES` (module doc) as 16 kHz WAVs; [] on failure."""
    site = dev / "pyopenjtalk"
    if not (site / "pyopenjtalk").is_dir():
        run = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target",
                              str(site), JTALK_REQ], capture_output=True, text=True)
        if run.returncode:
            print(f"languages_dev: no Japanese clips: pip failed: {run.stderr[-300:]}")
            return []
    raw = dev / "ja_raw"
    raw.mkdir(parents=True, exist_ok=True)
    clips, jobs = [], []
    for k, text in enumerate(JA_SENTENCES):
        for v, voice in enumerate(JA_VOICES):
            out = raw / f"ja_{k:02d}_v{v}.wav"
            clips.append({"id": f"dev_ja_{k:02d}_v{v}", "lang": "ja", "text": text,
                          "source": str(out), "synthesized": True})
            if not out.is_file():
                jobs.append({"text": text, "out": str(out), **voice})
    if jobs:
        run = subprocess.run([sys.executable, "-c", SYNTH], input=json.dumps(jobs),
                             text=True, capture_output=True,
                             env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
        if run.returncode:
            print(f"languages_dev: Japanese synthesis failed: {run.stderr[-300:]}")
            return []
    return clips


def add_noise(wav: Path, snr_db: float, seed: int) -> None:
    """A quiet brown-ish noise bed under the speech, in place (16-bit mono)."""
    with wave.open(str(wav), "rb") as w:
        params = w.getparams()
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)
    rng = np.random.default_rng(seed)
    noise = np.cumsum(rng.standard_normal(len(x)))
    noise -= np.convolve(noise, np.ones(801) / 801, mode="same")  # no DC drift
    speech_rms = np.sqrt(np.mean(x[np.abs(x) > 0.05 * np.abs(x).max()] ** 2))
    noise *= speech_rms / (np.sqrt(np.mean(noise ** 2)) * 10 ** (snr_db / 20))
    with wave.open(str(wav), "wb") as w:
        w.setparams(params)
        w.writeframes(np.clip(x + noise, -32768, 32767).astype("<i2").tobytes())


def fetch(dev: Path = DEV) -> list[dict[str, Any]]:
    from shortfactory.core.recipe import IngestSection
    from shortfactory.ingest.stage import write_audio

    dev.mkdir(parents=True, exist_ok=True)
    clips: list[dict[str, Any]] = []
    tux = fetch_tuxpaint(CACHE)
    if tux is not None:
        clips += tux_dev_clips(tux[0] / TUX_STAMPS)
    clips += mfa_en_dev_clips(CACHE)
    clips += ja_dev_clips(dev)
    wavs = dev / "wav"
    wavs.mkdir(exist_ok=True)
    for k, clip in enumerate(clips):
        wav = wavs / f"{clip['id']}.wav"
        if not wav.is_file():
            write_audio(Path(clip["source"]), IngestSection(), wav)
            if clip.get("synthesized"):
                add_noise(wav, NOISE_SNR_DB, seed=k)
        clip["wav"] = str(wav.relative_to(dev))
    (dev / "manifest.json").write_text(json.dumps(clips, ensure_ascii=False, indent=1) + "\n",
                                       encoding="utf-8")
    print(f"languages_dev: {len(clips)} clips -> {dev / 'manifest.json'}")
    return clips


# --------------------------------------------------------------------------- measure


def lid_stock(model: Any, speech: np.ndarray) -> str:
    """faster-whisper's own detect_language: the speech padded to a 30 s window."""
    language, _, _ = model.detect_language(speech, vad_filter=False)
    return language


LID_WINDOWS_S = (0.0, 5.0, 10.0, 20.0, 30.0)
LID_BANDS_S = ((1.0, 2.0), (2.0, 30.0))  # VAD speech; under 1 s the project says nothing


def compare_lid(clips: list[dict[str, Any]], dev: Path) -> dict[str, Any]:
    """Language ID accuracy and seconds per clip, by speech length (:data:`LID_BANDS_S`):
    faster-whisper's stock call (speech padded to 30 s) against the project's encoder
    on the speech padded to at least ``w`` seconds, for each ``w`` of
    :data:`LID_WINDOWS_S`."""
    from shortfactory.core.media import open_wav
    from shortfactory.core.recipe import TranscribeSection
    from shortfactory.speech.transcribe import first_speech, identify_language, load_model

    section = TranscribeSection(cpu_threads=2)
    model = load_model(section.multilingual_model, section)
    variants = {"stock_padded_30s": lambda s: lid_stock(model, s)}
    for w in LID_WINDOWS_S:
        variants[f"window_min_{w:g}s"] = (
            lambda s, w=w: identify_language(model, s, "base", min_window_s=w).language)
    for lid in variants.values():
        lid(np.zeros(RATE * 2, np.float32))  # warm
    speeches = [(clip, first_speech(open_wav(dev / clip["wav"])[0], RATE, section.detect_s))
                for clip in clips]
    out: dict[str, Any] = {}
    for lo, hi in LID_BANDS_S:
        band = [(c, s) for c, s in speeches if lo * RATE <= len(s) < hi * RATE]
        key = f"speech_{lo:g}-{hi:g}s"
        out[key] = {"clips": len(band)}
        for name, lid in variants.items():
            right, seconds, wrong = 0, 0.0, []
            for clip, speech in band:
                start = time.perf_counter()
                found = lid(speech)
                seconds += time.perf_counter() - start
                right += found == clip["lang"]
                if found != clip["lang"]:
                    wrong.append(f"{clip['id']}:{found}")
            out[key][name] = {"accuracy": round(right / len(band), 4),
                              "s_per_clip": round(seconds / len(band), 3), "wrong": wrong}
            print(f"  lid {key} {name:<18} accuracy {right / len(band):.4f}  "
                  f"{seconds / len(band):.3f} s/clip")
    return out


JA_VARIANTS: dict[str, dict[str, Any]] = {
    "int8_beam5": {},
    "float32_beam5": {"compute_type": "float32"},
    "int8_beam5_prompt": {"initial_prompt": "はい、そうです。今日もよろしくお願いします。"},
    "int8_beam8": {"beam_size": 8},
}


def compare_ja(clips: list[dict[str, Any]], dev: Path) -> dict[str, Any]:
    """Pooled CER of the multilingual model on the Japanese dev clips, per variant."""
    from shortfactory.core.recipe import TranscribeSection
    from shortfactory.speech.transcribe import cached_loader, transcribe

    ja = [c for c in clips if c["lang"] == "ja"]
    out: dict[str, Any] = {}
    for name, change in JA_VARIANTS.items():
        section = TranscribeSection(cpu_threads=2, language="ja", **change)
        load = cached_loader()
        edits = units = 0
        seconds = audio_s = 0.0
        for clip in ja:
            wav = dev / clip["wav"]
            start = time.perf_counter()
            tr = transcribe(wav, section, progress=False, load=load)
            seconds += time.perf_counter() - start
            audio_s += tr.duration_s
            hyp = " ".join(s.text for s in tr.segments)
            err = errors_for(clip["text"], hyp, "ja")
            edits, units = edits + err.edits, units + err.ref_words
        out[name] = {"cer": round(edits / units, 4), "x_realtime": round(audio_s / seconds, 2),
                     "clips": len(ja)}
        print(f"  ja {name:<20} cer {out[name]['cer']}  {out[name]['x_realtime']}x")
    return out


def measure(dev: Path = DEV, parts: tuple[str, ...] = ("lid", "ja")) -> dict[str, Any]:
    manifest = dev / "manifest.json"
    clips = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() \
        else fetch(dev)
    record: dict[str, Any] = {"clips": len(clips),
                              "languages": sorted({c["lang"] for c in clips}),
                              "note": __doc__.split("Data")[0].strip()}
    if "lid" in parts:
        record["lid"] = compare_lid(clips, dev)
    if "ja" in parts:
        record["ja_decode"] = compare_ja(clips, dev)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", nargs="?", default="all", choices=("fetch", "measure", "all"))
    parser.add_argument("--only", choices=("lid", "ja"), help="one comparison")
    args = parser.parse_args(argv)
    if args.step in ("fetch", "all"):
        fetch(DEV)
    if args.step in ("measure", "all"):
        record = measure(DEV, (args.only,) if args.only else ("lid", "ja"))
        path = RESULTS / "languages_dev.json"
        path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n",
                        encoding="utf-8")
        print(f"  -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
