"""Opt-in: fetch the published Shorts' numbers from the YouTube Analytics API.

``reports.query`` (YouTube Analytics API v2) with the ``video`` dimension, filtered to
the video ids of ``published.csv``, through google-api-python-client. The API
description is the discovery document inside the client's wheel, so building the
request needs no network, and the API root is the recipe's ``analytics.api_url`` (a
local fake server in tests). Sign-in reuses the publish OAuth client but asks only
for the read-only analytics scope and caches that token apart from the upload token.
The answer is written as it came (a ``resultTable``) to ``metrics/*.json``, which
:mod:`shortfactory.analytics.metrics` reads like a Studio export.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from shortfactory.core.errors import InputError
from shortfactory.core.io import write_text_atomic
from shortfactory.core.recipe_analytics import AnalyticsSection
from shortfactory.core.recipe_release import PublishSection
from shortfactory.release.backoff import Backoff
from shortfactory.release.ledger import Ledger
from shortfactory.release.youtube import execute

log = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/yt-analytics.readonly"
METRICS = ("views,estimatedMinutesWatched,averageViewDuration,averageViewPercentage,"
           "likes,comments,subscribersGained")
BATCH = 200  # video ids per request: the filter takes up to 500, a URL stays short


def analytics_client(section: AnalyticsSection, http: Any) -> Any:
    """The ``youtubeAnalytics`` v2 client on the recipe's API root; offline to build."""
    from googleapiclient.discovery import build

    return build("youtubeAnalytics", "v2", http=http, static_discovery=True,
                 cache_discovery=False, client_options={"api_endpoint": section.api_url})


def report_request(service: Any, video_ids: list[str], start: str, end: str) -> Any:
    """One ``reports.query`` for these videos, lifetime numbers from ``start`` to ``end``."""
    return service.reports().query(
        ids="channel==MINE", startDate=start, endDate=end, metrics=METRICS,
        dimensions="video", filters="video==" + ",".join(video_ids),
        maxResults=len(video_ids), sort="-views")


def fetch_metrics(published_csv: str | Path, out: str | Path, section: AnalyticsSection,
                  publish: PublishSection, *, http: Any | None = None,
                  today: date | None = None) -> int:
    """Fetch every published video's numbers into ``out``; returns the row count.

    ``http`` is an authorised httplib2 object (tests pass a plain one); without it
    the cached analytics token is used, or the browser sign-in runs once.
    """
    ids = sorted({r.video_id for r in Ledger.load(published_csv).rows() if r.video_id})
    if not ids:
        raise InputError(f"{published_csv}: no published Short with a video id to fetch")
    if http is None:
        from shortfactory.release.auth import credentials
        from shortfactory.release.youtube import authorized_http

        creds = credentials(publish.client_secrets, section.token, scopes=(SCOPE,),
                            token_url=publish.token_url)
        http = authorized_http(creds, publish.timeout_s)
    service = analytics_client(section, http)
    end = (today or datetime.now(UTC).date()).isoformat()
    backoff = Backoff(publish.max_retries, publish.retry_base_s)
    table: dict[str, Any] = {}
    for i in range(0, len(ids), BATCH):
        batch = ids[i: i + BATCH]
        answer = execute(report_request(service, batch, section.start_date, end), backoff,
                         f"reports.query ({len(batch)} videos)")
        if not table:
            table = {k: v for k, v in answer.items() if k != "rows"} | {"rows": []}
        table["rows"] += answer.get("rows") or []
    table["fetched"] = {"endDate": end, "videos": len(ids)}
    write_text_atomic(out, json.dumps(table, indent=1) + "\n")
    log.info("%s: %d of %d published videos have numbers", out, len(table["rows"]), len(ids))
    return len(table["rows"])
