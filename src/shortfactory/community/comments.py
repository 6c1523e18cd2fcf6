"""Comments to answer, and the Short each one is under.

Two inputs: what the YouTube Data API's ``commentThreads.list`` returns (one response,
or a list of pages, saved as JSON), or a CSV with ``comment_id, video_id, text`` (and
optionally ``author``, ``author_channel_id``), for comments exported some other way.
Only top-level comments are answered (``comments.insert`` takes the thread's top
comment as ``parentId``); a thread the channel already replied in is marked, so it
is never answered twice.

The Short behind a video id comes from ``published.csv`` (video id -> episode, clip)
and its ``out/<episode>/<clip>.json``: its characters and topic are what a reply may
mention.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shortfactory.core.artifacts import ClipMetadata
from shortfactory.core.errors import InputError, ShortfactoryError
from shortfactory.core.io import read_model, read_user_csv

log = logging.getLogger(__name__)

# Tags the line puts on every Short: never a topic.
_GENERIC_TAGS = frozenset({"shorts", "short", "anime", "cartoon", "funny", "clip", "clips"})


@dataclass(slots=True)
class Comment:
    """One top-level comment."""

    id: str
    video_id: str
    text: str
    author: str = ""
    author_channel_id: str = ""
    answered: bool = False  # the channel already replied in its thread
    can_reply: bool = True


@dataclass(slots=True)
class ShortContext:
    """What a reply may say about the Short a comment is under."""

    episode: str = ""
    clip_id: str = ""
    title: str = ""
    characters: list[str] = field(default_factory=list)
    topic: str = ""


def load_comments(path: str | Path, channel_id: str = "") -> list[Comment]:
    """Comments from a commentThreads JSON or a CSV (by suffix), in file order."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: comments file not found (community.comments; save a "
                         "commentThreads.list response there, or a CSV)") from None
    if path.suffix.lower() == ".csv":
        return read_comments_csv(path, text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not JSON ({err.msg} at line {err.lineno})") from None
    return read_comment_threads(path, data, channel_id)


def read_comment_threads(path: Path, data: Any, channel_id: str = "") -> list[Comment]:
    """Top-level comments of one ``commentThreads.list`` response or a list of them."""
    pages = data if isinstance(data, list) else [data]
    out: list[Comment] = []
    for number, page in enumerate(pages, start=1):
        if not isinstance(page, dict) or not isinstance(page.get("items"), list):
            raise InputError(f"{path}: page {number} is not a commentThreads response "
                             "(no items list)")
        for item in page["items"]:
            out.append(_thread(path, item, channel_id))
    return out


def _thread(path: Path, item: Any, channel_id: str) -> Comment:
    try:
        snippet = item["snippet"]
        top = snippet["topLevelComment"]
        top_snippet = top["snippet"]
        replies = (item.get("replies") or {}).get("comments") or []
        answered = bool(channel_id) and any(
            _author_id(r.get("snippet", {})) == channel_id for r in replies)
        return Comment(
            id=str(top["id"]),
            video_id=str(top_snippet.get("videoId") or snippet.get("videoId") or ""),
            text=str(top_snippet.get("textOriginal") or top_snippet.get("textDisplay") or ""),
            author=str(top_snippet.get("authorDisplayName", "")),
            author_channel_id=_author_id(top_snippet), answered=answered,
            can_reply=bool(snippet.get("canReply", True)))
    except (KeyError, TypeError, AttributeError):
        where = item.get("id", "?") if isinstance(item, dict) else "?"
        raise InputError(f"{path}: thread {where} lacks snippet.topLevelComment "
                         "(id, snippet)") from None


def _author_id(snippet: dict[str, Any]) -> str:
    author = snippet.get("authorChannelId")
    return str(author.get("value", "")) if isinstance(author, dict) else str(author or "")


def read_comments_csv(path: Path, text: str) -> list[Comment]:
    out = []
    for line, row in read_user_csv(path, text, ("comment_id", "video_id", "text"),
                                   "a comments CSV"):
        if not row["comment_id"]:
            raise InputError(f"{path}:{line}: empty comment_id")
        out.append(Comment(id=row["comment_id"], video_id=row["video_id"], text=row["text"],
                           author=row.get("author", ""),
                           author_channel_id=row.get("author_channel_id", "")))
    return out


def short_contexts(published_csv: str | Path, root: str | Path = ".") -> dict[str, ShortContext]:
    """Video id -> the Short it is, from ``published.csv`` and each clip's metadata.

    A missing ledger or metadata file only means replies mention no Short (drafting
    still works on comments under any video), so it is not an error.
    """
    from shortfactory.release.ledger import Ledger

    path = Path(published_csv).expanduser()
    if not path.exists():
        return {}
    try:
        rows = Ledger.load(path).rows()
    except ShortfactoryError as err:
        raise InputError(f"{path}: cannot read published.csv: {err}") from None
    out: dict[str, ShortContext] = {}
    for row in rows:
        if not row.video_id:
            continue
        meta_path = Path(root) / "out" / row.episode / f"{row.clip_id}.json"
        context = ShortContext(episode=row.episode, clip_id=row.clip_id, title=row.title)
        if meta_path.is_file():
            try:
                context = context_from_metadata(read_model(meta_path, ClipMetadata))
            except ShortfactoryError as err:  # stale or broken: only its mention is lost
                log.warning("%s; replies under %s mention no Short", err, row.video_id)
        out[row.video_id] = context
    return out


def context_from_metadata(meta: ClipMetadata) -> ShortContext:
    """Characters: the capitalised tags (the line tags names in their own spelling);
    topic: the first multi-word keyword tag, else the first keyword of 4+ letters."""
    keywords = [t for t in meta.tags if t.casefold() not in _GENERIC_TAGS]
    characters = [t for t in keywords if t[:1].isupper() and " " not in t]
    plain = [t for t in keywords if t not in characters]
    topic = next((t for t in plain if " " in t), "") or next(
        (t for t in plain if len(t) >= 4), "")
    return ShortContext(episode=meta.episode, clip_id=meta.clip_id, title=meta.title,
                        characters=characters, topic=topic)
