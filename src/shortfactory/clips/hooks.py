"""The title's hook: the clip sentence with the most signs of a hook, and why.

A Short's title is read before anyone watches, so it should be the line that makes a
viewer stay: a question, an exclamation, the recipe's trigger words, a name, a number,
a contrast ("but", "never", "actually"), at a length a phone shows whole. The first
sentence, which the title used to be, is usually a greeting or half a sentence.

Each sign adds its recipe weight (:class:`~shortfactory.core.recipe.HookWeights`) and a
reason, so ``metadata.json`` says why the title is what it is, and what came next.
Fragments never become titles: the tail of a sentence the clip starts inside, the
start of one it ends inside, a line ending on "the" or "and", and lines too short to
hold a verb ("Not yet.", "Thank you."). Widths are display widths, so a Japanese line
of 30 characters counts as the 60 columns it takes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shortfactory.core.artifacts import HookLine, HookPick
from shortfactory.core.recipe import HookWeights
from shortfactory.core.text import display_width, ends_sentence, is_cjk, text_tokens

MIN_WORDS = 3  # fewer words rarely hold a subject and a verb ("Not yet.", "Thank you.")
MIN_CJK_CHARS = 4  # the same for unspaced scripts, in characters
MAX_CONTRAST = 2  # "I never told anyone, but..." is a turn; five contrast words are not five
RUNNERS_UP = 3
# A sentence ending on one of these was cut off, whatever its punctuation says.
DANGLING_ENDS: frozenset[str] = frozenset(
    "a an the and or but because so of to with for from in on at by my your his her our "
    "their its that if when than as is are was were".split())
# Titles before a name, "i.e.": a sentence "ending" on one was cut at its dot.
ABBREVIATIONS: frozenset[str] = frozenset("mr mrs ms dr prof st vs i.e e.g".split())
# Spoken fillers that open a line ("Uh-huh, ...", "So, ..."): dropped from the title.
LEADING_FILLERS: frozenset[str] = frozenset(
    "uh um uh-huh mm hmm er erm ah oh so well okay ok yeah right".split())
NUMBER_WORDS: frozenset[str] = frozenset(
    "two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred hundreds thousand thousands million millions billion billions dozen".split())
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
_LEAD = re.compile(r"^[\W_]+")


@dataclass(slots=True)
class HookSigns:
    """What counts as a sign of a hook beyond punctuation: the recipe's words and weights,
    and the names this episode uses."""

    weights: HookWeights
    width: tuple[int, int]
    triggers: Mapping[str, float]
    names: Sequence[str]
    contrast: Sequence[str]


def pick_hook(sentences: Sequence[str], signs: HookSigns, *, starts_inside: bool) -> HookPick:
    """The best-scoring sentence that can be a title, with the runners-up.

    Args:
        sentences: the clip's sentences, in order (:func:`~shortfactory.core.text.sentences_of`).
        signs: weights and word lists.
        starts_inside: the clip starts inside its first sentence (its tail is a fragment).
            An unterminated last sentence is one the clip ends inside.

    Ties go to the earlier sentence: the first time a question is asked, not its echo.
    """
    if not sentences:
        return HookPick(reasons=["nobody speaks in the clip"])
    lines = []
    last = len(sentences) - 1
    for k, raw in enumerate(sentences):
        text = clean_line(raw)
        problem = fragment_reason(text, first=k == 0 and starts_inside,
                                  last=k == last and not ends_sentence(text))
        line = score_line(text, signs)
        if problem:
            line = HookLine(text=text, score=line.score, reasons=[problem, *line.reasons])
        lines.append((problem is None, line.score, -k, line))
    lines.sort(key=lambda item: item[:3], reverse=True)
    ranked = [line for *_, line in lines]
    if not lines[0][0]:
        return HookPick(reasons=["no sentence can be a title (only fragments): the "
                                 "fallback title is used"], runners_up=ranked[:RUNNERS_UP])
    best = ranked[0]
    return HookPick(text=best.text, score=best.score, reasons=best.reasons,
                    runners_up=ranked[1: 1 + RUNNERS_UP])


def score_line(text: str, signs: HookSigns) -> HookLine:
    """Add up the signs of a hook in one sentence, each with its reason."""
    w = signs.weights
    words = _words(text)
    parts: list[tuple[float, str]] = []
    if text.rstrip("\"'”’)」』） ").endswith(("?", "？")):
        parts.append((w.question, "question"))
    elif "!" in text[-3:] or "！" in text[-3:]:
        parts.append((w.exclamation, "exclamation"))
    hits = {t: wt for t, wt in signs.triggers.items() if _has_phrase(text, words, t)}
    if hits:
        parts.append((w.trigger * sum(hits.values()), "trigger words: " + _listed(sorted(hits))))
    names = [n for n in signs.names if _has_phrase(text, words, n)]
    if names:
        parts.append((w.name, "names: " + _listed(names)))
    numbers = [t for t in words if any(c.isdigit() for c in t) or t in NUMBER_WORDS]
    if numbers:
        parts.append((w.number, "numbers: " + _listed(numbers)))
    turns = [c for c in signs.contrast if _has_phrase(text, words, c)][:MAX_CONTRAST]
    if turns:
        parts.append((w.contrast * len(turns), "contrast: " + ", ".join(turns)))
    parts.append(_length_part(display_width(text), signs.width, w.length))
    reasons = [f"{why} (+{value:.2f})" for value, why in parts if value > 0]
    return HookLine(text=text, score=round(sum(v for v, _ in parts), 3),
                    reasons=reasons or ["no sign of a hook"])


def fragment_reason(text: str, *, first: bool, last: bool) -> str | None:
    """Why ``text`` cannot be a title (a fragment), or None when it can."""
    if first:
        return "fragment: the clip starts inside this sentence"
    if last:
        return "fragment: the clip ends inside this sentence"
    words = _words(text)
    cjk = sum(is_cjk(c) and c.isalnum() for c in text)
    if not words and not cjk:
        return "no words"
    if cjk < MIN_CJK_CHARS and len(words) < MIN_WORDS:
        size = f"{cjk} characters" if cjk > len(words) else f"{len(words)} words"
        return f"too short to hold a verb ({size})"
    if words and words[-1] in DANGLING_ENDS and not cjk:
        return f"fragment: ends on '{words[-1]}'"
    if _ends_on_abbreviation(text):
        return "fragment: ends on an abbreviation, not a full stop"
    return None


def _ends_on_abbreviation(text: str) -> bool:
    """"printed in Black Letter, i.e." or "said Mr.": the splitter took the abbreviation's
    dot for a full stop (a lone lower-case letter, or a title before a name)."""
    tokens = text_tokens(text)
    last = _EDGE.sub("", tokens[-1]) if tokens else ""
    return (len(last) == 1 and last.islower()) or last.casefold() in ABBREVIATIONS


def clean_line(sentence: str) -> str:
    """The sentence as a title: no leading punctuation or filler ("Uh-huh, so, ..."),
    a capital first letter."""
    text = _LEAD.sub("", sentence.strip())
    for _ in range(2):
        head, sep, rest = text.partition(" ")
        if sep and head.endswith(",") and _EDGE.sub("", head).casefold() in LEADING_FILLERS:
            text = _LEAD.sub("", rest)
    return text[:1].upper() + text[1:]


def _length_part(width: int, band: tuple[int, int], weight: float) -> tuple[float, str]:
    """The length sign: full inside the band, falling linearly outside it."""
    low, high = band
    if width < low:
        share, where = width / low, f"under {low}"
    elif width > high:
        share, where = max(0.0, 1 - (width - high) / high), f"over {high}"
    else:
        share, where = 1.0, f"within {low}-{high}"
    return weight * share, f"{width} columns, {where}"


def _listed(items: Sequence[str], most: int = 5) -> str:
    """A reason's list, short: a line of numbers is one sign, not twelve."""
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more


def _words(text: str) -> list[str]:
    """Lower-case words of a spaced script (CJK characters are not words here)."""
    out = []
    for token in text_tokens(text):
        word = _EDGE.sub("", token).casefold()
        if word and not any(is_cjk(c) for c in word):
            out.append(word)
    return out


def _has_phrase(text: str, words: list[str], phrase: str) -> bool:
    """Whether ``phrase`` (one or more words) occurs in the sentence: as whole words in
    spaced scripts, as a substring where it is written in CJK."""
    if any(is_cjk(c) for c in phrase):
        return phrase in text
    wanted = _words(phrase)
    n = len(wanted)
    return n > 0 and any(words[i: i + n] == wanted for i in range(len(words) - n + 1))
