"""What a publish run does with each Short: upload it, resume it, finish it, queue it,
or leave it alone, within the day's API quota and the recipe's schedule.

Pure: the same ledger, Shorts, recipe and clock give the same plan, so the dry-run
prints exactly what the real run will do, and tests pin the quota and the schedule
without a network.

The quota day is YouTube's (midnight Pacific by default): units already spent today
are read from the ledger. Shorts are taken in publishing order and never reordered to
squeeze a later one into today's leftover units, so they go out in the order chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from shortfactory.core.artifacts import ClipMetadata, ShortEntry
from shortfactory.core.errors import RecipeError
from shortfactory.core.recipe_release import PublishSection
from shortfactory.release.ledger import STEP_DONE, STEP_FAILED, STEP_SKIPPED, Ledger, Row

# YouTube refuses a publishAt that is not in the future; leave room for the upload.
MIN_LEAD = timedelta(minutes=15)
FOLLOW_UPS: tuple[str, ...] = ("captions", "thumbnail")


@dataclass(slots=True)
class Short:
    """One finished Short and the files it is delivered with."""

    episode: str
    entry: ShortEntry
    meta: ClipMetadata
    video: Path
    captions: Path | None  # None: no cue to upload, or captions off in the recipe
    thumbnail: Path | None  # None: no PNG, or thumbnails off in the recipe

    @property
    def key(self) -> tuple[str, str]:
        return (self.episode, self.entry.id)

    @property
    def name(self) -> str:
        return f"{self.episode}/{self.entry.id}"

    def has(self, step: str) -> bool:
        return (self.captions if step == "captions" else self.thumbnail) is not None


@dataclass(slots=True)
class Planned:
    """One Short's part of a run.

    ``action``: upload (a new upload now), resume (a started session), finish (the
    video is up, follow-up steps remain), queue (not today: over quota), done.
    """

    short: Short
    action: str
    steps: tuple[str, ...]
    units: int
    day: date
    publish_at: datetime | None
    note: str = ""
    video_id: str = ""  # known once uploaded (resume, finish, done)


def quota_day(now: datetime, section: PublishSection) -> date:
    """The API quota day ``now`` falls in (it resets at midnight in quota_timezone)."""
    return now.astimezone(ZoneInfo(section.quota_timezone)).date()


def cost(short: Short, section: PublishSection, steps: tuple[str, ...]) -> int:
    """Quota units of uploading ``short`` (when ``steps`` include "video") and of the
    follow-up ``steps``."""
    units = section.costs.videos_insert if "video" in steps else 0
    if "captions" in steps:
        units += section.costs.captions_insert
    if "thumbnail" in steps:
        units += section.costs.thumbnails_set
    return units


def pending_steps(short: Short, row: Row | None) -> tuple[str, ...]:
    """Follow-up steps still to do: those the Short has and the ledger has not closed."""
    closed = (STEP_DONE, STEP_SKIPPED, STEP_FAILED)
    return tuple(s for s in FOLLOW_UPS
                 if short.has(s) and (row is None or getattr(row, s) not in closed))


def plan(shorts: list[Short], ledger: Ledger, section: PublishSection,
         now: datetime) -> list[Planned]:
    """The run's plan, one entry per Short, in publishing order."""
    today = quota_day(now, section)
    left: dict[date, int] = {today: section.daily_quota_units - ledger.units_on(str(today))}
    slots = Slots(section, ledger, now)
    out = []
    for short in shorts:
        row = ledger.get(*short.key)
        if row is not None and row.state in ("started", "uploaded", "done"):
            out.append(_continue(short, row, section, left, today))
            continue
        steps = ("video", *pending_steps(short, None))
        units = cost(short, section, steps)
        if units > section.daily_quota_units:
            raise RecipeError(f"publish.daily_quota_units ({section.daily_quota_units}) is "
                              f"less than one Short needs ({units} units)")
        day = today
        while left.setdefault(day, section.daily_quota_units) < units:
            day += timedelta(days=1)
        left[day] -= units
        slot = slots.take(day)
        if row is not None and row.publish_at:  # queued before: keep its promised time
            slot = slots.promised(datetime.fromisoformat(row.publish_at), day) or slot
        action = "upload" if day == today else "queue"
        out.append(Planned(short, action, steps[1:], units, day, slot))
    return out


def _continue(short: Short, row: Row, section: PublishSection, left: dict[date, int],
              today: date) -> Planned:
    """A Short the ledger knows was sent (in part): resume or finish it, never redo it.

    The video's units were counted when its session started; follow-ups run today
    only if they fit, else they wait for a later run.
    """
    publish_at = datetime.fromisoformat(row.publish_at) if row.publish_at else None
    steps = pending_steps(short, row)
    units = cost(short, section, steps)
    note = ""
    if steps and units > left[today]:
        note = f"{' and '.join(steps)} wait for quota (need {units} units, " \
               f"{max(left[today], 0)} left today)"
        steps, units = (), 0
    left[today] -= units
    if row.state == "started":
        return Planned(short, "resume", steps, units, today, publish_at, note)
    return Planned(short, "finish" if steps else "done", steps, units, today, publish_at,
                   note, row.video_id)


class Slots:
    """Publish times handed out in order.

    With ``publish_at``: the first Short gets it (or the slot after the latest one
    already sent), each next one ``publish_every_hours`` later, never before its
    upload day. Without: Shorts uploaded today are visible at once; a public Short
    queued to a later day is scheduled for the same time of day on that day.
    """

    def __init__(self, section: PublishSection, ledger: Ledger, now: datetime) -> None:
        self.section = section
        self.now = now
        self.zone = ZoneInfo(section.quota_timezone)
        self.step = timedelta(hours=section.publish_every_hours)
        self.next: datetime | None = None
        if section.publish_at is not None:
            self.next = _first_slot(section.publish_at, _latest_sent(ledger), self.step,
                                    now + MIN_LEAD)

    def take(self, day: date) -> datetime | None:
        """The publish time of the next Short, uploaded on quota day ``day``."""
        if self.next is None:
            return self._unscheduled(day)
        slot = max(self.next, self._same_time_on(day))
        self.next = slot + self.step
        return slot

    def promised(self, moment: datetime, day: date) -> datetime | None:
        """A queued Short's earlier publish time, if it still can be kept: in the
        future enough for YouTube, and not before the day it can now be uploaded."""
        if moment < self.now + MIN_LEAD or moment.astimezone(self.zone).date() < day:
            return None
        return moment

    def _unscheduled(self, day: date) -> datetime | None:
        if day == quota_day(self.now, self.section) or self.section.privacy != "public":
            return None
        return self._same_time_on(day)

    def _same_time_on(self, day: date) -> datetime:
        """Now's time of day on quota day ``day`` (at least the day's first minute)."""
        local = self.now.astimezone(self.zone)
        moment = datetime.combine(day, local.timetz().replace(tzinfo=None), self.zone)
        return max(moment, datetime.combine(day, time(0, 1), self.zone))


def _first_slot(start: datetime, latest: datetime | None, step: timedelta,
                earliest: datetime) -> datetime | None:
    """The first free slot at or after ``start``: after the latest one already used
    and far enough in the future for YouTube to accept it. None (publish at once)
    when the schedule has no spacing and its time has passed."""
    slot = start if latest is None else max(start, latest + step)
    if slot >= earliest:
        return slot
    if step <= timedelta(0):
        return None
    missed = (earliest - slot) // step + 1
    return slot + missed * step


def _latest_sent(ledger: Ledger) -> datetime | None:
    times = [datetime.fromisoformat(r.publish_at) for r in ledger.rows()
             if r.publish_at and r.state in ("started", "uploaded", "done")]
    return max(times, default=None)
