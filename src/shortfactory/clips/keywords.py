"""A clip's keywords: TF-IDF of its terms against the sentences of its own episode.

Why TF-IDF and not a package (YAKE 0.7.3 was tried): YAKE's licence is unclear (its
metadata says LGPLv3, its classifier GPLv3, its LICENSE file AGPL-3.0 with a commercial
option) and it cannot cut Japanese or Chinese into words (a Japanese transcript came
back as one 50-character "keyword"). TF-IDF needs nothing but the project's tokenizer
(:func:`shortfactory.core.text.text_tokens`), and the episode is the right background:
a word every scene says ("okay") scores low, one this clip keeps saying scores high.

Terms are single words and pairs of adjacent content words ("grand prize") in spaced
scripts; in Japanese and Chinese, which are not spaced, runs of katakana and runs of
two to four kanji/hanzi (longer runs give their character pairs). Hiragana runs are
grammar (particles, endings), never terms.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shortfactory.core.text import is_cjk, text_tokens

# Function words, fillers and the commonest verbs and adjectives of English speech: never
# a keyword on their own, and a pair containing one is not a term ("told anyone"). Other
# languages rely on the IDF alone.
STOPWORDS: frozenset[str] = frozenset("""
a about above after again against all almost also am an and any are aren't as at back be
because been before being below between both but by can can't cannot could couldn't did
didn't do does doesn't doing don't down during each even ever every few for from further
get gets getting go goes going gonna got had hadn't has hasn't have haven't having he he'd
he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in
into is isn't it it's its itself just know let let's like look made make many may me might
more most much must mustn't my myself need never no nor not now of off oh ok okay on once
one only or other ought our ours ourselves out over own really right said same say says see
she she'd she'll she's should shouldn't so some such sure than that that's the their theirs
them themselves then there there's these they they'd they'll they're they've thing things
think this those though through to too under until up upon us very want was wasn't way we
we'd we'll we're we've well were weren't what what's when when's where where's which while
who who's whom why why's will with won't would wouldn't yeah yes yet you you'd you'll you're
you've your yours yourself yourselves uh um uh-huh huh hmm ha hey hi hello oh mm
ask asked bring brought buy call called came come comes coming did does find found gave
give given goes gone hear heard help keep kept knew leave left meet met put saw seem seemed
show showed start started take taken takes tell told thought took tried try turn turned
use used wait waited walk went win won work worked
bad big good great little long new nice old small anyone anything everyone everything
someone something nobody nothing lot lots kind maybe quite still today tomorrow tonight
yesterday later soon ago again always already away actually please thank thanks sorry
two three four five six seven eight nine ten first second last next
""".split())

_EDGE_PUNCT = re.compile(r"^[^\w']+|[^\w']+$")
MIN_LATIN_CHARS = 3  # "tv", "ok": too short to tag on their own
MAX_HAN_RUN = 4  # longer runs of kanji/hanzi are clauses, not words: use their pairs


@dataclass(slots=True)
class Keyword:
    """A term of the clip and its weight; ``text`` is its spelling in the clip."""

    text: str
    score: float


def clip_keywords(clip_sentences: Sequence[str], episode_sentences: Sequence[str],
                  k: int, *, exclude: Iterable[str] = ()) -> list[Keyword]:
    """The ``k`` terms of the clip with the highest TF-IDF, best first.

    Args:
        clip_sentences: the clip's sentences (what the viewer hears).
        episode_sentences: every sentence of the episode: the documents of the IDF.
        k: how many keywords at most.
        exclude: terms never returned (the character names, tagged on their own).

    TF is sublinear (1 + ln count) so a word said five times does not drown the rest;
    a term whose words all belong to a better one ("prize" after "grand prize") is
    skipped.
    """
    if k <= 0:
        return []
    documents = [set(sentence_terms(s)) for s in episode_sentences]
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for sentence in clip_sentences:
        for term, shown in sentence_terms(sentence).items():
            counts[term] += shown[1]
            spelling.setdefault(term, shown[0])
    skip = {_norm(x) for x in exclude}
    # Ties (common in short clips: most terms occur once) go to the longer term, then
    # to the earlier one: "grand prize" before "grand", "lottery" before "ticket".
    scored = sorted((((1 + math.log(n)) * idf(term, documents), len(term.split()), len(term),
                      -order, term)
                     for order, (term, n) in enumerate(counts.items()) if term not in skip),
                    reverse=True)
    chosen: list[Keyword] = []
    for score, *_, term in scored:
        if len(chosen) == k:
            break
        if not _covered(term, [c.text.casefold() for c in chosen]):
            chosen.append(Keyword(spelling[term], round(score, 3)))
    return chosen


def idf(term: str, documents: Sequence[set[str]]) -> float:
    """Smoothed inverse document frequency: ``ln((1 + N) / (1 + df)) + 1``, never 0, so a
    clip that is the whole episode still ranks its terms by count."""
    df = sum(term in d for d in documents)
    return math.log((1 + len(documents)) / (1 + df)) + 1


def sentence_terms(sentence: str) -> dict[str, tuple[str, int]]:
    """Terms of one sentence: normalised term -> (its spelling, how often it occurs)."""
    found: dict[str, tuple[str, int]] = {}
    for shown in _terms(text_tokens(sentence)):
        key = _norm(shown)
        spelling, n = found.get(key, (shown, 0))
        found[key] = (spelling, n + 1)
    return found


def _terms(tokens: list[str]) -> list[str]:
    """Words, word pairs and CJK runs of a sentence's tokens (see module docstring)."""
    out: list[str] = []
    previous = ""  # the last content word, for pairs; "" after a break
    for kind, run in _runs(tokens):
        if kind == "latin":
            word = _EDGE_PUNCT.sub("", run)
            if _is_content(word):
                out.append(word)
                if previous:
                    out.append(f"{previous} {word}")
                # A pair never spans punctuation: "rich, really" is two thoughts.
                previous = word if run[-1].isalnum() else ""
            else:
                previous = ""
        else:
            previous = ""
            out += _cjk_terms(kind, run)
    return out


def _is_content(word: str) -> bool:
    return (len(word) >= MIN_LATIN_CHARS and any(c.isalpha() for c in word)
            and word.casefold() not in STOPWORDS)


def _cjk_terms(kind: str, run: str) -> list[str]:
    if kind == "katakana" and len(run) >= 2:
        return [run]
    if kind == "han" and 2 <= len(run) <= MAX_HAN_RUN:
        return [run]
    if kind == "han" and len(run) > MAX_HAN_RUN:
        return [run[i: i + 2] for i in range(len(run) - 1)]
    return []


def _runs(tokens: list[str]) -> list[tuple[str, str]]:
    """Tokens as (script, text) runs: a spaced-script token is its own run; consecutive
    CJK characters of one script (katakana, han) join; anything else breaks a run."""
    runs: list[tuple[str, str]] = []
    for token in tokens:
        if not any(is_cjk(c) for c in token):
            runs.append(("latin", token))
            continue
        for char in token:
            kind = _script(char)
            if runs and runs[-1][0] == kind and kind in ("katakana", "han"):
                runs[-1] = (kind, runs[-1][1] + char)
            else:
                runs.append((kind, char))
    return runs


def _script(char: str) -> str:
    """``katakana``, ``han`` or ``other`` (hiragana, punctuation, a Latin letter)."""
    if not char.isalnum() and char != "ー":
        return "other"
    name = unicodedata.name(char, "")
    if name.startswith("KATAKANA") or char == "ー":
        return "katakana"
    if name.startswith("CJK UNIFIED IDEOGRAPH"):
        return "han"
    return "other"


def _norm(term: str) -> str:
    return " ".join(term.casefold().split())


def _covered(term: str, chosen: list[str]) -> bool:
    """Whether every word of ``term`` is already in a chosen keyword (or it is a part of
    a chosen CJK term)."""
    words = term.split()
    cjk = any(is_cjk(ch) for ch in term)
    return any(all(w in c.split() for w in words) or (cjk and term in c) for c in chosen)
