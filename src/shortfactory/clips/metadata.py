"""Publishing metadata for one clip: title, description, tags and hashtags from templates.

Templates are Jinja2 strings from the recipe's ``metadata`` section, rendered in a
sandbox (a recipe is configuration, not code: it must not reach Python internals) with
``StrictUndefined``, so a misspelt variable stops the job with a message naming the
template field instead of publishing an empty title. The recipe loader checks every
template the same way before any job runs (:func:`template_problems`). Variables
(:data:`TEMPLATE_VARIABLES`):

    hook      first sentence of the clip, trimmed ("" when nobody speaks)
    text      the clip's transcript ("" when nobody speaks)
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
(a clip where nobody speaks), ``fallback_title`` is used, then a built-in last resort;
likewise ``description``, ``fallback_description``, then the title. YouTube rejects
``<`` and ``>`` in titles and descriptions and limits titles to 100 characters,
descriptions to 5000 and the tags field to 500: outputs are cleaned to fit.

Every template and limit comes from the validated
:class:`~shortfactory.core.recipe.MetadataSection` (no defaults of this module's own, so what
the recipe documents is what runs).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from shortfactory.core.artifacts import Clip, ClipMetadata, Transcript
from shortfactory.core.errors import RecipeError
from shortfactory.core.recipe import CandidateWeights, MetadataSection, Penalties
from shortfactory.core.text import (
    ends_sentence,
    is_cjk,
    join_words,
    segment_sentence_ends,
    sentences_of,
)

MAX_DESCRIPTION_CHARS = 5000
MAX_TAGS_CHARS = 500

# The one list of what templates may use: build_metadata provides exactly these, and the
# recipe check (template_problems) refuses any other name before a job runs.
TEMPLATE_VARIABLES: frozenset[str] = frozenset(
    {"hook", "text", "episode", "episode_title", "timecode", "start_s", "end_s", "scores",
     "language", "original"}
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
    recipe_hash: str,
) -> ClipMetadata:
    """Render the recipe's metadata templates for ``clip``.

    Args:
        clip: the candidate clip (source-timeline bounds, scores).
        transcript: the episode transcript; the clip's text is the words inside it.
        section: the recipe's ``metadata`` section.
        episode: episode name, shown in descriptions.
        recipe_hash: content hash of the recipe, recorded for provenance.

    Raises:
        RecipeError: a template has a syntax error or uses an unknown variable; the
            message names the field (``metadata.title``) and the variable.
    """
    text, mid_sentence = clip_text(clip, transcript)
    scores = {"total": clip.total, **clip.signals}
    scores.update({f"penalty_{k}": v for k, v in clip.penalties.items()})
    variables = template_variables(
        hook=first_sentence(text, skip_fragment=mid_sentence), text=text, episode=episode,
        start_s=clip.start_s, end_s=clip.end_s, scores=scores, language=transcript.language,
        original=join_words(s.text for s in transcript.original
                            if clip.start_s <= (s.start + s.end) / 2 <= clip.end_s),
    )
    title = make_title(section, variables)
    description = make_description(section, variables, title)
    tags = [
        _one_line(_no_angles(_render(f"tags[{k}]", t, variables)))
        for k, t in enumerate(section.tags)
    ]
    hashtags = [
        hashtag(_render(f"hashtags[{k}]", t, variables))
        for k, t in enumerate(section.hashtags)
    ]
    return ClipMetadata(
        clip_id=clip.id,
        episode=episode,
        title=title,
        description=description,
        tags=_fit_tags(_unique(tags)),
        hashtags=_unique(hashtags),
        start_s=clip.start_s,
        end_s=clip.end_s,
        source_timecode=f"{timecode(clip.start_s)}-{timecode(clip.end_s)}",
        scores=scores,
        recipe_hash=recipe_hash,
    )


def template_variables(*, hook: str, text: str, episode: str, start_s: float, end_s: float,
                       scores: dict[str, float], language: str, original: str,
                       ) -> dict[str, Any]:
    """What every template sees: exactly :data:`TEMPLATE_VARIABLES`.

    ``scores`` is completed with 0 for every signal and penalty the clip lacks, so a
    template that works on one clip works on all of them.
    """
    return {
        "hook": hook,
        "text": text,
        "episode": episode,
        "episode_title": episode_title(episode),
        "timecode": timecode(start_s),
        "start_s": start_s,
        "end_s": end_s,
        "scores": {**dict.fromkeys(SCORE_NAMES, 0.0), **scores},
        "language": language,
        "original": original,
    }


def make_title(section: MetadataSection, variables: dict[str, Any]) -> str:
    """The first of ``title``, ``fallback_title`` and a built-in that has words, trimmed.

    Why a chain: the hook is empty (or a lone "♪") when nobody speaks in the clip, and
    a Short without a title cannot be published. The fallback is rendered only when
    needed; its errors are caught when the recipe is loaded.
    """
    limit = section.max_title_chars
    for field, template in (("title", section.title),
                            ("fallback_title", section.fallback_title)):
        title = trim_words(_one_line(_no_angles(_render(field, template, variables))), limit)
        if has_words(title):
            return title
    return trim_words(f"Moment at {variables['timecode']}", limit)


def make_description(section: MetadataSection, variables: dict[str, Any], title: str) -> str:
    """The first of ``description``, ``fallback_description`` and the title that has words."""
    for field, template in (("description", section.description),
                            ("fallback_description", section.fallback_description)):
        description = _no_angles(_render(field, template, variables)).strip()
        if has_words(description):
            return description[:MAX_DESCRIPTION_CHARS]
    return title


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
        hook=hook, text=f"{hook} What your country can do for you." if speech else "",
        episode="Episode-01", start_s=754.2, end_s=781.9,
        scores=dict.fromkeys(SCORE_NAMES, 0.5), language="ja",
        original="そしてアメリカ国民の皆さん。" if speech else "",
    )


def template_problems(section: MetadataSection) -> list[tuple[tuple[str | int, ...], str]]:
    """Every problem of the metadata section's templates, as ``(key path, reason)``.

    Each template is parsed (syntax), its variables are compared with
    :data:`TEMPLATE_VARIABLES`, and it is rendered with ``StrictUndefined`` on a clip with
    speech and on one without (unknown attributes, ``hook[0]`` on silence, filters that
    fail). The fallbacks must also give words on a clip where nobody speaks, since that
    is when they are used. Key paths are relative to the section (``("tags", 1)``).
    """
    problems: list[tuple[tuple[str | int, ...], str]] = []
    templates: list[tuple[tuple[str | int, ...], str]] = [
        ((field,), getattr(section, field)) for field in TEXT_TEMPLATES
    ]
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

    A word belongs to the clip when its centre does. Falls back to ``clip.text`` (and
    "not mid-sentence") when the transcript has no words there.
    """
    inside, before_ends = [], None
    segments = [s.words for s in transcript.segments]
    flags = segment_sentence_ends([[w.word for w in words] for words in segments])
    for words, ends in zip(segments, flags, strict=True):
        for w, end in zip(words, ends, strict=True):
            token = w.word.strip()
            if not token:
                continue
            centre = (w.start + w.end) / 2
            if centre < clip.start_s:
                before_ends = end
            elif centre <= clip.end_s:
                # An unpunctuated transcript's segment end (see segment_sentence_ends)
                # gets its script's full stop, so the first sentence can be found.
                stop = "" if not end or ends_sentence(token) else (
                    "。" if needs_full_width_stop(token) else ".")
                inside.append(token + stop)
    if not inside:
        return clip.text.strip(), False
    mid = before_ends is not None and not before_ends
    return join_words(inside), mid


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


def _fit_tags(tags: list[str]) -> list[str]:
    """Keep tags, in order, while the comma-joined field stays within YouTube's limit."""
    out, used = [], 0
    for tag in tags:
        cost = len(tag) + (2 if " " in tag else 0) + (1 if out else 0)
        if used + cost > MAX_TAGS_CHARS:
            break
        out.append(tag)
        used += cost
    return out
