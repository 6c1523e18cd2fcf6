"""Webhooks after render and after publish: a JSON POST per configured target.

Never fatal: a notification is a courtesy, so a dead endpoint costs a few retries
(with backoff) and one ``warning:`` line, never the run. Webhook URLs carry secrets
(a Telegram bot token, a Discord webhook key), so a URL may be written ``${NAME}``
and read from the environment, and only its host is ever logged.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from shortfactory.core.artifacts import Artifact, ShortsIndex, Strict
from shortfactory.core.io import read_model, write_model
from shortfactory.core.recipe_release import NotifySection, Webhook, render_template
from shortfactory.release.backoff import Backoff

log = logging.getLogger(__name__)

Event = Literal["render", "publish"]
# Longest message each service takes (characters); longer text is cut with an ellipsis.
TEXT_LIMITS = {"discord": 2000, "telegram": 4096, "slack": 40000, "json": 100000}
_ENV = re.compile(r"\$\{(\w+)\}")


class Delivery(Strict):
    """What one webhook answered (the host only: the URL may hold a token)."""

    kind: str
    host: str
    ok: bool
    attempts: int
    note: str = ""


class NotifyReceipt(Artifact):
    """``results/<episode>/notify_render.json``: which webhooks were told that the
    episode's Shorts are rendered (the rule's output, so each render notifies once)."""

    event: str
    episode: str
    deliveries: list[Delivery] = Field(default_factory=list)


def notify(section: NotifySection, event: Event, episode: str,
           shorts: Sequence[dict[str, Any]], *,
           sleep: Callable[[float], None] = time.sleep) -> list[Delivery]:
    """Tell every webhook subscribed to ``event``; returns what each answered."""
    hooks = [w for w in section.webhooks if event in w.events]
    if not hooks:
        return []
    context = {"event": event, "episode": episode, "count": len(shorts),
               "shorts": [_short_fields(s) for s in shorts]}
    try:
        text = render_template(section.message, context)
    except ValueError as err:
        log.warning("notify: notify.message: %s; nothing sent", err)
        return []
    backoff = Backoff(section.retries, section.retry_base_s, sleep=sleep)
    return [_deliver(hook, section, context, text, backoff) for hook in hooks]


def notify_rendered(shorts_json: str | Path, section: dict[str, Any] | NotifySection,
                    out: str | Path) -> NotifyReceipt:
    """The ``notify_render`` rule: tell the webhooks an episode is rendered and write
    the receipt (written even when every webhook failed: never fatal)."""
    section = NotifySection.model_validate(section)
    index = read_model(shorts_json, ShortsIndex)
    shorts = [{"id": s.id, "episode": index.episode, "title": s.title, "video": s.video,
               "state": "rendered"} for s in index.shorts]
    deliveries = notify(section, "render", index.episode, shorts)
    receipt = NotifyReceipt(event="render", episode=index.episode, deliveries=deliveries)
    write_model(out, receipt)
    return receipt


def _deliver(hook: Webhook, section: NotifySection, context: dict[str, Any], text: str,
             backoff: Backoff) -> Delivery:
    """Render and POST one webhook's payload; any failure is one warning line."""
    host = "?"
    try:
        url = expand_env(hook.url)
        host = urllib.parse.urlsplit(url).hostname or "?"
        limit = TEXT_LIMITS[hook.kind]
        short_text = text if len(text) <= limit else text[: limit - 1] + "…"
        payload = render_template(hook.template or section.templates[hook.kind],
                                  {**context, "text": short_text,
                                   "chat_id": expand_env(hook.chat_id)})
        body = json.dumps(json.loads(payload)).encode("utf-8")
    except (KeyError, ValueError) as err:
        return _failed(hook, host, 0, f"not sent: {err.args[0] if err.args else err}")
    ok, attempts, note = post_json(url, body, section.timeout_s, backoff)
    if not ok:
        return _failed(hook, host, attempts, note)
    log.info("notify: %s webhook %s answered after %d attempt(s)", hook.kind, host, attempts)
    return Delivery(kind=hook.kind, host=host, ok=True, attempts=attempts)


def _failed(hook: Webhook, host: str, attempts: int, note: str) -> Delivery:
    log.warning("notify: %s webhook %s failed (%s); carrying on", hook.kind, host, note)
    return Delivery(kind=hook.kind, host=host, ok=False, attempts=attempts, note=note)


def post_json(url: str, body: bytes, timeout_s: float,
              backoff: Backoff) -> tuple[bool, int, str]:
    """POST ``body``; retry 5xx, 429 and dropped connections. (ok, attempts, note)."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "shortfactory"})
    note = ""
    for attempt in range(backoff.retries + 1):
        if attempt:
            backoff.wait(attempt - 1, f"webhook: {note}")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                response.read()
            return True, attempt + 1, ""
        except urllib.error.HTTPError as err:
            note = f"HTTP {err.code}"
            if err.code < 500 and err.code != 429:
                return False, attempt + 1, note
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            reason = getattr(err, "reason", err)
            note = f"{type(reason).__name__}: {reason}"
    return False, backoff.retries + 1, note


def expand_env(value: str) -> str:
    """``${NAME}`` replaced from the environment; a missing one is a KeyError."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise KeyError(f"environment variable {name} is not set")
        return os.environ[name]

    return _ENV.sub(one, value)


def _short_fields(short: dict[str, Any]) -> dict[str, Any]:
    """Every name a template may use, present (empty) even when the event lacks it."""
    keys = ("id", "episode", "title", "video", "video_id", "url", "state", "publish_at",
            "queued_for", "note")
    return {k: short.get(k, "") for k in keys}
