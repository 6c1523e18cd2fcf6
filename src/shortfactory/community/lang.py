"""The language of a comment, from its script and its function words: no model.

Why not a package: the offline detectors on PyPI either download their model on first
use or are tens of megabytes for a job a comment section barely needs. Scripts settle
most languages outright (kana is Japanese, hangul Korean, Cyrillic Russian); among
Latin-script languages the commonest function words decide ("the", "de", "und"), which
works on a one-line comment where character statistics would not. A comment with no
evidence (only emoji, a name) is ``und``, and the drafter answers it in the corpus's
main language.
"""

from __future__ import annotations

import re
import unicodedata

UNDETERMINED = "und"

# Function words and comment slang per Latin-script language. A word may sit in two
# lists ("a", "de"): each hit counts for every language that has it, so the language
# with the most distinct hits wins.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("""the a an and is are was were this that it it's i i'm you your he she
        they we my me so to of in on for with what why how when who not no yes but just
        like love lol lmao omg haha bro wow best funny can can't don't do did be have has
        his her him them our at as all too very really he's she's that's you're great
        please thanks thank cute episode part more next ever never always first from got
        hello hi good morning happy merry here after only channel video""".split()),
    "es": frozenset("""el la los las un una y es son que de en por para con no si pero muy
        me mi tu su este esta esto eso como cuando porque jaja jajaja gracias amo quiero
        qué más también""".split()),
    "fr": frozenset("""le la les un une et est sont que de des du en pour avec pas ne oui
        mais très je tu il elle nous vous ce cette c'est j'ai mdr merci trop j'adore""".split()),
    "de": frozenset("""der die das ein eine und ist sind nicht ich du er sie wir ihr mit
        für auf zu von auch aber sehr was wie wenn danke geil mega""".split()),
    "pt": frozenset("""o a os as um uma e é são que de do da em por para com não sim mas
        muito eu você ele ela isso esse essa kkk kkkk obrigado amei""".split()),
    "it": frozenset("""il lo la gli le un una e è sono che di del della in per con non sì
        ma molto io tu lui lei questo questa grazie bello""".split()),
    "nl": frozenset("""de het een en is zijn niet ik jij je hij zij wij met voor op van ook
        maar heel wat hoe dank""".split()),
    "id": frozenset("""yang dan di ini itu aku saya kamu dia tidak ya juga dengan untuk
        banget wkwk wkwkwk""".split()),
}

# Unicode script (by character name prefix) -> language, for scripts one language owns
# in practice. Han without kana is Chinese; with kana it is Japanese (counted apart).
_SCRIPT_LANGS: tuple[tuple[str, str], ...] = (
    ("HANGUL", "ko"), ("CYRILLIC", "ru"), ("ARABIC", "ar"), ("THAI", "th"),
    ("DEVANAGARI", "hi"), ("GREEK", "el"), ("HEBREW", "he"),
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def script_counts(text: str) -> dict[str, int]:
    """Letters of ``text`` per script: kana, han, latin, and the scripts above."""
    counts: dict[str, int] = {}
    for char in text:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        if name.startswith(("HIRAGANA", "KATAKANA")) or char == "ー":
            key = "kana"
        elif name.startswith("CJK UNIFIED") or name.startswith("CJK COMPATIBILITY IDEOGRAPH"):
            key = "han"
        elif name.startswith("LATIN"):
            key = "latin"
        else:
            key = next((p for p, _ in _SCRIPT_LANGS if name.startswith(p)), "other")
        counts[key] = counts.get(key, 0) + 1
    return counts


def detect_language(text: str) -> str:
    """ISO 639-1 code of ``text``'s language, or ``und`` when nothing tells.

    Any kana makes it Japanese (a Japanese comment may be mostly kanji or even mostly
    English words, but Chinese and Korean never use kana); otherwise the script with
    the most letters decides, and Latin script goes to the function-word vote.
    """
    counts = script_counts(text)
    if not counts:
        return UNDETERMINED
    if counts.get("kana", 0) > 0:
        return "ja"
    script = max(counts, key=lambda k: counts[k])
    if script == "han":
        return "zh"
    for prefix, lang in _SCRIPT_LANGS:
        if script == prefix:
            return lang
    if script != "latin":
        return UNDETERMINED
    return latin_language(text)


def latin_language(text: str) -> str:
    """The Latin-script language whose function words ``text`` uses most."""
    words = {w.casefold() for w in _WORD.findall(text)}
    scores = {lang: len(words & vocab) for lang, vocab in STOPWORDS.items()}
    best = max(scores.values())
    if best == 0:
        return UNDETERMINED
    # Ties go to English: a short ambiguous comment ("a la") is rarely worth a guess,
    # and English is the commonest language of Latin-script comments.
    leaders = [lang for lang, score in scores.items() if score == best]
    return "en" if "en" in leaders else leaders[0]
