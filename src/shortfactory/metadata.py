"""Publishing metadata for one clip: title, description, tags and hashtags from templates.

Templates are Jinja2 strings from the recipe's ``metadata`` section, rendered in a
sandbox (a recipe is configuration, not code: it must not reach Python internals) with
``StrictUndefined``, so a misspelt variable stops the job with a message naming the
template field instead of publishing an empty title. Variables:

    hook      first sentence of the clip, trimmed
    text      the clip's transcript
    episode   episode name
    timecode  HH:MM:SS of the clip start in the episode
    start_s, end_s   clip bounds on the source timeline, seconds
    scores    the clip's total, signals and penalties (``penalty_<name>``)

YouTube rejects ``<`` and ``>`` in titles and descriptions and limits titles to 100
characters, descriptions to 5000 and the tags field to 500: outputs are cleaned
to fit.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .artifacts import Clip, ClipMetadata, Transcript
from .errors import RecipeError

MAX_DESCRIPTION_CHARS = 5000
MAX_TAGS_CHARS = 500

_SENTENCE_RE = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]]))\s+")
_SENTENCE_END_RE = re.compile(r"[.!?…][\"'”’)\]]?$")
_LEAD_RE = re.compile(r"^[\W_]+")
_TRAIL_RE = re.compile(r"[\s,;:\-–—]+$")
_HASHTAG_DROP_RE = re.compile(r"[^\w]+")

_ENV = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
)


def build_metadata(
    clip: Clip, transcript: Transcript, params: dict, *, episode: str, recipe_hash: str
) -> ClipMetadata:
    """Render the recipe's metadata templates for ``clip``.

    Args:
        clip: the candidate clip (source-timeline bounds, scores).
        transcript: the episode transcript; the clip's text is the words inside it.
        params: the recipe's ``metadata`` section as a plain dict.
        episode: episode name, shown in descriptions.
        recipe_hash: content hash of the recipe, recorded for provenance.

    Raises:
        RecipeError: a template has a syntax error or uses an unknown variable; the
            message names the field (``metadata.title``) and the variable.
    """
    text, mid_sentence = clip_text(clip, transcript)
    scores = {"total": clip.total, **clip.signals}
    scores.update({f"penalty_{k}": v for k, v in clip.penalties.items()})
    variables: dict[str, Any] = {
        "hook": first_sentence(text, skip_fragment=mid_sentence),
        "text": text,
        "episode": episode,
        "timecode": timecode(clip.start_s),
        "start_s": clip.start_s,
        "end_s": clip.end_s,
        "scores": scores,
    }
    title = _render("title", params["title"], variables)
    title = trim_words(_one_line(_no_angles(title)), int(params["max_title_chars"]))
    description = _no_angles(_render("description", params["description"], variables)).strip()
    tags = [
        _one_line(_no_angles(_render(f"tags[{k}]", t, variables)))
        for k, t in enumerate(params.get("tags") or [])
    ]
    hashtags = [
        hashtag(_render(f"hashtags[{k}]", t, variables))
        for k, t in enumerate(params.get("hashtags") or [])
    ]
    return ClipMetadata(
        clip_id=clip.id,
        episode=episode,
        title=title,
        description=description[:MAX_DESCRIPTION_CHARS],
        tags=_fit_tags(_unique(tags)),
        hashtags=_unique(hashtags),
        start_s=clip.start_s,
        end_s=clip.end_s,
        source_timecode=f"{timecode(clip.start_s)}-{timecode(clip.end_s)}",
        scores=scores,
        recipe_hash=recipe_hash,
    )


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


def clip_text(clip: Clip, transcript: Transcript) -> tuple[str, bool]:
    """The words spoken inside the clip, and whether the clip starts mid-sentence.

    A word belongs to the clip when its centre does. Falls back to ``clip.text`` (and
    "not mid-sentence") when the transcript has no words there.
    """
    inside, before = [], None
    for w in transcript.words():
        token = w.word.strip()
        if not token:
            continue
        centre = (w.start + w.end) / 2
        if centre < clip.start_s:
            before = token
        elif centre <= clip.end_s:
            inside.append(token)
    if not inside:
        return clip.text.strip(), False
    mid = before is not None and not _SENTENCE_END_RE.search(before)
    return " ".join(inside), mid


def first_sentence(text: str, *, skip_fragment: bool = False) -> str:
    """The first sentence, without leading punctuation and with a capital first letter.

    Why: a clip often starts mid-phrase ("...and so"); with ``skip_fragment`` (the clip
    starts inside a sentence) the tail of that sentence is skipped when a whole one
    follows, and the dangling lead is removed either way.
    """
    parts = [p for p in _SENTENCE_RE.split(text.strip()) if p.strip()]
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
