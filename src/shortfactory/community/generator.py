"""An optional OpenAI-compatible chat endpoint that writes the reply.

Off unless ``community.endpoint.url`` is set; never needed (retrieval drafts every
reply without it) and never called by the tests. The endpoint sees the channel's most
similar past exchanges as examples and the comment, and is told the language and the
length; whatever it returns still goes through the same length, emoji and language
checks as a retrieved draft, and any failure falls back to the retrieved draft.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Sequence

from shortfactory.community.corpus import Exchange
from shortfactory.core.recipe_community import EndpointSection

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"en": "English", "ja": "Japanese", "es": "Spanish", "fr": "French",
                  "de": "German", "pt": "Portuguese", "it": "Italian", "ko": "Korean",
                  "zh": "Chinese"}


def messages(comment: str, lang: str, examples: Sequence[Exchange], max_chars: int,
             about: str) -> list[dict[str, str]]:
    """The chat request: a system line, the examples as turns, then the comment."""
    language = LANGUAGE_NAMES.get(lang, lang)
    system = (f"You write the YouTube channel's reply to a viewer's comment, in the "
              f"channel's own voice as in the example replies. Reply in {language}, in at "
              f"most {max_chars} characters, with the channel's emoji habits. Never include "
              f"links. Do not pretend to be a person you are not.{about}")
    out = [{"role": "system", "content": system}]
    for exchange in examples:
        out += [{"role": "user", "content": exchange.comment},
                {"role": "assistant", "content": exchange.reply}]
    out.append({"role": "user", "content": comment})
    return out


def generate(section: EndpointSection, chat: list[dict[str, str]]) -> str | None:
    """The endpoint's reply text, or None on any failure (logged, one line)."""
    headers = {"Content-Type": "application/json"}
    key = os.environ.get(section.api_key_env, "") if section.api_key_env else ""
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body = json.dumps({"model": section.model, "messages": chat,
                       "temperature": section.temperature}).encode()
    url = section.url.rstrip("/") + "/chat/completions"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=section.timeout_s) as answer:
            data = json.loads(answer.read())
        return str(data["choices"][0]["message"]["content"]).strip() or None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, KeyError, IndexError,
            TypeError) as err:
        # Never the key, never a response body: only what kind of failure it was.
        log.warning("community endpoint %s failed (%s); using the retrieved draft", url,
                    type(err).__name__)
        return None
