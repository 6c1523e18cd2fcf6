"""Webhooks: retried with backoff, never fatal, one payload shape per service, secrets
from the environment and out of the logs."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from release_fakes import FakeYouTube, make_episode, make_video

from shortfactory.core.io import read_model
from shortfactory.core.recipe_release import NotifySection
from shortfactory.release.notify import NotifyReceipt, notify, notify_rendered

SHORTS = [{"id": "c0100-0120", "episode": "ep1", "title": "Not yet.", "url": "https://y/1"}]


@pytest.fixture
def fake() -> FakeYouTube:
    with FakeYouTube() as server:
        yield server


def section(*hooks: dict, **kw: object) -> NotifySection:
    return NotifySection.model_validate({"webhooks": list(hooks), "retry_base_s": 0.01,
                                         "timeout_s": 5, **kw})


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def test_each_kind_posts_its_payload(fake: FakeYouTube) -> None:
    hooks = [{"url": fake.url + "hook", "kind": kind, "chat_id": "42"}
             for kind in ("json", "telegram", "discord", "slack")]
    sent = notify(section(*hooks), "publish", "ep1", SHORTS)
    assert [d.ok for d in sent] == [True] * 4
    generic, telegram, discord, slack = fake.hooks
    assert generic["event"] == "publish" and generic["shorts"][0]["title"] == "Not yet."
    assert telegram["chat_id"] == "42" and "Not yet. https://y/1" in telegram["text"]
    assert discord["content"] == "YouTube: 1 Short published or queued:\n- Not yet. https://y/1"
    assert slack["text"] == discord["content"]


def test_only_the_events_a_webhook_listens_to(fake: FakeYouTube) -> None:
    hooks = section({"url": fake.url + "hook", "events": ["render"]})
    assert notify(hooks, "publish", "ep1", SHORTS) == []
    assert fake.hooks == []


def test_5xx_is_retried_with_backoff(fake: FakeYouTube) -> None:
    fake.fail("POST", "/hook", status=503, times=2)
    waits: list[float] = []
    (sent,) = notify(section({"url": fake.url + "hook"}), "render", "ep1", SHORTS,
                     sleep=waits.append)
    assert sent.ok and sent.attempts == 3 and len(fake.hooks) == 1
    assert len(waits) == 2 and waits[1] > waits[0] / 2


def test_a_dropped_connection_is_retried(fake: FakeYouTube) -> None:
    fake.fail("POST", "/hook", kind="drop", store=False)
    (sent,) = notify(section({"url": fake.url + "hook"}), "render", "ep1", SHORTS,
                     sleep=lambda s: None)
    assert sent.ok and sent.attempts == 2


def test_a_dead_webhook_is_one_warning_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    (sent,) = notify(section({"url": closed_port_url(), "kind": "discord"}, retries=2),
                     "publish", "ep1", SHORTS, sleep=lambda s: None)
    assert not sent.ok and sent.attempts == 3
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].getMessage().startswith("notify: discord webhook 127.0.0.1 failed")


def test_a_4xx_is_not_retried(fake: FakeYouTube) -> None:
    fake.fail("POST", "/hook", status=404, times=5)
    (sent,) = notify(section({"url": fake.url + "hook"}), "publish", "ep1", SHORTS,
                     sleep=lambda s: None)
    assert not sent.ok and sent.attempts == 1 and sent.note == "HTTP 404"


def test_urls_come_from_the_environment_and_stay_out_of_logs(
        fake: FakeYouTube, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("SF_HOOK", fake.url + "hook?token=SECRET")
    (sent,) = notify(section({"url": "${SF_HOOK}", "kind": "slack"}), "publish", "ep1",
                     SHORTS)
    assert sent.ok and len(fake.hooks) == 1 and "SECRET" not in caplog.text
    (missing,) = notify(section({"url": "${SF_NOT_SET}"}), "publish", "ep1", SHORTS)
    assert not missing.ok and "SF_NOT_SET is not set" in missing.note


def test_long_text_is_cut_to_the_service_limit(fake: FakeYouTube) -> None:
    many = [{"title": "x" * 300, "url": ""} for _ in range(20)]
    notify(section({"url": fake.url + "hook", "kind": "discord"}), "publish", "ep1", many)
    assert len(fake.hooks[0]["content"]) == 2000


def test_the_render_rule_writes_a_receipt_even_when_the_webhook_is_dead(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    index = make_episode(tmp_path, make_video(tmp_path / "v.mp4", seconds=0.2))
    out = tmp_path / "results/ep1/notify_render.json"
    settings = {"webhooks": [{"url": closed_port_url()}], "retries": 0}
    notify_rendered(index, settings, out)
    receipt = read_model(out, NotifyReceipt)
    assert receipt.episode == "ep1" and receipt.deliveries[0].ok is False
