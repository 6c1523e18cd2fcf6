"""The analytics loop: metrics readers, the feature table, the fit, trigger words, the
round-trip tuned recipe and the refusals, on real per-window features.

``tests/data/analytics_windows.json`` holds real signals, penalties and words of windows
of the 13 real-episode runs (see its ``about``); performance is planted on them here.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from shortfactory.analytics.features import SIGNALS, ClipFeatures, build_table, tokens
from shortfactory.analytics.fit import fit_weights, raw_performance
from shortfactory.analytics.metrics import MetricsError, merge_metrics, read_metrics
from shortfactory.analytics.triggers import (
    bh_threshold,
    copy_weights,
    fit_triggers,
    split_top,
    word_stats,
)
from shortfactory.analytics.tune import tune
from shortfactory.analytics.tuned import Change, write_tuned
from shortfactory.core.artifacts import Candidates, Clip, ClipMetadata
from shortfactory.core.errors import RecipeError
from shortfactory.core.io import write_model
from shortfactory.core.recipe import load_recipe
from shortfactory.core.recipe_analytics import AnalyticsSection
from shortfactory.release.ledger import Ledger, Row

REPO = Path(__file__).resolve().parents[1]
WINDOWS = json.loads((REPO / "tests" / "data" / "analytics_windows.json").read_text())["windows"]
DEFAULT = REPO / "tests" / "data" / "analytics_recipe.yaml"  # stands for a person's recipe
AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
STUDIO_HEADER = ("Content,Video title,Video publish time,Views,Watch time (hours),"
                 "Average view duration,Average percentage viewed (%)\n")
PLANTED = {"transcript": 0.05, "audio": 0.40, "face": 0.30, "scene": 0.10, "pacing": 0.15}


def clip_of(row: dict, rank: int = 1) -> Clip:
    start, end = row["start_s"], row["end_s"]
    return Clip(id=f"c{int(start):04d}-{int(end):04d}", rank=rank, start_s=start, end_s=end,
                total=0.5, signals=row["signals"], penalties=row["penalties"], reasons=[],
                text=row["text"])


def planted_views(rows: list[dict], seed: int = 1, word: str = "") -> tuple[list, list]:
    """Views from the planted weights + heavy-tailed noise + publish age; ``word``
    in a Short's text adds to it. Returns (views, ages)."""
    rng = np.random.default_rng(seed)
    views, ages = [], []
    for row in rows:
        q = sum(PLANTED[s] * row["signals"][s] for s in SIGNALS)
        q += 0.4 * (word in tokens(row["text"]))
        age = float(rng.uniform(3, 120))
        views.append(math.exp(7 + 4 * q + 0.6 * math.log(age) + 0.4 * rng.standard_t(3)))
        ages.append(age)
    return views, ages


def channel(tmp: Path, rows: list[dict], views: list[float], ages: list[float],
            pct: list[float] | None = None) -> tuple[Path, Path]:
    """published.csv, candidates.json per episode and a Studio export in ``tmp``."""
    ledger = Ledger(tmp / "published.csv")
    by_episode: dict[str, list[Clip]] = {}
    lines = [STUDIO_HEADER, f"Total,,,{sum(views):,.0f},1,,\n"]
    for i, (row, v, age) in enumerate(zip(rows, views, ages, strict=True)):
        clip = clip_of(row, i + 1)
        if any(c.id == clip.id for c in by_episode.get(row["episode"], [])):
            continue
        by_episode.setdefault(row["episode"], []).append(clip)
        when = AS_OF - timedelta(days=age)
        ledger._rows[(row["episode"], clip.id)] = Row(
            episode=row["episode"], clip_id=clip.id, state="done", video_id=f"vid{i:03d}")
        p = "" if pct is None else f"{pct[i]:.1f}"
        lines.append(f'vid{i:03d},"t {i}","{when:%b %d, %Y}","{v:,.0f}",1.0,0:00:20,{p}\n')
    ledger.save()
    for episode, clips in by_episode.items():
        write_model(tmp / "results" / episode / "candidates.json",
                    Candidates(episode=episode, duration_s=100.0, clips=clips))
    metrics = tmp / "metrics" / "studio.csv"
    metrics.parent.mkdir(parents=True, exist_ok=True)
    metrics.write_text("".join(lines), encoding="utf-8")
    return tmp / "published.csv", metrics


def table_of(rows: list[dict], views: list[float], ages: list[float]) -> list[ClipFeatures]:
    return [ClipFeatures(episode=r["episode"], clip_id=str(i), video_id=str(i), views=v,
                         age_days=a, signals=r["signals"], penalties=r["penalties"],
                         length_s=r["end_s"] - r["start_s"], text=r["text"],
                         tokens=tokens(r["text"]))
            for i, (r, v, a) in enumerate(zip(rows, views, ages, strict=True))]


# --- metrics files ---------------------------------------------------------------------


def test_studio_export_with_its_total_row_and_formats(tmp_path: Path) -> None:
    path = tmp_path / "Table data.csv"
    path.write_text(STUDIO_HEADER + "Total,,,\"12,345\",10.5,0:00:21,48.0\n"
                    'abc123,"Hi, there","Jun 1, 2025","1,234",2.5,0:01:05,61.5\n'
                    "def456,Two,2025-05-01,99,0.1,0:00:09,\n", encoding="utf-8-sig")
    rows = read_metrics(path)
    assert [r.video_id for r in rows] == ["abc123", "def456"]  # Total is not a video
    assert rows[0].views == 1234 and rows[0].avg_view_s == 65 and rows[0].avg_pct == 61.5
    assert rows[0].published == datetime(2025, 6, 1, tzinfo=UTC)
    assert rows[1].avg_pct is None and rows[1].published == datetime(2025, 5, 1, tzinfo=UTC)


def test_api_json_is_read_like_a_studio_export(tmp_path: Path) -> None:
    path = tmp_path / "api.json"
    path.write_text(json.dumps({"kind": "youtubeAnalytics#resultTable", "columnHeaders": [
        {"name": "video"}, {"name": "views"}, {"name": "estimatedMinutesWatched"},
        {"name": "averageViewPercentage"}], "rows": [["a1", 100, 90, 55.5], ["b2", 7, 3, 20]]}))
    rows = {r.video_id: r for r in read_metrics(path)}
    assert rows["a1"].views == 100 and rows["a1"].watch_hours == 1.5
    assert rows["b2"].avg_pct == 20


@pytest.mark.parametrize(("name", "text", "message"), [
    ("nocol.csv", "Content,Likes\nx,1\n", "no 'Views' column"),
    ("dup.csv", STUDIO_HEADER + "a,x,,1,0,,\nb,y,,2,0,,\na,z,,3,0,,\n", ":4: video a again"),
    ("nan.csv", STUDIO_HEADER + "a,x,,lots,0,,\n", ":2: Views: 'lots' is not a number"),
    ("inf.csv", STUDIO_HEADER + "a,x,,inf,0,,\n", "is not a count"),
    ("empty.csv", "", "empty metrics file"),
    ("total.csv", STUDIO_HEADER + "Total,,,5,1,,\n", "no video rows"),
    ("short.csv", STUDIO_HEADER + "a,x\n", ":2: 2 cells"),
    ("bad.json", "{not json", "not JSON"),
    ("other.json", '{"items": []}', "not a YouTube Analytics reports.query result"),
    ("dim.json", '{"columnHeaders": [{"name": "day"}, {"name": "views"}], "rows": []}',
     "needs the 'video' dimension"),
])
def test_bad_metrics_files_stop_with_one_line_and_change_nothing(
        tmp_path: Path, name: str, text: str, message: str) -> None:
    rows = WINDOWS[:40]
    views, ages = planted_views(rows)
    published, _ = channel(tmp_path, rows, views, ages)
    bad = tmp_path / name
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(MetricsError) as err:
        read_metrics(bad)
    assert message in str(err.value) and str(bad) in str(err.value)
    assert "\n" not in str(err.value)
    recipe = tmp_path / "recipe.yaml"
    shutil.copy(DEFAULT, recipe)
    with pytest.raises(MetricsError):
        tune(recipe, [bad], published, results_dir=tmp_path / "results",
             tuned_path=tmp_path / "tuned.yaml", report_path=tmp_path / "report.html",
             as_of=AS_OF)
    assert not (tmp_path / "tuned.yaml").exists() and not (tmp_path / "report.html").exists()
    assert recipe.read_text() == DEFAULT.read_text()


def test_unknown_video_ids_are_named_and_left_out(tmp_path: Path, caplog) -> None:
    rows = WINDOWS[:10]
    views, ages = planted_views(rows)
    published, metrics = channel(tmp_path, rows, views, ages)
    with metrics.open("a", encoding="utf-8") as handle:
        handle.write("zzz999,stranger,,5000,1,0:00:10,\n")
    with caplog.at_level(logging.WARNING):
        table = build_table(Ledger.load(published), merge_metrics([metrics]),
                            tmp_path / "results", as_of=AS_OF)
    assert "zzz999" in caplog.text and "not in" in caplog.text
    assert "zzz999" not in {f.video_id for f in table}
    assert len(table) == len(Ledger.load(published).rows())
    stranger = tmp_path / "other.csv"
    stranger.write_text(STUDIO_HEADER + "nope1,x,,5,1,,\n", encoding="utf-8")
    with pytest.raises(MetricsError, match="no video in the metrics is in"):
        build_table(Ledger.load(published), merge_metrics([stranger]), tmp_path / "results")


def test_a_clip_dropped_from_candidates_is_read_from_its_metadata(tmp_path: Path) -> None:
    row = WINDOWS[0]
    clip = clip_of(row)
    ledger = Ledger(tmp_path / "published.csv", [Row(episode="ep", clip_id=clip.id,
                                                     state="done", video_id="v1")])
    write_model(tmp_path / "results" / "ep" / "candidates.json",
                Candidates(episode="ep", duration_s=100.0, clips=[]))
    folder = tmp_path / "results" / "ep" / "clips" / clip.id
    write_model(folder / "metadata.json", ClipMetadata(
        clip_id=clip.id, episode="ep", title="t", description="d", tags=[], hashtags=[],
        start_s=clip.start_s, end_s=clip.end_s, source_timecode="0:00",
        scores={"total": 0.5, **clip.signals, "penalty_length": 0.1}, recipe_hash="h"))
    (folder / "subtitles.srt").write_text("1\n00:00:00,000 --> 00:00:02,000\nNo way, look!\n")
    metrics = tmp_path / "m.csv"
    metrics.write_text(STUDIO_HEADER + "v1,t,2025-05-01,10,1,,\n")
    (feat,) = build_table(ledger, merge_metrics([metrics]), tmp_path / "results", as_of=AS_OF)
    assert feat.signals == clip.signals and feat.penalties == {"length": 0.1}
    assert {"no", "way", "no way"} <= feat.tokens and feat.age_days == 31


# --- the fit -------------------------------------------------------------------------


def test_the_fit_recovers_a_planted_weight_direction_on_real_features() -> None:
    views, ages = planted_views(WINDOWS, seed=3)
    table = table_of(WINDOWS, views, ages)
    section = AnalyticsSection()
    current = load_recipe(DEFAULT).candidates.weights.model_dump()
    fit = fit_weights(table, current, section)
    assert not fit.refused and fit.moved
    target = np.array([fit.target[s] for s in SIGNALS])
    planted = np.array([PLANTED[s] for s in SIGNALS])
    assert target @ planted / np.linalg.norm(target) / np.linalg.norm(planted) > 0.9
    before = np.array([current[s] for s in SIGNALS])
    after = np.array([fit.proposed[s] for s in SIGNALS])
    # A bounded step toward it, weights still summing to what they summed to.
    assert np.linalg.norm(after / after.sum() - planted) < np.linalg.norm(before - planted)
    assert abs(after.sum() - before.sum()) < 1e-9
    assert np.abs(after - before).max() <= section.max_step * before.sum() + 0.02
    low, high = section.weight_bounds
    assert after.min() >= low - 1e-3 and after.max() <= high + 1e-3
    assert fit.confidence["audio"] > 0.8  # the planted strongest signal, surely up
    assert fit.age_effect > 0  # older Shorts have more views: corrected for


def test_age_correction_keeps_old_shorts_from_deciding() -> None:
    """Shorts with high face signal published long ago: without the correction their
    head start is credited to the face signal."""
    rows = WINDOWS
    rng = np.random.default_rng(5)
    ages = [200.0 if r["signals"]["face"] > 0.5 else 5.0 for r in rows]
    views = [math.exp(7 + 2 * r["signals"]["audio"] + 1.0 * math.log(a)
                      + 0.3 * rng.standard_normal()) for r, a in zip(rows, ages, strict=True)]
    table = table_of(rows, views, ages)
    current = dict.fromkeys(SIGNALS, 0.2)
    fair = fit_weights(table, current, AnalyticsSection())
    naive = fit_weights(table, current, AnalyticsSection(age_correction=False))
    assert fair.target["audio"] > fair.target["face"]
    assert naive.target["face"] > fair.target["face"]


def test_too_little_data_refuses_and_says_how_much_more(tmp_path: Path) -> None:
    rows = WINDOWS[:12]
    views, ages = planted_views(rows)
    published, metrics = channel(tmp_path, rows, views, ages)
    recipe = tmp_path / "recipes" / "mine.yaml"
    recipe.parent.mkdir()
    shutil.copy(DEFAULT, recipe)
    result = tune(recipe, [metrics], published, results_dir=tmp_path / "results",
                  tuned_path=tmp_path / "recipes" / "tuned.yaml",
                  report_path=tmp_path / "report.html", as_of=AS_OF)
    n = len(result.table)
    assert result.weights.refused.startswith(f"{n} Shorts with metrics, at least 30 needed")
    assert f"{30 - n} more" in result.weights.refused and not result.changes
    tuned = (tmp_path / "recipes" / "tuned.yaml").read_text()
    body = [line for line in tuned.splitlines() if not line.startswith("##")]
    assert body == DEFAULT.read_text().splitlines()  # nothing moved
    assert "not tuned" in tuned and "Not moved" in (tmp_path / "report.html").read_text()


def test_a_tuning_round_end_to_end(tmp_path: Path) -> None:
    rows = WINDOWS
    views, ages = planted_views(rows, seed=2)
    pct = [40 + 20 * r["signals"]["pacing"] for r in rows]
    published, metrics = channel(tmp_path, rows, views, ages, pct)
    recipe = tmp_path / "recipes" / "mine.yaml"
    recipe.parent.mkdir()
    shutil.copy(DEFAULT, recipe)
    tuned = tmp_path / "recipes" / "tuned.yaml"
    result = tune(recipe, [metrics], published, results_dir=tmp_path / "results",
                  tuned_path=tuned, report_path=tmp_path / "a" / "report.html", as_of=AS_OF)
    assert result.changes and result.diff.startswith(f"--- {recipe}")
    new = load_recipe(tuned).candidates.weights
    old = load_recipe(recipe).candidates.weights
    assert new.audio > old.audio and new.transcript < old.transcript
    assert recipe.read_text() == DEFAULT.read_text()  # the person's recipe is untouched
    page = (tmp_path / "a" / "report.html").read_text()
    assert page.count("data:image/png;base64") >= 2 and "Top Shorts" in page


# --- trigger words ----------------------------------------------------------------------


def test_a_planted_word_is_added_without_the_words_of_its_passages() -> None:
    """"printed" is said in the printing talk, with "letters", "type", "gothic" and the
    rest of its passages: forward selection adds the planted word alone. The false
    discovery rate is lenient here because the real windows are few distinct passages
    (about 40 effective Shorts); the default one is tested below on the same data."""
    word = "printed"
    views, ages = planted_views(WINDOWS, seed=4, word=word)
    table = table_of(WINDOWS, views, ages)
    section = AnalyticsSection(fdr=0.9)
    current = {"no way": 1.0, "secret": 0.8}
    fit = fit_triggers(table, raw_performance(table, 0.0), current, section)
    added = {c.word for c in fit.changes if c.old is None}
    assert added == {word} and fit.stats[word].p <= fit.threshold_p
    assert fit.proposed.get("secret", 0) < 0.8  # not said or unsupported: decays
    assert all(c.reason for c in fit.changes)
    # The same data without the planted word: nothing is made a trigger.
    plain_views, _ = planted_views(WINDOWS, seed=4)
    plain_table = table_of(WINDOWS, plain_views, ages)
    plain = fit_triggers(plain_table, raw_performance(plain_table, 0.0), current, section)
    assert not [c for c in plain.changes if c.old is None]


def test_a_planted_word_in_few_passages_is_no_discovery_at_the_default_rate() -> None:
    """The windows' ~40 effective Shorts cannot single out one word among thousands at
    a 10 % false discovery rate: the round adds nothing rather than a guess."""
    views, ages = planted_views(WINDOWS, seed=4, word="printed")
    table = table_of(WINDOWS, views, ages)
    fit = fit_triggers(table, raw_performance(table, 0.0), {}, AnalyticsSection())
    assert fit.proposed == {} and fit.threshold_p == 0.0
    assert fit.effective < len(table) / 2  # overlapping windows count as near-copies


def test_near_copies_count_once() -> None:
    """Every Short published again in another episode: the evidence does not grow."""
    views, ages = planted_views(WINDOWS, seed=4, word="printed")
    table = table_of(WINDOWS, views, ages)
    twice = table + [ClipFeatures(**{**{k: getattr(f, k) for k in f.__slots__},
                                     "episode": f.episode + "_again"}) for f in table]
    top = split_top(raw_performance(table, 0.0), 0.3)
    once = word_stats(table, top, 5.0, copy_weights(table))["printed"]
    again = word_stats(twice, np.concatenate([top, top]), 5.0, copy_weights(twice))["printed"]
    assert again.top == pytest.approx(once.top, abs=0.02)
    assert again.z == pytest.approx(once.z, abs=0.05)
    naive = word_stats(twice, np.concatenate([top, top]), 5.0)["printed"]
    assert naive.z > once.z + 0.5  # counted per Short, copies would look like evidence


def test_benjamini_hochberg_cut_off() -> None:
    assert bh_threshold([0.5, 0.001, 0.03, 0.01], 0.05) == 0.03  # 0.03 <= 3 x 0.05 / 4
    assert bh_threshold([0.04, 0.5], 0.05) == 0.0  # 0.04 > 0.025 and 0.5 > 0.05


def test_one_episode_alone_does_not_make_a_trigger() -> None:
    rows = [r for r in WINDOWS if r["episode"] in {"long_24min", "talk_baseline"}]
    only_here = next(t for t in sorted(tokens(rows[0]["text"], phrases=False))
                     if t.isalpha() and len(t) > 4
                     and all(t not in tokens(r["text"]) for r in rows
                             if r["episode"] != rows[0]["episode"]))
    views, ages = planted_views(rows, seed=6, word=only_here)
    table = table_of(rows, views, ages)
    fit = fit_triggers(table, raw_performance(table, 0.0), {}, AnalyticsSection(
        min_videos=3, min_count=1))
    assert only_here not in fit.proposed


def test_weights_are_fitted_within_episodes() -> None:
    """Episodes with much face on screen are more popular as a whole (their topic),
    while within an episode only audio matters: the selector, which compares windows
    of one episode, should not learn to favour faces."""
    rng = np.random.default_rng(7)
    episodes = sorted({r["episode"] for r in WINDOWS})
    face = {e: np.mean([r["signals"]["face"] for r in WINDOWS if r["episode"] == e])
            for e in episodes}
    views = [math.exp(7 + 3 * face[r["episode"]] + 2 * r["signals"]["audio"]
                      + 0.3 * rng.standard_normal()) for r in WINDOWS]
    table = table_of(WINDOWS, views, [30.0] * len(WINDOWS))
    current = dict.fromkeys(SIGNALS, 0.2)
    within = fit_weights(table, current, AnalyticsSection())
    pooled = fit_weights(table, current, AnalyticsSection(within_episode=False))
    assert within.target["audio"] > 2 * within.target["face"]
    assert pooled.target["face"] > within.target["face"]


# --- the tuned recipe ---------------------------------------------------------------------


def test_round_trip_keeps_comments_order_and_dates_each_change(tmp_path: Path) -> None:
    source = tmp_path / "mine.yaml"
    shutil.copy(DEFAULT, source)
    dest = tmp_path / "tuned.yaml"
    changes = [Change(("candidates", "weights", "audio"), 0.25, 0.31, "fitted 0.40"),
               Change(("candidates", "triggers", "secret"), 0.8, None, "stale, removed"),
               Change(("candidates", "triggers", "boom"), None, 0.3, "z +2.0")]
    diff = write_tuned(source, dest, changes, day="2025-06-01")
    text, original = dest.read_text(), DEFAULT.read_text()
    assert "# tuned 2025-06-01: fitted 0.40\n    audio: 0.31 " in text
    assert "# audio interest from audio_features.json" in text  # its own comment kept
    assert "boom: 0.3 # tuned 2025-06-01: z +2.0" in text and '"secret"' not in text
    changed = {"    audio: 0.25            # audio interest from audio_features.json",
               '    "secret": 0.8', "extends: null"}
    kept = [line for line in original.splitlines() if line not in changed]
    assert [line for line in text.splitlines() if line in set(kept)] == kept  # order too
    assert "+    audio: 0.31" in diff and '-    "secret": 0.8' in diff
    assert "\n\nmetadata:" in text  # the blank line before the next section stays
    # A second round replaces the dated note instead of piling them up.
    again = tmp_path / "tuned2.yaml"
    write_tuned(dest, again, [Change(("candidates", "weights", "audio"), 0.31, 0.33, "more")],
                day="2025-06-15")
    text2 = again.read_text()
    assert "tuned 2025-06-15: more" in text2 and "tuned 2025-06-01: fitted" not in text2
    assert text2.count("## tuned by shortfactory") == 1
    assert load_recipe(again).candidates.weights.audio == 0.33


def test_never_overwrites_the_recipe_unless_asked(tmp_path: Path) -> None:
    source = tmp_path / "mine.yaml"
    shutil.copy(DEFAULT, source)
    change = [Change(("candidates", "weights", "face"), 0.2, 0.25, "why")]
    with pytest.raises(RecipeError, match="is the recipe being tuned"):
        write_tuned(source, source, change, day="2025-06-01")
    assert source.read_text() == DEFAULT.read_text()
    write_tuned(source, source, change, day="2025-06-01", in_place=True)
    assert load_recipe(source).candidates.weights.face == 0.25


def test_an_invalid_result_is_never_written(tmp_path: Path) -> None:
    source = tmp_path / "mine.yaml"
    shutil.copy(DEFAULT, source)
    bad = [Change(("candidates", "weights", "face"), 0.2, -1.0, "broken")]
    with pytest.raises(RecipeError, match="candidates.weights.face"):
        write_tuned(source, tmp_path / "tuned.yaml", bad, day="2025-06-01")
    assert not (tmp_path / "tuned.yaml").exists()


def test_a_child_recipe_keeps_its_parent(tmp_path: Path) -> None:
    (tmp_path / "recipes").mkdir()
    shutil.copy(DEFAULT, tmp_path / "recipes" / "default.yaml")
    child = tmp_path / "recipes" / "anime.yaml"
    child.write_text("extends: default.yaml\n# mine\ncamera:\n  dead_zone: 0.2  # calmer\n")
    dest = tmp_path / "tuned" / "anime-tuned.yaml"
    write_tuned(child, dest, [Change(("candidates", "weights", "face"), 0.2, 0.3, "why")],
                day="2025-06-01")
    text = dest.read_text()
    assert "extends: ../recipes/default.yaml" in text and "dead_zone: 0.2  # calmer" in text
    tuned = load_recipe(dest)
    assert tuned.candidates.weights.face == 0.3 and tuned.camera.dead_zone == 0.2
    assert tuned.candidates.weights.audio == 0.25  # the rest still from the parent


def test_an_empty_caption_track_is_no_cues_not_an_unreadable_file(tmp_path, caplog):
    """A Short without speech has an empty .srt (seen on a real episode with no audio)."""
    from shortfactory.analytics.features import _subtitle_stats

    feat = ClipFeatures(episode="e", clip_id="c", video_id="v", views=1.0, age_days=1.0,
                        signals={}, penalties={}, length_s=20.0, text="")
    empty = tmp_path / "empty.srt"
    empty.write_text("")
    with caplog.at_level("WARNING"):
        _subtitle_stats(feat, empty)
    assert feat.cues == 0 and not caplog.records
    spoken = tmp_path / "spoken.srt"
    spoken.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello there\n")
    _subtitle_stats(feat, spoken)
    assert feat.cues == 1 and feat.cps == pytest.approx(11.0)
