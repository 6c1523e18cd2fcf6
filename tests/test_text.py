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
