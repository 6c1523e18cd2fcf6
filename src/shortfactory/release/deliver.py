"""``publish``: deliver the finished Shorts to YouTube, or (the default) say exactly
what would be delivered.

A run reads the episodes' ``shorts.json``, the ledger (``published.csv``) and the
clock, and plans every Short (:mod:`shortfactory.release.plan`). The dry-run prints
that plan with the request bodies, files, sizes and publish times, and touches
nothing: no sign-in, no network, no ledger write. The real run checks every Short
against YouTube's limits first (a bad title stops the run before anything is sent),
then uploads in order, writing the ledger before and after each remote step.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shortfactory.core.artifacts import ClipMetadata, ShortsIndex
from shortfactory.core.errors import InputError
from shortfactory.core.io import read_model
from shortfactory.core.recipe_release import NotifySection, PublishSection
from shortfactory.release import youtube
from shortfactory.release.backoff import Backoff
from shortfactory.release.ledger import STEP_DONE, STEP_FAILED, STEP_SKIPPED, Ledger, Row
from shortfactory.release.notify import notify
from shortfactory.release.plan import FOLLOW_UPS, Planned, Short, plan, quota_day

log = logging.getLogger(__name__)

# YouTube's limits on what videos.insert accepts.
TITLE_CHARS = 100
DESCRIPTION_BYTES = 5000
TAGS_CHARS = 500
DRY_RUN_HINT = ("dry run: nothing is sent (shortfactory publish --for-real, or snakemake "
                "publish --config publish_for_real=1, sends)")


@dataclass(slots=True)
class Hooks:
    """What a caller (a test, the CLI) may swap: the clock, sleeping, sign-in, and a
    per-chunk progress callback."""

    now: datetime | None = None
    sleep: Callable[[float], None] = time.sleep
    credentials: Callable[[PublishSection], Any] | None = None
    progress: Callable[[Short, int, int], None] | None = None
    out: Callable[[str], None] = print


@dataclass(slots=True)
class Report:
    """What a run did: its plan, the rows it changed, and the lines it printed."""

    planned: list[Planned]
    rows: list[Row] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def publish(indexes: Sequence[str | Path], section: PublishSection | dict[str, Any],
            notify_section: NotifySection | dict[str, Any] | None = None, *,
            for_real: bool = False, hooks: Hooks | None = None) -> Report:
    """Plan the Shorts of ``indexes`` (``out/<episode>/shorts.json``) and, with
    ``for_real``, send what fits today's quota and record the rest as queued."""
    section = PublishSection.model_validate(section)
    notify_section = NotifySection.model_validate(notify_section or {})
    hooks = hooks or Hooks()
    now = hooks.now or datetime.now(UTC)
    shorts = load_shorts(indexes, section)
    ledger = Ledger.load(Path(section.published_csv).expanduser())
    report = Report(plan(shorts, ledger, section, now))
    check_limits(report.planned, section)
    say = _printer(report, hooks.out)
    say(DRY_RUN_HINT if not for_real else "publishing for real to YouTube")
    say(quota_line(report.planned, ledger, section, now))
    if not for_real:
        _print_dry_run(report.planned, section, say)
        return report
    try:
        _send(report, ledger, section, now, hooks, say)
    finally:
        _notify_published(report.rows, notify_section, hooks.sleep)
    return report


# --- inputs -----------------------------------------------------------------------------


def load_shorts(indexes: Sequence[str | Path], section: PublishSection) -> list[Short]:
    """Every Short of the indexes, in order, with the files it is delivered with."""
    shorts = []
    for index_path in indexes:
        index = read_model(index_path, ShortsIndex)
        for entry in index.shorts:
            video = Path(entry.video)
            if not video.is_file():
                raise InputError(f"{video}: the Short's video is missing (listed in "
                                 f"{index_path})")
            shorts.append(Short(
                episode=index.episode, entry=entry,
                meta=read_model(entry.metadata, ClipMetadata), video=video,
                captions=_captions(Path(entry.captions)) if section.captions else None,
                thumbnail=_existing(Path(entry.thumbnail)) if section.thumbnail else None))
    return shorts


def _captions(srt: Path) -> Path | None:
    """The SRT if it has a cue (a Short nobody speaks in has an empty one)."""
    if not srt.is_file() or "-->" not in srt.read_text(encoding="utf-8"):
        return None
    return srt


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


def check_limits(planned: list[Planned], section: PublishSection) -> None:
    """Refuse, before anything is sent, a Short YouTube would refuse."""
    problems = []
    for item in planned:
        if item.action not in ("upload", "queue"):
            continue
        snippet = youtube.video_body(item.short, section, item.publish_at)["snippet"]
        where = f"{item.short.entry.metadata}"
        problems += [f"{where}: {p}" for p in snippet_problems(snippet)]
    if problems:
        raise InputError("YouTube would refuse these Shorts:\n  " + "\n  ".join(problems))


def snippet_problems(snippet: dict[str, Any]) -> list[str]:
    """YouTube's limits on a video's text, as readable reasons."""
    title, description = snippet["title"], snippet["description"]
    found = []
    if not title.strip():
        found.append("title is empty")
    if len(title) > TITLE_CHARS:
        found.append(f"title has {len(title)} characters (YouTube allows {TITLE_CHARS})")
    if len(description.encode("utf-8")) > DESCRIPTION_BYTES:
        found.append(f"description is over {DESCRIPTION_BYTES} bytes")
    for name, text in (("title", title), ("description", description)):
        if "<" in text or ">" in text:
            found.append(f"{name} contains < or > (YouTube refuses them)")
    # YouTube counts a tag with a space as quoted (two more characters) plus commas.
    tag_chars = sum(len(t) + (2 if " " in t else 0) for t in snippet["tags"])
    tag_chars += max(len(snippet["tags"]) - 1, 0)
    if tag_chars > TAGS_CHARS:
        found.append(f"tags take {tag_chars} characters (YouTube allows {TAGS_CHARS})")
    return found


# --- what is said -----------------------------------------------------------------------


def _printer(report: Report, out: Callable[[str], None]) -> Callable[[str], None]:
    def say(line: str) -> None:
        report.lines.append(line)
        log.info("%s", line)
        out(line)
    return say


def quota_line(planned: list[Planned], ledger: Ledger, section: PublishSection,
               now: datetime) -> str:
    today = quota_day(now, section)
    spent = ledger.units_on(str(today))
    spend = sum(p.units for p in planned if p.action != "queue")
    queued = sum(p.action == "queue" for p in planned)
    return (f"quota: {spent} of {section.daily_quota_units} units used on {today} "
            f"({section.quota_timezone} quota day); this run: {spend} units; "
            f"{queued} Short(s) queued to later days")


def queued_line(item: Planned, section: PublishSection) -> str:
    """The one line a queued Short gets: why, when it uploads, when it goes public."""
    when = (f"publishes {_when(item.publish_at)}" if item.publish_at
            else f"stays {section.privacy} at upload")
    return (f"queued {item.short.name} \"{item.short.entry.title}\": over today's quota "
            f"(it needs {item.units} units); uploads on {item.day} and {when}; run "
            f"publish again on or after {item.day}")


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if moment else "at upload"


def _print_dry_run(planned: list[Planned], section: PublishSection,
                   say: Callable[[str], None]) -> None:
    """Each Short's action, and for those sent today the exact requests."""
    client = youtube.client(section)
    for item in planned:
        say(_headline(item, section))
        if item.action in ("queue", "done"):
            continue
        for call in youtube.planned_calls(client, item.short, section, item.publish_at,
                                          item.steps, upload=item.action == "upload"):
            say(f"  {call.name}: {call.method} {call.uri}")
            if call.body is not None:
                say(f"    body: {json.dumps(call.body, ensure_ascii=False)}")
            say(f"    file: {call.file} ({call.size} bytes)")


def _headline(item: Planned, section: PublishSection) -> str:
    short = item.short
    name = f"{short.name} \"{short.entry.title}\""
    note = f"; {item.note}" if item.note else ""
    if item.action == "queue":
        return queued_line(item, section)
    if item.action == "done":
        return (f"done {name}: on YouTube as {item.video_id} "
                f"(https://youtube.com/shorts/{item.video_id}){note}")
    if item.action == "resume":
        return f"resume {name}: its recorded upload session is continued, not restarted{note}"
    if item.action == "finish":
        return f"finish {name}: the video is up; sends {', '.join(item.steps)}{note}"
    size = short.video.stat().st_size
    visible = (f"private until {_when(item.publish_at)}, then public" if item.publish_at
               else f"{section.privacy} at upload")
    return (f"upload {name}: {short.video} ({size / 1e6:.1f} MB, {item.units} units), "
            f"{visible}{note}")


# --- sending ----------------------------------------------------------------------------


def _send(report: Report, ledger: Ledger, section: PublishSection, now: datetime,
          hooks: Hooks, say: Callable[[str], None]) -> None:
    """Do the plan: sign in only if something goes out; queued Shorts are recorded."""
    active = [p for p in report.planned if p.action in ("upload", "resume", "finish")]
    creds = client = http = None
    if active:
        creds = (hooks.credentials or _sign_in)(section)
        http = youtube.authorized_http(creds, section.timeout_s)
        client = youtube.client(section, http)
    token_before = getattr(creds, "token", None)
    try:
        _send_each(report, ledger, client, http, section, now, hooks, say)
    finally:
        if creds is not None and hooks.credentials is None:
            from shortfactory.release.auth import remember

            remember(section.token, creds, token_before)


def _send_each(report: Report, ledger: Ledger, client: Any, http: Any,
               section: PublishSection, now: datetime, hooks: Hooks,
               say: Callable[[str], None]) -> None:
    backoff = Backoff(section.max_retries, section.retry_base_s, sleep=hooks.sleep)
    day = str(quota_day(now, section))
    for item in report.planned:
        if item.action == "queue":
            known = ledger.get(*item.short.key)
            was_for = known.queued_for if known is not None else None
            row = _record_queued(ledger, item, section, day)
            if was_for != row.queued_for:
                report.rows.append(row)  # newly queued: worth a notification
            say(queued_line(item, section))
        elif item.action == "done":
            say(_headline(item, section))
        else:
            say(_headline(item, section))
            row = _deliver(item, ledger, client, http, section, backoff, day, hooks)
            report.rows.append(row)
            say(f"  sent {item.short.name}: {row.url} ({row.state}"
                f"{'; ' + row.note if row.note else ''})")


def _sign_in(section: PublishSection) -> Any:
    from shortfactory.release.auth import credentials

    return credentials(section.client_secrets, section.token, token_url=section.token_url)


def _record_queued(ledger: Ledger, item: Planned, section: PublishSection, day: str) -> Row:
    row = ledger.get(*item.short.key) or Row(*item.short.key)
    row.state, row.queued_for, row.title = "queued", str(item.day), item.short.entry.title
    row.publish_at = item.publish_at.isoformat() if item.publish_at else ""
    row.privacy, row.video = section.privacy, str(item.short.video)
    row.note = f"over quota on {day}"
    row.updated = _stamp()
    ledger.put(row)
    return row


def _deliver(item: Planned, ledger: Ledger, client: Any, http: Any, section: PublishSection,
             backoff: Backoff, day: str, hooks: Hooks) -> Row:
    """One Short: the video (new or resumed) if needed, then its follow-up steps."""
    short = item.short
    row = ledger.get(*short.key) or Row(*short.key)
    if item.action in ("upload", "resume"):
        _upload(item, row, ledger, client, http, section, backoff, day, hooks)
    for step in FOLLOW_UPS:
        if not short.has(step) and not getattr(row, step):
            setattr(row, step, STEP_SKIPPED)
    for step in item.steps:
        _follow_up(step, short, row, ledger, client, section, backoff)
    pending = [s for s in FOLLOW_UPS if getattr(row, s) == ""]
    row.state = "uploaded" if pending else "done"
    row.updated = _stamp()
    ledger.put(row)
    return row


def _upload(item: Planned, row: Row, ledger: Ledger, client: Any, http: Any,
            section: PublishSection, backoff: Backoff, day: str, hooks: Hooks) -> None:
    """The video itself; the ledger gets the session before the first byte and the
    video id as soon as YouTube returns it."""
    short = item.short
    digest = _sha256(short.video)
    body = youtube.video_body(short, section, item.publish_at)
    request = youtube.insert_request(client, short, body, section)
    session = None
    if row.state == "started" and row.session_uri:
        session = youtube.Session(row.session_uri, row.size, row.sha256 == digest)

    def record_session(uri: str) -> None:
        row.state, row.session_uri, row.video = "started", uri, str(short.video)
        row.size, row.sha256, row.title = short.video.stat().st_size, digest, short.entry.title
        row.privacy = body["status"]["privacyStatus"]
        row.publish_at = item.publish_at.isoformat() if item.publish_at else ""
        row.queued_for, row.note = "", ""
        row.day, row.units = day, row.units + section.costs.videos_insert
        row.updated = _stamp()
        ledger.put(row)

    def progress(sent: int, total: int) -> None:
        log.info("%s: %d of %d bytes sent", short.name, sent, total)
        if hooks.progress is not None:
            hooks.progress(short, sent, total)

    video = youtube.upload_video(request, http, backoff, name=short.name, session=session,
                                 record_session=record_session, progress=progress)
    row.video_id, row.state, row.updated = str(video["id"]), "uploaded", _stamp()
    ledger.put(row)


def _follow_up(step: str, short: Short, row: Row, ledger: Ledger, client: Any,
               section: PublishSection, backoff: Backoff) -> None:
    """Captions or thumbnail; a refusal is a warning and is not retried next run (clear
    the cell in published.csv to try again), since the video itself is up."""
    if step == "captions":
        request = youtube.caption_request(client, short.captions,
                                          youtube.caption_body(row.video_id, section), section)
        units = section.costs.captions_insert
    else:
        request = youtube.thumbnail_request(client, short.thumbnail, row.video_id, section)
        units = section.costs.thumbnails_set
    try:
        youtube.execute(request, backoff, f"{short.name}: {step}")
        setattr(row, step, STEP_DONE)
    except youtube.PublishError as err:
        log.warning("%s", err)
        setattr(row, step, STEP_FAILED)
        row.note = "; ".join(filter(None, (row.note, str(err))))[:300]
    # Failed calls cost quota too. Counted on the upload's day: approximate across days.
    row.units += units
    row.updated = _stamp()
    ledger.put(row)


def _notify_published(rows: list[Row], section: NotifySection,
                      sleep: Callable[[float], None]) -> None:
    if not rows:
        return
    shorts = [{"id": r.clip_id, "episode": r.episode, "title": r.title,
               "video_id": r.video_id, "url": r.url, "state": r.state,
               "publish_at": r.publish_at, "queued_for": r.queued_for, "note": r.note}
              for r in rows]
    episodes = ", ".join(dict.fromkeys(r.episode for r in rows))
    notify(section, "publish", episodes, shorts, sleep=sleep)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
