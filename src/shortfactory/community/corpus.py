"""Style corpora: the channel's past exchanges (a comment and the channel's reply).

Three formats, told apart by the file's suffix:

* ``.csv``: columns ``comment`` and ``reply`` (optional ``conversation``, ``lang``,
  ``character``, ``topic``), as a spreadsheet export of past replies has them;
* ``.jsonl`` / ``.ndjson``: one object a line, either with those keys or with
  ``messages`` (``role``/``content``, the OpenAI chat-log shape: each assistant turn
  answers the user turns before it);
* anything else: a plain chat export, ``Name: text`` a line (a leading ``[time]``,
  ``2024/05/01 12:00`` or ``12:00`` stamp is dropped; a line without a speaker
  continues the previous message); a blank line ends a conversation. The lines of
  ``channel_name`` are the replies, everyone else's lines the comments they answer.

The bundled corpus (``corpus/exchanges.jsonl``, CC0) is used when the recipe names none.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shortfactory.community.lang import UNDETERMINED, detect_language
from shortfactory.core.errors import InputError
from shortfactory.core.io import read_user_csv

BUNDLED = Path(__file__).resolve().parent / "corpus" / "exchanges.jsonl"

_STAMP = (r"(?:\[[^\]]{1,40}\]\s*"
          r"|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4},?\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?"
          r"\s*[-–]?\s*"
          r"|\d{1,2}:\d{2}(?::\d{2})?\s+)?")
_CHAT_LINE = re.compile(rf"^{_STAMP}([^:\t：]{{1,40}}?)\s*[:\t：]\s*(.*)$")


@dataclass(slots=True)
class Exchange:
    """One past comment and the channel's reply to it."""

    conversation: str
    comment: str
    reply: str
    lang: str
    character: str = ""
    topic: str = ""
    id: str = ""  # "<conversation>#<n>": shown in replies.csv as the source


def load_corpus(path: str | Path | None = None, channel_name: str = "channel") -> list[Exchange]:
    """The exchanges of a corpus file (the bundled one for ``None`` or '')."""
    path = Path(path).expanduser() if path else BUNDLED
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: style corpus not found (community.corpus)") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: style corpus is not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        exchanges = read_csv(path, text)
    elif suffix in (".jsonl", ".ndjson"):
        exchanges = read_jsonl(path, text)
    else:
        exchanges = read_chat(text, channel_name)
    exchanges = [e for e in exchanges if e.comment.strip() and e.reply.strip()]
    if not exchanges:
        hint = (f" (no line by '{channel_name}': set community.channel_name)"
                if suffix not in (".csv", ".jsonl", ".ndjson") else "")
        raise InputError(f"{path}: style corpus holds no comment/reply exchange{hint}")
    return _numbered(exchanges)


def read_csv(path: Path, text: str) -> list[Exchange]:
    return [_exchange(row, default_conversation=f"row{line}")
            for line, row in read_user_csv(path, text, ("comment", "reply"),
                                           "a style corpus CSV")]


def read_jsonl(path: Path, text: str) -> list[Exchange]:
    out: list[Exchange] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as err:
            raise InputError(f"{path}:{line}: not JSON ({err.msg})") from None
        if not isinstance(record, dict):
            raise InputError(f"{path}:{line}: expected an object")
        if "messages" in record:
            out += _from_messages(path, line, record)
        elif "comment" in record and "reply" in record:
            out.append(_exchange({k: str(v) for k, v in record.items()},
                                 default_conversation=f"line{line}"))
        else:
            raise InputError(f"{path}:{line}: needs comment and reply, or messages")
    return out


def _from_messages(path: Path, line: int, record: dict[str, Any]) -> list[Exchange]:
    """Each assistant turn answers the user turns since the previous assistant turn."""
    messages = record["messages"]
    if not isinstance(messages, list):
        raise InputError(f"{path}:{line}: messages must be a list")
    conversation = str(record.get("conversation") or f"line{line}")
    out, asked = [], []
    for message in messages:
        role = str(message.get("role", "")) if isinstance(message, dict) else ""
        content = str(message.get("content", "")) if isinstance(message, dict) else ""
        if role == "user":
            asked.append(content)
        elif role == "assistant" and asked:
            out.append(_exchange({"comment": " ".join(asked), "reply": content,
                                  "lang": str(record.get("lang", ""))}, conversation))
            asked = []
    return out


def read_chat(text: str, channel_name: str) -> list[Exchange]:
    """Exchanges of a plain chat export (see the module docstring)."""
    channel = channel_name.casefold()
    out: list[Exchange] = []
    conversation, asked, answer = 1, [], []

    def flush() -> None:
        nonlocal asked, answer
        if asked and answer:
            out.append(_exchange({"comment": " ".join(asked), "reply": " ".join(answer)},
                                 f"chat{conversation}"))
            asked, answer = [], []
        elif answer:
            answer = []

    speaker = ""
    for raw in text.splitlines():
        if not raw.strip():
            flush()
            asked, answer, speaker = [], [], ""
            conversation += 1
            continue
        match = _CHAT_LINE.match(raw.strip())
        if match:
            speaker, said = match.group(1).strip().casefold(), match.group(2).strip()
        elif speaker:
            said = raw.strip()  # a wrapped line continues the message
        else:
            continue
        if speaker == channel:
            answer.append(said)
        else:
            if answer:
                flush()
            asked.append(said)
    flush()
    return out


def _exchange(row: dict[str, str], default_conversation: str) -> Exchange:
    comment, reply = row.get("comment", "").strip(), row.get("reply", "").strip()
    lang = row.get("lang", "").strip().lower()
    if not lang:
        lang = detect_language(reply)
        if lang == UNDETERMINED:
            lang = detect_language(comment)
    return Exchange(conversation=row.get("conversation", "").strip() or default_conversation,
                    comment=comment, reply=reply, lang=lang,
                    character=row.get("character", "").strip(),
                    topic=row.get("topic", "").strip())


def _numbered(exchanges: list[Exchange]) -> list[Exchange]:
    """Give each exchange an id, ``<conversation>#<n>`` (n counts within it)."""
    seen: dict[str, int] = {}
    for exchange in exchanges:
        seen[exchange.conversation] = seen.get(exchange.conversation, 0) + 1
        exchange.id = f"{exchange.conversation}#{seen[exchange.conversation]}"
    return exchanges


def split_by_conversation(exchanges: list[Exchange], test_share: float,
                          salt: str = "") -> tuple[list[Exchange], list[Exchange]]:
    """Train and test parts with every conversation wholly in one of them (a reply's
    follow-up in the training part would leak its wording), chosen by a hash of the
    conversation id so the split never changes between runs."""
    import hashlib

    def in_test(conversation: str) -> bool:
        digest = hashlib.sha256(f"{salt}{conversation}".encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32 < test_share

    train = [e for e in exchanges if not in_test(e.conversation)]
    test = [e for e in exchanges if in_test(e.conversation)]
    return train, test
