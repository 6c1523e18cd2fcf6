"""Publishing metadata for one clip: title, description, tags and hashtags from templates.

Templates are Jinja2 strings from the recipe's ``metadata`` section, rendered in a
sandbox (a recipe is configuration, not code: it must not reach Python internals) with
``StrictUndefined``, so a misspelt variable stops the job with a message naming the
template field instead of publishing an empty title. The recipe loader checks every
template the same way before any job runs (:func:`template_problems`). Variables
(:data:`TEMPLATE_VARIABLES`):

    hook      the clip's best title line: the sentence with the most signs of a hook
              (question, exclamation, trigger words, names, numbers, contrast, length;
              :mod:`shortfactory.clips.hooks`); "" when no whole sentence is spoken
    first_line   the first whole sentence heard ("" when nobody speaks)
    text      the clip's transcript ("" when nobody speaks)
    keywords  the clip's keywords, best first (TF-IDF against the episode;
              :mod:`shortfactory.clips.keywords`), a list: ``keywords|join(', ')``
    characters   the recipe's ``characters`` the clip names, a list
    episode   episode id (from the file name, e.g. ``Episode-01``)
    episode_title   the id as words (``Episode 01``), for titles
    timecode  HH:MM:SS of the clip start in the episode
    start_s, end_s   clip bounds on the source timeline, seconds
    scores    the clip's total, signals and penalties (``penalty_<name>``, 0 when not applied)
    language  the spoken language (``ja``); ``text`` is English when the transcript was
              translated, and then
    original  is the clip's text in the spoken language when the transcript kept it
              (``transcribe.keep_original``), for search; "" otherwise

The title is never empty: when ``title`` renders to nothing with a letter or digit in it
(a clip where nobody speaks, or only fragments), ``fallback_title`` is used, then a
built-in last resort; likewise ``description``, ``fallback_description``, then the
title. Tags are the fixed ``tags``, then the characters the clip names, its keywords and
the other characters; hashtags the fixed ones, then a few from characters and keywords,
and ``#Shorts`` always.

YouTube's limits (:func:`youtube_problems`) hold for every file written: a title of at
most 100 characters (``max_title_chars``) without ``<`` or ``>``, a description of at
most 5000 UTF-8 bytes with room left for the hashtag line publishers append, a tags
field of at most 500 characters (a tag with a space counts 2 more, for its quotes), and
``#Shorts``. What does not fit is cut or dropped and said so in the rule's log; what a
template alone would break is an error of ``check-recipe``, naming the key.

Every template and limit comes from the validated
:class:`~shortfactory.core.recipe.MetadataSection` (no defaults of this module's own, so what
the recipe documents is what runs).
"""

from __future__ import annotations

import difflib
import logging
import math
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from shortfactory.clips.hooks import HookSigns, pick_hook
from shortfactory.clips.keywords import clip_keywords
from shortfactory.clips.subtitles import episode_names
from shortfactory.core.artifacts import Clip, ClipMetadata, Transcript, Word
from shortfactory.core.errors import RecipeError
from shortfactory.core.recipe import CandidateWeights, MetadataSection, Penalties
from shortfactory.core.text import (
    ends_sentence,
    is_cjk,
    join_words,
    segment_sentence_ends,
    sentences_of,
)

log = logging.getLogger(__name__)

MAX_TITLE_CHARS = 100
MAX_DESCRIPTION_BYTES = 5000
MAX_TAGS_CHARS = 500
SHORTS_HASHTAG = "#Shorts"
# A pause this long after a segment's unpunctuated last word ends its sentence: Whisper
# often drops the full stop before a pause ("...won the grand prize" | "What?").
SENTENCE_PAUSE_S = 0.6

# The one list of what templates may use: build_metadata provides exactly these, and the
# recipe check (template_problems) refuses any other name before a job runs.
TEMPLATE_VARIABLES: frozenset[str] = frozenset(
    {"hook", "first_line", "text", "keywords", "characters", "episode", "episode_title",
     "timecode", "start_s", "end_s", "scores", "language", "original"}
)
# Every key ``scores`` has, whether or not a penalty applied to the clip: a template may
# use ``scores.penalty_no_face`` on every clip, not only on those that were penalised.
SCORE_NAMES: tuple[str, ...] = (
    "total",
    *CandidateWeights.model_fields,
    *(f"penalty_{name}" for name in Penalties.model_fields),
)
# Template fields of the metadata section, in the order build_metadata renders them.
TEXT_TEMPLATES = ("title", "fallback_title", "description", "fallback_description")
LIST_TEMPLATES = ("tags", "hashtags")

_LEAD_RE = re.compile(r"^[\W_]+")
_TRAIL_RE = re.compile(r"[\s,;:\-–—]+$")
_HASHTAG_DROP_RE = re.compile(r"[^\w]+")
_ID_SEPARATORS_RE = re.compile(r"[-_.]+")


_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
)


def build_metadata(
    clip: Clip, transcript: Transcript, section: MetadataSection, *, episode: str,
    recipe_hash: str, triggers: Mapping[str, float] | None = None,
) -> ClipMetadata:
    """Pick the hook, find the keywords and render the recipe's templates for ``clip``.

    Args:
        clip: the candidate clip (source-timeline bounds, scores).
        transcript: the episode transcript; the clip's text is the words inside it, and
            the whole episode is the background of its keywords and names.
        section: the recipe's ``metadata`` section.
        episode: episode name, shown in descriptions.
        recipe_hash: content hash of the recipe, recorded for provenance.
        triggers: the candidates' trigger words and weights (``candidates.triggers``),
            a sign of a hook.

    Raises:
        RecipeError: a template has a syntax error or uses an unknown variable; the
            message names the field (``metadata.title``) and the variable.
    """
    text, mid_sentence = clip_text(clip, transcript)
    sentences = sentences_of(text)
    hook = pick_hook(sentences, hook_signs(section, transcript, triggers or {}),
                     starts_inside=mid_sentence)
    characters = named_in(section.characters, text)
    keywords = [k.text for k in clip_keywords(
        sentences, sentences_of(spoken_text(transcript, 0.0, math.inf)[0]),
        section.max_keywords, exclude=section.characters)]
    variables = template_variables(
        hook=hook.text, first_line=first_sentence(text, skip_fragment=mid_sentence),
        text=text, keywords=keywords, characters=characters, episode=episode,
        start_s=clip.start_s, end_s=clip.end_s, scores=clip_scores(clip),
        language=transcript.language, original=original_text(clip, transcript),
    )
    title = make_title(section, variables)
    hashtags = make_hashtags(section, variables, [*characters, *keywords])
    description = make_description(section, variables, title,
                                   reserve=len(hashtag_line(hashtags).encode()))
    others = [c for c in section.characters if c not in characters]
    tags = make_tags(section, variables, [*characters, *keywords, *others])
    problems = youtube_problems(title, description, tags, hashtags)
    if problems:  # the fitting above makes this unreachable; never write what YouTube refuses
        raise RecipeError(f"metadata of {clip.id}: " + "; ".join(problems))
    return ClipMetadata(
        clip_id=clip.id, episode=episode, title=title, description=description, tags=tags,
        hashtags=hashtags, start_s=clip.start_s, end_s=clip.end_s,
        source_timecode=f"{timecode(clip.start_s)}-{timecode(clip.end_s)}",
        scores=clip_scores(clip), recipe_hash=recipe_hash, hook=hook,
    )


def hook_signs(section: MetadataSection, transcript: Transcript,
               triggers: Mapping[str, float]) -> HookSigns:
    """The hook picker's word lists: the recipe's, and the names this episode capitalises
    (:func:`~shortfactory.clips.subtitles.episode_names`, as subtitles highlight them)."""
    names = list(dict.fromkeys([*section.characters, *episode_names(transcript)]))
    return HookSigns(weights=section.hook_weights, width=section.hook_width,
                     triggers=dict(triggers), names=names, contrast=section.contrast_words)


def clip_scores(clip: Clip) -> dict[str, float]:
    """The clip's total, signals and the penalties that applied (``penalty_<name>``)."""
    scores = {"total": clip.total, **clip.signals}
    scores.update({f"penalty_{k}": v for k, v in clip.penalties.items()})
    return scores


def original_text(clip: Clip, transcript: Transcript) -> str:
    """The clip's words in the spoken language when a translated transcript kept them."""
    return join_words(s.text for s in transcript.original
                      if clip.start_s <= (s.start + s.end) / 2 <= clip.end_s)


def named_in(names: Sequence[str], text: str) -> list[str]:
    """The ``names`` that ``text`` says, in the recipe's order: as whole words (any case)
    in spaced scripts, anywhere in CJK ones."""
    lowered = f" {_HASHTAG_DROP_RE.sub(' ', text.casefold())} "
    found = []
    for name in names:
        if any(is_cjk(c) for c in name):
            hit = name in text
        else:
            hit = f" {_HASHTAG_DROP_RE.sub(' ', name.casefold()).strip()} " in lowered
        if hit:
            found.append(name)
    return found


def template_variables(*, hook: str, first_line: str, text: str, keywords: list[str],
                       characters: list[str], episode: str, start_s: float, end_s: float,
                       scores: dict[str, float], language: str, original: str,
                       ) -> dict[str, Any]:
    """What every template sees: exactly :data:`TEMPLATE_VARIABLES`.

    ``scores`` is completed with 0 for every signal and penalty the clip lacks, so a
    template that works on one clip works on all of them.
    """
    return {
        "hook": hook,
        "first_line": first_line,
        "text": text,
        "keywords": list(keywords),
        "characters": list(characters),
        "episode": episode,
        "episode_title": episode_title(episode),
        "timecode": timecode(start_s),
        "start_s": start_s,
        "end_s": end_s,
        "scores": {**dict.fromkeys(SCORE_NAMES, 0.0), **scores},
        "language": language,
        "original": original,
    }


# --- the fields, within YouTube's limits ----------------------------------------------


def make_title(section: MetadataSection, variables: dict[str, Any]) -> str:
    """The first of ``title``, ``fallback_title`` and a built-in that has words, fitted.

    Why a chain: the hook is empty when nobody speaks in the clip (or only fragments),
    and a Short without a title cannot be published. The fallback is rendered only when
    needed; its errors are caught when the recipe is loaded.
    """
    for field, template in (("title", section.title),
                            ("fallback_title", section.fallback_title)):
        rendered = _one_line(_render(field, template, variables))
        if has_words(rendered):
            return fit_title(rendered, section.max_title_chars, field)
    return fit_title(f"Moment at {variables['timecode']}", section.max_title_chars, "title")


def fit_title(title: str, limit: int, field: str = "title") -> str:
    """``title`` without ``<``/``>`` (YouTube refuses them) and cut on a word boundary to
    ``limit`` characters; each change is logged with the key that made the text."""
    clean = _no_angles(title)
    if clean != title:
        log.info("metadata.%s: '<' and '>' replaced by '‹' and '›': YouTube refuses them "
                 "in titles", field)
    fitted = trim_words(clean, min(limit, MAX_TITLE_CHARS))
    if fitted != clean.strip():
        log.info("metadata.%s: %d characters cut to %d on a word boundary "
                 "(metadata.max_title_chars = %d; YouTube allows %d)", field, len(clean),
                 len(fitted), limit, MAX_TITLE_CHARS)
    return fitted


def make_description(section: MetadataSection, variables: dict[str, Any], title: str,
                     reserve: int = 0) -> str:
    """The first of ``description``, ``fallback_description`` and the title that has
    words, within YouTube's 5000 bytes less ``reserve`` (the hashtag line publishers
    append)."""
    budget = MAX_DESCRIPTION_BYTES - reserve
    for field, template in (("description", section.description),
                            ("fallback_description", section.fallback_description)):
        rendered = _render(field, template, variables).strip()
        if has_words(rendered):
            return fit_bytes(_no_angles(rendered), budget, field)
    return fit_bytes(title, budget, "description")


def fit_bytes(text: str, limit: int, field: str = "description") -> str:
    """``text`` cut on a word boundary to at most ``limit`` UTF-8 bytes, ending with
    ``…``: YouTube counts the description in bytes, so a Japanese one holds a third of
    the characters an English one does."""
    size = len(text.encode())
    if size <= limit:
        return text
    room = limit - len("…".encode())
    cut = text.encode()[:room].decode(errors="ignore")
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > len(cut) * 0.8:  # a word boundary near the end; else cut inside (CJK)
        cut = cut[:space]
    fitted = _TRAIL_RE.sub("", cut) + "…"
    log.info("metadata.%s: %d bytes cut to %d (YouTube allows %d, less %d for the hashtag "
             "line)", field, size, len(fitted.encode()), MAX_DESCRIPTION_BYTES,
             MAX_DESCRIPTION_BYTES - limit)
    return fitted


def make_tags(section: MetadataSection, variables: dict[str, Any],
              extra: Sequence[str]) -> list[str]:
    """The fixed tags (rendered), then ``extra`` (characters, keywords), fitted to 500."""
    fixed = [_render(f"tags[{k}]", t, variables) for k, t in enumerate(section.tags)]
    return fit_tags(_unique([clean_tag(t) for t in [*fixed, *extra]]))


def clean_tag(tag: str) -> str:
    """One line, no ``<``/``>`` and no comma (the tags field is comma-separated)."""
    return _one_line(tag.replace("<", " ").replace(">", " ").replace(",", " "))


def fit_tags(tags: list[str]) -> list[str]:
    """Keep tags, in order, while the field stays within YouTube's 500 characters: each
    tag counts its length, 2 more with a space (YouTube quotes it), 1 per comma."""
    out, used = [], 0
    for tag in tags:
        cost = tag_cost(tag) + (1 if out else 0)
        if used + cost <= MAX_TAGS_CHARS:
            out.append(tag)
            used += cost
    if len(out) < len(tags):
        dropped = [t for t in tags if t not in out]
        log.info("metadata.tags: %d tag(s) dropped (%s): the field may take %d characters",
                 len(dropped), ", ".join(dropped[:5]), MAX_TAGS_CHARS)
    return out


def tag_cost(tag: str) -> int:
    """Characters one tag takes in YouTube's count (quotes around a tag with a space)."""
    return len(tag) + (2 if " " in tag else 0)


def tags_chars(tags: Sequence[str]) -> int:
    """Characters the whole tags field takes in YouTube's count."""
    return sum(tag_cost(t) for t in tags) + max(0, len(tags) - 1)


def make_hashtags(section: MetadataSection, variables: dict[str, Any],
                  terms: Sequence[str]) -> list[str]:
    """The fixed hashtags (rendered), ``max_hashtags`` made from ``terms`` (characters
    then keywords), and ``#Shorts`` when none is there yet."""
    fixed = [hashtag(_render(f"hashtags[{k}]", t, variables))
             for k, t in enumerate(section.hashtags)]
    made = _unique([term_hashtag(t) for t in terms if has_words(t)])
    known = {h.casefold() for h in fixed}
    made = [h for h in made if h.casefold() not in known][: section.max_hashtags]
    tags = _unique([*fixed, *made])
    if SHORTS_HASHTAG.casefold() not in {h.casefold() for h in tags}:
        tags.append(SHORTS_HASHTAG)
    return tags


def term_hashtag(term: str) -> str:
    """A keyword as a hashtag, its words capitalised so they stay readable
    (``grand prize`` -> ``#GrandPrize``)."""
    return hashtag("".join(w[:1].upper() + w[1:] for w in term.split()))


def hashtag_line(hashtags: Sequence[str]) -> str:
    """What publishers append to the description: a blank line, then the hashtags."""
    return "\n\n" + " ".join(hashtags) if hashtags else ""


def youtube_problems(title: str, description: str, tags: Sequence[str],
                     hashtags: Sequence[str]) -> list[str]:
    """Every way these fields break YouTube's limits, as messages naming the field;
    empty when they can be published (publishers may check again before sending)."""
    problems = []
    if not has_words(title):
        problems.append("title: empty (it needs a letter or a digit)")
    if len(title) > MAX_TITLE_CHARS:
        problems.append(f"title: {len(title)} characters, YouTube allows {MAX_TITLE_CHARS}")
    for field, text in (("title", title), ("description", description)):
        if "<" in text or ">" in text:
            problems.append(f"{field}: contains '<' or '>', which YouTube refuses")
    size = len((description + hashtag_line(hashtags)).encode())
    if size > MAX_DESCRIPTION_BYTES:
        problems.append(f"description: {size} bytes with the hashtag line, YouTube allows "
                        f"{MAX_DESCRIPTION_BYTES}")
    if tags_chars(tags) > MAX_TAGS_CHARS:
        problems.append(f"tags: {tags_chars(tags)} characters, YouTube allows "
                        f"{MAX_TAGS_CHARS}")
    if any(c in t for t in tags for c in "<>,"):
        problems.append("tags: a tag holds '<', '>' or ','")
    if SHORTS_HASHTAG.casefold() not in {h.casefold() for h in hashtags}:
        problems.append(f"hashtags: {SHORTS_HASHTAG} missing")
    return problems


def has_words(text: str) -> bool:
    """True when ``text`` holds a letter or a digit (not only spaces, punctuation, emoji)."""
    return any(ch.isalnum() for ch in text)


def episode_title(episode: str) -> str:
    """An episode id as words: ``Episode-01`` -> ``Episode 01`` (ids join words with -)."""
    return _ID_SEPARATORS_RE.sub(" ", episode).strip() or episode


def _render(field: str, template: str, variables: dict[str, Any]) -> str:
    """Render one template; turn Jinja errors into a one-line :class:`RecipeError`."""
    try:
        return _ENV.from_string(template).render(**variables)
    except jinja2.UndefinedError as err:
        names = ", ".join(sorted(variables))
        raise RecipeError(
            f"metadata.{field}: template uses an undefined variable ({err.message}); "
            f"available: {names}"
        ) from None
    except jinja2.TemplateSyntaxError as err:
        raise RecipeError(
            f"metadata.{field}: template syntax error at line {err.lineno}: {err.message}"
        ) from None
    except jinja2.TemplateError as err:
        raise RecipeError(f"metadata.{field}: template failed: {err}") from None


# --- checks at recipe load time ------------------------------------------------------


def sample_variables(*, speech: bool) -> dict[str, Any]:
    """Variables of a made-up clip, with or without speech, to try templates on."""
    hook = "And so, my fellow Americans, ask not." if speech else ""
    return template_variables(
        hook=hook, first_line=hook,
        text=f"{hook} What your country can do for you." if speech else "",
        keywords=["fellow Americans", "country"] if speech else [],
        characters=["Kennedy"] if speech else [],
        episode="Episode-01", start_s=754.2, end_s=781.9,
        scores=dict.fromkeys(SCORE_NAMES, 0.5), language="ja",
        original="そしてアメリカ国民の皆さん。" if speech else "",
    )


Problems = list[tuple[tuple[str | int, ...], str]]


def template_problems(section: MetadataSection) -> Problems:
    """Every problem of the metadata section's templates, as ``(key path, reason)``.

    Each template is parsed (syntax), its variables are compared with
    :data:`TEMPLATE_VARIABLES`, and it is rendered with ``StrictUndefined`` on a clip with
    speech and on one without (unknown attributes, ``hook[0]`` on silence, filters that
    fail). The fallbacks must also give words on a clip where nobody speaks, since that
    is when they are used. Templates that render cleanly are then held to YouTube's
    limits for what they write themselves (:func:`limit_problems`). Key paths are
    relative to the section (``("tags", 1)``).
    """
    problems: Problems = []
    templates: Problems = [((field,), getattr(section, field)) for field in TEXT_TEMPLATES]
    for field in LIST_TEMPLATES:
        templates += [((field, k), t) for k, t in enumerate(getattr(section, field))]
    for loc, template in templates:
        reason = _template_reason(template)
        if reason is None and loc[0] in ("fallback_title", "fallback_description"):
            rendered = _ENV.from_string(template).render(**sample_variables(speech=False))
            if not has_words(rendered):
                reason = ("renders without words on a clip where nobody speaks, which is when "
                          "it is used: build it from episode_title, timecode or scores")
        if reason is not None:
            problems.append((loc, reason))
    broken = {loc[0] for loc, _ in problems}
    return problems + limit_problems(section, skip=broken)


def limit_problems(section: MetadataSection, skip: Collection[str | int] = ()) -> Problems:
    """What a template's own text puts beyond YouTube's limits, on every clip: ``<`` or
    ``>`` in a title or description, a title over 100 characters or a description over
    5000 bytes on a clip where nobody speaks (so with no spoken words in it), fixed tags
    over 500 characters. Spoken text is fitted when the metadata is built instead."""
    problems: Problems = []
    silent, spoken = sample_variables(speech=False), sample_variables(speech=True)
    for field in (f for f in TEXT_TEMPLATES if f not in skip):
        template = getattr(section, field)
        texts = [_ENV.from_string(template).render(**v) for v in (silent, spoken)]
        kind = "title" if "title" in field else "description"
        if any("<" in t or ">" in t for t in texts):
            problems.append(((field,), f"writes '<' or '>', which YouTube refuses in a {kind}"))
        if kind == "title" and len(_one_line(texts[0])) > MAX_TITLE_CHARS:
            problems.append(((field,), f"renders {len(_one_line(texts[0]))} characters even "
                             f"where nobody speaks; YouTube allows {MAX_TITLE_CHARS}"))
        if kind == "description" and len(texts[0].encode()) > MAX_DESCRIPTION_BYTES:
            problems.append(((field,), f"renders {len(texts[0].encode())} bytes even where "
                             f"nobody speaks; YouTube allows {MAX_DESCRIPTION_BYTES}"))
    if "tags" not in skip:
        fixed = [clean_tag(_ENV.from_string(t).render(**spoken)) for t in section.tags]
        if tags_chars(fixed) > MAX_TAGS_CHARS:
            problems.append((("tags",), f"the fixed tags take {tags_chars(fixed)} characters "
                             f"(a tag with a space counts 2 more); YouTube allows "
                             f"{MAX_TAGS_CHARS} for all tags"))
    return problems


def _template_reason(template: str) -> str | None:
    """Why one template would fail in build_metadata, or None when it renders on both clips."""
    try:
        parsed = _ENV.parse(template)
    except jinja2.TemplateSyntaxError as err:
        where = f" (template line {err.lineno})" if "\n" in template else ""
        return f"template syntax error{where}: {err.message}"
    known = TEMPLATE_VARIABLES | set(_ENV.globals)  # globals: range, dict, namespace...
    unknown = sorted(meta.find_undeclared_variables(parsed) - known)
    if unknown:
        return "; ".join(_unknown_variable(name) for name in unknown)
    for speech in (True, False):
        try:
            _ENV.from_string(template).render(**sample_variables(speech=speech))
        except jinja2.UndefinedError as err:
            keys = f"; scores has {', '.join(SCORE_NAMES)}" if "dict object" in str(err) else ""
            return f"{err.message} ({_clip_kind(speech)}){keys}"
        except Exception as err:  # any failure here would stop write_metadata later
            return f"template fails {_clip_kind(speech)}: {type(err).__name__}: {err}"
    return None


def _unknown_variable(name: str) -> str:
    close = difflib.get_close_matches(name, sorted(TEMPLATE_VARIABLES), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown variable '{name}'{hint}; variables: {', '.join(sorted(TEMPLATE_VARIABLES))}"


def _clip_kind(speech: bool) -> str:
    return "on a clip with speech" if speech else "on a clip where nobody speaks"


# --- text helpers ----------------------------------------------------------------------


def clip_text(clip: Clip, transcript: Transcript) -> tuple[str, bool]:
    """The words spoken inside the clip, and whether the clip starts mid-sentence.

    Falls back to ``clip.text`` (and "not mid-sentence") when the transcript has no
    words there.
    """
    text, mid = spoken_text(transcript, clip.start_s, clip.end_s)
    return (text, mid) if text else (clip.text.strip(), False)


def spoken_text(transcript: Transcript, start_s: float, end_s: float) -> tuple[str, bool]:
    """The words whose centre lies in ``[start_s, end_s]``, each sentence closed by its
    script's full stop, and whether the span starts inside a sentence."""
    inside, before_ends = [], None
    for w, end in sentence_marked_words(transcript):
        token = w.word.strip()
        centre = (w.start + w.end) / 2
        if centre < start_s:
            before_ends = end
        elif centre <= end_s:
            # An unpunctuated sentence end (see sentence_marked_words) gets its script's
            # full stop, so sentences_of finds it.
            stop = "" if not end or ends_sentence(token) else (
                "。" if needs_full_width_stop(token) else ".")
            inside.append(token + stop)
    mid = before_ends is not None and not before_ends
    return join_words(inside), mid


def sentence_marked_words(transcript: Transcript) -> list[tuple[Word, bool]]:
    """Every non-empty word, and whether a sentence ends with it.

    Ends are the transcript's punctuation (or, unpunctuated, its segment ends:
    :func:`~shortfactory.core.text.segment_sentence_ends`), plus a segment's last word
    followed by a pause of :data:`SENTENCE_PAUSE_S` or more: Whisper often leaves the
    full stop out there, gluing two lines into one endless sentence.
    """
    segments = [[w for w in s.words if w.word.strip()] for s in transcript.segments]
    flags = segment_sentence_ends([[w.word for w in words] for words in segments])
    flat = [(w, end, k == len(words) - 1)
            for words, ends in zip(segments, flags, strict=True)
            for k, (w, end) in enumerate(zip(words, ends, strict=True))]
    out = []
    for i, (w, end, segment_end) in enumerate(flat):
        if segment_end and not end:
            following = flat[i + 1][0].start if i + 1 < len(flat) else math.inf
            end = following - w.end >= SENTENCE_PAUSE_S
        out.append((w, end))
    return out


def needs_full_width_stop(token: str) -> bool:
    return bool(token) and is_cjk(token[-1])


def first_sentence(text: str, *, skip_fragment: bool = False) -> str:
    """The first sentence, without leading punctuation and with a capital first letter.

    Why: a clip often starts mid-phrase ("...and so"); with ``skip_fragment`` (the clip
    starts inside a sentence) the tail of that sentence is skipped when a whole one
    follows, and the dangling lead is removed either way.
    """
    parts = sentences_of(text)
    if skip_fragment and len(parts) > 1:
        parts = parts[1:]
    first = _LEAD_RE.sub("", parts[0].strip()) if parts else ""
    return first[:1].upper() + first[1:]


def trim_words(text: str, limit: int) -> str:
    """Trim to at most ``limit`` characters on a word boundary, ending with ``…``."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return _TRAIL_RE.sub("", cut) + "…"


def timecode(seconds: float) -> str:
    """``HH:MM:SS`` (floored), the form people type into a player."""
    s = max(0, int(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def hashtag(text: str) -> str:
    """``#Word`` form: spaces and punctuation removed (a hashtag ends at the first)."""
    body = _HASHTAG_DROP_RE.sub("", text.strip().lstrip("#"))
    return f"#{body}" if body else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _no_angles(text: str) -> str:
    return text.replace("<", "‹").replace(">", "›")


def _unique(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.casefold()
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out
