"""Publishing metadata: never an empty title, on real transcripts and on silent clips."""

from __future__ import annotations

import pytest
from conftest import shared_media

from shortfactory.clips.metadata import (
    SCORE_NAMES,
    TEMPLATE_VARIABLES,
    build_metadata,
    episode_title,
    has_words,
    sample_variables,
    template_problems,
    template_variables,
)
from shortfactory.core.artifacts import Clip, Segment, Transcript, Word
from shortfactory.core.recipe import IngestSection, MetadataSection, TranscribeSection
from shortfactory.ingest.stage import write_audio
from shortfactory.speech.transcribe import transcribe

MAX_TITLE = 100


def meta_params(**kw) -> MetadataSection:
    return MetadataSection(**kw)


def clip(start: float, end: float, *, text: str = "", penalties: dict | None = None) -> Clip:
    return Clip(id=f"c{int(start):04d}-{int(end):04d}", rank=1, start_s=start, end_s=end,
                total=0.4, signals={"audio": 0.6, "face": 0.2},
                penalties=penalties or {}, reasons=[], text=text)


def words_transcript(tokens: list[str], start: float = 1.0) -> Transcript:
    """One segment of words 0.4 s apart, as faster-whisper writes them."""
    words = [Word(word=f" {tok}", start=start + 0.4 * k, end=start + 0.4 * k + 0.3)
             for k, tok in enumerate(tokens)]
    end = words[-1].end if words else start
    return Transcript(language="en", duration_s=end + 30, model="test",
                      segments=[Segment(id=0, start=start, end=end, text=" ".join(tokens),
                                        words=words)] if words else [])


def assert_publishable(title: str, description: str, limit: int = MAX_TITLE) -> None:
    """What YouTube and a viewer need: words, within the limit, no angle brackets."""
    for text in (title, description):
        assert text.strip() and has_words(text), repr(text)
        assert "<" not in text and ">" not in text
    assert len(title) <= limit and "\n" not in title


@pytest.fixture(scope="module")
def real_transcripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Transcript]:
    """faster-whisper (bundled tiny.en, VAD on, as the recipe runs it) on real media:
    JFK's speech, and Big Buck Bunny's opening (music and effects, nobody speaks)."""
    work = tmp_path_factory.mktemp("meta-asr")
    out = {}
    for name, relative in (("jfk", "speech/faster_whisper/jfk.flac"),
                           ("bunny", "animated/blender/big_buck_bunny_0_30.webm")):
        wav = work / f"{name}.wav"
        write_audio(shared_media(relative), IngestSection(), wav)  # 16 kHz
        out[name] = transcribe(wav, TranscribeSection(), progress=False)
    return out


@pytest.mark.slow
def test_real_speech_gives_its_first_sentence_as_title(real_transcripts) -> None:
    transcript = real_transcripts["jfk"]
    meta = build_metadata(clip(0.0, 11.0), transcript, meta_params(), episode="JFK-1961",
                          recipe_hash="h")
    assert meta.title.lower().startswith("and so, my fellow americans")
    assert "country" in meta.description and "From JFK-1961 at 00:00:00." in meta.description
    assert_publishable(meta.title, meta.description, 90)


@pytest.mark.slow
def test_real_music_only_clip_gets_the_fallback_title(real_transcripts) -> None:
    transcript = real_transcripts["bunny"]
    assert transcript.words() == []  # nobody speaks: the case this fallback exists for
    meta = build_metadata(clip(4.0, 26.0), transcript, meta_params(),
                          episode="Big-Buck-Bunny", recipe_hash="h")
    assert meta.title == "Watch this moment from Big Buck Bunny (00:00:04)"
    assert meta.description == "From Big-Buck-Bunny at 00:00:04."
    assert_publishable(meta.title, meta.description)


@pytest.mark.slow
def test_a_clip_between_real_words_gets_the_fallback(real_transcripts) -> None:
    """JFK's words end at 11 s: a later clip has no words even though the episode does."""
    meta = build_metadata(clip(11.5, 40.0), real_transcripts["jfk"],
                          meta_params(description="{{ text }}"), episode="JFK-1961",
                          recipe_hash="h")
    assert meta.title == "Watch this moment from JFK 1961 (00:00:11)"
    assert meta.description == "A moment from JFK 1961 at 00:00:11."


def test_no_words_at_all_never_gives_an_empty_title_or_description() -> None:
    empty = Transcript(language="en", duration_s=60.0, model="test")
    meta = build_metadata(clip(12.0, 40.0), empty, meta_params(description="{{ text }}"),
                          episode="Silent_Film", recipe_hash="h")
    assert meta.title == "Watch this moment from Silent Film (00:00:12)"
    assert meta.description == "A moment from Silent Film at 00:00:12."


@pytest.mark.parametrize("spoken", [["♪", "♪♪"], ["...", "—"], ["🔥", "🔥"], ["<", ">"]])
def test_punctuation_only_speech_counts_as_no_title(spoken: list[str]) -> None:
    meta = build_metadata(clip(0.5, 20.0), words_transcript(spoken), meta_params(),
                          episode="ep", recipe_hash="h")
    assert meta.title == "Watch this moment from ep (00:00:00)"
    assert_publishable(meta.title, meta.description)


def test_last_resort_when_every_template_is_wordless() -> None:
    params = meta_params(fallback_title="{{ hook }}", description="{{ text }}",
                         fallback_description="{{ hook }}!")
    meta = build_metadata(clip(65.0, 80.0), words_transcript([]), params, episode="ep",
                          recipe_hash="h")
    assert meta.title == "Moment at 00:01:05" and meta.description == meta.title


def test_titles_are_cleaned_and_cut_to_the_limit() -> None:
    tokens = ["Look", "at", "<this>"] + ["incredibly"] * 30 + ["thing."]
    for limit in (10, 40, 100):
        meta = build_metadata(clip(0.5, 30.0), words_transcript(tokens),
                              meta_params(max_title_chars=limit), episode="ep",
                              recipe_hash="h")
        assert meta.title.startswith("Look at ‹this›" if limit > 10 else "Look at…")
        assert_publishable(meta.title, meta.description, limit)


def test_every_score_name_is_there_for_templates() -> None:
    """A template naming a penalty works on clips that were not penalised too."""
    params = meta_params(title="{{ hook }} {{ '%.2f' % scores.penalty_no_face }}")
    meta = build_metadata(clip(0.5, 20.0), words_transcript(["Hello", "there."]), params,
                          episode="ep", recipe_hash="h")
    assert meta.title == "Hello there. 0.00"
    assert "penalty_no_face" not in meta.scores  # the artifact records what applied only


def test_one_list_of_variables_for_templates_and_checks() -> None:
    provided = template_variables(hook="", text="", episode="e", start_s=0.0, end_s=1.0,
                                  scores={}, language="en", original="")
    assert set(provided) == TEMPLATE_VARIABLES
    assert set(sample_variables(speech=True)) == TEMPLATE_VARIABLES
    assert set(provided["scores"]) == set(SCORE_NAMES)
    assert {"total", "audio", "penalty_empty"} <= set(SCORE_NAMES)
    assert episode_title("Episode-01") == "Episode 01" and episode_title("---") == "---"


def test_template_problems_name_the_key_and_the_reason() -> None:
    params = meta_params(title="{{ hook|upper }} {{ epsiode }}", fallback_title="{{ text }}",
                         description="{% if hook %}{{ hook }}", tags=["ok", "{{ hook[0] }}"],
                         hashtags=["{{ scores.loudness }}"])
    problems = dict(template_problems(params))
    assert "unknown variable 'epsiode' (did you mean 'episode'?)" in problems[("title",)]
    assert "nobody speaks" in problems[("fallback_title",)]
    assert problems[("description",)].startswith("template syntax error")
    assert "no element 0" in problems[("tags", 1)] and "nobody speaks" in problems[("tags", 1)]
    assert "loudness" in problems[("hashtags", 0)] and "penalty_empty" in problems[("hashtags", 0)]
    assert len(problems) == 5
    assert template_problems(meta_params()) == []
    ok = meta_params(title="{% for w in range(2) %}{{ w }}{% endfor %} {{ hook|default('x') }}")
    assert template_problems(ok) == []  # Jinja's own globals and filters are not unknown


def test_defaults_are_the_models() -> None:
    """Nothing falls back to a default of its own: a section left at its defaults
    publishes the model's tags and hashtags (before, a dict without them gave none)."""
    meta = build_metadata(clip(0.5, 20.0), words_transcript(["Hello", "there."]),
                          MetadataSection(), episode="ep", recipe_hash="h")
    assert meta.tags == ["shorts"] and meta.hashtags == ["#shorts"]
    assert meta.title == "Hello there."
    assert template_problems(MetadataSection()) == []


def test_a_translated_clip_offers_its_spoken_text_to_the_templates() -> None:
    english = Segment(id=0, start=1.0, end=3.0, text="The light was on at noon.",
                      words=[Word(word=w, start=1.0 + 0.4 * k, end=1.3 + 0.4 * k)
                             for k, w in enumerate("The light was on at noon.".split())])
    spoken = Segment(id=0, start=1.0, end=3.0, text="真っ昼間なのに電球がともっていた")
    transcript = Transcript(language="ja", task="translate", duration_s=10, model="t",
                            segments=[english], original=[spoken])
    clip = Clip(id="c", rank=1, start_s=0.0, end_s=5.0, total=0.5, signals={}, penalties={},
                reasons=[])
    section = MetadataSection(description="{{ text }} / {{ original }} ({{ language }})")
    meta = build_metadata(clip, transcript, section, episode="ep", recipe_hash="x")
    assert meta.title == "The light was on at noon."
    assert meta.description == "The light was on at noon. / 真っ昼間なのに電球がともっていた (ja)"
