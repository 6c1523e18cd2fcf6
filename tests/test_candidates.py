"""Candidate windows, signals, penalties and ranking on hand-made artifacts; the score floor
on real media (silent film, music-only cartoon, dialogue)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import hard_cut_scenes, shared_media

from shortfactory.clips.candidates import (
    Window,
    clip_count,
    make_windows,
    select_candidates,
    split_sentences,
    suppress,
)
from shortfactory.core.artifacts import (
    AudioFeatures,
    Detection,
    FaceFrame,
    Faces,
    SceneCuts,
    Segment,
    Transcript,
    Word,
)
from shortfactory.core.recipe import CandidatesSection

HOP, AFPS = 0.1, 6.0
FLOOR = CandidatesSection().min_score  # the recipe's default evidence floor


def params(**overrides) -> CandidatesSection:
    """The default section with some keys (or some keys of a nested section) changed."""
    base = CandidatesSection().model_dump(mode="json")
    for key, value in overrides.items():
        if isinstance(value, dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return CandidatesSection.model_validate(base)


def transcript(lines: list[tuple[float, float, str]]) -> Transcript:
    """Evenly timed words for each (start, end, text) line."""
    segments = []
    for i, (start, end, text) in enumerate(lines):
        words = text.split()
        step = (end - start) / len(words)
        segments.append(Segment(id=i, start=start, end=end, text=text, words=[
            Word(word=w, start=round(start + k * step, 3),
                 end=round(start + (k + 0.8) * step, 3)) for k, w in enumerate(words)]))
    return Transcript(language="en", duration_s=lines[-1][1] if lines else 0, model="m",
                      segments=segments)


def features(duration: float, loud: list[tuple[float, float]] = (),
             tr: Transcript | None = None) -> AudioFeatures:
    n = int(duration / HOP)
    score = np.full(n, 0.1)
    speech = np.zeros(n)
    for a, b in loud:
        score[int(a / HOP): int(b / HOP)] = 1.0
    for w in (tr.words() if tr else []):
        speech[int(w.start / HOP): int(w.end / HOP) + 1] = 1.0
    return AudioFeatures(hop_s=HOP, duration_s=duration, loudness_lufs=[-30.0] * n,
                         speech=speech.tolist(), energy_delta=[0.0] * n, onset=[0.0] * n,
                         voice=[False] * n,
                         silence=[False] * n, score=score.tolist())


def scenes(duration: float, cuts=()) -> SceneCuts:
    return hard_cut_scenes(duration, cuts, AFPS)


def faces(duration: float, spans: list[tuple[float, float]] = (),
          activity: float = 0.0) -> Faces:
    frames = []
    for i in range(int(duration * AFPS)):
        t = i / AFPS
        on = any(a <= t < b for a, b in spans)
        dets = [Detection(box=(800, 300, 300, 300), score=1, backend="t", track_id=0)] if on \
            else []
        frames.append(FaceFrame(t=t, detections=dets, activity=activity))
    return Faces(analysis_fps=AFPS, source_width=1920, source_height=1080, frames=frames)


def story(duration: float = 120.0) -> Transcript:
    lines, t = [], 1.0
    while t + 4 < duration:
        lines.append((t, t + 3.0, f"This is calm line number {int(t)} of the story."))
        t += 4.0
    return transcript(lines)


def run(tr, feats, sc, fc, p, duration):
    return select_candidates(tr, feats, sc, fc, p, episode="ep", duration_s=duration)


def test_windows_snap_to_sentences_and_limits() -> None:
    tr = story(80)
    sentences = split_sentences(tr)
    windows = make_windows(sentences, [0.0], 80.0, params())
    starts = {round(s.start, 3) for s in sentences}
    ends = {round(s.end, 3) for s in sentences}
    assert windows
    for w in windows:
        assert 15.0 <= w.duration <= 60.0
        assert round(w.sentences[0].start, 3) in starts and round(w.sentences[-1].end, 3) in ends
        assert w.start <= w.sentences[0].start and w.end >= w.sentences[-1].end


def test_split_sentences_on_punctuation_and_pauses() -> None:
    tr = transcript([(0, 2, "Hello there. How are"), (2.1, 3, "you?"), (6, 7, "Fine")])
    assert [s.text for s in split_sentences(tr)] == ["Hello there.", "How are you?", "Fine"]


def test_weights_change_the_ranking() -> None:
    duration = 120.0
    tr = story(duration)
    feats = features(duration, loud=[(80, 100)], tr=tr)
    fc = faces(duration, spans=[(10, 35)])
    sc = scenes(duration)
    by_audio = run(tr, feats, sc, fc, params(weights={"audio": 1.0, "face": 0.0}), duration)
    by_face = run(tr, feats, sc, fc, params(weights={"audio": 0.0, "face": 1.0}), duration)
    top_audio, top_face = by_audio.clips[0], by_face.clips[0]
    assert top_audio.start_s < 95 and top_audio.end_s > 85
    assert top_face.start_s < 30 and top_face.end_s > 15
    assert top_face.signals["face"] > top_audio.signals["face"]


def test_output_is_explainable_and_deterministic() -> None:
    duration = 120.0
    tr = story(duration)
    args = (tr, features(duration, tr=tr), scenes(duration, [30, 60]),
            faces(duration, [(0, 120)]), params(), duration)
    first, second = run(*args), run(*args)
    assert first == second
    assert first.options == params()  # the section, echoed
    for clip in first.clips:
        assert set(clip.signals) == {"transcript", "audio", "face", "scene", "pacing"}
        weights = params().weights.model_dump()
        expected = sum(weights[k] * v for k, v in clip.signals.items()) - sum(
            clip.penalties.values())
        assert clip.total == pytest.approx(expected, abs=1e-3)
    assert [c.rank for c in first.clips] == list(range(1, len(first.clips) + 1))


def test_duplicates_are_suppressed() -> None:
    a, b, c = Window(0, 30), Window(2, 31), Window(40, 70)
    a.total, b.total, c.total = 1.0, 0.9, 0.5
    assert suppress([a, b, c], 5, 0.25, 0.6) == [a, c]


def test_clip_count_scales_with_length() -> None:
    p = params()
    assert clip_count(150, p) == 4 and clip_count(24 * 60, p) == 8
    assert clip_count(4 * 3600, p) == 9


def test_cut_off_sentence_is_penalized() -> None:
    duration = 60.0
    tr = transcript([(1, 5, "We start a calm story."), (6, 10, "It goes on and then"),
                     (11, 15, "Everything is fine now."), (16, 19, "The end.")])
    sc = scenes(duration, cuts=[10.1])
    res = run(tr, features(duration, tr=tr), sc, faces(duration, [(0, 60)]),
              params(min_clips=1), duration)
    hits = [c for c in res.clips if c.start_s < 8 < c.end_s]
    assert hits and all("mid_sentence" in c.penalties for c in hits)


def test_no_speech_still_gives_clips() -> None:
    """Sound over moving pictures (a music cartoon) passes the evidence floor; the same
    sound over a still picture does not."""
    duration = 90.0
    empty = Transcript(language="en", duration_s=duration, model="m")
    res = run(empty, features(duration, loud=[(50, 60)]), scenes(duration, [20, 45, 70]),
              faces(duration, activity=0.3), params(), duration)
    assert res.clips and not res.message
    still = run(empty, features(duration, loud=[(50, 60)]), scenes(duration, [20, 45, 70]),
                faces(duration), params(), duration)
    assert not still.clips and "no clip reaches candidates.min_score" in still.message
    assert any(c.start_s <= 50 and c.end_s >= 60 for c in res.clips[:1])


def test_too_short_episode_gives_a_message_not_a_crash() -> None:
    duration = 9.0
    tr = transcript([(0.5, 3, "Too short.")])
    res = run(tr, features(duration, tr=tr), scenes(duration), faces(duration), params(),
              duration)
    assert res.clips == [] and "shorter than candidates.min_length_s=15" in res.message


def test_windows_snap_to_shot_edges_and_avoid_partial_shots() -> None:
    duration = 60.0
    # One scene 10-28 s (two speakers, cut at 18 s mid-conversation), another from 28 s.
    tr = transcript([(11, 14, "Did you see that?"), (14.3, 17.5, "I did, it was huge."),
                     (18.2, 22, "Then we should go now."), (22.3, 26.5, "Fine, let us go then."),
                     (30, 34, "Meanwhile far away."), (34.5, 40, "Someone else was sleeping.")])
    sc = scenes(duration, cuts=[10.0, 18.0, 28.0, 45.0])
    res = run(tr, features(duration, tr=tr), sc, faces(duration, [(0, 60)]),
              params(min_clips=1, max_clips=1), duration)
    best = res.clips[0]
    assert (best.start_s, best.end_s) == (10.0, 28.0)  # whole shots, no stub of the next
    assert "scene_break" not in best.penalties and "partial_shot" not in best.penalties


def test_scene_changes_inside_a_window_are_penalized() -> None:
    duration = 60.0
    tr = transcript([(1, 6, "First scene line one."), (6.3, 11, "First scene line two."),
                     (14, 19, "Second scene line one."), (19.3, 25, "Second scene ends.")])
    sc = scenes(duration, cuts=[12.5, 26.0])  # the 12.5 s cut sits in a 3 s pause
    res = run(tr, features(duration, tr=tr), sc, faces(duration, [(0, 60)]),
              params(min_clips=3, min_length_s=5, target_length_s=12), duration)
    spanning = [c for c in res.clips if c.start_s < 12.5 < c.end_s]
    single = [c for c in res.clips if not c.start_s < 12.5 < c.end_s]
    assert all("scene_break" in c.penalties for c in spanning) and single
    assert res.clips[0] in single


def test_line_running_into_a_cut_is_a_fragment() -> None:
    duration = 60.0
    tr = transcript([(1, 5, "A calm first line."), (6, 11, "Then she said that my grand"),
                     (12.6, 15, "Okay, that is all."), (16, 20, "Bye now.")])
    sc = scenes(duration, cuts=[10.5])  # inside the last word of the second line
    res = run(tr, features(duration, tr=tr), sc, faces(duration, [(0, 60)]),
              params(min_clips=1), duration)
    assert all("mid_sentence" in c.penalties for c in res.clips if c.start_s < 8 < c.end_s)


def test_close_faces_score_higher_than_small_ones() -> None:
    from shortfactory.clips.candidates import face_raw

    def sized(h: float) -> Faces:
        frames = [FaceFrame(t=i / AFPS, detections=[Detection(
            box=(800, 300, h, h), score=1, backend="t", track_id=0)]) for i in range(60)]
        return Faces(analysis_fps=AFPS, source_width=1920, source_height=1080, frames=frames)

    window = Window(0, 10)
    assert face_raw(window, sized(450)) > face_raw(window, sized(150)) > 0


def test_transcript_signal_counts_triggers_marks_and_hook() -> None:
    from shortfactory.clips.candidates import transcript_raw

    calm = transcript([(0.5, 4, "We walk to the shop."), (5, 9, "It is a normal day.")])
    hot = transcript([(0.5, 2, "No way!"), (5, 9, "Is that the secret?")])
    triggers = {"no way": 1.0, "secret": 0.8}
    w_calm = Window(0, 10, split_sentences(calm))
    w_hot = Window(0, 10, split_sentences(hot))
    raw_calm, _ = transcript_raw(w_calm, triggers)
    raw_hot, reasons = transcript_raw(w_hot, triggers)
    assert raw_hot > raw_calm
    assert any("no way" in r and "secret" in r for r in reasons)
    assert "hook in the first 3 s" in reasons


def test_scene_and_pacing_prefer_the_middle_ground() -> None:
    from shortfactory.clips.candidates import pacing_raw, scene_raw

    duration = 60.0
    window = Window(0, 60)
    static, lively, chaotic = (scenes(duration, list(np.arange(step, 60, step)))
                               for step in (60.0, 7.5, 1.0))
    fc = faces(duration)
    assert scene_raw(window, lively, fc) > scene_raw(window, static, fc)
    assert scene_raw(window, lively, fc) > scene_raw(window, chaotic, fc)
    brisk = transcript([(t, t + 3.6, "one two three four five six seven eight nine ten.")
                        for t in range(0, 56, 4)])
    sparse = transcript([(t, t + 1.0, "Hm.") for t in range(0, 56, 8)])
    assert pacing_raw(Window(0, 60, split_sentences(brisk)), features(60, tr=brisk)) > \
        pacing_raw(Window(0, 60, split_sentences(sparse)), features(60, tr=sparse))


@pytest.mark.parametrize("case", ["long_silence", "no_face", "too_many_cuts", "length", "empty"])
def test_each_penalty_fires_on_its_condition(case: str) -> None:
    from shortfactory.clips.candidates import penalties_for

    duration = 60.0
    lines = [(t, t + 3.5, "Talking all the time here.") for t in range(0, 56, 4)]
    cuts: list[float] = [20.0, 40.0]
    face_spans = [(0, 60)]
    end = 30.0
    if case == "long_silence":
        lines = [(0, 3.5, "Hello there."), (25, 28.5, "Finally, hello.")]
    elif case == "no_face":
        face_spans = [(0, 5)]
    elif case == "too_many_cuts":
        cuts = list(np.arange(1.0, 60, 1.0))
    elif case == "length":
        end = 58.0
    tr = transcript(lines if case != "empty" else [(100, 101, "x")])
    window = Window(0, end, [] if case == "empty" else [
        s for s in split_sentences(tr) if s.end <= end])
    feats = features(duration, tr=tr if case != "empty" else None)
    if case == "empty":
        feats = feats.model_copy(update={"score": [0.0] * len(feats.score)})
    out, reasons = penalties_for(window, feats, scenes(duration, cuts), faces(duration,
                                 face_spans), params())
    assert out.get(case, 0) > 0, (case, out)
    others = {"long_silence", "no_face", "too_many_cuts", "empty"} - {case}
    if case == "empty":
        others.discard("long_silence")  # an empty window is also a silent one
    assert not others & set(out), out


# --- indexes: the same answers as a scan of the whole episode -------------------------


def test_indexed_window_queries_equal_a_full_scan() -> None:
    from shortfactory.clips.candidates import (
        CutIndex,
        FrameIndex,
        cuts_in,
        face_presence,
        partial_shot_share,
    )

    duration = 300.0
    cut_times = [round(t, 3) for t in np.cumsum(np.r_[1.7, np.tile([2.3, 7.1, 0.9, 13.4], 12)])
                 if t < duration]
    sc = scenes(duration, cut_times)
    fc = faces(duration, [(3, 40), (52.5, 53), (90, 200)])
    cuts, frames = CutIndex.of(sc), FrameIndex.of(fc)
    for start in np.arange(0.0, 260.0, 3.7):
        for length in (15.0, 31.3, 60.0):
            w = Window(float(start), float(start + length))
            scan_cuts = sum(1 for c in sc.cuts if w.start < c.time_s < w.end)
            scan_faces = [bool(f.detections) for f in fc.frames if w.start <= f.t < w.end]
            scan_partial = 0.0
            for shot in sc.shots:
                inside = min(w.end, shot.end_s) - max(w.start, shot.start_s)
                if inside > 0 and shot.end_s - shot.start_s <= 60 and \
                        inside < shot.end_s - shot.start_s - 1.5:
                    scan_partial += inside
            assert cuts_in(w, cuts) == scan_cuts
            assert face_presence(w, frames).tolist() == scan_faces
            assert partial_shot_share(w, cuts, 60.0) == scan_partial / w.duration


# --- the score floor on real media ---------------------------------------------------

VISION_FPS, VISION_HEIGHT = 6, 360


def analyse_video(rel: str, width: int, height: int, duration: float) -> tuple[SceneCuts, Faces]:
    """Scenes and faces of a shared clip, as the vision rules find them."""
    from shortfactory.core.recipe import VisionSection
    from shortfactory.vision.faces import track_faces
    from shortfactory.vision.scenes import detect_scenes

    path = shared_media(rel)
    vision = VisionSection()
    sc = detect_scenes(path, vision.scenes, duration_s=duration, fps=VISION_FPS,
                       height=VISION_HEIGHT, progress=False)
    fc = track_faces(path, sc, vision.faces, source_width=width, source_height=height,
                     fps=VISION_FPS, height=VISION_HEIGHT, progress=False)
    return sc, fc


def audio_of(wav, tr: Transcript | None) -> AudioFeatures:
    from shortfactory.core.recipe import AudioSection
    from shortfactory.speech.audio import features_from_files

    return features_from_files(wav, tr, AudioSection())


def silent_wav(path, seconds: float):
    from scipy.io import wavfile

    wavfile.write(path, 16000, np.zeros(int(seconds * 16000), dtype=np.int16))
    return path


def evidence_in(clip) -> float:
    line = next(r for r in clip.reasons if r.startswith("evidence "))
    return float(line.split()[1].rstrip(":"))


@pytest.fixture(scope="module")
def bunny(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Big Buck Bunny, 30 s: a lively cartoon with music and no speech."""
    from shortfactory.core.recipe import IngestSection
    from shortfactory.ingest.stage import write_audio

    rel = "animated/blender/big_buck_bunny_0_30.webm"
    sc, fc = analyse_video(rel, 1280, 720, 30.0)
    wav = tmp_path_factory.mktemp("bunny") / "audio.wav"
    write_audio(shared_media(rel), IngestSection(), wav)
    return {"scenes": sc, "faces": fc, "wav": wav, "duration": 30.0}


def test_silent_film_yields_no_short_and_says_why(tmp_path) -> None:
    duration = 10.0  # Chaplin's pictures over an audio track of digital silence
    sc, fc = analyse_video("faces/chaplin/chaplin.mp4", 640, 480, duration)
    feats = audio_of(silent_wav(tmp_path / "a.wav", duration), None)
    empty = Transcript(language="en", duration_s=duration, model="m")
    short = dict(min_length_s=5.0, target_length_s=8.0, max_length_s=10.0, min_clips=1)
    without_floor = run(empty, feats, sc, fc, params(**short, min_score=0.0), duration)
    assert without_floor.clips  # what used to be published: "nothing happens"
    res = run(empty, feats, sc, fc, params(**short, min_score=FLOOR), duration)
    assert res.clips == []
    assert res.message == (f"no clip reaches candidates.min_score {FLOOR:.2f} "
                           "(best 0.00: no speech, no sound)")
    # Without any audio stream (a silent film as such) the pictures alone decide.
    pictures = select_candidates(empty, feats, sc, fc, params(**short, min_score=FLOOR),
                                 episode="ep", duration_s=duration, has_audio=False)
    assert pictures.clips and not pictures.message
    assert pictures.clips[0].reasons[-1].endswith("speech 0%, sound 100%, motion 0.08")


def test_music_only_cartoon_keeps_its_lively_clips(bunny: dict) -> None:
    empty = Transcript(language="en", duration_s=bunny["duration"], model="m")
    feats = audio_of(bunny["wav"], empty)
    args = (empty, feats, bunny["scenes"], bunny["faces"])
    res = run(*args, params(min_score=FLOOR), bunny["duration"])
    assert res.clips and not res.message
    assert all(FLOOR <= evidence_in(c) <= 0.5 for c in res.clips)
    # Music without words never reaches a floor above 0.5: that setting means talk only.
    talk_only = run(*args, params(min_score=0.6), bunny["duration"])
    assert talk_only.clips == [] and talk_only.message.endswith("no speech)")


def test_lively_cartoon_over_digital_silence_yields_no_short(bunny: dict, tmp_path) -> None:
    empty = Transcript(language="en", duration_s=bunny["duration"], model="m")
    feats = audio_of(silent_wav(tmp_path / "a.wav", bunny["duration"]), empty)
    res = run(empty, feats, bunny["scenes"], bunny["faces"], params(min_score=FLOOR),
              bunny["duration"])
    assert res.clips == [] and "no speech, no sound" in res.message


def stm_transcript(path, duration: float) -> Transcript:
    """The pyannote sample's timed truth as a transcript (words spread over each line)."""
    lines = []
    for row in path.read_text().splitlines():
        _, _, _, start, end, text = row.split(maxsplit=5)
        lines.append((float(start), float(end), text))
    tr = transcript(lines)
    return tr.model_copy(update={"duration_s": duration})


def test_dialogue_keeps_every_clip_under_the_floor() -> None:
    duration = 30.0
    wav = shared_media("speech/pyannote_sample/sample.wav")
    tr = stm_transcript(wav.with_suffix(".stm"), duration)
    feats = audio_of(wav, tr)
    sc, fc = scenes(duration, [6.5, 14.0, 22.0]), faces(duration, [(0, 30)])
    p = dict(min_length_s=8.0, target_length_s=12.0, max_length_s=20.0, min_clips=3)
    without_floor = run(tr, feats, sc, fc, params(**p, min_score=0.0), duration)
    res = run(tr, feats, sc, fc, params(**p, min_score=FLOOR), duration)
    assert len(res.clips) >= 2 and res.clips == without_floor.clips
    assert all(evidence_in(c) >= 0.5 for c in res.clips)
