"""Word-timed, phone-readable subtitles for one clip: cues, ASS (burned in) and SRT.

A cue is what is on screen at once: at most ``max_lines`` lines of at most
``max_chars_per_line`` columns (display width: a CJK glyph takes two; Chinese and
Japanese are not spaced, so the ASR's tokens are first merged into phrases,
:func:`phrase_words`, and a line breaks between those, never inside one). Cues and
lines are chosen together by a small dynamic programme over the clip's words, so that
breaks fall on phrase boundaries (sentence end, then clause punctuation and pauses,
then before a conjunction or preposition) and never inside a word; a cue never spans more than
``max_duration_s`` of speech, and reading speed above ``max_cps`` is penalised.

Times in a :class:`Cue` are **clip-relative seconds on the source timeline**: the
render burns the ASS before it applies any speed factor, so the burned subtitles follow
the speed-up with the picture. Only the SRT, which is uploaded next to the finished
Short, is written on the output timeline (:func:`to_srt` takes the speed).

Every setting comes from the recipe's ``subtitles`` section, the validated
:class:`~shortfactory.core.recipe.SubtitleSection` (no defaults of this module's own, so what
the recipe documents is what runs); the one value of another section it needs, the
render's ``speed``, is passed on its own (:func:`write_subtitles`), so that other render
edits do not rerun the subtitles.

Emoji: libass draws emoji as empty boxes, so emoji are stripped from the ASS text and
kept on the cue (:attr:`Cue.emoji`, and per word in :attr:`CueWord.emoji`) for a later
stage to overlay as images (pilmoji with an offline source). The SRT keeps them:
players render emoji in captions themselves.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pysubs2

from shortfactory.clips.fonts import needs_cjk_font
from shortfactory.core.artifacts import Accents, EmojiAccent, Moment, Transcript, Word
from shortfactory.core.recipe import Hook, SubtitleSection
from shortfactory.core.text import (
    NO_LINE_START,
    display_width,
    ends_sentence,
    join_words,
    line_tokens,
    phrases,
    spaced,
    unspaced_runs,
)

# --- value objects -----------------------------------------------------------------


@dataclass(slots=True)
class CueWord:
    """One displayed word.

    Attributes:
        text: display text, emoji removed, case as configured (may be empty only when
            a cue holds nothing but emoji).
        raw: the word as transcribed (emoji kept), for the SRT.
        start: clip-relative start, seconds.
        end: clip-relative end, seconds.
        keyword: always highlighted (a recipe keyword).
        emoji: emoji removed from this word, in order, for the image overlay.
        segment_end: the last word of an ASR segment (Whisper ends them at pauses and
            sentence ends, even where its small models leave out the 。).
    """

    text: str
    raw: str
    start: float
    end: float
    keyword: bool = False
    emoji: list[str] = field(default_factory=list)
    segment_end: bool = False


@dataclass(slots=True)
class Cue:
    """What is on screen at once: lines of words, with clip-relative display times."""

    start: float
    end: float
    lines: list[list[CueWord]]
    emoji: list[str] = field(default_factory=list)

    @property
    def words(self) -> list[CueWord]:
        return [w for line in self.lines for w in line]

    @property
    def text(self) -> str:
        """Display text (no emoji), lines joined by ``\\n``."""
        return "\n".join(_join(w.text for w in line) for line in self.lines)


# --- word classes used for phrase boundaries -----------------------------------------

_EMOJI_CORE = (
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, flags, supplemental
    "\u2600-\u27bf"  # misc symbols and dingbats
    "\u2b00-\u2bff"  # arrows and stars used as emoji
    "\u2300-\u23ff"  # watch, hourglass, media controls
    "\u3030\u303d\u3297\u3299"
)
_TONE = "\U0001f3fb-\U0001f3ff"  # skin-tone modifiers belong to the emoji before them
_EMOJI_RE = re.compile(
    "(?:[\U0001f1e6-\U0001f1ff]{2}"  # flags: a pair of regional indicators
    "|[#*0-9]\ufe0f?\u20e3"  # keycaps
    rf"|[{_EMOJI_CORE}](?:\ufe0f|[{_TONE}])?(?:\u200d[{_EMOJI_CORE}](?:\ufe0f|[{_TONE}])?)*)"
)
_STRAY_RE = re.compile("[\ufe0f\u200d\u20e3]")

_CLAUSE_END = re.compile(r"[,;:–—\-、，；：]+[\"'”’)\]]*$")
_STRIP = re.compile(r"^[\W_]+|[\W_]+$")

# Breaking *before* these keeps a phrase together ("…the dog | because it…");
# subject pronouns usually open a new clause ("…on Tuesday | it landed…").
_PHRASE_STARTERS = frozenset(
    """
    and but or nor so yet because although though while whereas unless until since
    if then when whenever where wherever whether that which who whom whose what how why
    after before once as than like to of in on at by for with without from into onto
    about above below over under between through during against among around across
    i you he she it we they there
    """.split()
)
# Breaking *after* these leaves a word dangling at the end of a line or cue.
_DANGLING = frozenset(
    """
    a an the my your his her its our their this these those to of in on at by for with
    from into and but or nor very so i i'm you're we're they're it's is are was were
    """.split()
)

# Costs of a break after a word; lower is a better place to break.
_COST_SENTENCE = 0.0
_COST_CLAUSE = 0.25
_COST_PAUSE = 0.15
_COST_STARTER = 0.5
_COST_PLAIN = 1.0
_COST_DANGLING = 1.6
_PAUSE_S = 0.35

# Costs of a whole cue segmentation.
_CUE_COST = 0.15  # per cue: prefer fuller cues to flicker
_UNBROKEN_SENTENCE_COST = 0.8  # a sentence end inside a cue instead of at its end
_CPS_COST = 2.0  # per unit of relative excess over max_cps
_SHORT_COST = 0.3  # a cue shorter than min_duration_s that cannot be extended
# The longest a word plausibly takes to say: base + per display column (slow speech).
_WORD_BASE_S = 0.15
_WORD_S_PER_COLUMN = 0.09
_LINE_BREAK_WEIGHT = 0.5  # line breaks matter less than cue breaks
_BALANCE_WEIGHT = 0.8

_MERGE_GAP_S = 0.2  # close smaller gaps between cues so the text does not flicker

# The ASS script's own coordinate space (PlayRes): the section's sizes (font_size,
# outline_px, shadow_px) are px at 1080x1920, and libass scales the script to whatever
# size the render burns it into.
PLAY_RES = (1080, 1920)


def _join(parts: Iterable[str]) -> str:
    return join_words(p for p in parts if p)


def split_emoji(text: str) -> tuple[str, list[str]]:
    """Return ``text`` without emoji and the emoji found, in order.

    Why: libass renders emoji as empty boxes; the overlay stage draws them as images.
    """
    found = _EMOJI_RE.findall(text)
    clean = _STRAY_RE.sub("", _EMOJI_RE.sub("", text))
    return clean.strip(), found


def _norm(token: str) -> str:
    return _STRIP.sub("", token).lower()


# --- building cues -----------------------------------------------------------------


def write_subtitles(transcript: Transcript, start_s: float, end_s: float,
                    section: SubtitleSection, speed: float,
                    triggers: Mapping[str, float] | None = None, *, clip: str = "",
                    ) -> tuple[str, str, Accents]:
    """The clip's burned-in ASS script, its SRT for upload and its accents (emoji rows
    and punch-in moments for the render), as ``(ass, srt, accents)``.

    Args:
        transcript: the episode transcript (source-timeline word times).
        start_s: clip start on the source timeline.
        end_s: clip end on the source timeline.
        section: the recipe's ``subtitles`` section.
        speed: the recipe's ``render.speed``. Only the SRT uses it: the ASS is burned
            before the speed change, the SRT describes the finished Short.
        triggers: the candidates' trigger words and weights, highlighted like keywords
            and offered to the render as punch-in moments.
        clip: the clip id, recorded in the accents.
    """
    triggers = dict(triggers or {})
    cues = build_cues(transcript, start_s, end_s, section, triggers=list(triggers))
    return (to_ass(cues, section), to_srt(cues, speed=speed),
            plan_accents(cues, section, triggers, clip=clip))


def build_cues(transcript: Transcript, start_s: float, end_s: float,
               section: SubtitleSection, *, triggers: Sequence[str] = ()) -> list[Cue]:
    """Group the clip's words into timed, phone-readable cues.

    Args:
        transcript: the episode transcript (source-timeline word times).
        start_s: clip start on the source timeline.
        end_s: clip end on the source timeline.
        section: the recipe's ``subtitles`` section.

    Returns:
        Cues in time order with clip-relative, non-overlapping times. Words cut by the
        clip edges are dropped: half a word on screen reads as a mistake.
    """
    ends = [k == len(s.words) - 1 for s in transcript.segments for k in range(len(s.words))]
    words = clip_words(transcript.words(), start_s, end_s, section, segment_ends=ends)
    if not words:
        return []
    names = episode_names(transcript) if section.highlight_names else []
    _mark_keywords(words, [*triggers, *names])
    if section.highlight_numbers:
        for w in words:
            w.keyword = w.keyword or any(c.isdigit() for c in w.text)
    words = phrase_words(words, transcript.language, section.max_chars_per_line)
    duration = end_s - start_s
    costs = [break_cost(words, k) for k in range(len(words))]
    groups = _segment(words, section, duration, costs)
    cues = [
        Cue(
            start=words[i].start,
            end=words[j - 1].end,
            lines=[
                words[a:b]
                for a, b in _layout(words[i:j], section, offset=i, breaks=costs[i:j])[1]
            ],
            emoji=[e for w in words[i:j] for e in w.emoji],
        )
        for i, j in groups
    ]
    _settle_times(cues, section, duration)
    for cue in cues:  # a few highlights read as emphasis, many as noise
        for w in [w for line in cue.lines for w in line if w.keyword][
                section.max_highlights_per_cue:]:
            w.keyword = False
    return cues


def episode_names(transcript: Transcript, min_count: int = 2) -> list[str]:
    """Words the episode writes capitalised inside sentences, ``min_count`` times or
    more and never in lower case: character names, places ("Sinbad", "Tuesday").

    Why from the transcript: no recipe can list every episode's names; Whisper
    capitalises proper nouns. Sentence-initial words are skipped (every sentence
    starts capitalised), as is "I".
    """
    capitalised: dict[str, int] = {}
    lower: set[str] = set()
    previous_ends = True
    for word in transcript.words():
        token = _STRIP.sub("", word.word.strip())
        if token:
            if token[0].islower():
                lower.add(token.casefold())
            elif token[0].isupper() and not previous_ends and token != "I" and len(token) > 1:
                capitalised[token] = capitalised.get(token, 0) + 1
        previous_ends = ends_sentence(word.word)
    return sorted(t for t, n in capitalised.items()
                  if n >= min_count and t.casefold() not in lower)


def clip_words(words: Sequence[Word], start_s: float, end_s: float,
               section: SubtitleSection, *,
               segment_ends: Sequence[bool] = ()) -> list[CueWord]:
    """Words wholly inside the clip, clip-relative, cleaned and keyword-marked.

    Emoji-only words are folded into their neighbour's ``emoji`` list so that layout
    only sees displayable text. Times are made monotonic (ASR sometimes overlaps).
    ``segment_ends`` flags, word for word, the last word of each ASR segment.
    """
    eps = 0.02
    upper = section.uppercase
    out: list[CueWord] = []
    pending: list[str] = []
    for k, w in enumerate(words):
        if w.start < start_s - eps or w.end > end_s + eps:
            continue
        raw = w.word.strip()
        segment_end = k < len(segment_ends) and segment_ends[k]
        if not raw:
            if segment_end and out:
                out[-1].segment_end = True
            continue
        text, emoji = split_emoji(raw)
        if not text:
            if out:
                out[-1].emoji.extend(emoji)
                out[-1].raw += " " + raw
                out[-1].segment_end |= segment_end
            else:
                pending.append(raw)
            continue
        start = max(0.0, w.start - start_s)
        end = min(end_s - start_s, max(start, w.end - start_s))
        if out and start < out[-1].start:
            start = out[-1].start
        if out and out[-1].end > start:
            out[-1].end = start
        lead = [e for r in pending for e in split_emoji(r)[1]]
        out.append(CueWord(text.upper() if upper else text, " ".join([*pending, raw]), start,
                           max(end, start), False, lead + emoji, segment_end))
        pending = []
    _mark_keywords(out, section.keywords)
    return out


def phrase_words(words: list[CueWord], language: str | None, columns: int) -> list[CueWord]:
    """Whisper's tokens of unspaced scripts (Japanese, Chinese) merged into the units a
    line may break between: BudouX phrases (:func:`~shortfactory.core.text.phrases`)
    where a phrase edge falls between two tokens. Whisper cuts those scripts into byte
    pair pieces, not words (「キ」「ャンプ」), so breaking between any two tokens split
    words and put small kana at the start of a line. A phrase wider than a line is
    cut again between tokens, never before a character that may not start a line. The
    merged word keeps the first start, the last end, and any keyword mark; spaced
    words pass through unchanged."""
    out: list[CueWord] = []
    for run in unspaced_runs(words, lambda w: w.text):
        if len(run) == 1:
            out += run
        else:
            out += [_merged(group) for group in _phrase_groups(run, language, columns)]
    return out


def _phrase_groups(run: list[CueWord], language: str | None,
                   columns: int) -> list[list[CueWord]]:
    """``run`` (unspaced tokens) grouped by phrase, each group at most ``columns`` wide
    unless one token alone is wider."""
    edges = set(itertools.accumulate(len(p) for p in phrases("".join(w.text for w in run),
                                                               language)))
    groups: list[list[CueWord]] = []
    offset = 0
    for w in run:
        may_start = bool(w.text) and w.text[0] not in NO_LINE_START
        if not groups or (offset in edges and may_start):
            groups.append([w])
        else:
            groups[-1].append(w)
        offset += len(w.text)
    out: list[list[CueWord]] = []
    for group in groups:
        pieces = [[group[0]]]
        for w in group[1:]:
            piece = pieces[-1]
            if display_width("".join(x.text for x in [*piece, w])) <= columns:
                piece.append(w)
            elif w.text and w.text[0] not in NO_LINE_START:
                pieces.append([w])
            elif len(piece) > 1 and piece[-1].text[:1] not in NO_LINE_START:
                pieces.append([piece.pop(), w])  # carry the token before it down too
            else:
                piece.append(w)  # nothing to carry: it hangs past the line end
        out += pieces
    return out


def _merged(words: list[CueWord]) -> CueWord:
    if len(words) == 1:
        return words[0]
    return CueWord(text="".join(w.text for w in words), raw=join_words(w.raw for w in words),
                   start=words[0].start, end=words[-1].end,
                   keyword=any(w.keyword for w in words),
                   emoji=[e for w in words for e in w.emoji],
                   segment_end=words[-1].segment_end)


def _mark_keywords(words: list[CueWord], keywords: Sequence[str]) -> None:
    """Mark every occurrence of each (possibly multi-word) keyword, case-insensitively."""
    for i, n, _ in phrase_hits(words, keywords):
        for w in words[i : i + n]:
            w.keyword = True


def phrase_hits(words: Sequence[CueWord], phrases: Iterable[str]) -> list[tuple[int, int, str]]:
    """``(first word index, word count, phrase)`` of every occurrence of each phrase,
    matched word by word, case and punctuation ignored ("No way!" is "no way")."""
    normed = [_norm(w.text) for w in words]
    hits = []
    for phrase in phrases:
        toks = [_norm(t) for t in phrase.split() if _norm(t)]
        n = len(toks)
        hits += [(i, n, phrase) for i in range(len(words) - n + 1) if n and
                 normed[i : i + n] == toks]
    return sorted(hits)


def break_cost(words: Sequence[CueWord], i: int) -> float:
    """Cost of breaking (a line or a cue) after ``words[i]``; lower is a better place."""
    text = words[i].text
    if i + 1 >= len(words):
        return _COST_SENTENCE
    if ends_sentence(text):
        return _COST_SENTENCE
    cost = _COST_PLAIN
    if _CLAUSE_END.search(text):
        cost = _COST_CLAUSE
    elif _norm(words[i + 1].text) in _PHRASE_STARTERS:
        cost = _COST_STARTER
    if _norm(text) in _DANGLING:
        cost = max(cost, _COST_DANGLING)
    if words[i].segment_end:
        cost = min(cost, _COST_CLAUSE)
    if words[i + 1].start - words[i].end >= _PAUSE_S:
        cost = min(cost, _COST_PAUSE)
    return cost


def _layout(
    words: Sequence[CueWord], section: SubtitleSection, *, offset: int = 0,
    breaks: Sequence[float] = (),
) -> tuple[float, list[tuple[int, int]]]:
    """Split one cue's words into the fewest lines that fit, best breaks among those.

    A single word longer than a line gets a line of its own (words are never split).

    Returns:
        ``(cost, [(start, stop), ...])`` with indices offset by ``offset``; cost is
        ``inf`` when the words do not fit in ``max_lines`` lines.
    """
    max_chars = section.max_chars_per_line
    max_lines = section.max_lines
    n = len(words)
    costs = list(breaks) or [break_cost(words, k) for k in range(n)]
    lens = [display_width(w.text) for w in words]
    gaps = [int(spaced(words[k].text, words[k + 1].text)) for k in range(n - 1)]

    def width(a: int, b: int) -> int:
        return sum(lens[a:b]) + sum(gaps[a:b - 1])

    inf = math.inf
    # best[k][p]: cost of laying words[:p] in exactly k lines.
    best = [[inf] * (n + 1) for _ in range(max_lines + 1)]
    back = [[-1] * (n + 1) for _ in range(max_lines + 1)]
    best[0][0] = 0.0
    for k in range(1, max_lines + 1):
        for p in range(1, n + 1):
            for a in range(p - 1, -1, -1):
                w = width(a, p)
                if w > max_chars and p - a > 1:
                    break
                if best[k - 1][a] == inf:
                    continue
                brk = costs[p - 1] * _LINE_BREAK_WEIGHT if p < n else 0.0
                c = best[k - 1][a] + brk + _BALANCE_WEIGHT * ((max_chars - w) / max_chars) ** 2
                if c < best[k][p]:
                    best[k][p], back[k][p] = c, a
        if best[k][n] < inf:
            spans, p = [], n
            for kk in range(k, 0, -1):
                a = back[kk][p]
                spans.append((a, p))
                p = a
            spans.reverse()
            # Report breaks plus imbalance between lines (0 for one line), not slack:
            # slack would make every short cue look bad to the cue segmentation.
            brk = sum(costs[b - 1] for _, b in spans[:-1]) * _LINE_BREAK_WEIGHT
            widths = [width(a, b) for a, b in spans]
            mean = sum(widths) / len(widths)
            imbalance = sum((w - mean) ** 2 for w in widths) / max_chars**2
            return brk + _BALANCE_WEIGHT * imbalance, [(a + offset, b + offset) for a, b in spans]
    return inf, []


def _segment(
    words: Sequence[CueWord], section: SubtitleSection, duration: float,
    costs: Sequence[float],
) -> list[tuple[int, int]]:
    """Choose cue boundaries over all words by dynamic programming (see :func:`cue_cost`)."""
    n = len(words)
    best = [math.inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            c = cue_cost(words, i, j, section, duration, costs)
            if c is None:
                break
            if best[i] + c < best[j]:
                best[j], back[j] = best[i] + c, i
    groups, j = [], n
    while j > 0:
        groups.append((back[j], j))
        j = back[j]
    return groups[::-1]


def cue_cost(
    words: Sequence[CueWord], i: int, j: int, section: SubtitleSection, duration: float,
    costs: Sequence[float],
) -> float | None:
    """Cost of showing ``words[i:j]`` as one cue; ``None`` once it is too long to grow.

    Hard limits: the layout must fit, and a cue of several words may not span more
    than ``max_duration_s``. Soft costs: break quality, one cue more, sentence ends left
    inside the cue, reading speed over ``max_cps`` (given the time the cue can stay up
    until the next word), and a cue too short to read. ``inf`` means this cue cannot be
    shown but a longer one (more words before it) is not ruled out.
    """
    n = len(words)
    max_dur = section.max_duration_s
    max_lines = section.max_lines
    span = words[j - 1].end - words[i].start
    chars = display_width(_join(w.text for w in words[i:j]))
    too_long = chars > (section.max_chars_per_line + 1) * max_lines
    if j - i > 1 and (span > max_dur or too_long):
        return None
    layout_cost, spans = _layout(words[i:j], section, breaks=costs[i:j])
    if not spans:
        return math.inf
    c = _CUE_COST + layout_cost + costs[j - 1]
    c += _UNBROKEN_SENTENCE_COST * sum(1 for k in range(i, j - 1) if costs[k] == _COST_SENTENCE)
    room = (words[j].start if j < n else duration) - words[i].start
    room = min(max(room, span, 1e-3), max_dur)
    max_cps = section.max_cps
    if chars / room > max_cps:
        c += _CPS_COST * (chars / room - max_cps) / max_cps
    if room < section.min_duration_s:
        c += _SHORT_COST
    return c


def latest_onset(word: CueWord) -> float:
    """The latest a word can have started, given when it ended.

    Why: Whisper stretches the first word after a pause back into the silence (seen:
    "That" timed 0.86 s, its pause included), so the cue before it may stay up into that
    silence, and this cue start a little later, without leaving its word.
    """
    longest = _WORD_BASE_S + _WORD_S_PER_COLUMN * display_width(word.text)
    return max(word.start, word.end - longest)


def _settle_times(cues: list[Cue], section: SubtitleSection, duration: float) -> None:
    """Give each cue its reading time (``min_duration_s``, ``max_cps``): first by staying
    up longer, never into the next cue's first word (:func:`latest_onset`); what that
    cannot give, by appearing up to ``max_lead_s`` early in the silence after the previous
    cue.

    Why early rather than late: a late cue would push every later cue off its words; an
    early one only shows its text a moment before it is said (fast speech after a pause:
    "Because our ticket / just won the grand" said at 30 characters/s). Speech faster
    than ``max_cps`` with no pause around it stays as fast as it was said.
    """
    min_dur = section.min_duration_s
    max_dur = section.max_duration_s
    max_cps = section.max_cps
    for k, cue in enumerate(cues):
        after = cues[k + 1] if k + 1 < len(cues) else None
        limit = after.start if after else duration
        chars = display_width(cue.text.replace("\n", " "))
        need = max(min_dur, chars / max_cps)
        want = min(max(need, cue.end - cue.start), max(max_dur, cue.end - cue.start))
        cue.end = max(cue.end, min(cue.start + want, limit))
        first_after = next((w for w in after.words if w.text), None) if after else None
        if first_after and cue.end - cue.start < need:
            cue.end = max(cue.end, min(cue.start + need, latest_onset(first_after)))
            after.start = max(after.start, cue.end)
            limit = after.start
        if limit - cue.end < _MERGE_GAP_S:
            cue.end = limit
        cue.end = max(cue.end, cue.start)
        earliest = max(cues[k - 1].end if k else 0.0, cue.start - section.max_lead_s)
        short = min(need, max_dur) - (cue.end - cue.start)
        if short > 0 and earliest < cue.start:
            cue.start = max(earliest, cue.start - short)


# --- writers -----------------------------------------------------------------------


def ass_colour(hex_rgb: str) -> str:
    """``#RRGGBB`` -> ``&HBBGGRR&``, the form of ASS override tags (blue first)."""
    h = hex_rgb.lstrip("#").upper()
    return f"&H{h[4:6]}{h[2:4]}{h[0:2]}&"


def _colour(hex_rgb: str, alpha: int = 0) -> pysubs2.Color:
    """``#RRGGBB`` (and an ASS alpha, 0 = opaque) as a style colour."""
    h = hex_rgb.lstrip("#")
    return pysubs2.Color(int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), alpha)


def ass_seconds(stamp: str) -> float:
    """``H:MM:SS.cc`` (an ASS event time) in seconds."""
    return pysubs2.time.timestamp_to_ms(pysubs2.time.TIMESTAMP.match(stamp.strip()).groups()
                                        ) / 1000


def _ass_escape(text: str) -> str:
    # Braces open override blocks and backslashes start tags: neither may reach libass.
    return text.replace("\\", "\u29f5").replace("{", "(").replace("}", ")")


def _ass_text(cue: Cue, current: CueWord | None, colours: tuple[str, str, str],
              cjk_font: str = "", *, reveal: bool = False) -> str:
    """One event's text. With ``reveal``, words after ``current`` are drawn fully
    transparent: they keep their place, so the lines do not reflow as words appear."""
    base, hi, key = colours
    order = [w for line in cue.lines for w in line if w.text]
    at = next((k for k, w in enumerate(order) if w is current), None)
    hidden = set(map(id, order[at + 1:])) if reveal and at is not None else set()
    lines = []
    for line in cue.lines:
        parts = []
        for w in line:
            if not w.text:
                continue
            text = _ass_escape(w.text)
            if cjk_font and needs_cjk_font(w.text):
                text = f"{{\\fn{cjk_font}}}{text}{{\\fn}}"  # back to the style's font
            if id(w) in hidden:
                parts.append(f"{{\\alpha&HFF&}}{text}{{\\alpha&H00&}}")
            elif w is current or w.keyword:
                colour = hi if w is current else key
                parts.append(f"{{\\1c{colour}}}{text}{{\\1c{base}}}")
            else:
                parts.append(text)
        lines.append(_join_tagged(parts, [w.text for w in line if w.text]))
    return "\\N".join(lines)


def _join_tagged(parts: Sequence[str], texts: Sequence[str]) -> str:
    """ASS line parts (text with colour tags) spaced as their plain words are."""
    out = parts[0] if parts else ""
    for k in range(1, len(parts)):
        out += (" " if spaced(texts[k - 1], texts[k]) else "") + parts[k]
    return out


def to_ass(cues: Sequence[Cue], section: SubtitleSection, *, width: int = PLAY_RES[0],
           height: int = PLAY_RES[1]) -> str:
    """Styled ASS script for libass (the render's ``subtitles`` filter).

    Style: font, size, bold, colours, outline and shadow from ``section``; each event is
    centred at ``position_y`` of the height (``\\an5\\pos``) so the text block's centre
    sits there whatever its line count. With ``section.karaoke`` each cue becomes
    one event per word, the word being spoken coloured ``highlight_colour`` (TikTok
    style; the layout is identical across events because only colours change).
    Keywords, trigger words, names and numbers are in ``keyword_colour`` (at most
    ``max_highlights_per_cue`` a cue), the word being spoken in ``highlight_colour``.
    Emoji are not in the text (libass draws boxes); see :attr:`Cue.emoji`. Times stay
    on the clip's source timeline.
    """
    base = ass_colour(section.primary_colour)
    hi = ass_colour(section.highlight_colour)
    key = ass_colour(section.keyword_colour)
    x, y = width / 2, section.position_y * height
    pos = f"{{\\an5\\pos({x:.0f},{y:.0f})}}"
    script = new_script(width, height)
    script.styles["Default"] = pysubs2.SSAStyle(
        fontname=section.font, fontsize=section.font_size,
        primarycolor=_colour(section.primary_colour),
        secondarycolor=_colour(section.highlight_colour),
        outlinecolor=_colour(section.outline_colour),
        backcolor=_colour(section.outline_colour, 0x60), bold=section.bold,
        borderstyle=1, outline=section.outline_px, shadow=section.shadow_px,
        alignment=pysubs2.Alignment.MIDDLE_CENTER, marginl=40, marginr=40, marginv=0)
    for cue in cues:
        for k, (start, end, current) in enumerate(_karaoke_spans(cue, section.karaoke)):
            if end <= start:
                continue
            text = _ass_text(cue, current, (base, hi, key), section.cjk_font,
                             reveal=section.animation == "reveal")
            # Only the cue's first event pops: later ones are the same cue, recoloured.
            tags = pos[:-1] + (_POP if section.animation == "pop" and k == 0 else "") + "}"
            script.append(pysubs2.SSAEvent(start=_ms(start), end=_ms(end), text=tags + text))
    return script.to_string("ass")


def new_script(width: int = PLAY_RES[0], height: int = PLAY_RES[1]) -> pysubs2.SSAFile:
    """An empty ASS script in the Short's coordinate space, scaled borders, no matrix.

    Why ``YCbCr Matrix: None``: libass would otherwise convert the colours for a video
    matrix it guesses, and captions would not be the recipe's colours."""
    script = pysubs2.SSAFile()
    script.styles.clear()
    script.info.update({"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "2",
                        "ScaledBorderAndShadow": "yes", "YCbCr Matrix": "None"})
    return script


def _ms(t: float) -> int:
    return max(0, round(t * 1000))


# Pop-in: from 80 % to full size over the first 80 ms of the cue (libass animates it).
_POP = "\\fscx80\\fscy80\\t(0,80,\\fscx100\\fscy100)"


def _karaoke_spans(cue: Cue, karaoke: bool) -> list[tuple[float, float, CueWord | None]]:
    """``(start, end, highlighted word)`` spans covering the cue without gaps."""
    words = [w for w in cue.words if w.text]
    if not karaoke or not words:
        return [(cue.start, cue.end, None)]
    # A cue shown early (``max_lead_s``) highlights nothing until its first word.
    spans = [(cue.start, words[0].start, None)] if words[0].start > cue.start else []
    for k, w in enumerate(words):
        start = max(cue.start, w.start) if k == 0 else w.start
        end = words[k + 1].start if k + 1 < len(words) else cue.end
        spans.append((start, max(start, end), w))
    return spans


def to_srt(cues: Sequence[Cue], *, speed: float) -> str:
    """Plain SRT for upload next to the Short.

    Args:
        cues: cues from :func:`build_cues`.
        speed: the render's speed factor; SRT times are divided by it because the SRT
            describes the finished (sped-up) video, unlike the burned-in ASS.
    """
    script = pysubs2.SSAFile()
    for cue in cues:
        text = "\\N".join(_join(w.raw for w in line) for line in cue.lines)
        script.append(pysubs2.SSAEvent(start=_ms(cue.start / speed), end=_ms(cue.end / speed),
                                       text=text))
    return script.to_string("srt") if cues else ""


# --- accents: emoji rows and punch-in moments --------------------------------------

_LINE_HEIGHT = 1.2  # libass line height, in font sizes (ascent + descent of caption fonts)
_EMOJI_WEIGHT = 0.5  # a punch-in moment's weight for an emoji word or a recipe keyword


def plan_accents(cues: Sequence[Cue], section: SubtitleSection,
                 triggers: Mapping[str, float], *, clip: str = "") -> Accents:
    """Emoji rows above the cues and the words worth a punch-in, for the render.

    Each cue's emoji (the recipe's ``emoji`` map on its words, then emoji the
    transcript carried) appear when their first word is said and stay until the cue
    ends, centred just above the text block (below it when the block sits too high).
    """
    rows, moments = [], []
    words_by_cue = [cue.words for cue in cues]
    for cue, words in zip(cues, words_by_cue, strict=True):
        found: list[tuple[float, str]] = []
        for i, n, phrase in phrase_hits(words, section.emoji):
            found.append((words[i].start, section.emoji[phrase]))
            moments.append(Moment(t_s=words[i].start, end_s=words[i + n - 1].end,
                                  word=phrase, kind="emoji", weight=_EMOJI_WEIGHT))
        found += [(w.start, e) for w in words for e in w.emoji]
        emoji = list(dict.fromkeys(e for _, e in sorted(found, key=lambda f: f[0])))
        if emoji and section.max_emoji_per_cue:
            rows.append(_emoji_row(cue, min(t for t, _ in found),
                                   emoji[: section.max_emoji_per_cue], section))
    words = [w for ws in words_by_cue for w in ws]
    for i, n, phrase in phrase_hits(words, triggers):
        moments.append(Moment(t_s=words[i].start, end_s=words[i + n - 1].end, word=phrase,
                              kind="trigger", weight=float(triggers[phrase])))
    for i, n, phrase in phrase_hits(words, section.keywords):
        moments.append(Moment(t_s=words[i].start, end_s=words[i + n - 1].end, word=phrase,
                              kind="keyword", weight=_EMOJI_WEIGHT))
    moments.sort(key=lambda m: (-m.weight, m.t_s))
    return Accents(clip=clip, emoji=rows, moments=moments)


def _emoji_row(cue: Cue, start: float, emoji: list[str], section: SubtitleSection,
               ) -> EmojiAccent:
    height = PLAY_RES[1]
    block = len(cue.lines) * section.font_size * _LINE_HEIGHT
    gap = 0.25 * section.font_size
    above = section.position_y * height - block / 2 - gap - section.emoji_size / 2
    if above - section.emoji_size / 2 < 0.08 * height:  # under the top bar: go below
        above = section.position_y * height + block / 2 + gap + section.emoji_size / 2
    return EmojiAccent(start_s=round(start, 3), end_s=round(cue.end, 3), emoji=emoji,
                       y=round(above / height, 4), size=round(section.emoji_size / height, 4))


# --- the hook banner ----------------------------------------------------------------

HOOK_LINE_COLUMNS = 20  # banner lines, in display columns at the default size


def wrap_columns(text: str, columns: int) -> list[str]:
    """Greedy lines of at most ``columns`` display columns, broken between words (and
    between phrases of unspaced scripts, :func:`~shortfactory.core.text.line_tokens`);
    a longer word stands alone."""
    lines: list[str] = []
    for token in line_tokens(text, columns):
        if lines and display_width(join_words([lines[-1], token])) <= columns:
            lines[-1] = join_words([lines[-1], token])
        else:
            lines.append(token)
    return lines


def play_res(ass_text: str) -> tuple[int, int] | None:
    """The script's own coordinate space, ``(PlayResX, PlayResY)``; None without both."""
    return script_play_res(parse_ass(ass_text)) if ass_text.strip() else None


def parse_ass(ass_text: str) -> pysubs2.SSAFile:
    """An ASS script read by pysubs2, as ASS (no format guessing from the text)."""
    return pysubs2.SSAFile.from_string(ass_text, format_="ass")


def script_play_res(script: pysubs2.SSAFile) -> tuple[int, int] | None:
    """:func:`play_res` of a parsed script."""
    try:
        return int(script.info["PlayResX"]), int(script.info["PlayResY"])
    except (KeyError, ValueError):
        return None


def add_hook(ass_text: str, text: str, hook: Hook, *, speed: float) -> str:
    """The ASS script with ``text`` as a boxed banner over the clip's opening.

    Why in the subtitle script: libass draws it in the same pass as the captions (no
    second overlay, no per-frame Python), with the same fonts and the same glyph check.
    Times are on the clip's source timeline like every event here, so the banner lasts
    ``hook.duration_s`` on the Short whatever ``render.speed`` is.
    """
    text = " ".join(text.split())
    if not hook.enabled or not text or not ass_text.strip():
        return ass_text
    if len(text) > hook.max_chars:  # cut at a space when there is one (CJK has none)
        cut = text[: hook.max_chars - 1]
        text = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:-") + "…"
    script = parse_ass(ass_text)
    width, height = script_play_res(script) or PLAY_RES
    columns = max(8, round(HOOK_LINE_COLUMNS * 64 / hook.font_size))
    lines = wrap_columns(text, columns)
    if len(lines) > 3:  # a banner of three lines at most
        lines = [*lines[:2], lines[2].rstrip(" ,;:-…") + "…"]
    parts = []
    for line in lines:
        words = []
        for word in line.split(" "):
            word = _ass_escape(word)
            words.append(f"{{\\fn{hook.cjk_font}}}{word}{{\\fn}}" if needs_cjk_font(word)
                         else word)
        parts.append(_join_tagged(words, line.split(" ")))
    box = _colour(hook.box_colour)
    script.styles["Hook"] = pysubs2.SSAStyle(
        fontname=hook.font, fontsize=hook.font_size, primarycolor=_colour(hook.text_colour),
        secondarycolor=_colour(hook.text_colour), outlinecolor=box, backcolor=box, bold=True,
        borderstyle=3, outline=max(6, hook.font_size // 4), shadow=0,
        alignment=pysubs2.Alignment.MIDDLE_CENTER, marginl=60, marginr=60, marginv=0)
    script.append(pysubs2.SSAEvent(
        layer=1, start=0, end=_ms(hook.duration_s * speed), style="Hook",
        text=f"{{\\an5\\pos({width // 2},{round(hook.position_y * height)})\\fad(120,250)}}"
        + "\\N".join(parts)))
    return script.to_string("ass")
