"""Sentences and display width for every script: the one splitter all stages share.

Candidates snap clips to sentence ends, subtitles break cues there, metadata takes a
first sentence for a title and the camera ends a speaker's line there. Each had its
own rule and only subtitles knew Japanese and Chinese punctuation (。！？), so a Japanese
clip was one endless sentence everywhere else. Latin terminators end a sentence only
before a space or the end (``3.5`` and ``e.g`` inside a word do not); CJK ones end it
where they stand, since those scripts put no space after them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

# Closing quotes and brackets that may follow a terminator and still belong to it.
_CLOSERS = "\"'”’)\\]」』）】"
_WORD_END = re.compile(rf"(?:[.!?…]|[。！？！？])+[{_CLOSERS}]*$")
_TEXT_END = re.compile(rf"[.!?…]+[{_CLOSERS}]*(?=\s|$)|[。！？]+[{_CLOSERS}]*")


def ends_sentence(word: str) -> bool:
    """Whether a transcribed word (or a line of text) closes a sentence."""
    return bool(_WORD_END.search(word.strip()))


def segment_sentence_ends(segments: Sequence[Sequence[str]]) -> list[list[bool]]:
    """For each segment's words, whether the word ends a sentence.

    Whisper's smaller models often write Japanese and Chinese without any 。！？: then
    there is nothing to split on, and a clip, a caption run or a title becomes one
    endless sentence. Where a transcript has no sentence punctuation at all, the
    segments the model heard (it ends them at pauses and sentence ends) stand in.
    """
    punctuated = any(ends_sentence(w) for words in segments for w in words)
    return [[ends_sentence(w) if punctuated else k == len(words) - 1
             for k, w in enumerate(words)] for words in segments]


def sentence_ends(text: str) -> list[int]:
    """Offsets just after each sentence end in ``text`` (terminator and closers)."""
    return [match.end() for match in _TEXT_END.finditer(text)]


def sentences_of(text: str) -> list[str]:
    """``text`` cut into sentences, each stripped, none empty; the unterminated rest is
    the last one."""
    out, start = [], 0
    for end in sentence_ends(text):
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    rest = text[start:].strip()
    return [*out, rest] if rest else out


def char_width(char: str) -> int:
    """Display width in Latin columns: a CJK (East Asian wide or fullwidth) glyph takes
    about two, a combining mark none."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes on screen (see :func:`char_width`)."""
    return sum(char_width(c) for c in text)


def is_hangul(char: str) -> bool:
    """A Korean letter: wide like a kanji, but Korean is written with spaces."""
    return ("\uac00" <= char <= "\ud7a3" or "\u1100" <= char <= "\u11ff"
            or "\u3130" <= char <= "\u318f")


def is_cjk(char: str) -> bool:
    """A character of a script written without spaces between words (Chinese, Japanese
    kana, wide punctuation): a line may break before or after it. Not Hangul: Korean
    words are spaced, and joining Whisper's Korean words without spaces ran them
    together."""
    return (unicodedata.east_asian_width(char) in ("W", "F") and not char.isspace()
            and not is_hangul(char))


_OPENERS = "「『（【〈《"


def text_tokens(text: str) -> list[str]:
    """``text`` cut where a line may break: at spaces, and between any two CJK
    characters (those scripts are not spaced). Punctuation stays on the word it closes
    (``ぞ。``, ``た!``), an opening bracket on the word it opens (``「本``)."""
    tokens: list[str] = []
    joined = False  # the next character continues the last (spaced-script) token
    after_cjk = False  # the last token ends in CJK, with no space since
    lead = ""  # an opening bracket waits for its word
    for char in text:
        if char.isspace():
            joined = after_cjk = False
        elif char in _OPENERS:
            lead += char
        elif is_cjk(char):
            if tokens and not char.isalnum() and not lead:
                tokens[-1] += char
            else:
                tokens.append(lead + char)
                lead = ""
            joined, after_cjk = False, True
        elif joined or (after_cjk and not char.isalnum() and not lead):
            tokens[-1] += char
        else:
            tokens.append(lead + char)
            lead, joined, after_cjk = "", True, False
    if lead:
        tokens.append(lead)
    return tokens


# Characters a line may not start with (Japanese kinsoku shori, JIS X 4051): small kana,
# the long-vowel mark, iteration marks and closing punctuation belong to what precedes.
NO_LINE_START = frozenset("ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶー"
                          "ㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
                          "ヽヾゝゞ々〻、。，．・：；？！‼⁇⁈⁉" + _CLOSERS + "〉》〕〗〙〛")


@functools.cache
def _phrase_parser(model: str) -> Any:
    import budoux

    return {"ja": budoux.load_default_japanese_parser,
            "zh-hans": budoux.load_default_simplified_chinese_parser,
            "th": budoux.load_default_thai_parser}[model]()


def phrase_model(text: str, language: str | None) -> str:
    """Which BudouX model reads ``text``: by the transcript's language, else by script
    (kana says Japanese, Thai letters Thai, Han alone Chinese)."""
    if language in ("ja", "th"):
        return language
    if language == "zh":
        return "zh-hans"
    if any("\u3040" <= c <= "\u30ff" for c in text):
        return "ja"
    if any("\u0e00" <= c <= "\u0e7f" for c in text):
        return "th"
    return "zh-hans"


def phrases(text: str, language: str | None = None) -> list[str]:
    """``text`` of an unspaced script (Japanese, Chinese, Thai) cut into the phrases a
    line may break between (Japanese bunsetsu: 「キャンプの」「外れの」), by Google's
    BudouX, the model Chrome breaks such text with: breaking between any two
    characters splits words (「キ／ャンプ」) and particles from their nouns."""
    if not text:
        return []
    return _phrase_parser(phrase_model(text, language)).parse(text)


def unspaced_runs(items: Sequence[T], text: Callable[[T], str]) -> list[list[T]]:
    """``items`` (words or tokens, ``text`` gives each one's text) in runs written
    without spaces between them (:func:`spaced`); a spaced item is a run of its own."""
    runs: list[list[T]] = []
    for item in items:
        if runs and not spaced(text(runs[-1][-1]), text(item)):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def line_tokens(text: str, columns: int, language: str | None = None) -> list[str]:
    """:func:`text_tokens` for laying out lines: runs of unspaced tokens regrouped into
    :func:`phrases`, so a line breaks between phrases; a phrase wider than ``columns``
    stays in its characters (with their punctuation)."""
    out: list[str] = []
    for run in unspaced_runs(text_tokens(text), str):
        if len(run) == 1:
            out += run
            continue
        for phrase in phrases("".join(run), language):
            out += [phrase] if display_width(phrase) <= columns else text_tokens(phrase)
    return out


def spaced(left: str, right: str) -> bool:
    """Whether two adjacent words are written with a space between them: not where
    both sides are CJK (ASR splits those scripts into words that were never spaced)."""
    return not (left and right and is_cjk(left[-1]) and is_cjk(right[0]))


def join_words(words: Iterable[str]) -> str:
    """Words back into text, spaced as the script writes them (:func:`spaced`)."""
    out = ""
    for word in (w.strip() for w in words):
        if not word:
            continue
        if out and spaced(out, word):
            out += " "
        out += word
    return out


# ISO 639-2 (B and T) codes containers use, to the 639-1 codes Whisper speaks.
_ISO639_2 = {
    "eng": "en", "jpn": "ja", "chi": "zh", "zho": "zh", "kor": "ko", "fre": "fr", "fra": "fr",
    "ger": "de", "deu": "de", "spa": "es", "ita": "it", "por": "pt", "rus": "ru", "ukr": "uk",
    "pol": "pl", "dut": "nl", "nld": "nl", "swe": "sv", "nor": "no", "dan": "da", "fin": "fi",
    "tur": "tr", "ara": "ar", "heb": "he", "hin": "hi", "tha": "th", "vie": "vi", "ind": "id",
    "may": "ms", "msa": "ms", "gre": "el", "ell": "el", "cze": "cs", "ces": "cs", "hun": "hu",
    "rum": "ro", "ron": "ro", "bul": "bg", "cat": "ca", "per": "fa", "fas": "fa", "tgl": "tl",
}


def language_code(tag: str) -> str:
    """A language tag as Whisper's two-letter code (``jpn`` -> ``ja``, ``en-US`` -> ``en``);
    an unknown three-letter tag is returned lower-cased."""
    tag = tag.strip().lower().replace("_", "-").split("-")[0]
    return _ISO639_2.get(tag, tag)
