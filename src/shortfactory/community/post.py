"""Posting reviewed replies with ``comments.insert``: dry-run by default, at most once.

The ledger (``community/replied.csv``) makes a comment be answered at most once, even
across a crash. Its row for a comment says ``sending`` *before* the request goes out
and ``posted`` (with the reply's id) as soon as YouTube answers. A row found still
``sending`` means the last run died or lost the answer with the request in flight: the
reply may or may not exist, so the thread is listed (``comments.list`` with the
comment as ``parentId``) and a reply with the same text counts as posted; only when
none is there is it sent again. The same check runs before any retry of a failed
insert, so a retry can never post a second reply.

Why requests (through google-auth's ``AuthorizedSession``) and not googleapiclient's
``execute``: httplib2 silently re-sends a request once when the connection drops
before the answer, and for ``comments.insert`` that is a second public reply. The
request itself (URI, body) is still built by googleapiclient from the bundled
discovery document, so the dry-run shows exactly what the real run sends.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shortfactory.community.replies import OPT_IN, REPLY, ReplyRow, read_replies
from shortfactory.core.errors import InputError, ShortfactoryError
from shortfactory.core.io import write_rows_csv
from shortfactory.core.recipe_community import CommunitySection
from shortfactory.release.backoff import Backoff

log = logging.getLogger(__name__)

SENDING, POSTED, FAILED = "sending", "posted", "failed"
STATES = (SENDING, POSTED, FAILED)
RETRY_STATUSES = frozenset({500, 502, 503, 504})
DRY_RUN_HINT = ("dry run: nothing is sent (snakemake post_replies --config "
                "reply_for_real=1 sends)")


class PostError(ShortfactoryError):
    """A reply YouTube refused, or a request that kept failing."""


class Ambiguous(Exception):
    """The request may or may not have arrived (5xx, dropped connection, timeout)."""


@dataclass(slots=True)
class LedgerRow:
    """One comment's reply state."""

    comment_id: str
    video_id: str = ""
    state: str = SENDING
    reply_id: str = ""
    text: str = ""
    updated: str = ""
    note: str = ""


LEDGER_COLUMNS = tuple(f.name for f in fields(LedgerRow))


class ReplyLedger:
    """``replied.csv`` by comment id, rewritten atomically on every change."""

    def __init__(self, path: str | Path, rows: list[LedgerRow] | None = None) -> None:
        self.path = Path(path)
        self._rows = {r.comment_id: r for r in rows or []}

    @classmethod
    def load(cls, path: str | Path) -> ReplyLedger:
        """A missing file is an empty ledger; a broken one an error (guessing could
        post a second reply)."""
        path = Path(path)
        if not path.exists():
            return cls(path)
        reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
        if not {"comment_id", "state"} <= set(reader.fieldnames or ()):
            raise InputError(f"{path}: not a replied.csv (needs comment_id and state)")
        rows = []
        for line, record in enumerate(reader, start=2):
            row = LedgerRow(**{k: (record.get(k) or "") for k in LEDGER_COLUMNS})
            if row.state not in STATES:
                raise InputError(f"{path}:{line}: state '{row.state}' is not one of "
                                 f"{', '.join(STATES)}")
            rows.append(row)
        return cls(path, rows)

    def get(self, comment_id: str) -> LedgerRow | None:
        return self._rows.get(comment_id)

    def rows(self) -> list[LedgerRow]:
        return list(self._rows.values())

    def claimed(self) -> set[str]:
        """Comments answered or possibly answered: never drafted or sent again."""
        return {r.comment_id for r in self._rows.values() if r.state in (SENDING, POSTED)}

    def put(self, row: LedgerRow) -> None:
        row.updated = datetime.now(UTC).isoformat(timespec="seconds")
        self._rows[row.comment_id] = row
        write_rows_csv(self.path, LEDGER_COLUMNS, self._rows.values())


@dataclass(slots=True)
class Hooks:
    """What a caller (a test) may swap: sign-in, sleeping and printing."""

    credentials: Callable[[CommunitySection], Any] | None = None
    sleep: Callable[[float], None] = time.sleep
    out: Callable[[str], None] = print


@dataclass(slots=True)
class Report:
    """What a run did: replies sent, confirmed after a crash, refused, left for later."""

    sent: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def to_post(rows: list[ReplyRow], section: CommunitySection) -> list[ReplyRow]:
    """Drafted rows a person approved (or every drafted row without that rule)."""
    return [r for r in rows if r.action == REPLY and r.draft.strip()
            and (r.is_approved or not section.require_approval)]


def post_replies(replies: str | Path, section: CommunitySection | dict[str, Any], *,
                 for_real: bool = False, hooks: Hooks | None = None,
                 root: str | Path = ".") -> Report:
    """Post the approved drafts of ``replies`` (a dry-run unless ``for_real``)."""
    section = CommunitySection.model_validate(section)
    if not section.enabled:
        raise ShortfactoryError(OPT_IN)
    hooks = hooks or Hooks()
    report = Report()

    def say(line: str) -> None:
        report.lines.append(line)
        log.info("%s", line)
        hooks.out(line)

    rows = to_post(read_replies(replies), section)
    ledger = ReplyLedger.load(Path(root) / section.ledger)
    # A refusal is final (YouTube said no: comments off, reply too long); delete its row
    # in the ledger to try again.
    todo = [r for r in rows
            if (ledger.get(r.comment_id) or LedgerRow("")).state not in (POSTED, FAILED)]
    say(DRY_RUN_HINT if not for_real else "posting replies for real to YouTube")
    say(f"{len(rows)} approved draft(s); {len(rows) - len(todo)} already posted or refused; "
        f"{min(len(todo), section.max_per_run)} to send in this run (max_per_run "
        f"{section.max_per_run}, {section.min_interval_s:g} s apart)")
    batch, report.pending = todo[: section.max_per_run], [
        r.comment_id for r in todo[section.max_per_run:]]
    if not for_real:
        youtube = client(section)
        for row in batch:
            request = insert_request(youtube, row.comment_id, row.draft)
            say(f"would reply to {row.comment_id} ({row.lang}): {row.draft}")
            say(f"  comments.insert: POST {request.uri}")
            say(f"    body: {request.body}")
        return report
    if not batch:
        return report
    session = _session(section, hooks)
    youtube = client(section)
    backoff = Backoff(section.max_retries, section.retry_base_s, sleep=hooks.sleep)
    for number, row in enumerate(batch):
        if number:
            hooks.sleep(section.min_interval_s)  # rate limit: replies never come in bursts
        _post_one(row, ledger, youtube, session, section, backoff, report, say)
    return report


def _post_one(row: ReplyRow, ledger: ReplyLedger, youtube: Any, session: Any,
              section: CommunitySection, backoff: Backoff, report: Report,
              say: Callable[[str], None]) -> None:
    known = ledger.get(row.comment_id)
    in_flight = known is not None and known.state == SENDING
    entry = known or LedgerRow(row.comment_id, row.video_id)
    entry.state, entry.text, entry.video_id = SENDING, row.draft, row.video_id
    for attempt in range(section.max_retries + 1):
        if in_flight:
            found = find_reply(session, youtube, section, row.comment_id, entry.text)
            if found:
                entry.state, entry.reply_id, entry.note = POSTED, found, "confirmed after a crash"
                ledger.put(entry)
                report.confirmed.append(row.comment_id)
                say(f"confirmed {row.comment_id}: the reply from an interrupted run is there "
                    f"({found}); not sent again")
                return
        entry.note = ""
        ledger.put(entry)  # the intent, before the request leaves
        in_flight = True
        try:
            reply_id = send_insert(session, youtube, section, row.comment_id, row.draft)
        except Ambiguous as err:
            if attempt >= section.max_retries:
                entry.note = f"no answer after {attempt + 1} tries ({err}); next run checks"
                ledger.put(entry)
                raise PostError(f"{row.comment_id}: {entry.note}") from None
            backoff.wait(attempt, f"comments.insert {row.comment_id}: {err}")
            continue
        except PostError as err:
            entry.state, entry.note = FAILED, str(err)[:300]
            ledger.put(entry)
            report.failed.append(row.comment_id)
            say(f"refused {row.comment_id}: {err}")
            return
        entry.state, entry.reply_id = POSTED, reply_id
        ledger.put(entry)
        report.sent.append(row.comment_id)
        say(f"replied to {row.comment_id}: {reply_id}")
        return


# --- requests ---------------------------------------------------------------------------


def client(section: CommunitySection) -> Any:
    """The ``youtube`` v3 client on the recipe's API root, only to build requests
    (offline: the discovery document is inside the wheel)."""
    from googleapiclient.discovery import build
    from googleapiclient.http import build_http

    return build("youtube", "v3", http=build_http(), static_discovery=True,
                 cache_discovery=False, client_options={"api_endpoint": section.api_url})


def insert_request(youtube: Any, comment_id: str, text: str) -> Any:
    body = {"snippet": {"parentId": comment_id, "textOriginal": text}}
    return youtube.comments().insert(part="snippet", body=body)


def send_insert(session: Any, youtube: Any, section: CommunitySection, comment_id: str,
                text: str) -> str:
    """One comments.insert, never re-sent by the transport; the new reply's id."""
    request = insert_request(youtube, comment_id, text)
    status, data = _send(session, "POST", request.uri, request.body, section)
    if status in (200, 201) and isinstance(data, dict) and data.get("id"):
        return str(data["id"])
    raise PostError(f"comments.insert answered HTTP {status}: {_message(data)}")


def find_reply(session: Any, youtube: Any, section: CommunitySection, comment_id: str,
               text: str) -> str:
    """The id of a reply under ``comment_id`` with ``text`` ('' when none): did an
    interrupted insert arrive? Pages through every reply of the thread."""
    wanted = " ".join(text.split())
    token = ""
    while True:
        kwargs = {"pageToken": token} if token else {}
        request = youtube.comments().list(part="snippet", parentId=comment_id, maxResults=100,
                                          textFormat="plainText", **kwargs)
        status, data = _send(session, "GET", request.uri, None, section, retry=True)
        if status != 200 or not isinstance(data, dict):
            raise PostError(f"comments.list for {comment_id} answered HTTP {status}: "
                            f"{_message(data)}")
        for item in data.get("items", []):
            snippet = item.get("snippet", {})
            said = snippet.get("textOriginal") or snippet.get("textDisplay") or ""
            if " ".join(str(said).split()) == wanted:
                return str(item.get("id", ""))
        token = data.get("nextPageToken", "")
        if not token:
            return ""


def _send(session: Any, method: str, uri: str, body: str | None, section: CommunitySection,
          retry: bool = False) -> tuple[int, Any]:
    """One request; 5xx and transport failures are :class:`Ambiguous`. A read
    (``retry``) is retried here since it changes nothing."""
    import requests

    attempts = section.max_retries + 1 if retry else 1
    for attempt in range(attempts):
        try:
            answer = session.request(method, uri, data=body, timeout=section.timeout_s,
                                     headers={"Content-Type": "application/json"})
        except (requests.ConnectionError, requests.Timeout) as err:
            why = type(err).__name__
        else:
            if answer.status_code not in RETRY_STATUSES:
                try:
                    return answer.status_code, answer.json()
                except ValueError:
                    return answer.status_code, answer.text[:200]
            why = f"HTTP {answer.status_code}"
        if attempt + 1 < attempts:
            time.sleep(min(section.retry_base_s * 2 ** attempt, 30.0))
    raise Ambiguous(why)


def _session(section: CommunitySection, hooks: Hooks) -> Any:
    from google.auth.transport.requests import AuthorizedSession

    if hooks.credentials is not None:
        creds = hooks.credentials(section)
    else:
        from shortfactory.release.auth import credentials

        creds = credentials(section.client_secrets, section.token, token_url=section.token_url)
    return AuthorizedSession(creds)


def _message(data: Any) -> str:
    """A Google error body's message, else its start (never a header)."""
    if isinstance(data, dict):
        try:
            return str(data["error"]["message"])
        except (KeyError, TypeError):
            return json.dumps(data)[:200]
    return str(data)[:200]
