"""The HTML report: its values from the artifacts, and the pages in a real browser.

The browser test opens the report of a real run in Debian's Chromium driven by
Playwright (the system browser: nothing is downloaded): the pages open without console
errors, every picture decodes, every Short plays far enough to know its duration, and
every link points at a file that exists.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from report_line import EPISODE, report_line

from shortfactory.core.artifacts import Candidates, Clip, CropPath, Faces, ShortsIndex
from shortfactory.core.io import read_model
from shortfactory.report.gather import (
    Links,
    camera_summary,
    episode_view,
    relative_url,
    score_bars,
    timecode,
)
from shortfactory.report.page import render_episode
from shortfactory.report.plots import tracks_in_clip, window_centres

CHROMIUM = Path("/usr/bin/chromium")


def _clip(**kw) -> Clip:
    base = dict(id="c0010-0030", rank=1, start_s=10.0, end_s=30.0, total=0.5,
                signals={"transcript": 0.8, "audio": 1.7}, penalties={"length": 0.1,
                                                                      "scene_break": 0.4},
                reasons=["hook in the first 3 s"])
    base.update(kw)
    return Clip(**base)


def test_bars_keep_signals_then_penalties_largest_first_and_clamp() -> None:
    bars = score_bars(_clip())
    assert [(b.name, b.penalty) for b in bars] == [
        ("transcript", False), ("audio", False), ("scene_break", True), ("length", True)]
    assert [b.width_pct for b in bars] == [80.0, 100.0, 40.0, 10.0]


def test_links_are_relative_and_encoded(tmp_path: Path) -> None:
    target = tmp_path / "out" / "Épisode #1" / "c0001-0020.mp4"
    assert relative_url(target, tmp_path / "report") == \
        "../out/%C3%89pisode%20%231/c0001-0020.mp4"
    assert timecode(75.25) == "1:15.2" and timecode(3725.0) == "1:02:05.0"


def test_page_escapes_speech_and_places_clips_on_the_strip() -> None:
    clip = _clip(reasons=["said <script>alert(1)</script>"], text="a & b")
    cands = Candidates(episode="ep", duration_s=40.0, clips=[clip])
    index = ShortsIndex(episode="ep", shorts=[])
    view = episode_view(cands, index, {}, {clip.id: Links()})
    assert (view.clips[0].left_pct, view.clips[0].width_pct) == (25.0, 50.0)
    html = render_episode(view)
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &amp; b" in html
    assert "not rendered" in html


@pytest.fixture(scope="module")
def line(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report_line(tmp_path_factory)


@pytest.mark.slow
def test_report_shows_every_candidate_from_its_artifacts(line: Path) -> None:
    cands = read_model(line / "results" / EPISODE / "candidates.json", Candidates)
    faces = read_model(line / "results" / EPISODE / "faces.json", Faces)
    html = (line / "report" / f"{EPISODE}.html").read_text(encoding="utf-8")
    assert cands.clips
    for clip in cands.clips:
        assert f'id="{clip.id}"' in html
        for reason in clip.reasons:
            assert reason.replace("'", "&#39;").replace("&", "&amp;") in html or \
                reason in html
        crop = read_model(line / "results" / EPISODE / "clips" / clip.id / "crop_path.json",
                          CropPath)
        t, x, w = window_centres(crop)
        assert t[0] == pytest.approx(clip.start_s) and len(t) == len(crop.x)
        assert ((x >= -w) & (x <= crop.source_width)).all()
        # The plot shows the faces of this clip's span only; the sample always has one.
        tracks = tracks_in_clip(faces, clip.start_s, clip.end_s)
        assert tracks and all(clip.start_s <= s <= clip.end_s
                              for tr in tracks for s in tr.times)
        assert camera_summary(crop).startswith(crop.shots[0].mode)
    index = (line / "report" / "index.html").read_text(encoding="utf-8")
    assert f'href="{relative_url(line / "report" / f"{EPISODE}.html", line / "report")}"' \
        in index


def _browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package `chromium`)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright not installed (the `test` extra)")
    return sync_api.sync_playwright


_WAIT_VIDEOS = """async () => Promise.all(Array.from(document.querySelectorAll('video'), v =>
  new Promise(done => {
    const report = () => done({src: v.getAttribute('src'), duration: v.duration,
      width: v.videoWidth, error: v.error ? v.error.code : null});
    if (v.readyState >= 1 || v.error) return report();
    v.addEventListener('loadedmetadata', report, {once: true});
    v.addEventListener('error', report, {once: true});
    setTimeout(report, 15000);
  })))"""

_LINKS = """() => Array.from(document.querySelectorAll('[href],[src],[poster]')).flatMap(e =>
  ['href', 'src', 'poster'].filter(a => e.hasAttribute(a)).map(a => e.getAttribute(a)))"""


def _stopped_media(request) -> bool:
    """A video download Chromium stopped itself once it had what ``preload`` asked for
    (the metadata): reported as an aborted request, it is not a missing file (that is
    ERR_FILE_NOT_FOUND, and a video without its metadata fails the duration check)."""
    return request.resource_type == "media" and request.failure == "net::ERR_ABORTED"


def _check_page(page, path: Path) -> dict:
    """Open ``path``; returns what the page showed, after checking links and errors."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: None if _stopped_media(r) else
            errors.append(f"failed: {r.url}: {r.failure}"))
    page.goto(path.as_uri(), wait_until="load")
    images = page.evaluate("() => Array.from(document.images, i => "
                           "[i.getAttribute('src'), i.complete, i.naturalWidth])")
    assert all(complete and width > 0 for _, complete, width in images), images
    videos = page.evaluate(_WAIT_VIDEOS)
    ids = set(page.evaluate("() => Array.from(document.querySelectorAll('[id]'), e => e.id)"))
    for link in page.evaluate(_LINKS):
        if link.startswith("data:"):
            continue
        parts = urlsplit(link)
        assert not parts.scheme and not link.startswith("/"), f"not relative: {link}"
        if not parts.path:
            assert parts.fragment in ids, f"no anchor for {link}"
        else:
            assert (path.parent / unquote(parts.path)).is_file(), f"broken link: {link}"
    assert not errors, errors
    return {"images": images, "videos": videos}


@pytest.mark.slow
def test_report_opens_in_chromium_with_pictures_videos_and_links(line: Path,
                                                                 tmp_path: Path) -> None:
    sync_playwright = _browser()
    # Copy the report and the Shorts elsewhere: relative links must survive a zip.
    moved = tmp_path / "moved"
    for folder in ("report", "out"):
        shutil.copytree(line / folder, moved / folder)
    index = read_model(line / "out" / EPISODE / "shorts.json", ShortsIndex)
    with sync_playwright() as play:
        # --no-sandbox: Chromium refuses to start its sandbox as root (CI containers).
        browser = play.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            assert page.evaluate("() => document.createElement('video').canPlayType("
                                 "'video/mp4; codecs=\"avc1.640028, mp4a.40.2\"')"), \
                "this Chromium cannot play H.264 (a build without proprietary codecs)"
            seen = _check_page(page, moved / "report" / f"{EPISODE}.html")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            _check_page(browser.new_page(), moved / "report" / "index.html")
        finally:
            browser.close()
    # One thumbnail and one crop plot per candidate; one playing Short per Short.
    assert len(seen["images"]) == 2 * len(index.shorts)
    assert [Path(unquote(v["src"])).name for v in seen["videos"]] == [
        Path(s.video).name for s in index.shorts]
    durations = json.loads((line / "out" / EPISODE / "shorts.json").read_text())["shorts"]
    for video, short in zip(seen["videos"], durations, strict=True):
        assert video["error"] is None and video["width"] == 1080, video
        # The Short's length: its clip, sped up by the recipe (default 1.0), give or take
        # the last frame.
        assert video["duration"] == pytest.approx(short["end_s"] - short["start_s"], abs=0.6)
