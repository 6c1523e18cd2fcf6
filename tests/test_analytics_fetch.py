"""The opt-in metrics fetch against a local fake of the YouTube Analytics API, and the
re-selection the benchmark relies on against the line's own selector."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from conftest import hard_cut_scenes

from shortfactory.analytics.fetch import fetch_metrics
from shortfactory.analytics.metrics import read_metrics
from shortfactory.analytics.windows import reselect, score_windows
from shortfactory.clips.candidates import select_candidates
from shortfactory.core.artifacts import (
    AudioFeatures,
    Detection,
    FaceFrame,
    Faces,
    Segment,
    Transcript,
    Word,
)
from shortfactory.core.recipe import CandidatesSection
from shortfactory.core.recipe_analytics import AnalyticsSection
from shortfactory.core.recipe_release import PublishSection
from shortfactory.release.ledger import Ledger, Row


class FakeAnalytics:
    """Answers GET /v2/reports like reports.query, for the videos in the filter."""

    def __init__(self, views: dict[str, int]) -> None:
        self.views = views
        self.queries: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                fake.queries.append({"path": url.path, **query})
                ids = query.get("filters", "").removeprefix("video==").split(",")
                metrics = query["metrics"].split(",")
                rows = [[v, *[fake.views[v] if m == "views" else 50.0 for m in metrics]]
                        for v in ids if v in fake.views]
                body = json.dumps({"kind": "youtubeAnalytics#resultTable", "columnHeaders": [
                    {"name": "video", "columnType": "DIMENSION", "dataType": "STRING"},
                    *({"name": m, "columnType": "METRIC", "dataType": "FLOAT"}
                      for m in metrics)], "rows": rows}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_fetch_writes_a_report_the_reader_takes(tmp_path: Path) -> None:
    from googleapiclient.http import build_http

    ledger = Ledger(tmp_path / "published.csv", [
        Row(episode="ep", clip_id=f"c{i:04d}-{i + 20:04d}", state="done", video_id=f"vid{i}")
        for i in range(3)] + [Row(episode="ep", clip_id="c0100-0120", state="queued")])
    ledger.save()
    fake = FakeAnalytics({"vid0": 10, "vid1": 2500, "vid2": 7})
    out = tmp_path / "metrics" / "youtube_analytics.json"
    try:
        n = fetch_metrics(tmp_path / "published.csv", out,
                          AnalyticsSection(api_url=fake.url), PublishSection(),
                          http=build_http())
    finally:
        fake.server.shutdown()
    assert n == 3
    (query,) = fake.queries
    assert query["path"] == "/v2/reports" and query["ids"] == "channel==MINE"
    assert query["dimensions"] == "video" and query["filters"] == "video==vid0,vid1,vid2"
    assert "averageViewPercentage" in query["metrics"]
    rows = {r.video_id: r for r in read_metrics(out)}
    assert rows["vid1"].views == 2500 and rows["vid1"].avg_pct == 50.0


def episode(duration: float = 150.0) -> tuple:
    """A talk with lines, a loud stretch, a close face for a while and a few cuts."""
    segments, t, i = [], 1.0, 0
    while t + 5 < duration:
        text = ("What is this? " if i % 4 == 0 else "") + f"Line number {i} goes on here."
        words = text.split()
        step = 3.5 / len(words)
        segments.append(Segment(id=i, start=t, end=t + 3.5, text=text, words=[
            Word(word=w, start=round(t + k * step, 3), end=round(t + (k + 0.8) * step, 3))
            for k, w in enumerate(words)]))
        t += 4.0 + (i % 3) * 0.7
        i += 1
    tr = Transcript(language="en", duration_s=duration, model="m", segments=segments)
    n = int(duration / 0.1)
    score = np.full(n, 0.1)
    score[400:520] = 1.0
    speech = np.zeros(n)
    for w in tr.words():
        speech[int(w.start / 0.1): int(w.end / 0.1) + 1] = 1.0
    feats = AudioFeatures(hop_s=0.1, duration_s=duration, loudness_lufs=[-30.0] * n,
                          speech=speech.tolist(), energy_delta=[0.0] * n, onset=[0.0] * n,
                          voice=[False] * n, silence=[False] * n, score=score.tolist())
    frames = [FaceFrame(t=k / 6, activity=0.05, detections=[Detection(
        box=(800, 300, 400, 400), score=1, backend="t", track_id=0)] if 60 < k / 6 < 110
        else []) for k in range(int(duration * 6))]
    faces = Faces(analysis_fps=6.0, source_width=1920, source_height=1080, frames=frames)
    return tr, feats, hard_cut_scenes(duration, (37.0, 81.0, 120.0), 6.0), faces


def test_reselection_chooses_what_the_line_chooses() -> None:
    tr, feats, scenes, faces = episode()
    for weights in ({}, {"transcript": 1.0, "audio": 0.0, "face": 0.0, "scene": 0.0,
                         "pacing": 0.0}, {"transcript": 0.05, "audio": 0.5, "face": 0.4,
                                          "scene": 0.0, "pacing": 0.05}):
        base = CandidatesSection().model_dump()
        section = CandidatesSection.model_validate({**base, "weights": {**base["weights"],
                                                                        **weights}})
        line = select_candidates(tr, feats, scenes, faces, section, episode="ep",
                                 duration_s=150.0)
        ours = reselect(score_windows(tr, feats, scenes, faces, CandidatesSection(),
                                      episode="ep", duration_s=150.0),
                        section.weights.model_dump())
        assert [(round(w.start, 3), round(w.end, 3)) for w in ours] == \
            [(c.start_s, c.end_s) for c in line.clips]
