"""The publish plan without a network: quota days, queueing, the schedule, the ledger
file, and the recipe's publish/notify sections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from shortfactory.core.artifacts import ClipMetadata, ShortEntry
from shortfactory.core.errors import InputError, RecipeError
from shortfactory.core.recipe_release import NotifySection, PublishSection
from shortfactory.recipe_checks import load_recipe
from shortfactory.release.deliver import snippet_problems
from shortfactory.release.ledger import Ledger, Row
from shortfactory.release.plan import Short, plan

NOW = datetime(2025, 6, 1, 18, 0, tzinfo=UTC)  # quota day 2025-06-01 (Los Angeles)


def short(n: int, captions: bool = True, thumbnail: bool = True) -> Short:
    clip = f"c{n:04d}-{n + 20:04d}"
    entry = ShortEntry(id=clip, rank=n, video="v.mp4", metadata="m.json", captions="c.srt",
                       thumbnail="t.png", start_s=n, end_s=n + 20, total=0.5, title=f"T{n}")
    meta = ClipMetadata(clip_id=clip, episode="ep", title=f"T{n}", description="d",
                        tags=[], hashtags=[], start_s=n, end_s=n + 20,
                        source_timecode="00:00:01", recipe_hash="h")
    return Short("ep", entry, meta, Path("v.mp4"), Path("c.srt") if captions else None,
                 Path("t.png") if thumbnail else None)


def test_what_fits_today_goes_and_the_rest_fills_following_days(tmp_path: Path) -> None:
    shorts = [short(i) for i in range(1, 8)]
    planned = plan(shorts, Ledger(tmp_path / "p.csv"), PublishSection(), NOW)
    # 10000 units a day, 2050 a Short: four today, four tomorrow (three left).
    assert [p.action for p in planned] == ["upload"] * 4 + ["queue"] * 3
    assert [p.day for p in planned[4:]] == [date(2025, 6, 2)] * 3
    assert {p.units for p in planned} == {2050}
    # Private Shorts are not scheduled: a queued one just waits for its day.
    assert all(p.publish_at is None for p in planned)


def test_units_spent_earlier_today_count(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "p.csv", [Row("ep", "other", state="done", units=9000,
                                             day="2025-06-01")])
    no_extras = [short(1, captions=False, thumbnail=False)]
    assert plan(no_extras, ledger, PublishSection(), NOW)[0].action == "queue"
    yesterday = Ledger(tmp_path / "p.csv", [Row("ep", "x", state="done", units=9000,
                                                day="2025-05-31")])
    assert plan(no_extras, yesterday, PublishSection(), NOW)[0].action == "upload"


def test_quota_day_is_pacific() -> None:
    late = datetime(2025, 6, 2, 6, 59, tzinfo=UTC)  # still 23:59 on June 1 in Los Angeles
    ledger = Ledger(Path("x.csv"), [Row("ep", "x", state="done", units=10000,
                                        day="2025-06-01")])
    assert plan([short(1)], ledger, PublishSection(), late)[0].action == "queue"
    assert plan([short(1)], ledger, PublishSection(),
                late + timedelta(minutes=2))[0].action == "upload"


def test_a_short_bigger_than_the_quota_is_a_recipe_error() -> None:
    with pytest.raises(RecipeError, match="daily_quota_units"):
        plan([short(1)], Ledger(Path("x.csv")), PublishSection(daily_quota_units=2000), NOW)


def test_public_queued_shorts_get_publish_times_on_their_day() -> None:
    section = PublishSection(privacy="public", daily_quota_units=4100)
    planned = plan([short(i) for i in range(1, 6)], Ledger(Path("x.csv")), section, NOW)
    assert [p.publish_at for p in planned[:2]] == [None, None]  # public at upload
    assert [p.publish_at for p in planned[2:]] == [NOW + timedelta(days=1)] * 2 + \
        [NOW + timedelta(days=2)]


def test_a_schedule_spaces_publish_times_and_continues_after_the_ledger() -> None:
    start = datetime(2025, 6, 3, 17, 0, tzinfo=UTC)
    section = PublishSection(privacy="public", publish_at=start, publish_every_hours=12)
    planned = plan([short(1), short(2)], Ledger(Path("x.csv")), section, NOW)
    assert [p.publish_at for p in planned] == [start, start + timedelta(hours=12)]
    sent = Ledger(Path("x.csv"), [Row("ep", "old", state="done",
                                      publish_at=(start + timedelta(hours=12)).isoformat())])
    assert plan([short(3)], sent, section, NOW)[0].publish_at == start + timedelta(hours=24)


def test_a_past_schedule_moves_to_the_next_free_slot() -> None:
    section = PublishSection(privacy="public", publish_every_hours=24,
                             publish_at=datetime(2025, 5, 1, 17, 0, tzinfo=UTC))
    (item,) = plan([short(1)], Ledger(Path("x.csv")), section, NOW)
    assert item.publish_at == datetime(2025, 6, 2, 17, 0, tzinfo=UTC)


def test_started_and_uploaded_shorts_are_continued_never_redone() -> None:
    ledger = Ledger(Path("x.csv"), [
        Row("ep", short(1).entry.id, state="started", session_uri="http://s/1"),
        Row("ep", short(2).entry.id, state="uploaded", video_id="v2", captions="done"),
        Row("ep", short(3).entry.id, state="done", video_id="v3", captions="done",
            thumbnail="failed")])
    planned = plan([short(1), short(2), short(3)], ledger, PublishSection(), NOW)
    assert [(p.action, p.steps, p.units) for p in planned] == [
        ("resume", ("captions", "thumbnail"), 450), ("finish", ("thumbnail",), 50),
        ("done", (), 0)]


def test_follow_ups_wait_when_the_quota_is_spent() -> None:
    ledger = Ledger(Path("x.csv"), [
        Row("ep", short(1).entry.id, state="uploaded", video_id="v1", units=9800,
            day="2025-06-01")])
    (item,) = plan([short(1)], ledger, PublishSection(), NOW)
    assert item.action == "done" and "wait for quota" in item.note


def test_youtube_limits_are_named() -> None:
    snippet = {"title": "x" * 101, "description": "a <b>", "tags": ["t" * 300, "u " * 120]}
    problems = snippet_problems(snippet)
    assert any("101 characters" in p for p in problems)
    assert any("description contains <" in p for p in problems)
    assert any("tags take" in p for p in problems)
    assert snippet_problems({"title": "", "description": "", "tags": []}) == ["title is empty"]


def test_the_ledger_round_trips_and_refuses_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "published.csv"
    ledger = Ledger(path)
    ledger.put(Row("ep", "c1", state="done", video_id="abc", units=2050, day="2025-06-01",
                   title='A "quoted", title'))
    again = Ledger.load(path)
    assert again.get("ep", "c1") == ledger.get("ep", "c1")
    assert again.units_on("2025-06-01") == 2050
    assert [p.name for p in tmp_path.iterdir()] == ["published.csv"]  # no temp left
    path.write_text("episode,clip_id,state\nep,c1,uploading\n")
    with pytest.raises(InputError, match=r"published.csv:2: state 'uploading'"):
        Ledger.load(path)
    path.write_text("video,id\n")
    with pytest.raises(InputError, match="not a published.csv"):
        Ledger.load(path)


def test_recipe_sections_validate_with_located_errors(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text("publish:\n  chunk_kib: 100\n  privacy: secret\n")
    with pytest.raises(RecipeError) as err:
        load_recipe(recipe)
    text = str(err.value)
    assert f"{recipe}:2:3: publish.chunk_kib: 100 is not a multiple of 256" in text
    assert "publish.privacy" in text
    recipe.write_text("publish:\n  privacy: public\n  publish_at: 2025-06-01T17:00:00+02:00\n"
                      "notify:\n  webhooks:\n    - url: ${DISCORD_HOOK}\n      kind: discord\n")
    loaded = load_recipe(recipe)
    assert loaded.publish.publish_at == datetime(2025, 6, 1, 15, 0, tzinfo=UTC)
    assert loaded.notify.webhooks[0].events == ["render", "publish"]


@pytest.mark.parametrize(("section", "values", "message"), [
    (PublishSection, {"publish_at": "2025-06-01T17:00:00", "privacy": "public"}, "zone"),
    (PublishSection, {"publish_at": "2025-06-01T17:00:00Z"}, "set privacy: public"),
    (PublishSection, {"category_id": "Comedy"}, "category id"),
    (PublishSection, {"quota_timezone": "Mars/Olympus"}, "time zone"),
    (PublishSection, {"language": "english please"}, "BCP-47"),
    (NotifySection, {"webhooks": [{"url": "https://t", "kind": "telegram"}]}, "chat_id"),
    (NotifySection, {"webhooks": [{"url": "ftp://x"}]}, r"http\(s\) URL"),
    (NotifySection, {"templates": {"slack": "{{ text }}"}}, "invalid JSON"),
    (NotifySection, {"message": "{{ titel }}"}, "'titel' is undefined"),
])
def test_bad_values_say_why(section: type, values: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        section.model_validate(values)


def test_a_kind_left_out_of_templates_keeps_its_default() -> None:
    section = NotifySection(templates={"slack": '{"text": {{ text | tojson }}, "x": 1}'})
    assert set(section.templates) == {"json", "telegram", "discord", "slack"}
    assert section.templates["discord"] == '{"content": {{ text | tojson }}}'
