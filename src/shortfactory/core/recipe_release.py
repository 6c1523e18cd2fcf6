"""Recipe sections of the release loop (publish, notify): kept apart from the stage
sections in :mod:`shortfactory.core.recipe` so that the release side can grow without
touching the production line's sections. Validated like every other section.

Why the checks are strict here: a bad value is found when a person runs
``shortfactory check-recipe``, not halfway through a day's uploads (a wrong category
or a publish time in the wrong zone costs quota and is public).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

# Google's resumable uploads take chunks in multiples of 256 KiB (the last one excepted).
CHUNK_QUANTUM_KIB = 256

# What a notification template sees, with the types the sender fills in; the
# validators render every template against it so that a typo fails at load time.
NOTIFY_SAMPLE: dict[str, Any] = {
    "event": "publish",
    "episode": "Episode-01",
    "count": 1,
    "shorts": [{"id": "c0412-0447", "episode": "Episode-01", "title": "Not yet.",
                "video": "out/Episode-01/c0412-0447.mp4", "video_id": "dQw4w9WgXcQ",
                "url": "https://youtube.com/shorts/dQw4w9WgXcQ", "state": "done",
                "publish_at": "", "queued_for": "", "note": ""}],
    "text": "1 Short published",
    "chat_id": "123456",
}


def _invalid(reason: str) -> PydanticCustomError:
    """A validation error printed as ``reason`` verbatim (as in core.recipe, which
    imports this module and so cannot be imported here)."""
    return PydanticCustomError("recipe_value", "{reason}", {"reason": reason})


class ReleaseSection(BaseModel):
    """Strict like :class:`shortfactory.core.recipe.Section` (not imported from there:
    that module imports this one)."""

    model_config = ConfigDict(extra="forbid")


class QuotaCosts(ReleaseSection):
    """YouTube Data API v3 quota units per call (Google's published costs)."""

    videos_insert: int = Field(1600, ge=0, description="units per videos.insert (the upload)")
    captions_insert: int = Field(400, ge=0, description="units per captions.insert (the SRT)")
    thumbnails_set: int = Field(50, ge=0, description="units per thumbnails.set (the PNG)")


class PublishSection(ReleaseSection):
    """Delivery to YouTube. Never part of ``all``; dry-run unless asked."""

    privacy: Literal["private", "unlisted", "public"] = Field(
        "private", description="the status a Short ends in; with a publish time it uploads "
        "private and YouTube makes it public then")
    publish_at: datetime | None = Field(
        None, description="the first Short's publish time, ISO 8601 with a zone "
        "(2025-06-01T17:00:00+02:00); later Shorts follow every publish_every_hours; "
        "null = visible at upload (or, when over quota, at the same hour on its upload day)")
    publish_every_hours: float = Field(
        24.0, ge=0, le=24 * 30, description="hours between the scheduled publish times of "
        "successive Shorts")
    category_id: str = Field(
        "24", description="YouTube category id: 1 film, 10 music, 17 sports, 20 gaming, "
        "22 people & blogs, 23 comedy, 24 entertainment, 27 education, 28 science & tech")
    made_for_kids: bool = Field(
        False, description="status.selfDeclaredMadeForKids (COPPA): true turns off comments "
        "and personalised ads")
    notify_subscribers: bool = Field(
        True, description="videos.insert notifySubscribers: false uploads quietly")
    language: str = Field(
        "en", description="BCP-47 code of the spoken language: the video's default language "
        "and the caption track's language")
    captions: bool = Field(True, description="upload the Short's SRT as a caption track")
    caption_name: str = Field(
        "", description="the caption track's name shown to viewers ('' = the language)")
    thumbnail: bool = Field(
        True, description="set the Short's PNG as its thumbnail (the channel must be "
        "verified; a refusal is a warning)")
    daily_quota_units: int = Field(
        10000, gt=0, description="the project's daily API quota; what does not fit today is "
        "queued to following days")
    costs: QuotaCosts = Field(default_factory=QuotaCosts, description="units per API call")
    quota_timezone: str = Field(
        "America/Los_Angeles", description="zone of the quota day (YouTube resets quota at "
        "midnight Pacific time)")
    published_csv: str = Field(
        "published.csv", description="the record of what was sent (clip -> video id, upload "
        "session, state), relative to the working directory; never uploads a clip twice")
    client_secrets: str = Field(
        "~/.config/shortfactory/client_secret.json", description="OAuth client of type "
        "'Desktop app' downloaded from Google Cloud Console")
    token: str = Field(
        "~/.config/shortfactory/youtube_token.json", description="where the OAuth token is "
        "cached (mode 0600; delete it to sign in again)")
    api_url: str = Field(
        "https://youtube.googleapis.com/", description="API root (replaces the discovery "
        "document's rootUrl; a local fake server in tests)")
    token_url: str = Field(
        "", description="OAuth token endpoint; '' = the one in the client secrets file")
    chunk_kib: int = Field(
        8192, gt=0, description="resumable upload chunk, KiB (a multiple of 256): a dropped "
        "connection re-sends at most one chunk")
    max_retries: int = Field(
        8, ge=0, le=20, description="retries of a failed request (5xx, dropped connection) "
        "with exponential backoff")
    retry_base_s: float = Field(
        1.0, gt=0, description="first backoff wait, seconds; doubles each retry (with jitter)")
    timeout_s: float = Field(60.0, gt=0, description="socket timeout of one request, seconds")

    @field_validator("publish_at", mode="before")
    @classmethod
    def _yaml_zone(cls, value: Any) -> Any:
        """An unquoted YAML timestamp loses its zone when the recipe loader copies it
        (ruamel's TimeStamp keeps it aside, in ``_yaml``): put it back."""
        extra = getattr(value, "_yaml", None)
        if isinstance(value, datetime) and value.tzinfo is None and extra and extra.get("tz"):
            delta = extra.get("delta") or 0
            if not isinstance(delta, timedelta):
                delta = timedelta(seconds=delta)
            return datetime(*value.timetuple()[:6], value.microsecond, timezone(delta))
        return value

    @field_validator("publish_at")
    @classmethod
    def _zoned(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise _invalid("publish_at needs a zone, e.g. 2025-06-01T17:00:00+02:00 or "
                             "2025-06-01T15:00:00Z")
        return value

    @field_validator("category_id")
    @classmethod
    def _numeric_category(cls, value: str) -> str:
        if not value.isdigit():
            raise _invalid(f"'{value}' is not a YouTube category id (digits, e.g. 24)")
        return value

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", value):
            raise _invalid(f"'{value}' is not a BCP-47 language code (en, ja, pt-BR)")
        return value

    @field_validator("quota_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise _invalid(f"'{value}' is not a time zone name (America/Los_Angeles)") \
                from None
        return value

    @field_validator("api_url", "token_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not re.match(r"https?://[^/\s]+", value):
            raise _invalid(f"'{value}' is not an http(s) URL")
        return value

    @field_validator("api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # googleapiclient joins method paths onto it: without the slash the last
        # path segment would be replaced.
        return value if value.endswith("/") else value + "/"

    @field_validator("chunk_kib")
    @classmethod
    def _chunk_quantum(cls, value: int) -> int:
        if value % CHUNK_QUANTUM_KIB:
            raise _invalid(f"{value} is not a multiple of {CHUNK_QUANTUM_KIB} (Google's "
                             "resumable upload chunk unit)")
        return value

    @model_validator(mode="after")
    def _schedule_goes_public(self) -> PublishSection:
        if self.publish_at is not None and self.privacy != "public":
            raise _invalid(f"publish_at with privacy: {self.privacy}: a scheduled Short "
                             "becomes public at its publish time; set privacy: public (it "
                             "stays private until then) or drop publish_at")
        return self


WebhookKind = Literal["json", "telegram", "discord", "slack"]

# The POST body per webhook kind, as Jinja2 templates (``tojson`` quotes and escapes).
DEFAULT_PAYLOADS: dict[str, str] = {
    "json": '{"event": {{ event | tojson }}, "episode": {{ episode | tojson }}, '
            '"text": {{ text | tojson }}, "shorts": {{ shorts | tojson }}}',
    "telegram": '{"chat_id": {{ chat_id | tojson }}, "text": {{ text | tojson }}, '
                '"disable_web_page_preview": true}',
    "discord": '{"content": {{ text | tojson }}}',
    "slack": '{"text": {{ text | tojson }}}',
}


class Webhook(ReleaseSection):
    """One notification target."""

    url: str = Field(description="endpoint; ${NAME} is read from the environment, so tokens "
                     "stay out of the recipe")
    kind: WebhookKind = Field(
        "json", description="which payload template: json, telegram, discord, slack")
    events: list[Literal["render", "publish"]] = Field(
        default_factory=lambda: ["render", "publish"],
        description="when to send: render (an episode's Shorts are finished), publish")
    chat_id: str = Field("", description="Telegram chat id (${NAME} allowed)")
    template: str = Field("", description="this webhook's own payload template ('' = kind's)")

    @field_validator("url")
    @classmethod
    def _http_or_env(cls, value: str) -> str:
        if not re.match(r"(https?://|\$\{)", value):
            raise _invalid(f"'{value}' is not an http(s) URL or ${{NAME}}")
        return value

    @field_validator("template")
    @classmethod
    def _own_template(cls, value: str) -> str:
        if value:
            try:
                check_payload_template(value)
            except ValueError as err:
                raise _invalid(str(err)) from None
        return value

    @model_validator(mode="after")
    def _telegram_needs_chat(self) -> Webhook:
        if self.kind == "telegram" and not self.chat_id:
            raise _invalid("a telegram webhook needs chat_id (the chat the bot writes to)")
        return self


# Readable over several lines; ``{%-`` trims the line break before a tag.
DEFAULT_MESSAGE = """\
{% set n = count ~ (' Short' if count == 1 else ' Shorts') %}
{%- if event == 'render' %}{{ n }} of {{ episode }} rendered:
{%- else %}YouTube: {{ n }} published or queued:
{%- endif %}
{%- for s in shorts %}
- {{ s.title }}{% if s.url %} {{ s.url }}{% endif %}
  {%- if s.queued_for %} (queued for {{ s.queued_for }}){% elif s.note %} ({{ s.note }}){% endif %}
{%- endfor %}"""


class NotifySection(ReleaseSection):
    """Webhooks after render and after publish; never fatal."""

    webhooks: list[Webhook] = Field(
        default_factory=list, description="targets: url, kind, events, chat_id, template")
    message: str = Field(
        DEFAULT_MESSAGE, description="Jinja2 template of the text; variables: event, episode, "
        "count, shorts (id, episode, title, video, video_id, url, state, publish_at, "
        "queued_for, note)")
    templates: dict[WebhookKind, str] = Field(
        default_factory=lambda: dict(DEFAULT_PAYLOADS), description="JSON payload template "
        "per webhook kind (json, telegram, discord, slack); a kind left out keeps its default")
    retries: int = Field(3, ge=0, le=10, description="retries of a failed POST (backoff)")
    retry_base_s: float = Field(1.0, gt=0, description="first backoff wait, seconds")
    timeout_s: float = Field(10.0, gt=0, description="seconds per POST")

    @field_validator("message")
    @classmethod
    def _renders_text(cls, value: str) -> str:
        try:
            render_template(value, NOTIFY_SAMPLE)
        except ValueError as err:
            raise _invalid(str(err)) from None
        return value

    @field_validator("templates")
    @classmethod
    def _payloads_render_json(cls, value: dict[str, str]) -> dict[str, str]:
        for kind, template in value.items():
            try:
                check_payload_template(template)
            except ValueError as err:
                raise _invalid(f"{kind}: {err}") from None
        return {**DEFAULT_PAYLOADS, **value}


def render_template(template: str, context: dict[str, Any]) -> str:
    """Render a notification template strictly (an undefined name is an error).

    Sandboxed because recipes are shared files; imported lazily so that loading a
    recipe without notifications does not pay for Jinja.
    """
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        return env.from_string(template).render(**context)
    except jinja2.TemplateError as err:
        raise ValueError(f"template error: {err}") from None


def check_payload_template(template: str) -> None:
    """A payload template must render to JSON (it is the POST body)."""
    text = render_template(template, NOTIFY_SAMPLE)
    try:
        json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"renders to invalid JSON ({err.msg} at char {err.pos}); quote "
                         "text with | tojson") from None
