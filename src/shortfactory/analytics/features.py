"""The feature table: one row per published Short that has metrics.

``published.csv`` says which video id is which clip; the clip's own artifacts say what
it held: every signal and penalty from ``candidates.json`` (the numbers that chose it),
its length, its words (the candidates' text), its subtitle cues (``subtitles.srt``:
how many, how long, characters per second), its title's hook (``metadata.json``) and
the recipe hash it was made with. A clip that a later re-scoring dropped from
``candidates.json`` is read from its ``metadata.json`` (which keeps its signals and
penalties) and ``subtitles.srt``. A metrics row whose video is not in the ledger, or a
ledger row whose clip's artifacts are gone, is left out with one line saying so.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from shortfactory.analytics.metrics import MetricsError, VideoMetrics
from shortfactory.core.artifacts import Candidates, Clip, ClipMetadata
from shortfactory.core.errors import InputError
from shortfactory.core.io import read_model
from shortfactory.release.ledger import Ledger, Row

log = logging.getLogger(__name__)

SIGNALS = ("transcript", "audio", "face", "scene", "pacing")  # as clips.candidates.SIGNALS
WORD = re.compile(r"[\w']+", re.UNICODE)  # as the candidates' trigger matcher tokenises


@dataclass(slots=True)
class ClipFeatures:
    """What one published Short held, and how it did."""

    episode: str
    clip_id: str
    video_id: str
    views: float
    age_days: float
    signals: dict[str, float]
    penalties: dict[str, float]
    length_s: float
    text: str
    avg_pct: float | None = None
    title: str = ""
    words: int = 0
    cues: int = 0
    chars_per_cue: float = 0.0
    cps: float = 0.0
    hook_score: float = 0.0
    recipe_hash: str = ""
    thumbnail: str = ""
    tokens: set[str] = field(default_factory=set)

    @property
    def words_per_s(self) -> float:
        return self.words / max(self.length_s, 1e-6)


def tokens(text: str, phrases: bool = True) -> set[str]:
    """Words and two-word phrases of a text, lower-case, as a set.

    The same tokenisation as the candidates' trigger matcher (``[\\w']+`` joined by one
    space), so a learned phrase matches where the selector looks for it.
    """
    words = WORD.findall(text.lower())
    found = set(words)
    if phrases:
        found |= {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    return found


def age_days(published: datetime | None, as_of: datetime) -> float | None:
    """Days between publishing and the export, at least one (a Short's first day)."""
    if published is None:
        return None
    return max(1.0, (as_of - published).total_seconds() / 86400)


def _ledger_time(row: Row) -> datetime | None:
    """When the ledger says the video went public: its publish time, else the upload."""
    for text in (row.publish_at, row.updated):
        if text:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                continue
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def build_table(ledger: Ledger, metrics: dict[str, VideoMetrics], results_dir: str | Path,
                *, out_dir: str | Path = "out", as_of: datetime | None = None
                ) -> list[ClipFeatures]:
    """Join the ledger, the metrics and the clips' artifacts (see the module docstring).

    Raises:
        MetricsError: no metrics row matches a published video.
    """
    as_of = as_of or datetime.now(UTC)
    results_dir, out_dir = Path(results_dir), Path(out_dir)
    by_video = {r.video_id: r for r in ledger.rows() if r.video_id}
    unknown = sorted(set(metrics) - set(by_video))
    if unknown:
        shown = ", ".join(unknown[:5]) + (f" and {len(unknown) - 5} more" if
                                           len(unknown) > 5 else "")
        log.warning("%d video id(s) in the metrics are not in %s, ignored: %s",
                    len(unknown), ledger.path, shown)
    matched = [v for v in metrics if v in by_video]
    if metrics and not matched:
        raise MetricsError(f"no video in the metrics is in {ledger.path}: are they this "
                           "channel's exports?")
    episodes: dict[str, dict[str, Clip] | None] = {}
    table: list[ClipFeatures] = []
    missing: list[str] = []
    for video_id in matched:
        row, numbers = by_video[video_id], metrics[video_id]
        if row.episode not in episodes:
            episodes[row.episode] = _clips(results_dir / row.episode / "candidates.json")
        clip = (episodes[row.episode] or {}).get(row.clip_id) or _clip_from_metadata(
            results_dir / row.episode / "clips" / row.clip_id)
        if clip is None:
            missing.append(f"{row.episode}/{row.clip_id}")
            continue
        table.append(_features(row, clip, numbers, results_dir, out_dir, as_of))
    if missing:
        log.warning("%d published clip(s) have neither an entry in candidates.json nor a "
                    "metadata.json, left out: %s", len(missing), ", ".join(missing[:5]))
    _fill_ages(table)
    return table


def _clips(path: Path) -> dict[str, Clip] | None:
    """The clips of one episode's candidates.json by id; None (and a line) if unreadable."""
    if not path.exists():
        return None
    try:
        return {c.id: c for c in read_model(path, Candidates).clips}
    except InputError as err:
        log.warning("%s", err)
        return None


def _clip_from_metadata(folder: Path) -> Clip | None:
    """A published clip that re-scoring dropped from candidates.json: its metadata.json
    keeps the signals and penalties that chose it, its subtitles.srt its words."""
    path = folder / "metadata.json"
    if not path.exists():
        return None
    try:
        meta = read_model(path, ClipMetadata)
    except InputError as err:
        log.warning("%s", err)
        return None
    scores = meta.scores
    return Clip(id=meta.clip_id, rank=0, start_s=meta.start_s, end_s=meta.end_s,
                total=scores.get("total", 0.0),
                signals={s: scores.get(s, 0.0) for s in SIGNALS},
                penalties={k.removeprefix("penalty_"): v for k, v in scores.items()
                           if k.startswith("penalty_") and v},
                reasons=[], text=_srt_text(folder / "subtitles.srt"))


def _srt_lines(path: Path) -> list[tuple[float, str]] | None:
    """``(seconds shown, text)`` of each non-empty cue of a caption track; [] for none
    (a Short without speech has an empty file), None when the file is missing or broken.

    The format is given, not guessed: pysubs2 cannot guess it from an empty file.
    """
    if not path.exists():
        return None
    import pysubs2

    try:
        subs = pysubs2.load(str(path), encoding="utf-8", format_="srt")
    except Exception as err:  # noqa: BLE001 - a broken caption file only loses its stats
        log.warning("%s: unreadable subtitles (%s), its caption stats are left out", path, err)
        return None
    return [(max(e.end - e.start, 1) / 1000, e.plaintext.replace("\n", " ").strip())
            for e in subs if e.plaintext.strip()]


def _srt_text(path: Path) -> str:
    return " ".join(text for _, text in _srt_lines(path) or [])


def _features(row: Row, clip: Clip, numbers: VideoMetrics, results_dir: Path,
              out_dir: Path, as_of: datetime) -> ClipFeatures:
    folder = results_dir / row.episode / "clips" / row.clip_id
    published = numbers.published or _ledger_time(row)
    age = age_days(published, as_of)
    feat = ClipFeatures(
        episode=row.episode, clip_id=row.clip_id, video_id=row.video_id,
        views=numbers.views, age_days=age if age is not None else math.nan,
        avg_pct=numbers.avg_pct, signals={s: float(clip.signals.get(s, 0.0)) for s in SIGNALS},
        penalties=dict(clip.penalties), length_s=clip.end_s - clip.start_s, text=clip.text,
        title=numbers.title or row.title, words=len(WORD.findall(clip.text)),
        tokens=tokens(clip.text))
    _subtitle_stats(feat, folder / "subtitles.srt")
    meta_path = folder / "metadata.json"
    if meta_path.exists():
        try:
            meta = read_model(meta_path, ClipMetadata)
            feat.hook_score = meta.hook.score if meta.hook else 0.0
            feat.recipe_hash = meta.recipe_hash
            feat.title = feat.title or meta.title
        except InputError as err:
            log.warning("%s", err)
    thumb = out_dir / row.episode / f"{row.clip_id}.png"
    feat.thumbnail = str(thumb) if thumb.exists() else ""
    return feat


def _subtitle_stats(feat: ClipFeatures, srt: Path) -> None:
    """Cue count, mean characters per cue and characters per second of the captions."""
    cues = _srt_lines(srt)
    if not cues:
        return
    chars = [len(text) for _, text in cues]
    feat.cues = len(cues)
    feat.chars_per_cue = sum(chars) / len(cues)
    feat.cps = sum(chars) / max(sum(seconds for seconds, _ in cues), 1e-6)


def _fill_ages(table: list[ClipFeatures]) -> None:
    """A Short with no known publish time gets the median age, and one line says so:
    its views are then compared as if it were typical, not dropped."""
    known = sorted(f.age_days for f in table if not math.isnan(f.age_days))
    unknown = [f for f in table if math.isnan(f.age_days)]
    if not unknown:
        return
    fill = known[len(known) // 2] if known else 30.0
    log.warning("%d Short(s) have no publish time (metrics or published.csv): counted as "
                "%.0f days old", len(unknown), fill)
    for f in unknown:
        f.age_days = fill
