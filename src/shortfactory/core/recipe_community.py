"""Recipe section of the community loop (issue 24): drafting replies to comments.

Kept apart from :mod:`shortfactory.core.recipe` like the release sections. Why strict
checks here: the drafts go out under the channel's name, so a template that does not
render, a skip pattern that is not a regex or a reply length no one could write is
found by ``shortfactory check-recipe``, not halfway through a batch of replies.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

# What a reply template sees (the drafter fills these in); the validators render every
# template against it so that a typo fails at load time.
TEMPLATE_SAMPLE: dict[str, Any] = {
    "reply": "haha Ben really said that 😂",
    "comment": "Ben's face when he saw the ticket",
    "author": "viewer",
    "lang": "en",
    "character": "Ben",
    "topic": "lottery ticket",
    "title": "What no way?",
    "emoji": "😂",
    "similarity": 0.42,
}

DEFAULT_TEMPLATES: dict[str, str] = {"en": "{{ reply }}", "ja": "{{ reply }}"}
# Used when no past exchange is similar enough: short, warm, no claim about the comment.
DEFAULT_FALLBACKS: dict[str, str] = {
    "en": "{% if character %}{{ character }} appreciates you!{% else %}thanks for "
          "watching!{% endif %} {{ emoji }}",
    "ja": "{% if character %}{{ character }}も喜んでます！{% else %}見てくれてありがとう"
          "ございます！{% endif %}{{ emoji }}",
}


def _invalid(reason: str) -> PydanticCustomError:
    """A validation error printed as ``reason`` verbatim (see core.recipe)."""
    return PydanticCustomError("recipe_value", "{reason}", {"reason": reason})


def render_reply_template(template: str, context: dict[str, Any]) -> str:
    """Render a reply template strictly (an undefined name is an error), sandboxed
    because recipes are shared files; whitespace runs are folded to one space."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        text = env.from_string(template).render(**context)
    except jinja2.TemplateError as err:
        raise ValueError(f"template error: {err}") from None
    return " ".join(text.split())


class CommunityBase(BaseModel):
    """Strict like every recipe section."""

    model_config = ConfigDict(extra="forbid")


class SkipPattern(CommunityBase):
    """A comment matching ``pattern`` is not drafted; the row says ``reason``."""

    pattern: str = Field(description="Python regex, searched case-insensitively")
    reason: str = Field("matches a skip pattern", description="shown in replies.csv")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as err:
            raise _invalid(f"'{value}' is not a regex: {err}") from None
        return value


class EndpointSection(CommunityBase):
    """An optional OpenAI-compatible chat endpoint that rewrites the retrieved reply.
    Off unless ``url`` is set; a failure falls back to the retrieved draft."""

    url: str = Field("", description="API root such as http://localhost:11434/v1 ('' = off); "
                     "POSTs to <url>/chat/completions")
    model: str = Field("", description="model name the endpoint serves")
    api_key_env: str = Field("", description="environment variable holding the API key "
                             "('' = none); the key never goes into the recipe")
    temperature: float = Field(0.7, ge=0, le=2, description="sampling temperature")
    timeout_s: float = Field(30.0, gt=0, description="seconds per request")
    examples: int = Field(5, ge=0, le=20, description="past exchanges shown as examples")

    @model_validator(mode="after")
    def _model_with_url(self) -> EndpointSection:
        if self.url and not self.model:
            raise _invalid("endpoint.url is set but endpoint.model is empty")
        if self.url and not re.match(r"https?://", self.url):
            raise _invalid(f"endpoint.url '{self.url}' is not an http(s) URL")
        return self


class CommunitySection(CommunityBase):
    """Drafting replies to comments in the channel's voice, and posting them (opt-in)."""

    enabled: bool = Field(False, description="opt-in: draft_replies and post_replies refuse "
                          "to run while false")
    comments: str = Field(
        "community/comments.json", description="the comments to answer: a commentThreads "
        "list response (JSON; a list of pages allowed) or a CSV (comment_id, video_id, text, "
        "author), relative to the working directory")
    corpus: str = Field(
        "", description="style corpus: the channel's past exchanges as CSV (comment, reply), "
        "JSONL or a plain chat export ('' = the bundled CC0 corpus)")
    channel_name: str = Field(
        "channel", description="in a plain chat export: the speaker whose lines are the "
        "channel's replies")
    channel_id: str = Field(
        "", description="the channel's id (UC...): its own comments are skipped, and a "
        "thread it already answered is not answered again")
    languages: list[str] = Field(
        default_factory=list, description="languages to answer (ISO 639-1); [] = every "
        "language the corpus has; others are skipped for a human")
    templates: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_TEMPLATES), description="Jinja2 template of a "
        "reply per language ('*' = any); variables: reply (the adapted past reply), comment, "
        "author, lang, character, topic, title, emoji, similarity")
    fallbacks: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_FALLBACKS), description="Jinja2 template per "
        "language when no past exchange is similar enough (same variables, reply = '')")
    min_similarity: float = Field(
        0.12, ge=0, le=1, description="cosine (char n-gram TF-IDF) a past comment needs to "
        "lend its reply; below it the fallback template is used")
    neighbours: int = Field(5, ge=1, le=50, description="similar past exchanges considered "
                            "(the best one that fits the Short is adapted)")
    max_chars: int = Field(200, ge=20, le=10000, description="hard cap on a draft's length, "
                           "characters (YouTube allows 10000); the corpus's own range "
                           "usually binds first")
    length_quantile: float = Field(
        1.0, gt=0.5, le=1, description="a draft longer than this quantile of the corpus's "
        "reply lengths (per language) is cut at a sentence or word end")
    match_emoji: bool = Field(True, description="add the corpus's commonest emoji to a draft "
                              "without one when most corpus replies carry one, and drop "
                              "emoji when the corpus rarely uses them")
    mention: bool = Field(True, description="put the Short's character or topic into a "
                          "reply that named another Short's (from out/<ep>/<id>.json)")
    skip_links: bool = Field(True, description="skip comments with a link (spam's commonest "
                             "form; a link is never answered by a draft)")
    skip_patterns: list[SkipPattern] = Field(
        default_factory=list, description="extra skip rules (pattern, reason), after the "
        "built-in spam, abuse and needs-a-human ones")
    max_per_run: int = Field(20, ge=0, description="most replies post_replies sends in one "
                             "run (each comments.insert costs 50 quota units)")
    min_interval_s: float = Field(20.0, ge=0, description="seconds between two posted replies "
                                  "(a burst of replies reads as a bot and trips spam filters)")
    require_approval: bool = Field(
        True, description="post only rows whose approved cell says yes (a person read the "
        "draft); false posts every drafted row")
    ledger: str = Field(
        "community/replied.csv", description="record of posted replies (intent written "
        "before each call): a comment is answered at most once, even after a crash")
    published_csv: str = Field(
        "published.csv", description="video id -> clip, to mention the Short's character and "
        "topic (read from out/<episode>/<clip>.json)")
    api_url: str = Field("https://youtube.googleapis.com/", description="API root (a local "
                         "fake server in tests)")
    client_secrets: str = Field(
        "~/.config/shortfactory/client_secret.json", description="OAuth client (as publish)")
    token: str = Field("~/.config/shortfactory/youtube_token.json", description="OAuth token "
                       "cache (as publish; its youtube.force-ssl scope covers comments)")
    token_url: str = Field("", description="OAuth token endpoint; '' = the client file's")
    max_retries: int = Field(5, ge=0, le=20, description="retries of a failed request (5xx, "
                             "dropped connection), exponential backoff")
    retry_base_s: float = Field(1.0, gt=0, description="first backoff wait, seconds")
    timeout_s: float = Field(30.0, gt=0, description="socket timeout of one request, seconds")
    endpoint: EndpointSection = Field(default_factory=EndpointSection,
                                      description="optional OpenAI-compatible generator")

    @field_validator("templates", "fallbacks")
    @classmethod
    def _templates_render(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        for lang, template in value.items():
            try:
                render_reply_template(template, TEMPLATE_SAMPLE)
                render_reply_template(template, {**TEMPLATE_SAMPLE, "character": "",
                                                 "topic": "", "reply": ""})
            except ValueError as err:
                raise _invalid(f"{lang}: {err}") from None
        # A language left out keeps its default (as notify.templates does).
        defaults = DEFAULT_TEMPLATES if info.field_name == "templates" else DEFAULT_FALLBACKS
        return {**defaults, **value}

    @field_validator("languages")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not re.fullmatch(r"[a-z]{2}", c)]
        if bad:
            raise _invalid(f"not ISO 639-1 codes: {', '.join(bad)}")
        return value
