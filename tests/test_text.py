"""One sentence splitter for every stage, and display width for every script."""

from __future__ import annotations

from shortfactory.core.text import display_width, ends_sentence, join_words, sentences_of


def test_japanese_and_chinese_sentences_end_at_their_own_punctuation() -> None:
    assert sentences_of("今日は雨だ。傘を持って行こう！本当？") == [
        "今日は雨だ。", "傘を持って行こう！", "本当？"]
    assert sentences_of("「行くぞ。」彼は言った") == ["「行くぞ。」", "彼は言った"]
    assert ends_sentence("行こう。") and ends_sentence("本当？」") and not ends_sentence("雨、")


def test_latin_sentences_need_a_space_after_the_stop() -> None:
    assert sentences_of("It costs 3.5 euros. Cheap! Right") == [
        "It costs 3.5 euros.", "Cheap!", "Right"]
    assert sentences_of('"Go." He went.') == ['"Go."', "He went."]
    assert ends_sentence("done.)") and not ends_sentence("e.g") and not ends_sentence("so,")


def test_cjk_takes_two_columns_and_is_joined_without_spaces() -> None:
    assert display_width("abc") == 3 and display_width("日本語") == 6
    assert display_width("ｱ") == 1 and display_width("Ｈ") == 2  # half- and fullwidth forms
    assert display_width("é") == 1 and display_width("e\u0301") == 1  # combining accent
    assert join_words(["今日", "は", "雨", "。"]) == "今日は雨。"
    assert join_words(["Hello", "日本", "world"]) == "Hello 日本 world"


def test_an_unpunctuated_transcript_ends_sentences_where_its_segments_end() -> None:
    from shortfactory.core.text import segment_sentence_ends

    # Whisper base on Japanese: segments without 。 -> each segment is a sentence.
    assert segment_sentence_ends([["水", "を", "買う"], ["本", "を", "読む"]]) == [
        [False, False, True], [False, False, True]]
    # Punctuated text keeps its own ends, wherever the segments fall.
    assert segment_sentence_ends([["Go", "home."], ["Now", "then"]]) == [
        [False, True], [False, False]]


def test_a_japanese_title_is_the_first_heard_sentence() -> None:
    from shortfactory.clips.metadata import clip_text, first_sentence
    from shortfactory.core.artifacts import Clip, Segment, Transcript, Word

    def segment(k: int, tokens: list[str], t0: float) -> Segment:
        words = [Word(word=w, start=t0 + 0.3 * i, end=t0 + 0.3 * i + 0.25)
                 for i, w in enumerate(tokens)]
        return Segment(id=k, start=t0, end=words[-1].end, text="".join(tokens), words=words)

    transcript = Transcript(language="ja", duration_s=20, model="t", segments=[
        segment(0, ["水", "を", "マレーシア", "から", "買う"], 1.0),
        segment(1, ["本", "は", "まだ", "残って", "います"], 4.0)])
    clip = Clip(id="c", rank=1, start_s=0.0, end_s=10.0, total=0.5, signals={}, penalties={},
                reasons=[])
    text, mid = clip_text(clip, transcript)
    assert text == "水をマレーシアから買う。本はまだ残っています。" and not mid
    assert first_sentence(text) == "水をマレーシアから買う。"


def test_one_tokenizer_breaks_cjk_anywhere_and_keeps_punctuation_on_its_word() -> None:
    from shortfactory.core.text import text_tokens

    assert text_tokens("行くぞ。「本当？」 OK, go!") == ["行", "く", "ぞ。", "「本", "当？」",
                                                      "OK,", "go!"]
    assert text_tokens("戻ってきた! The end") == ["戻", "っ", "て", "き", "た!", "The", "end"]
    assert text_tokens("開く「") == ["開", "く", "「"]  # a dangling bracket is kept


def test_unspaced_lines_break_between_phrases() -> None:
    """Japanese and Chinese wrap between phrases (BudouX), not between any two
    characters: particles stay on their nouns, no line starts with small kana or 。."""
    from shortfactory.clips.subtitles import wrap_columns
    from shortfactory.core.text import NO_LINE_START, display_width, line_tokens

    ja = "ちょっと待って、まだ話は終わってないよ。キャンプの外れの電柱に電球がともっていた"
    lines = wrap_columns(ja, 20)
    assert "".join(lines) == ja
    assert all(display_width(line) <= 20 and line[0] not in NO_LINE_START for line in lines)
    assert lines[:2] == ["ちょっと待って、まだ", "話は終わってないよ。"]
    assert "キャンプの" in line_tokens(ja, 20) and "ャ" not in line_tokens(ja, 20)
    zh = "我们今天去公园散步，天气非常好。"
    assert "".join(wrap_columns(zh, 12)) == zh and "公园" in line_tokens(zh, 12, "zh")
    # A phrase wider than the line falls back to its characters; spaced text is as before.
    assert line_tokens("変わなくてはならないのです", 8)[:2] == ["変", "わ"]
    assert wrap_columns("This is a hook line for you", 20) == ["This is a hook line", "for you"]


def test_korean_is_spaced_though_its_letters_are_wide() -> None:
    from shortfactory.core.text import display_width, join_words, spaced, text_tokens

    assert join_words(["안녕하세요", "저는", "학생입니다."]) == "안녕하세요 저는 학생입니다."
    assert spaced("요", "저") and not spaced("本", "を")
    assert text_tokens("안녕하세요 저는") == ["안녕하세요", "저는"]
    assert display_width("저는") == 4  # two columns a syllable, as a kanji
