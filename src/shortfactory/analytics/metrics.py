"""Performance exports: YouTube Studio's CSV and the Analytics API's ``reports.query`` JSON.

Both become :class:`VideoMetrics` rows keyed by video id. Studio's export is read the
way people get it: its own column names (``Content`` for the video id, ``Watch time
(hours)``, ``Average view duration`` as ``0:00:23``), thousands separators, and the
``Total`` row it puts first. Anything else that is wrong stops with one line naming the
file, the line and the column, before anything is tuned: a tuning step on a misread
file would move the recipe for no reason.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shortfactory.core.errors import InputError

log = logging.getLogger(__name__)


class MetricsError(InputError):
    """A metrics file that cannot be used as it is; the message names it and why."""


@dataclass(slots=True)
class VideoMetrics:
    """One published video's numbers, as of the export."""

    video_id: str
    views: float
    title: str = ""
    published: datetime | None = None
    watch_hours: float | None = None
    avg_view_s: float | None = None
    avg_pct: float | None = None
    likes: float | None = None
    comments: float | None = None
    subscribers: float | None = None
    source: str = ""


# Field -> the column names Studio (and people) use for it, compared case-insensitively.
COLUMNS: dict[str, tuple[str, ...]] = {
    "video_id": ("content", "video", "video id", "video_id", "videoid"),
    "title": ("video title", "title"),
    "published": ("video publish time", "publish time", "published", "published at"),
    "views": ("views",),
    "watch_hours": ("watch time (hours)", "watch time hours", "watch_hours"),
    "avg_view_s": ("average view duration", "averageviewduration", "avg view duration"),
    "avg_pct": ("average percentage viewed (%)", "average percentage viewed",
                "averageviewpercentage", "avg_pct"),
    "likes": ("likes",),
    "comments": ("comments added", "comments"),
    "subscribers": ("subscribers gained", "subscribersgained", "subscribers"),
}
REQUIRED = ("video_id", "views")
NUMERIC = ("views", "watch_hours", "avg_pct", "likes", "comments", "subscribers")
# reports.query metric names -> fields (estimatedMinutesWatched is converted to hours).
API_METRICS: dict[str, str] = {
    "views": "views", "averageViewDuration": "avg_view_s",
    "averageViewPercentage": "avg_pct", "likes": "likes", "comments": "comments",
    "subscribersGained": "subscribers",
}
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%b %d, %Y", "%b %d %Y",
                "%d %b %Y", "%m/%d/%Y", "%Y/%m/%d")


def metrics_files(folder: str | Path = "metrics") -> list[Path]:
    """The performance exports in ``folder``: YouTube Studio CSVs and Analytics API JSON."""
    return sorted(p for p in Path(folder).glob("*")
                  if p.suffix.lower() in (".csv", ".json") and p.is_file())


def read_metrics(path: str | Path) -> list[VideoMetrics]:
    """The rows of one export (``.csv`` from Studio or ``.json`` from the API)."""
    path = Path(path)
    if not path.is_file():
        raise MetricsError(f"{path}: metrics file not found")
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        raise MetricsError(f"{path}: empty metrics file")
    if path.suffix.lower() == ".json":
        rows = _api_rows(path, text)
    elif path.suffix.lower() == ".csv":
        rows = _studio_rows(path, text)
    else:
        raise MetricsError(f"{path}: not a metrics export (.csv from YouTube Studio or "
                           ".json from the Analytics API)")
    if not rows:
        raise MetricsError(f"{path}: no video rows (only a header or a Total row)")
    return rows


def _studio_rows(path: Path, text: str) -> list[VideoMetrics]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise MetricsError(f"{path}: empty metrics file")
    names = [h.strip().lower() for h in header]
    where: dict[str, int] = {}
    for field, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in names:
                where[field] = names.index(alias)
                break
    missing = [f for f in REQUIRED if f not in where]
    if missing:
        wanted = " / ".join(f"'{COLUMNS[m][0].title()}'" for m in missing)
        raise MetricsError(f"{path}: no {wanted} column (found: {', '.join(header)})")
    rows: list[VideoMetrics] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) < len(header):
            raise MetricsError(f"{path}:{line}: {len(record)} cells, the header has "
                               f"{len(header)}")
        video_id = record[where["video_id"]].strip()
        if video_id.lower() == "total":  # Studio's channel total, not a video
            continue
        if not video_id:
            raise MetricsError(f"{path}:{line}: empty video id")
        if video_id in seen:
            raise MetricsError(f"{path}:{line}: video {video_id} again (first on line "
                               f"{seen[video_id]}); export each video once")
        seen[video_id] = line
        values: dict[str, Any] = {"video_id": video_id, "source": str(path)}
        for field, column in where.items():
            if field == "video_id":
                continue
            cell = record[column].strip()
            values[field] = _cell(path, line, header[column], field, cell)
        if values.get("views") is None:
            raise MetricsError(f"{path}:{line}: {header[where['views']]}: empty")
        rows.append(VideoMetrics(**values))
    return rows


def _cell(path: Path, line: int, column: str, field: str, cell: str) -> Any:
    """One Studio cell as its field's type; empty optional cells are None."""
    if field == "title":
        return cell
    if not cell:
        return None
    if field == "published":
        return parse_time(cell, f"{path}:{line}: {column}")
    if field == "avg_view_s":
        return parse_duration(cell, f"{path}:{line}: {column}")
    return number(cell, f"{path}:{line}: {column}")


def number(cell: str, where: str) -> float:
    """A count or share as Studio writes it ('1,234', '45.6', '45.6%'); finite, >= 0."""
    try:
        value = float(cell.replace(",", "").replace("%", "").strip())
    except ValueError:
        raise MetricsError(f"{where}: '{cell}' is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise MetricsError(f"{where}: '{cell}' is not a count (finite, not negative)")
    return value


def parse_duration(cell: str, where: str) -> float:
    """Seconds from Studio's 'H:MM:SS' / 'M:SS' or a plain number of seconds."""
    parts = cell.strip().split(":")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise MetricsError(f"{where}: '{cell}' is not a duration (H:MM:SS or seconds)") \
            from None
    if len(values) > 3 or any(v < 0 or not math.isfinite(v) for v in values):
        raise MetricsError(f"{where}: '{cell}' is not a duration (H:MM:SS or seconds)")
    seconds = 0.0
    for value in values:
        seconds = seconds * 60 + value
    return seconds


def parse_time(cell: str, where: str) -> datetime:
    """A publish time in one of Studio's or ISO formats; naive ones are taken as UTC."""
    text = cell.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
        for fmt in DATE_FORMATS:
            try:
                moment = datetime.strptime(cell.strip(), fmt)
                break
            except ValueError:
                continue
    if moment is None:
        raise MetricsError(f"{where}: '{cell}' is not a date (2025-06-01 or Jun 1, 2025)")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _api_rows(path: Path, text: str) -> list[VideoMetrics]:
    """A ``reports.query`` result table with the ``video`` dimension."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise MetricsError(f"{path}: not JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(data, dict) or "columnHeaders" not in data:
        raise MetricsError(f"{path}: not a YouTube Analytics reports.query result (no "
                           "columnHeaders)")
    names = [str(h.get("name", "")) for h in data["columnHeaders"] if isinstance(h, dict)]
    if "video" not in names or "views" not in names:
        raise MetricsError(f"{path}: the report needs the 'video' dimension and the 'views' "
                           f"metric (has: {', '.join(names)})")
    rows: list[VideoMetrics] = []
    seen: set[str] = set()
    for i, record in enumerate(data.get("rows") or [], start=1):
        if not isinstance(record, list) or len(record) != len(names):
            raise MetricsError(f"{path}: row {i} does not match the {len(names)} columns")
        cells = dict(zip(names, record, strict=True))
        video_id = str(cells["video"]).strip()
        if video_id in seen:
            raise MetricsError(f"{path}: row {i}: video {video_id} again")
        seen.add(video_id)
        values: dict[str, Any] = {"video_id": video_id, "source": str(path)}
        for name, field in API_METRICS.items():
            if name in cells and cells[name] is not None:
                values[field] = number(str(cells[name]), f"{path}: row {i}: {name}")
        if cells.get("estimatedMinutesWatched") is not None:
            minutes = number(str(cells["estimatedMinutesWatched"]), f"{path}: row {i}: "
                             "estimatedMinutesWatched")
            values["watch_hours"] = minutes / 60
        rows.append(VideoMetrics(**values))
    return rows


def merge_metrics(paths: list[str | Path]) -> dict[str, VideoMetrics]:
    """Every file's rows by video id. A video in several exports keeps the row with
    the most views (views only grow, so that is the latest snapshot), and says so."""
    merged: dict[str, VideoMetrics] = {}
    for path in sorted(Path(p) for p in paths):
        for row in read_metrics(path):
            old = merged.get(row.video_id)
            if old is not None:
                keep = row if row.views >= old.views else old
                log.info("video %s is in %s and %s: keeping %s (%d views)", row.video_id,
                         old.source, row.source, keep.source, keep.views)
                row = keep
            merged[row.video_id] = row
    return merged
