"""Publishing metadata: titles that hook, never empty, within YouTube's limits.

Real data first: faster-whisper's transcripts of JFK's speech and of a music-only
clip, and of the bundled sample, whose planted moments must get their key line as the
title (the sentence the hook picker chooses, with its reasons). Then the limits, the
fallbacks, Japanese and Chinese hooks, keywords and the recipe check.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

import pytest
from conftest import REPO, shared_media

from shortfactory.clips.hooks import HookSigns, clean_line, fragment_reason, pick_hook
from shortfactory.clips.keywords import clip_keywords
from shortfactory.clips.metadata import (
    MAX_DESCRIPTION_BYTES,
    MAX_TAGS_CHARS,
    SCORE_NAMES,
    TEMPLATE_VARIABLES,
    build_metadata,
    episode_title,
    has_words,
    hashtag_line,
    sample_variables,
    tag_cost,
    tags_chars,
    template_problems,
    template_variables,
    youtube_problems,
)
from shortfactory.core.artifacts import Clip, ClipMetadata, Segment, Transcript, Word
from shortfactory.core.io import read_model, write_model
from shortfactory.core.recipe import (
    HookWeights,
    IngestSection,
    MetadataSection,
    TranscribeSection,
)
from shortfactory.core.text import text_tokens
from shortfactory.ingest.stage import write_audio
from shortfactory.speech.transcribe import transcribe

# The bench defines the sample moments' key lines: one definition for bench and tests.
_spec = importlib.util.spec_from_file_location("bench_metadata", REPO / "bench" / "metadata.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_metadata"] = bench  # dataclasses look their module up by name
_spec.loader.exec_module(bench)

TRIGGERS = {"no way": 1.0, "what": 0.5, "wow": 0.7, "never": 0.4, "secret": 0.8}
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
def test_real_speech_gets_a_hook_title_that_says_why(real_transcripts, tmp_path) -> None:
    transcript = real_transcripts["jfk"]
    meta = build_metadata(clip(0.0, 11.0), transcript, meta_params(), episode="JFK-1961",
                          recipe_hash="h", triggers=TRIGGERS)
    assert meta.title.lower().startswith("and so, my fellow americans")
    assert meta.hook is not None and meta.hook.text.lower().endswith("for your country.")
    assert any(r.startswith("trigger words: what") for r in meta.hook.reasons)
    assert "country" in meta.description and "From JFK-1961 at 00:00:00." in meta.description
    assert "country" in [t.lower() for t in meta.tags] and "#Shorts" in meta.hashtags
    assert_publishable(meta.title, meta.description, 90)
    path = tmp_path / "metadata.json"  # the hook's record survives the artifact contract
    write_model(path, meta)
    assert read_model(path, ClipMetadata).hook == meta.hook


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
    params = meta_params(title="{{ first_line }} {{ '%.2f' % scores.penalty_no_face }}")
    meta = build_metadata(clip(0.5, 20.0), words_transcript(["Hello", "there."]), params,
                          episode="ep", recipe_hash="h")
    assert meta.title == "Hello there. 0.00"
    assert "penalty_no_face" not in meta.scores  # the artifact records what applied only


def test_one_list_of_variables_for_templates_and_checks() -> None:
    provided = template_variables(hook="", first_line="", text="", keywords=[], characters=[],
                                  episode="e", start_s=0.0, end_s=1.0, scores={},
                                  language="en", original="")
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
    meta = build_metadata(clip(0.5, 20.0), words_transcript("Hello there, you two.".split()),
                          MetadataSection(), episode="ep", recipe_hash="h")
    assert meta.tags == ["shorts"] and meta.hashtags == ["#Shorts"]  # no keyword in it
    assert meta.title == "Hello there, you two."
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


# --- the hook on the bundled sample's real transcript ---------------------------------


@pytest.fixture(scope="module")
def sample_episode(tmp_path_factory: pytest.TempPathFactory):
    """The bundled sample's real ASR transcript and its truth: the workflow's
    (results/sample, when it is as new as the sample), else made and transcribed here
    with the default recipe, as the rules do."""
    from shortfactory.recipe_checks import load_recipe
    from shortfactory.sample.generator import generate_sample, load_truth

    truth_path = REPO / "samples" / "sample.truth.json"
    done = REPO / "results" / "sample" / "transcript.json"
    if done.exists() and truth_path.exists() and (
            done.stat().st_mtime >= truth_path.stat().st_mtime):
        return read_model(done, Transcript), load_truth(truth_path)
    pytest.importorskip("piper", reason="the sample extra (piper-tts) is not installed")
    work = tmp_path_factory.mktemp("sample-meta")
    truth = generate_sample(work / "sample.mp4", work / "sample.truth.json", progress=False)
    recipe = load_recipe(REPO / "recipes" / "default.yaml")
    write_audio(work / "sample.mp4", recipe.ingest, work / "a.wav")
    return transcribe(work / "a.wav", recipe.transcribe, progress=False), truth


@pytest.mark.slow
def test_each_planted_moment_gets_its_key_line_as_title(sample_episode) -> None:
    """The bench's figure, on the moments' own spans: a whole sentence carrying the key
    line, picked for reasons the file records; the old first-sentence title was not."""
    transcript, truth = sample_episode
    first_lines = []
    for moment in (m for m in truth.moments if m.kind == "strong"):
        span = clip(moment.start_s, moment.end_s)
        meta = build_metadata(span, transcript, MetadataSection(), episode="sample",
                              recipe_hash="h", triggers=TRIGGERS)
        assert bench.carries_key_line(meta.title, bench.KEY_LINES[moment.name]), meta.hook
        assert meta.title == meta.hook.text and meta.hook.reasons and meta.hook.runners_up
        whole = [r for r in meta.hook.runners_up
                 if not r.reasons[0].startswith(("fragment", "too short", "no words"))]
        assert all(r.score <= meta.hook.score for r in whole)
        first_lines.append(bench.carries_key_line(
            build_metadata(span, transcript, MetadataSection(title="{{ first_line }}"),
                           episode="sample", recipe_hash="h").title,
            bench.KEY_LINES[moment.name]))
    assert len(first_lines) == 3 and not all(first_lines)


# --- the hook picker ----------------------------------------------------------------------


def signs(**kw) -> HookSigns:
    base = {"weights": HookWeights(), "width": (20, 70), "triggers": TRIGGERS,
            "names": ["Mia"], "contrast": MetadataSection().contrast_words}
    return HookSigns(**(base | kw))


def test_fragments_never_become_the_hook() -> None:
    sentences = ["and that is why she never came back?", "Not yet!", "I put the money in the.",
                 "They were printed in Black Letter, i.e.", "Did you see the old lighthouse?",
                 "But then Mia said"]
    hook = pick_hook(sentences, signs(), starts_inside=True)
    assert hook.text == "Did you see the old lighthouse?"
    assert hook.reasons[0] == "question (+1.00)" and "31 columns, within 20-70" in hook.reasons[1]
    why = {r.text: r.reasons[0] for r in pick_hook(sentences, signs(), starts_inside=True)
           .runners_up}
    assert why["And that is why she never came back?"].endswith("starts inside this sentence")
    assert why["But then Mia said"].endswith("ends inside this sentence")
    assert fragment_reason("Not yet!", first=False, last=False).startswith("too short")
    assert fragment_reason("I put the money in the.", first=False, last=False) == (
        "fragment: ends on 'the'")
    assert "abbreviation" in fragment_reason("They were printed in Black Letter, i.e.",
                                             first=False, last=False)
    only = pick_hook(["Not yet.", "Thank you."], signs(), starts_inside=False)
    assert only.text == "" and "fallback title" in only.reasons[0]


def test_signs_add_up_and_ties_go_to_the_first_asking() -> None:
    lines = ["Why did the scarecrow win an award?",
             "I don't know, why did the scarecrow win an award?",
             "No way, Mia, you never told me that we won 3 million!"]
    hook = pick_hook(lines, signs(), starts_inside=False)
    assert hook.text == lines[2]
    assert {r.split(" (")[0] for r in hook.reasons} == {
        "exclamation", "trigger words: never, no way", "names: Mia", "numbers: 3, million",
        "contrast: never", "53 columns, within 20-70"}
    assert hook.score == pytest.approx(0.8 + 1.5 * 1.4 + 0.5 + 0.5 + 0.6 + 1.0)
    tie = pick_hook(lines[:2], signs(), starts_inside=False)
    assert tie.text == lines[0] and tie.runners_up[0].score == tie.score
    muted = pick_hook(lines, signs(weights=HookWeights(trigger=0, exclamation=0, number=0)),
                      starts_inside=False)
    assert muted.text == lines[2]  # name + contrast still beat a bare question
    assert clean_line("Uh-huh, so, that is so bad.") == "That is so bad."


def test_japanese_and_chinese_hooks_are_measured_by_display_width() -> None:
    """Real lines (Common Voice ja, MFA's Japanese example): a CJK character takes two
    columns, so 36 characters are over the 70-column band where 36 Latin ones are not."""
    ja = ["はい。", "真っ昼間なのにキャンプの外れの電柱に電球がともっていた！",
          "アカギツネさんは本を読んだことがたくさんありますけれども、読むべき本はまだまだいっぱい"
          "残っています。", "本当？"]
    hook = pick_hook(ja, signs(names=["アカギツネ"]), starts_inside=False)
    assert hook.text == ja[1] and "56 columns, within 20-70" in hook.reasons[1]
    why = {r.text: r.reasons for r in hook.runners_up}
    assert why["本当？"][0] == "too short to hold a verb (2 characters)"
    assert "contrast: けれど (+0.60)" in why[ja[2]] and "100 columns, over 70" in why[ja[2]][-1]
    zh = pick_hook(["你知道吗？", "我从来没有见过这么大的雪！"], signs(), starts_inside=False)
    assert zh.text == "我从来没有见过这么大的雪！"
    assert "contrast: 从来 (+0.60)" in zh.reasons


def test_a_japanese_clip_gets_a_hook_title_and_cjk_keywords() -> None:
    lines = ["はい。", "真っ昼間なのにキャンプの外れの電柱に電球がともっていた！"]
    tokens = [t for line in lines for t in text_tokens(line)]
    transcript = words_transcript(tokens).model_copy(update={"language": "ja"})
    meta = build_metadata(clip(0.5, 60.0), transcript, meta_params(characters=["アカギツネ"]),
                          episode="ep", recipe_hash="h")
    assert meta.title == lines[1] and meta.description.startswith("はい。真っ昼間")
    assert {"キャンプ", "電柱", "電球", "昼間"} <= set(meta.tags)
    assert meta.hashtags[0] == "#Shorts" and "#キャンプ" in meta.hashtags


# --- keywords -------------------------------------------------------------------------------


def test_keywords_are_what_this_clip_says_and_the_episode_does_not() -> None:
    episode = ["Okay, let's talk about the weather.", "The weather is nice in Lisbon.",
               "Okay, the weather again.", "Our ticket won the grand prize!",
               "The grand prize is a boat, Mia.", "Okay."]
    words = [k.text for k in clip_keywords(episode[3:5], episode, 3, exclude=["Mia"])]
    assert words == ["grand prize", "ticket", "boat"]  # "prize" is in "grand prize"
    assert clip_keywords(episode[3:5], episode, 0) == []
    meta = build_metadata(clip(0.5, 90.0), words_transcript(" ".join(episode[3:5]).split()),
                          meta_params(characters=["Mia", "Ben"], max_hashtags=2),
                          episode="ep", recipe_hash="h")
    assert meta.tags == ["shorts", "Mia", "grand prize", "ticket", "boat", "Ben"]
    assert meta.hashtags == ["#Shorts", "#Mia", "#GrandPrize"]


# --- YouTube's limits -------------------------------------------------------------------


def test_a_120_character_title_is_cut_and_said_so(caplog: pytest.LogCaptureFixture) -> None:
    question = "What " + "really " * 16 + "happened to the old lighthouse?"
    assert len(question) == 148
    caplog.set_level(logging.INFO, logger="shortfactory")
    meta = build_metadata(clip(0.5, 90.0), words_transcript(question.split()),
                          meta_params(max_title_chars=100), episode="ep", recipe_hash="h")
    assert len(meta.title) <= 100 and meta.title.endswith("really…")
    assert "metadata.title: 148 characters cut to 96 on a word boundary" in caplog.text
    assert "YouTube allows 100" in caplog.text
    problems = dict(template_problems(meta_params(title="x" * 120 + "{{ hook }}")))
    assert problems[("title",)] == ("renders 120 characters even where nobody speaks; YouTube "
                                    "allows 100")
    assert youtube_problems("x" * 120, "d", [], ["#Shorts"]) == [
        "title: 120 characters, YouTube allows 100"]


def test_angle_brackets_never_reach_youtube(caplog: pytest.LogCaptureFixture) -> None:
    problems = dict(template_problems(meta_params(title="<b>{{ hook }}</b>",
                                                  description="{{ text }} <3")))
    assert problems[("title",)] == "writes '<' or '>', which YouTube refuses in a title"
    assert problems[("description",)].endswith("refuses in a description")
    caplog.set_level(logging.INFO, logger="shortfactory")
    meta = build_metadata(clip(0.5, 30.0), words_transcript("Is 3 < 5 and 7 > 2 true?".split()),
                          meta_params(), episode="ep", recipe_hash="h")
    assert meta.title == "Is 3 ‹ 5 and 7 › 2 true?" and "‹" in meta.description
    assert "metadata.title: '<' and '>' replaced" in caplog.text
    assert youtube_problems("a < b", "c > d", ["x<y"], ["#Shorts"]) == [
        "title: contains '<' or '>', which YouTube refuses",
        "description: contains '<' or '>', which YouTube refuses",
        "tags: a tag holds '<', '>' or ','"]


def test_a_6000_byte_description_fits_with_its_hashtag_line(
        caplog: pytest.LogCaptureFixture) -> None:
    text = "真っ昼間なのにキャンプの外れの電柱に電球がともっていた。" * 72  # 3 bytes a character
    assert len(text.encode()) == 6048
    caplog.set_level(logging.INFO, logger="shortfactory")
    meta = build_metadata(clip(0.5, 900.0), words_transcript(text_tokens(text)),
                          meta_params(description="{{ text }}"), episode="ep", recipe_hash="h")
    published = meta.description + hashtag_line(meta.hashtags)
    assert 4900 < len(published.encode()) <= MAX_DESCRIPTION_BYTES
    assert meta.description.endswith("…")
    assert youtube_problems(meta.title, meta.description, meta.tags, meta.hashtags) == []
    assert "metadata.description: 6048 bytes cut to" in caplog.text
    problems = dict(template_problems(meta_params(description="あ" * 2000)))
    assert problems[("description",)] == ("renders 6000 bytes even where nobody speaks; "
                                          "YouTube allows 5000")
    assert youtube_problems("T", "あ" * 2000, [], ["#Shorts"])[0].startswith(
        "description: 6009 bytes with the hashtag line")


def test_tags_over_500_characters_are_dropped_counting_quotes(
        caplog: pytest.LogCaptureFixture) -> None:
    assert tag_cost("grand prize") == 13 and tag_cost("prize") == 5
    assert tags_chars(["grand prize", "prize"]) == 13 + 1 + 5
    names = [f"Character {k:02d}" for k in range(40)]  # 14 with quotes, 15 with a comma
    caplog.set_level(logging.INFO, logger="shortfactory")
    meta = build_metadata(clip(0.5, 30.0), words_transcript("Is anyone here at all?".split()),
                          meta_params(characters=names), episode="ep", recipe_hash="h")
    assert meta.tags[:2] == ["shorts", "Character 00"]
    assert tags_chars(meta.tags) <= MAX_TAGS_CHARS < tags_chars(["shorts", *names])
    assert len(meta.tags) == 1 + (MAX_TAGS_CHARS - 6) // 15
    assert "metadata.tags: 8 tag(s) dropped (Character 32" in caplog.text
    problems = dict(template_problems(meta_params(tags=["five words in this tag"] * 21)))
    assert problems[("tags",)].startswith("the fixed tags take 524 characters")
    assert youtube_problems("T", "d", ["x" * 501], ["#Shorts"]) == [
        "tags: 501 characters, YouTube allows 500"]


@pytest.mark.parametrize("fixed", [[], ["#shorts"], ["#Cartoon", "#{{ episode }}"]])
def test_the_shorts_hashtag_is_there_once(fixed: list[str]) -> None:
    meta = build_metadata(clip(0.5, 30.0), words_transcript("Where is the cat?".split()),
                          meta_params(hashtags=fixed), episode="ep", recipe_hash="h")
    assert [h.casefold() for h in meta.hashtags].count("#shorts") == 1
    assert youtube_problems("T", "d", [], ["#Cartoon"]) == ["hashtags: #Shorts missing"]


def test_speech_of_fragments_only_gets_the_fallback_and_says_why() -> None:
    meta = build_metadata(clip(0.5, 20.0), words_transcript("Not yet. Thank you.".split()),
                          meta_params(), episode="Ep-7", recipe_hash="h")
    assert meta.title == "Watch this moment from Ep 7 (00:00:00)"
    assert meta.hook.text == "" and "only fragments" in meta.hook.reasons[0]
    assert [r.text for r in meta.hook.runners_up] == ["Not yet.", "Thank you."]


# --- the recipe check ---------------------------------------------------------------------


def test_new_variables_are_known_and_a_bad_one_names_its_key() -> None:
    ok = meta_params(title="{{ hook or first_line }} | {{ characters|join(', ') }}",
                     description="{{ keywords|join(' ') }} {{ text }}",
                     hashtags=["{% for k in keywords %}#{{ k }}{% endfor %}"])
    assert template_problems(ok) == []
    bad = dict(template_problems(meta_params(title="{{ keyword }}",
                                             tags=["{{ characters[0] }}"])))
    assert bad[("title",)].startswith("unknown variable 'keyword' (did you mean 'keywords'?)")
    assert "on a clip where nobody speaks" in bad[("tags", 0)]


def test_check_recipe_locates_a_limit_problem(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from shortfactory.cli import main

    recipe = tmp_path / "r.yaml"
    recipe.write_text('metadata:\n  title: "<b>{{ hook }}</b>"\n  hook_width: [80, 40]\n',
                      encoding="utf-8")
    assert main(["check-recipe", str(recipe)]) == 1
    err = capsys.readouterr().err
    assert f"{recipe}:2:3: metadata.title: writes '<' or '>', which YouTube refuses" in err
    assert f"{recipe}:3:3: metadata.hook_width: [80, 40]: need 1 <= min < max" in err


def test_the_rule_hands_the_trigger_words_to_the_script() -> None:
    rule = (REPO / "rules" / "clips.smk").read_text().split("rule write_metadata:")[1]
    assert "triggers=dict(RECIPE.candidates.triggers)" in rule.split("\nrule ")[0]
    script = (REPO / "scripts" / "write_metadata.py").read_text()
    assert "triggers=snakemake.params.triggers" in script
