"""``published.csv``: what was sent to YouTube, one row per Short.

The ledger is what makes publishing idempotent. A row is written *before* each step
that costs quota or creates something remote (the resumable session URI before the
first byte, the video id as soon as YouTube returns it), so a run killed at any point
leaves a row saying where it was: the next run resumes that session or skips the clip,
and never starts a second upload of it. The file is rewritten atomically (temp file +
rename) after every change, so a crash never leaves half a CSV.

It is also the analytics loop's join table (clip id -> video id), hence a plain CSV.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

from shortfactory.core.errors import InputError
from shortfactory.core.io import write_rows_csv

log = logging.getLogger(__name__)

State = Literal["queued", "started", "uploaded", "done"]
STATES: tuple[str, ...] = ("queued", "started", "uploaded", "done")
# Follow-up steps (captions, thumbnail): "" = still to do; the rest are final.
STEP_DONE, STEP_SKIPPED, STEP_FAILED = "done", "skipped", "failed"


@dataclass(slots=True)
class Row:
    """One Short's delivery state. Times are ISO 8601 strings with a zone."""

    episode: str
    clip_id: str
    state: str = "queued"
    video_id: str = ""
    session_uri: str = ""
    video: str = ""
    size: int = 0
    sha256: str = ""
    privacy: str = ""
    publish_at: str = ""
    queued_for: str = ""
    day: str = ""
    units: int = 0
    captions: str = ""
    thumbnail: str = ""
    title: str = ""
    updated: str = ""
    note: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.episode, self.clip_id)

    @property
    def url(self) -> str:
        return f"https://youtube.com/shorts/{self.video_id}" if self.video_id else ""


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Row))


class Ledger:
    """The rows of ``published.csv`` by (episode, clip id), saved on every change."""

    def __init__(self, path: str | Path, rows: list[Row] | None = None) -> None:
        self.path = Path(path)
        self._rows: dict[tuple[str, str], Row] = {r.key: r for r in rows or []}

    @classmethod
    def load(cls, path: str | Path) -> Ledger:
        """Read the ledger; a missing file is an empty ledger, a broken one an error
        (guessing would risk a second upload)."""
        path = Path(path)
        if not path.exists():
            return cls(path)
        text = path.read_text(encoding="utf-8")
        reader = csv.DictReader(io.StringIO(text))
        missing = {"episode", "clip_id", "state"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(f"{path}: not a published.csv (no {', '.join(sorted(missing))} "
                             "column)")
        rows = [_row(path, line, record) for line, record in enumerate(reader, start=2)]
        return cls(path, rows)

    def get(self, episode: str, clip_id: str) -> Row | None:
        return self._rows.get((episode, clip_id))

    def rows(self) -> list[Row]:
        return list(self._rows.values())

    def put(self, row: Row) -> None:
        """Record ``row`` and write the file at once (see the module docstring)."""
        self._rows[row.key] = row
        self.save()

    def save(self) -> None:
        write_rows_csv(self.path, COLUMNS, self._rows.values())

    def units_on(self, day: str) -> int:
        """Quota units this ledger spent on quota day ``day`` (YYYY-MM-DD)."""
        return sum(r.units for r in self._rows.values() if r.day == day)


def _row(path: Path, line: int, record: dict[str, str | None]) -> Row:
    """One CSV record as a :class:`Row`; unknown columns are kept out, not fatal (a
    person may add a notes column in a spreadsheet)."""
    values = {k: (record.get(k) or "") for k in COLUMNS}
    if values["state"] not in STATES:
        raise InputError(f"{path}:{line}: state '{values['state']}' is not one of "
                         f"{', '.join(STATES)}")
    try:
        for name in ("size", "units"):
            values[name] = int(values[name] or 0)
    except ValueError:
        raise InputError(f"{path}:{line}: size and units must be whole numbers") from None
    return Row(**values)
