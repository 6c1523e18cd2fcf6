"""Posting replies against a local fake of ``comments.insert`` / ``comments.list``: the
dry-run sends nothing; a reply is posted at most once, even when the run dies or the
answer is lost with the request in flight; the rate limit spaces replies and caps a
run; a refusal is recorded and not retried."""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from shortfactory.community.post import Hooks, PostError, ReplyLedger, post_replies
from shortfactory.community.replies import ReplyRow, write_replies

TOKEN = "fake-access-token"


@dataclass
class FakeComments:
    """Replies by parent id; ``faults``: what the next inserts do ("drop-after" stores
    the reply and closes the connection unanswered, "drop-before" closes without
    storing, or an HTTP status)."""

    replies: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    faults: list[str | int] = field(default_factory=list)
    inserts: int = 0
    lists: int = 0
    unauthorized: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def posted(self) -> list[tuple[str, str]]:
        return [(p, r["text"]) for p, items in self.replies.items() for r in items]


@pytest.fixture
def fake() -> Any:
    state = FakeComments()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                state.unauthorized += 1
                self._answer(401, {"error": {"message": "no token"}})
                return False
            return True

        def do_GET(self) -> None:  # noqa: N802
            url = urllib.parse.urlsplit(self.path)
            if not self._authorized():
                return
            parent = dict(urllib.parse.parse_qsl(url.query))["parentId"]
            state.lists += 1
            items = [{"id": r["id"], "snippet": {"parentId": parent, "textOriginal": r["text"]}}
                     for r in state.replies.get(parent, [])]
            self._answer(200, {"items": items})

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self._authorized():
                return
            snippet = json.loads(body)["snippet"]
            with state.lock:
                state.inserts += 1
                fault = state.faults.pop(0) if state.faults else None
            if isinstance(fault, int):
                return self._answer(fault, {"error": {"message": "planned failure"}})
            reply = {"id": f"{snippet['parentId']}.r{state.inserts}",
                     "text": snippet["textOriginal"]}
            if fault != "drop-before":
                state.replies.setdefault(snippet["parentId"], []).append(reply)
            if fault in ("drop-after", "drop-before"):
                self.close_connection = True
                return
            self._answer(200, {"id": reply["id"], "snippet": snippet})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/"  # type: ignore[attr-defined]
    yield state
    server.shutdown()
    server.server_close()


class Crash(BaseException):
    """A kill -9 stand-in: nothing in the poster catches it."""


def replies_file(root: Path, count: int = 2, approved: str = "yes") -> Path:
    rows = [ReplyRow(comment_id=f"Ug{n}", video_id="vid1", episode="ep1", clip_id="c1",
                     author="@fan", lang="en", comment=f"comment {n}", action="reply",
                     draft=f"haha thanks {n} 😂", reason="adapted", similarity=0.4,
                     source_id="en-001#1", source_comment="x", source_reply="y",
                     approved=approved) for n in range(count)]
    rows.append(ReplyRow(comment_id="Spam", video_id="vid1", episode="", clip_id="",
                         author="", lang="en", comment="sub4sub", action="skip", draft="",
                         reason="spam", similarity=0.0, source_id="", source_comment="",
                         source_reply="", approved="yes"))
    path = root / "community" / "2025-06-01" / "replies.csv"
    write_replies(path, rows)
    return path


def section(fake: Any, **overrides: object) -> dict[str, object]:
    return {"enabled": True, "api_url": fake.url, "ledger": "community/replied.csv",
            "min_interval_s": 7.0, "max_retries": 0, "retry_base_s": 0.01, "timeout_s": 5,
            **overrides}


def hooks(sleeps: list[float] | None = None, crash_on_sleep: bool = False) -> Hooks:
    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)
        if crash_on_sleep:
            raise Crash

    return Hooks(credentials=lambda s: Credentials(token=TOKEN), sleep=sleep,
                 out=lambda line: None)


def test_dry_run_shows_the_requests_and_sends_nothing(tmp_path: Path, fake: Any) -> None:
    path = replies_file(tmp_path)
    lines: list[str] = []
    report = post_replies(path, section(fake), root=tmp_path,
                          hooks=Hooks(sleep=lambda s: None, out=lines.append))
    text = "\n".join(lines)
    assert fake.inserts == fake.lists == 0 and report.sent == []
    assert not (tmp_path / "community" / "replied.csv").exists()
    assert lines[0].startswith("dry run: nothing is sent")
    assert f"comments.insert: POST {fake.url}youtube/v3/comments?part=snippet" in text
    assert '"parentId": "Ug0"' in text and "would reply to Ug1 (en): haha thanks 1" in text
    assert "Spam" not in text


def test_posts_approved_rows_once_spaced_by_the_rate_limit(tmp_path: Path, fake: Any) -> None:
    path = replies_file(tmp_path, count=3)
    sleeps: list[float] = []
    report = post_replies(path, section(fake), for_real=True, root=tmp_path,
                          hooks=hooks(sleeps))
    assert report.sent == ["Ug0", "Ug1", "Ug2"] and fake.inserts == 3
    assert fake.posted() == [(f"Ug{n}", f"haha thanks {n} 😂") for n in range(3)]
    assert sleeps == [7.0, 7.0]  # between replies, not before the first
    rows = ReplyLedger.load(tmp_path / "community" / "replied.csv").rows()
    assert [(r.comment_id, r.state, r.reply_id) for r in rows] == [
        (f"Ug{n}", "posted", f"Ug{n}.r{n + 1}") for n in range(3)]
    again = post_replies(path, section(fake), for_real=True, root=tmp_path, hooks=hooks())
    assert again.sent == [] and fake.inserts == 3 and fake.lists == 0


def test_unapproved_rows_wait_and_max_per_run_caps(tmp_path: Path, fake: Any) -> None:
    path = replies_file(tmp_path, count=2, approved="")
    report = post_replies(path, section(fake), for_real=True, root=tmp_path, hooks=hooks())
    assert report.sent == [] and fake.inserts == 0
    capped = post_replies(path, section(fake, require_approval=False, max_per_run=1),
                          for_real=True, root=tmp_path, hooks=hooks())
    assert capped.sent == ["Ug0"] and capped.pending == ["Ug1"] and fake.inserts == 1


def test_lost_answer_then_rerun_confirms_instead_of_posting_again(tmp_path: Path,
                                                                  fake: Any) -> None:
    path = replies_file(tmp_path, count=1)
    fake.faults = ["drop-after"]  # the reply is made, the answer never arrives
    with pytest.raises(PostError, match="next run checks"):
        post_replies(path, section(fake), for_real=True, root=tmp_path, hooks=hooks())
    (row,) = ReplyLedger.load(tmp_path / "community" / "replied.csv").rows()
    assert row.state == "sending" and row.text == "haha thanks 0 😂"
    report = post_replies(path, section(fake), for_real=True, root=tmp_path, hooks=hooks())
    assert report.confirmed == ["Ug0"] and report.sent == []
    assert fake.posted() == [("Ug0", "haha thanks 0 😂")] and fake.inserts == 1
    (row,) = ReplyLedger.load(tmp_path / "community" / "replied.csv").rows()
    assert (row.state, row.reply_id) == ("posted", "Ug0.r1")


def test_crash_mid_run_then_rerun_posts_each_reply_exactly_once(tmp_path: Path,
                                                                fake: Any) -> None:
    path = replies_file(tmp_path, count=2)
    # Dies in the rate-limit pause after the first reply (as kill -9 would).
    with pytest.raises(Crash):
        post_replies(path, section(fake), for_real=True, root=tmp_path,
                     hooks=hooks(crash_on_sleep=True))
    assert fake.posted() == [("Ug0", "haha thanks 0 😂")]
    report = post_replies(path, section(fake), for_real=True, root=tmp_path, hooks=hooks())
    assert report.sent == ["Ug1"]
    assert sorted(fake.posted()) == [("Ug0", "haha thanks 0 😂"), ("Ug1", "haha thanks 1 😂")]


def test_retry_checks_the_thread_first_so_it_never_doubles(tmp_path: Path, fake: Any) -> None:
    path = replies_file(tmp_path, count=2)
    fake.faults = ["drop-after", "drop-before"]
    report = post_replies(path, section(fake, max_retries=2), for_real=True, root=tmp_path,
                          hooks=hooks())
    # Ug0: arrived, answer lost -> the retry's check finds it. Ug1: never arrived -> sent.
    assert report.confirmed == ["Ug0"] and report.sent == ["Ug1"]
    assert sorted(fake.posted()) == [("Ug0", "haha thanks 0 😂"), ("Ug1", "haha thanks 1 😂")]


def test_refusal_is_recorded_and_not_retried(tmp_path: Path, fake: Any) -> None:
    path = replies_file(tmp_path, count=1)
    fake.faults = [403]
    report = post_replies(path, section(fake), for_real=True, root=tmp_path, hooks=hooks())
    assert report.failed == ["Ug0"] and fake.posted() == []
    (row,) = ReplyLedger.load(tmp_path / "community" / "replied.csv").rows()
    assert row.state == "failed" and "HTTP 403" in row.note
    again = post_replies(path, section(fake), for_real=True, root=tmp_path, hooks=hooks())
    assert again.sent == again.failed == [] and fake.inserts == 1
    # A failed row is not claimed: draft_replies may draft it again, a person decides.
    assert ReplyLedger.load(tmp_path / "community" / "replied.csv").claimed() == set()


def test_disabled_section_refuses(tmp_path: Path, fake: Any) -> None:
    path = replies_file(tmp_path, count=1)
    with pytest.raises(Exception, match="opt-in"):
        post_replies(path, {"api_url": fake.url}, for_real=True, root=tmp_path, hooks=hooks())
    assert fake.inserts == 0
