"""Subtitles (cues, ASS, SRT) and publishing metadata on hand-made transcripts."""

from __future__ import annotations

import itertools
import re

import pytest

from shortfactory.clips.metadata import build_metadata, first_sentence, timecode, trim_words
from shortfactory.clips.subtitles import (
    ass_colour,
    break_cost,
    build_cues,
    clip_words,
    split_emoji,
    to_ass,
    to_srt,
    write_subtitles,
)
from shortfactory.core.artifacts import Clip, Segment, Transcript, Word
from shortfactory.core.errors import RecipeError
from shortfactory.core.recipe import MetadataSection, SubtitleSection
from shortfactory.core.text import NO_LINE_START, display_width

TEXT = (
    "Okay so here is the thing. I never thought the dragon would actually come back 🔥 "
    "because everyone said it was gone, but then on Tuesday morning it landed right on "
    "the roof of the bakery and nobody knew what to do. Absolutely incredible! "
    "Supercalifragilisticexpialidocious, said the baker."
)
START = 10.0


def make_transcript(text: str = TEXT, start: float = START) -> Transcript:
    """Words with plausible timing: length-dependent, pauses after punctuation."""
    words, t = [], start
    for tok in text.split():
        dur = 0.08 + 0.045 * len(tok)
        words.append(Word(word=" " + tok, start=round(t, 3), end=round(t + dur, 3)))
        t += dur + (0.4 if tok[-1] in ".,!?" else 0.05)
    seg = Segment(id=0, start=start, end=t, text=text, words=words)
    return Transcript(language="en", duration_s=t + 5, model="test", segments=[seg])


def params(**kw) -> SubtitleSection:
    return SubtitleSection(**kw)


@pytest.fixture(scope="module")
def transcript() -> Transcript:
    return make_transcript()


@pytest.fixture(scope="module")
def clip_end(transcript: Transcript) -> float:
    return transcript.segments[0].end + 0.5


# --- cues ----------------------------------------------------------------------------


@pytest.mark.parametrize("chars,lines", [(18, 2), (12, 2), (30, 1), (24, 3)])
def test_cues_fit_lines_and_never_split_words(transcript, clip_end, chars, lines):
    p = params(max_chars_per_line=chars, max_lines=lines)
    cues = build_cues(transcript, START, clip_end, p)
    shown = [w.text for c in cues for w in c.words]
    spoken = [split_emoji(w.word.strip())[0] for w in transcript.words()]
    assert shown == [w for w in spoken if w]  # every word once, in order, none split
    for cue in cues:
        assert 1 <= len(cue.lines) <= lines
        for line in cue.text.split("\n"):
            long_word = len(line.split()) == 1
            assert len(line) <= chars or long_word, (line, chars)


# Japanese as Whisper's word timestamps give it: tokens of a few characters, no spaces.
JA_WORDS = ("昨日 の 夜 、 ドラゴン が 本当 に 戻って 来た 。 誰 も 信じ なかった けど 、 "
            "パン屋 の 屋根 に 降り た んだ よ ！ 本当 に すごかった 。").split()


@pytest.mark.parametrize("chars,lines", [(18, 2), (12, 2), (24, 1)])
def test_japanese_cues_fit_by_display_width_and_break_at_punctuation(chars, lines):
    words, t = [], START
    for tok in JA_WORDS:
        words.append(Word(word=tok, start=round(t, 3), end=round(t + 0.12 * len(tok), 3)))
        t += 0.12 * len(tok) + (0.3 if tok in "、。！" else 0.02)
    seg = Segment(id=0, start=START, end=t, text="".join(JA_WORDS), words=words)
    ja = Transcript(language="ja", duration_s=t + 5, model="test", segments=[seg])
    cues = build_cues(ja, START, t + 0.5, params(max_chars_per_line=chars, max_lines=lines))
    shown = [w.text for c in cues for w in c.words]
    assert "".join(shown) == "".join(JA_WORDS)  # none lost
    token_edges = set(itertools.accumulate(len(w) for w in JA_WORDS))
    assert set(itertools.accumulate(len(w) for w in shown)) <= token_edges  # none split
    assert "昨日の" in shown and "パン屋の" in shown  # phrases, not loose particles
    for cue in cues:
        for line in cue.text.split("\n"):
            assert " " not in line  # Japanese is not spaced
            assert display_width(line) <= chars, (line, chars)  # a kanji is two columns
            assert line[0] not in NO_LINE_START, line
    # Sentences end at 。 and ！: no cue runs on past one into the next sentence's words.
    ends = [k for k, c in enumerate(cues) if c.text[-1] in "。！"]
    assert ends and all(not c.text[:-1].count("。") for c in cues)


def test_japanese_lines_break_between_phrases_not_inside_whisper_pieces():
    """Whisper cuts Japanese into byte-pair pieces (「キ」「ャンプ」), and its small models
    often leave out the 。: lines break between BudouX phrases, never before a small
    kana, and at the end of an ASR segment rather than inside the next sentence."""
    pieces = [["マ", "ッ", "ピ", "ル", "マ", "なのに", "キ", "ャンプ", "の", "外", "れ", "の",
               "電", "柱", "に", "電球", "が", "止", "まって", "いた"],
              ["水", "を", "マレー", "シア", "から", "買", "わ", "なくては", "ならない", "の",
               "です"],
              ["赤", "きつね", "さんは", "本", "を", "読ん", "だ", "ことが", "たくさん"]]
    segments, t = [], START
    for k, toks in enumerate(pieces):
        words = []
        for tok in toks:
            words.append(Word(word=tok, start=round(t, 3), end=round(t + 0.11 * len(tok), 3)))
            t += 0.11 * len(tok) + 0.01
        segments.append(Segment(id=k, start=words[0].start, end=words[-1].end,
                                text="".join(toks), words=words))
    ja = Transcript(language="ja", duration_s=t + 5, model="test", segments=segments)
    cues = build_cues(ja, START, t + 0.5, params(max_chars_per_line=18, max_lines=2))
    lines = [line for c in cues for line in c.text.split("\n")]
    assert "".join(lines) == "".join("".join(toks) for toks in pieces)
    assert all(line[0] not in NO_LINE_START for line in lines), lines
    shown = [w.text for c in cues for w in c.words]
    assert "キャンプの" in shown and "止まっていた" in shown  # whole phrases
    # "...ならないのです" ends its segment: the next sentence starts a new line or cue.
    assert any(line.startswith("赤きつね") for line in lines), lines
    assert all(display_width(line) <= 18 for line in lines)


def test_cue_timing_is_clip_relative_monotonic_and_bounded(transcript, clip_end):
    p = params()
    cues = build_cues(transcript, START, clip_end, p)
    duration = clip_end - START
    assert cues[0].start == pytest.approx(transcript.words()[0].start - START)
    prev_end = 0.0
    for cue in cues:
        assert 0 <= prev_end <= cue.start < cue.end <= duration + 1e-9
        spoken = cue.words[-1].end - cue.words[0].start
        assert spoken <= p.max_duration_s + 1e-9 or len(cue.words) == 1
        assert cue.end - cue.start >= min(p.min_duration_s, spoken) - 1e-9
        times = [w.start for w in cue.words]
        assert times == sorted(times)
        prev_end = cue.end


def test_breaks_prefer_phrase_boundaries(transcript, clip_end):
    cues = build_cues(transcript, START, clip_end, params())
    ends = [c.words[-1].text for c in cues]
    # Sentence ends close cues; no cue or line ends on an article.
    assert "thing." in ends and "do." in ends
    for cue in cues:
        for line in cue.lines:
            assert line[-1].text.lower() not in {"the", "a", "an"}


def test_break_cost_orders_boundaries():
    words = clip_words(make_transcript("It was gone, but the dog ran. Then").words(),
                       0, 100, params())
    cost = {w.text: break_cost(words, k) for k, w in enumerate(words)}
    assert cost["ran."] < cost["gone,"] < cost["dog"] < cost["the"]


def test_words_cut_by_clip_edges_are_dropped(transcript):
    words = transcript.words()
    cut_start = (words[0].start + words[0].end) / 2  # inside "Okay"
    cut_end = (words[5].start + words[5].end) / 2  # inside "thing."
    cues = build_cues(transcript, cut_start, cut_end, params())
    shown = [w.text for c in cues for w in c.words]
    assert shown == ["so", "here", "is", "the"]
    assert cues[0].words[0].start == pytest.approx(words[1].start - cut_start)


def test_cps_and_min_duration_extend_into_silence():
    tr = make_transcript("Hi. Good afternoon everybody.")
    p = params(min_duration_s=1.5, max_cps=10)
    cues = build_cues(tr, START, START + 20, p)
    first = cues[0]
    assert first.text == "Hi."
    assert first.end - first.start >= 1.5 - 1e-9 or first.end == cues[1].start


def test_fast_speech_after_a_pause_shows_its_cue_early_not_late():
    """A line said at ~35 characters/s right before the next: no room after it, so it
    appears in the pause before (at most max_lead_s), and highlights nothing until its
    first word is said."""
    words, t = [], START
    for tok, pause in (("Wait.", 1.5), ("Because", 0.0), ("our", 0.0), ("ticket", 0.0),
                       ("just", 0.0), ("won", 0.0), ("it!", 0.0), ("No", 0.0), ("way.", 0.0)):
        dur = 0.03 * len(tok)
        words.append(Word(word=" " + tok, start=round(t, 3), end=round(t + dur, 3)))
        t += dur + pause
    tr = Transcript(language="en", duration_s=t + 2, model="test",
                    segments=[Segment(id=0, start=START, end=t, text="", words=words)])
    p = params(max_cps=22.0, max_lead_s=0.5)
    cues = build_cues(tr, START, t + 1, p)
    fast = next(c for c in cues if c.text.startswith("Because"))
    first_word = fast.words[0].start
    assert first_word - 0.5 - 1e-6 <= fast.start < first_word  # early, within the lead
    before = cues[cues.index(fast) - 1]
    assert fast.start >= before.end  # never over the previous cue
    no_lead = build_cues(tr, START, t + 1, params(max_cps=22.0, max_lead_s=0.0))
    assert all(c.start >= c.words[0].start - 1e-9 for c in no_lead)  # on its word
    events = parse_ass(to_ass([fast], params(karaoke=True)))["Events"]
    assert "\\1c&H00D4FF&" not in events[0]["Text"]  # the lead highlights no word
    assert "{\\1c&H00D4FF&}Because" in events[1]["Text"]


def test_a_first_word_stretched_over_a_pause_lends_it_to_the_cue_before():
    """Whisper times the first word after a pause from the end of the previous word
    ("That" 0.86 s long): the fast cue before it stays up into that pause for its reading
    time, and the next cue starts later, still inside its own first word."""
    timing = [("and", 8.75, 9.01), ("train", 9.01, 9.2), ("to", 9.2, 9.3),
              ("the", 9.3, 9.45), ("mountains.", 9.45, 9.73), ("That", 9.73, 10.59),
              ("sounds", 10.59, 10.93), ("nice.", 10.93, 11.4)]
    words = [Word(word=" " + w, start=START + a, end=START + b) for w, a, b in timing]
    tr = Transcript(language="en", duration_s=START + 13, model="test",
                    segments=[Segment(id=0, start=START + 8.75, end=START + 11.4, text="",
                                      words=words)])
    p = params(max_cps=22.0, max_chars_per_line=18, max_lines=1, max_lead_s=0.0)
    cues = build_cues(tr, START + 8.7, START + 12, p)
    fast = next(c for c in cues if c.text.endswith("mountains."))
    after = cues[cues.index(fast) + 1]
    chars = len(fast.text)
    assert chars / (fast.end - fast.start) <= 22.0 + 1e-6
    assert fast.end > fast.words[-1].end and after.start == fast.end
    assert after.words[0].start < after.start < after.words[0].end


def test_emoji_are_stripped_from_ass_and_kept_on_cue(transcript, clip_end):
    cues = build_cues(transcript, START, clip_end, params())
    with_fire = [c for c in cues if c.emoji]
    assert [c.emoji for c in with_fire] == [["🔥"]]
    assert "🔥" not in to_ass(cues, params())
    assert "🔥" in to_srt(cues, speed=1.0)
    assert split_emoji("wow👍🏽!") == ("wow!", ["👍🏽"])
    assert split_emoji("family 👨‍👩‍👧 ❤️") == ("family", ["👨‍👩‍👧", "❤️"])
    assert split_emoji("🇺🇸🇫🇷 go") == ("go", ["🇺🇸", "🇫🇷"])


def test_keywords_and_uppercase(transcript, clip_end):
    p = params(keywords=["dragon", "Tuesday morning"], uppercase=True)
    cues = build_cues(transcript, START, clip_end, p)
    marked = [w.text for c in cues for w in c.words if w.keyword]
    assert marked == ["DRAGON", "TUESDAY", "MORNING"]


# --- ASS -----------------------------------------------------------------------------


def parse_ass(text: str) -> dict[str, list[dict[str, str]]]:
    """A strict little ASS reader: sections, and Format-keyed Style/Dialogue rows."""
    sections: dict[str, list] = {}
    fmt: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if not line or line.startswith(";"):
            continue
        if m := re.fullmatch(r"\[(.+)\]", line):
            current = m.group(1)
            sections[current] = []
            continue
        key, _, value = line.partition(": ")
        assert current is not None and value, line
        if key == "Format":
            fmt[current] = [f.strip() for f in value.split(",")]
        elif key in ("Style", "Dialogue"):
            names = fmt[current]
            parts = value.split(",", len(names) - 1)
            assert len(parts) == len(names), line
            sections[current].append(dict(zip(names, parts, strict=True)))
        else:
            sections[current].append({key: value})
    return sections


def test_ass_has_expected_style_and_events(transcript, clip_end):
    p = params(font="DejaVu Sans", font_size=80, primary_colour="#FFFFFF",
               highlight_colour="#FFD400", outline_colour="#102030", outline_px=6,
               shadow_px=1.5, position_y=0.7, keywords=["dragon"], karaoke=False,
               keyword_colour="#00FF80")
    cues = build_cues(transcript, START, clip_end, p)
    ass = parse_ass(to_ass(cues, p, width=1080, height=1920))
    info = {k: v for row in ass["Script Info"] for k, v in row.items()}
    assert info["PlayResX"] == "1080" and info["PlayResY"] == "1920"
    (style,) = ass["V4+ Styles"]
    assert style["Fontname"] == "DejaVu Sans" and style["Fontsize"] == "80"
    assert style["PrimaryColour"] == "&H00FFFFFF"
    assert style["OutlineColour"] == "&H00302010"  # blue-green-red
    assert style["Bold"] == "-1" and float(style["Outline"]) == 6 and style["Shadow"] == "1.5"
    events = ass["Events"]
    assert len(events) == len(cues)  # no karaoke: one event per cue
    assert all("\\an5\\pos(540,1344)" in e["Text"] for e in events)
    dragon = [e["Text"] for e in events if "dragon" in e["Text"]]
    assert dragon and "{\\1c&H80FF00&}dragon{\\1c&HFFFFFF&}" in dragon[0]  # keyword colour
    assert ass_colour("#FFD400") == "&H00D4FF&"


def test_ass_karaoke_highlights_each_word_in_turn(transcript, clip_end):
    p = params(karaoke=True)
    cues = build_cues(transcript, START, clip_end, p)
    events = parse_ass(to_ass(cues, p))["Events"]
    assert len(events) == sum(len(c.words) for c in cues)
    first = cues[0]
    texts = [e["Text"] for e in events[: len(first.words)]]
    for word, text in zip(first.words, texts, strict=True):
        assert f"{{\\1c&H00D4FF&}}{word.text}{{\\1c&HFFFFFF&}}" in text
    # Events tile the cue: contiguous, from cue start to cue end.
    starts = [e["Start"] for e in events[: len(first.words)]]
    ends = [e["End"] for e in events[: len(first.words)]]
    assert starts[1:] == ends[:-1]


def test_ass_escapes_override_characters():
    tr = make_transcript("a {\\b1} brace")
    p = params(karaoke=False, highlight_numbers=False)
    cues = build_cues(tr, START, START + 10, p)
    text = parse_ass(to_ass(cues, p))["Events"][0]["Text"]
    body = text.split("}", 1)[1]  # after the \an5\pos block
    assert body == "a (\u29f5b1) brace"


def test_ass_parses_with_pyav(tmp_path, transcript, clip_end):
    av = pytest.importorskip("av")
    p = params(karaoke=False)
    cues = build_cues(transcript, START, clip_end, p)
    path = tmp_path / "s.ass"
    path.write_text(to_ass(cues, p), encoding="utf-8")
    with av.open(str(path)) as container:
        packets = [pk for pk in container.demux() if pk.size]
    assert len(packets) == len(cues)


# --- SRT -----------------------------------------------------------------------------


def test_srt_format(transcript, clip_end):
    cues = build_cues(transcript, START, clip_end, params())
    srt = to_srt(cues, speed=1.0)
    blocks = srt.strip().split("\n\n")
    assert len(blocks) == len(cues)
    stamp = r"\d\d:\d\d:\d\d,\d\d\d"
    for n, block in enumerate(blocks, 1):
        lines = block.split("\n")
        assert lines[0] == str(n)
        assert re.fullmatch(rf"{stamp} --> {stamp}", lines[1])
        assert 1 <= len(lines[2:]) <= 2
    fast = to_srt(cues[:1], speed=2.0)
    assert fast.split("\n")[1] != srt.split("\n")[1]


def test_write_subtitles_puts_only_the_srt_on_the_output_timeline(transcript, clip_end):
    """The render burns the ASS before the speed change and the SRT goes next to the
    finished Short: the speed (``render.speed``, passed on its own) moves the SRT only."""
    section = params()
    cues = build_cues(transcript, START, clip_end, section)
    ass, srt, _ = write_subtitles(transcript, START, clip_end, section, 1.0)
    assert (ass, srt) == (to_ass(cues, section), to_srt(cues, speed=1.0))
    fast_ass, fast_srt, _ = write_subtitles(transcript, START, clip_end, section, 2.0)
    assert fast_ass == ass and fast_srt == to_srt(cues, speed=2.0) != srt
    starts = [srt_seconds(block.split("\n")[1].split(" --> ")[0])
              for block in fast_srt.strip().split("\n\n")]
    assert starts == pytest.approx([c.start / 2 for c in cues], abs=1e-3)


def srt_seconds(stamp: str) -> float:
    hours, minutes, rest = stamp.split(":")
    seconds, millis = rest.split(",")
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def test_defaults_are_the_models(transcript, clip_end):
    """Nothing falls back to a default of its own: the section's defaults are what runs
    (karaoke on: one event per word; before, a dict without the key meant off)."""
    section = SubtitleSection()
    assert section.karaoke and not section.uppercase and section.keywords == []
    cues = build_cues(transcript, START, clip_end, section)
    events = parse_ass(to_ass(cues, section))["Events"]
    assert len(events) == sum(len(c.words) for c in cues) > len(cues)


# --- metadata ------------------------------------------------------------------------


def make_clip(start: float = 12.0, end: float = 20.0) -> Clip:
    return Clip(id="c0012-0020", rank=1, start_s=start, end_s=end, total=0.8,
                signals={"audio": 0.7, "transcript": 0.9}, penalties={"mid_sentence": 0.1},
                reasons=["loud"])


def test_metadata_renders_templates(transcript):
    p = MetadataSection(
        title="{{ hook }} | {{ episode }}",
        description="{{ text }}\n\nFrom {{ episode }} at {{ timecode }} "
                    "({{ '%.1f' % start_s }}-{{ end_s }}), score {{ scores.total }}",
        tags=["{{ episode }}", "dragon", "Dragon", ""],
        hashtags=["shorts", "#{{ episode }} clips"],
        max_keywords=0, max_hashtags=0,  # the templates only (keywords: test_metadata.py)
    )
    clip = make_clip(start=START + 1.5, end=3725.0)
    meta = build_metadata(clip, transcript, p, episode="Ep 1", recipe_hash="abc123")
    # The clip starts inside "...the thing.": the hook is the next, whole sentence.
    hook = "I never thought the dragon would actually come back 🔥 because everyone said"
    assert meta.title.startswith(hook) and meta.title.endswith("…")
    assert len(meta.title) <= p.max_title_chars
    cut = TEXT.find(meta.title[:-1]) + len(meta.title) - 1
    assert TEXT[cut] in " ,"  # cut between words
    assert "From Ep 1 at 00:00:11 (11.5-3725.0), score 0.8" in meta.description
    assert meta.tags == ["Ep 1", "dragon"]
    assert meta.hashtags == ["#shorts", "#Ep1clips"]
    assert meta.source_timecode == "00:00:11-01:02:05"
    assert meta.scores["penalty_mid_sentence"] == 0.1 and meta.recipe_hash == "abc123"


def test_metadata_undefined_variable_names_field():
    p = MetadataSection(title="{{ hookk }}")
    with pytest.raises(RecipeError) as err:
        build_metadata(make_clip(), make_transcript(), p, episode="e", recipe_hash="h")
    message = str(err.value)
    assert "metadata.title" in message and "hookk" in message and "hook" in message
    assert "\n" not in message


def test_metadata_syntax_error_and_sandbox():
    p = MetadataSection(tags=["ok", "{{ hook"])
    with pytest.raises(RecipeError, match=r"metadata\.tags\[1\]: template syntax error"):
        build_metadata(make_clip(), make_transcript(), p, episode="e", recipe_hash="h")
    p = MetadataSection(title="{{ hook.__class__.__mro__ }}")
    with pytest.raises(RecipeError, match=r"metadata\.title"):
        build_metadata(make_clip(), make_transcript(), p, episode="e", recipe_hash="h")


def test_title_trimming_and_helpers():
    assert trim_words("one two three four", 12) == "one two…"
    assert trim_words("one two, three", 10) == "one two…"
    assert trim_words("short", 10) == "short"
    assert trim_words("x" * 30, 10) == "x" * 9 + "…"
    assert first_sentence("...and so it begins. Then more") == "And so it begins."
    assert first_sentence("thing. I never! Go", skip_fragment=True) == "I never!"
    assert first_sentence("thing.", skip_fragment=True) == "Thing."
    assert timecode(3725.9) == "01:02:05"


def test_the_hook_is_a_boxed_event_timed_for_the_short(transcript, clip_end):
    from shortfactory.clips.fonts import ass_text_runs, missing_glyphs
    from shortfactory.clips.subtitles import add_hook
    from shortfactory.core.recipe import Hook

    p = params()
    ass = to_ass(build_cues(transcript, START, clip_end, p), p)
    hooked = add_hook(ass, "ドラゴンが戻ってきた! The dragon is back on the bakery roof, "
                      "and nobody knows what to do about it", Hook(), speed=2.0)
    style = next(line for line in hooked.splitlines() if line.startswith("Style: Hook"))
    assert style.split(",")[15] == "3"  # BorderStyle 3: an opaque box behind the text
    event = hooked.splitlines()[-1]
    assert event.startswith("Dialogue: 1,0:00:00.00,0:00:05.00,Hook,")  # 2.5 s at 2x speed
    assert "{\\fnNoto Sans CJK JP}" in event and event.endswith("…")  # cut at max_chars
    assert event.count("\\N") <= 2 and missing_glyphs(ass_text_runs(hooked)) == []
    assert add_hook(ass, "", Hook(), speed=1.0) == ass  # no title, no banner


def test_names_numbers_and_triggers_light_up_a_few_words_a_cue():
    from shortfactory.clips.subtitles import episode_names

    tr = make_transcript("Then Popeye ate 3 cans. We saw Popeye win the big fight at the "
                         "Sea Hag's door, and the crowd in Sweethaven saw it too. Popeye won "
                         "2 times in 5 days, a real hero for the crowd.")
    assert episode_names(tr) == ["Popeye"]  # Sea Hag and Sweethaven: once only
    p = params(karaoke=False, max_highlights_per_cue=2)
    cues = build_cues(tr, START, START + 60, p, triggers=["big fight"])
    lit = [[w.text for w in c.words if w.keyword] for c in cues]
    flat = [w for cue in lit for w in cue]
    assert {"Popeye", "3", "big", "2"} <= set(flat) and "crowd" not in flat
    assert all(len(cue) <= 2 for cue in lit)  # capped: a trigger's second word may lose
    none = build_cues(tr, START, START + 60, params(max_highlights_per_cue=0))
    assert not any(w.keyword for c in none for w in c.words)


def test_pop_scales_each_cue_in_once_and_reveal_hides_the_words_not_yet_spoken(
        transcript, clip_end):
    cues = build_cues(transcript, START, clip_end, params())
    pop = parse_ass(to_ass(cues, params(animation="pop")))["Events"]
    firsts = {e["Start"] for e in pop if "\\t(0,80,\\fscx100\\fscy100)" in e["Text"]}
    assert len(firsts) == len(cues)  # one pop a cue, on its first event
    reveal = parse_ass(to_ass(cues, params(animation="reveal")))["Events"]
    words = len([w for w in cues[0].words if w.text])
    first_cue = reveal[:words]
    hidden = [e["Text"].count("{\\alpha&HFF&}") for e in first_cue]
    assert hidden == list(range(words - 1, -1, -1))  # fewer hidden words as they are spoken
    static = parse_ass(to_ass(cues, params()))["Events"]
    assert not any("\\alpha" in e["Text"] or "\\fscx80" in e["Text"] for e in static)
