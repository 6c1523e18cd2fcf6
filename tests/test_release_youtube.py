"""Publishing to YouTube end to end, against a local fake of the API and OAuth
(tests/release_fakes.py): dry-run sends nothing; retries ride out 5xx and dropped
connections; a crash mid-upload resumes the same session from where the server
stopped; a second run uploads nothing; the token is cached 0600 and never printed."""

from __future__ import annotations

import json
import logging
import stat
import webbrowser
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from release_fakes import ACCESS, REFRESH, FakeBrowser, FakeYouTube, make_episode, make_video

from shortfactory.release import auth
from shortfactory.release.deliver import Hooks, publish
from shortfactory.release.ledger import Ledger, Row
from shortfactory.release.youtube import PublishError

NOW = datetime(2025, 6, 1, 18, 0, tzinfo=UTC)  # 11:00 in Los Angeles: quota day June 1


class Crash(BaseException):
    """A kill -9 stand-in: nothing in the publisher catches it."""


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "short.mp4")


@pytest.fixture
def fake() -> FakeYouTube:
    with FakeYouTube() as server:
        yield server


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def settings(fake: FakeYouTube, root: Path, **overrides: object) -> dict[str, object]:
    """A publish section aimed at the fake, with a cached (expired) token to refresh."""
    token = root / "secrets" / "token.json"
    if not token.exists():
        token.parent.mkdir(exist_ok=True)
        token.write_text(json.dumps({
            "token": "expired", "refresh_token": REFRESH, "client_id": "cid",
            "client_secret": "csecret", "token_uri": fake.url + "token",
            "scopes": list(auth.SCOPES), "expiry": "2000-01-01T00:00:00Z"}))
        token.chmod(0o600)
    return {"api_url": fake.url, "token_url": fake.url + "token", "token": str(token),
            "client_secrets": str(root / "secrets" / "client.json"), "chunk_kib": 256,
            "retry_base_s": 0.01, "max_retries": 4, "timeout_s": 5, **overrides}


def hooks(**kw: object) -> Hooks:
    return Hooks(now=kw.pop("now", NOW), sleep=lambda s: None, out=lambda line: None, **kw)


def uploaded_bytes(fake: FakeYouTube) -> bytes:
    (session,) = fake.sessions.values()
    return bytes(session.data)


def test_dry_run_prints_the_requests_and_sends_nothing(project: Path, fake: FakeYouTube,
                                                       video: Path) -> None:
    index = make_episode(project, video)
    lines: list[str] = []
    report = publish([index], settings(fake, project), hooks=Hooks(now=NOW, out=lines.append))
    text = "\n".join(lines)
    assert fake.requests == []
    assert not (project / "published.csv").exists()
    assert report.planned[0].action == "upload"
    assert lines[0].startswith("dry run: nothing is sent")
    size = (project / "out/ep1/c0100-0120.mp4").stat().st_size
    assert f"file: out/ep1/c0100-0120.mp4 ({size} bytes)" in text
    assert f"videos.insert: POST {fake.url}upload/youtube/v3/videos?" in text
    assert "uploadType=resumable" in text and "notifySubscribers=true" in text
    assert '"privacyStatus": "private"' in text and '"categoryId": "24"' in text
    assert '"description": "What happened 1.\\n\\n#shorts #anime"' in text
    assert '"status": {"privacyStatus": "private", "selfDeclaredMadeForKids": false}' in text
    assert "captions.insert: POST" in text and '"videoId": "<video id of c0100-0120>"' in text
    assert "thumbnails.set: POST" in text and "c0100-0120.png" in text
    # Dry-run needs no sign-in: the token cache is untouched.
    assert json.loads(Path(settings(fake, project)["token"]).read_text())["token"] == "expired"


def test_upload_records_the_video_and_a_second_run_sends_nothing(
        project: Path, fake: FakeYouTube, video: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    index = make_episode(project, video)
    section = settings(fake, project)
    notify = {"webhooks": [{"url": fake.url + "hook", "events": ["publish"]}]}
    publish([index], section, notify, for_real=True, hooks=Hooks(now=NOW, sleep=lambda s: None))

    assert uploaded_bytes(fake) == (project / "out/ep1/c0100-0120.mp4").read_bytes()
    (vid,) = fake.videos
    assert fake.videos[vid]["status"] == {"privacyStatus": "private",
                                          "selfDeclaredMadeForKids": False}
    assert fake.captions[0]["videoId"] == vid and fake.captions[0]["srt"]
    assert fake.thumbnails == [vid]
    (row,) = Ledger.load(project / "published.csv").rows()
    assert (row.clip_id, row.video_id, row.state) == ("c0100-0120", vid, "done")
    assert row.session_uri.startswith(fake.url + "upload/session/")
    assert (row.captions, row.thumbnail, row.units, row.day) == ("done", "done", 2050,
                                                                  "2025-06-01")
    assert fake.hooks[0]["event"] == "publish" and vid in fake.hooks[0]["text"]
    assert len(fake.hooks) == 1
    # The refreshed token is cached owner-only and never shown.
    token = Path(str(section["token"]))
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert json.loads(token.read_text())["token"] == ACCESS
    shown = capsys.readouterr()
    for secret in (ACCESS, REFRESH):
        assert secret not in shown.out + shown.err + caplog.text

    fake.requests.clear()
    again = publish([index], section, notify, for_real=True, hooks=hooks())
    assert [p.action for p in again.planned] == ["done"]
    assert fake.api_requests() == [] and len(fake.videos) == 1
    assert len(fake.hooks) == 1  # nothing new: nobody is told again


def test_retries_ride_out_5xx_and_dropped_connections(project: Path, fake: FakeYouTube,
                                                      video: Path) -> None:
    index = make_episode(project, video)
    fake.fail("POST", "/upload/youtube/v3/videos", status=500)
    fake.fail("PUT", "/upload/session/", status=503, times=2)
    # Three drops in a row (httplib2 itself retries one) after the first chunk arrived.
    fake.fail("PUT", "/upload/session/", kind="drop", after=1, times=3)
    fake.fail("POST", "/upload/youtube/v3/captions", status=502)
    fake.fail("POST", "/upload/youtube/v3/thumbnails/set", status=504)
    waits: list[float] = []
    publish([index], settings(fake, project), for_real=True,
            hooks=Hooks(now=NOW, sleep=waits.append, out=lambda line: None))

    data = (project / "out/ep1/c0100-0120.mp4").read_bytes()
    assert uploaded_bytes(fake) == data and len(fake.sessions) == 1
    assert len(fake.captions) == 1 and len(fake.thumbnails) == 1
    assert len(waits) >= 6  # 1 session + 2 status + drops + captions + thumbnail
    puts = fake.chunk_puts()
    assert sum(p.length for p in puts) < 2 * len(data)  # resumed, never from zero again
    (row,) = Ledger.load(project / "published.csv").rows()
    assert row.state == "done"


def test_backoff_waits_grow_exponentially(project: Path, fake: FakeYouTube,
                                         video: Path) -> None:
    index = make_episode(project, video)
    fake.fail("POST", "/upload/youtube/v3/videos", status=503, times=3)
    waits: list[float] = []
    publish([index], settings(fake, project, retry_base_s=1.0), for_real=True,
            hooks=Hooks(now=NOW, sleep=waits.append, out=lambda line: None))
    # base * 2**attempt, times a jitter in [0.5, 1].
    for attempt, wait in enumerate(waits[:3]):
        assert 0.5 * 2 ** attempt <= wait <= 2 ** attempt


def test_a_crash_mid_upload_resumes_the_same_session(project: Path, fake: FakeYouTube,
                                                     video: Path) -> None:
    index = make_episode(project, video)
    section = settings(fake, project)

    def crash(short: object, sent: int, total: int) -> None:
        raise Crash

    with pytest.raises(Crash):
        publish([index], section, for_real=True, hooks=hooks(progress=crash))
    (row,) = Ledger.load(project / "published.csv").rows()
    assert row.state == "started" and row.session_uri and not row.video_id
    received = len(uploaded_bytes(fake))
    assert 0 < received < row.size

    fake.requests.clear()
    publish([index], section, for_real=True, hooks=hooks())
    assert len(fake.sessions) == 1  # no second upload was opened
    assert not [r for r in fake.requests if r.path == "/upload/youtube/v3/videos"]
    query, first = fake.api_requests()[0], fake.chunk_puts()[0]
    assert (query.method, query.content_range) == ("PUT", f"bytes */{row.size}")
    assert first.content_range.startswith(f"bytes {received}-")
    assert uploaded_bytes(fake) == (project / "out/ep1/c0100-0120.mp4").read_bytes()
    (row,) = Ledger.load(project / "published.csv").rows()
    assert row.state == "done" and row.video_id == "vid1" and row.units == 2050


def test_a_crash_between_the_last_chunk_and_the_record(project: Path, fake: FakeYouTube,
                                                      video: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    index = make_episode(project, video)
    section = settings(fake, project)
    real_put = Ledger.put

    def put(self: Ledger, row: Row) -> None:
        if row.video_id:
            raise Crash
        real_put(self, row)

    monkeypatch.setattr(Ledger, "put", put)
    with pytest.raises(Crash):
        publish([index], section, for_real=True, hooks=hooks())
    monkeypatch.setattr(Ledger, "put", real_put)
    assert len(fake.videos) == 1
    (row,) = Ledger.load(project / "published.csv").rows()
    assert row.state == "started" and not row.video_id

    fake.requests.clear()
    publish([index], section, for_real=True, hooks=hooks())
    assert len(fake.videos) == 1 and len(fake.sessions) == 1
    assert fake.chunk_puts() == []  # the session said "finished": nothing re-sent
    (row,) = Ledger.load(project / "published.csv").rows()
    assert row.video_id == "vid1" and row.state == "done"
    assert fake.captions[0]["videoId"] == "vid1"


def test_giving_up_keeps_the_session_for_the_next_run(project: Path, fake: FakeYouTube,
                                                      video: Path) -> None:
    index = make_episode(project, video)
    fake.fail("PUT", "/upload/session/", status=503, after=1, times=100)
    with pytest.raises(PublishError, match="next run resumes it"):
        publish([index], settings(fake, project), for_real=True, hooks=hooks())
    (row,) = Ledger.load(project / "published.csv").rows()
    assert row.state == "started" and row.session_uri


def test_an_expired_session_starts_a_new_upload(project: Path, fake: FakeYouTube,
                                                video: Path,
                                                caplog: pytest.LogCaptureFixture) -> None:
    index = make_episode(project, video)
    mp4 = project / "out/ep1/c0100-0120.mp4"
    Ledger(project / "published.csv", [Row(
        "ep1", "c0100-0120", state="started", session_uri=fake.url + "upload/session/99",
        size=mp4.stat().st_size, units=1600, day="2025-05-31")]).save()
    publish([index], settings(fake, project), for_real=True, hooks=hooks())
    assert "expired" in caplog.text
    assert len(fake.videos) == 1
    (row,) = Ledger.load(project / "published.csv").rows()
    assert row.state == "done" and row.units == 1600 + 1600 + 450


def test_over_quota_shorts_are_queued_then_sent_on_their_day(
        project: Path, fake: FakeYouTube, video: Path) -> None:
    index = make_episode(project, video, count=3)
    section = settings(fake, project, daily_quota_units=4500, privacy="public")
    lines: list[str] = []
    publish([index], section, for_real=True,
            hooks=Hooks(now=NOW, sleep=lambda s: None, out=lines.append))
    assert len(fake.videos) == 2
    (queued,) = [line for line in lines if line.startswith("queued")]
    assert queued.startswith('queued ep1/c0300-0320 "Moment 3": over today\'s quota '
                             "(it needs 2050 units); uploads on 2025-06-02 and publishes "
                             "2025-06-02T11:00-07:00")
    rows = {r.clip_id: r for r in Ledger.load(project / "published.csv").rows()}
    assert rows["c0300-0320"].state == "queued"
    assert rows["c0300-0320"].queued_for == "2025-06-02"
    # The same day again: still no room; nothing is sent.
    fake.requests.clear()
    publish([index], section, for_real=True, hooks=hooks(now=NOW + timedelta(hours=2)))
    assert fake.api_requests() == []
    # The next quota day: it goes up, private until the promised time, then public.
    publish([index], section, for_real=True, hooks=hooks(now=NOW + timedelta(hours=20)))
    third = fake.videos["vid3"]["status"]
    assert third["privacyStatus"] == "private"
    assert third["publishAt"] == "2025-06-02T11:00:00-07:00"


def test_the_installed_app_flow_caches_the_token_0600(
        tmp_path: Path, fake: FakeYouTube, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks http
    webbrowser.register("shortfactory-fake", None, FakeBrowser())
    secrets = tmp_path / "client.json"
    secrets.write_text(json.dumps({"installed": {
        "client_id": "cid", "client_secret": "csecret", "auth_uri": fake.url + "auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "redirect_uris": ["http://localhost"]}}))
    token = tmp_path / "cache" / "token.json"
    creds = auth.credentials(secrets, token, token_url=fake.url + "token",
                             browser="shortfactory-fake")
    assert creds.token == ACCESS and fake.tokens_issued == 1
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert stat.S_IMODE(token.parent.stat().st_mode) == 0o700
    shown = capsys.readouterr()
    assert ACCESS not in shown.out + shown.err and REFRESH not in shown.out + shown.err
    # Cached: the next call signs in without the browser or the token endpoint.
    token.chmod(0o644)
    assert auth.credentials(secrets, token, token_url=fake.url + "token").token == ACCESS
    assert fake.tokens_issued == 1
    assert stat.S_IMODE(token.stat().st_mode) == 0o600


def test_missing_client_secrets_say_how_to_make_them(tmp_path: Path) -> None:
    from shortfactory.core.errors import InputError

    with pytest.raises(InputError, match="Desktop app"):
        auth.credentials(tmp_path / "nope.json", tmp_path / "token.json")
