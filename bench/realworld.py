"""Real-episode benchmark: does every video a user drops in come out right, or say why?

Runs the whole line, as a user would (``snakemake`` in a fresh working folder with the
episode dropped into its ``episodes/``), on each episode of the corpus that
bench/corpus.py builds from the shared real media, and classifies each:

* **ok**: Shorts made (valid portrait videos, non-empty titles), or no Short with one clear
  line saying why (a line starting ``error:``, or the candidates/shorts message), where
  issue 17 allows none (``expect: either``);
* **failed**: a traceback, an invalid artifact (schema, NaN/infinity/null numbers in any
  JSON), a silent skip (the bundled sample planned or run instead, or no output and no
  reason), hidden temp files left in ``out/``, an unreadable Short, or a refusal of an
  episode issue 17 says must give Shorts (``expect: shorts``).

Also measured: the highest true peak over all Shorts (ffmpeg ``ebur128=peak=true`` on
each mp4), the highest peak RSS of any rule (the ``max_rss`` column of every
``benchmarks/<rule>/...tsv``), wall time over duration of the ~24 min episode on the
cores given, and peak RSS growth per hour of episode between the ~12 and ~24 min ones.
A contact sheet (4 frames of each Short) per episode goes to
``bench/results/realworld_sheets/``.

``python bench/run.py realworld`` runs it all. For development::

    python bench/realworld.py --quick --cores 1              # no long episodes
    python bench/realworld.py --quick --only talk_baseline,music_only
    python bench/realworld.py --quick --reuse                # classify the last runs again

The same settings as environment variables for ``bench/run.py``:
``SHORTFACTORY_BENCH_QUICK=1``, ``SHORTFACTORY_BENCH_CORES`` (default 2),
``SHORTFACTORY_BENCH_ONLY`` (comma-separated episode keys), ``SHORTFACTORY_BENCH_REUSE=1``.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"
RESULTS = REPO / "bench" / "results"
RUNS = RESULTS / "realworld_runs"
SHEETS = RESULTS / "realworld_sheets"
LONG_KEY, MID_KEY = "long_24min", "long_12min"
TIMEOUT_S = {False: 3600, True: 4 * 3600}  # per episode: short, long
AV_SLACK_S = 0.5  # a Short's video and audio streams may differ in length by this much

_SAMPLE_PLANNED = re.compile(r"\bmake_sample\b|samples/sample\.mp4|out/sample/")
_TRACEBACK = "Traceback (most recent call last):"
_TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".temp")


# --- evidence and verdict ------------------------------------------------------------


@dataclass(slots=True)
class Evidence:
    """What one run left behind, gathered from its output and working folder."""

    expect: str = "shorts"
    returncode: int = 0
    output: str = ""
    logs: str = ""
    timed_out: bool = False
    sample_ran: bool = False
    out_dirs: list[str] = field(default_factory=list)
    json_problems: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    shorts: list[Path] = field(default_factory=list)
    short_problems: list[str] = field(default_factory=list)
    empty_titles: list[str] = field(default_factory=list)
    message: str = ""
    scores: list[float] = field(default_factory=list)
    cores: int = 0


@dataclass(slots=True)
class Verdict:
    outcome: str  # "ok" | "failed"
    reason: str


def traceback_line(text: str) -> str | None:
    """The exception line of the first Python traceback in ``text``, or None."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _TRACEBACK in line:
            for after in lines[i + 1:]:
                if after.strip() and not after[:1].isspace():
                    return after.strip()
            return "traceback (no exception line)"
    return None


def error_line(text: str) -> str | None:
    """The first one-line user error (``error: ...``) in ``text``, or None.

    Where the error points at lines above it (files skipped while looking for episodes),
    the first of those is added after ``|``.
    """
    lines = [line.strip() for line in text.splitlines()]
    for line in lines:
        if line.startswith("error:"):
            skipped = [s for s in lines if s.startswith("skipped ")]
            return f"{line} | {skipped[0]}" if "see above" in line and skipped else line
    return None


def classify(ev: Evidence) -> Verdict:
    """ok / failed with one line of reason, by the rules in the module docstring."""
    both = ev.output + "\n" + ev.logs
    if ev.timed_out:
        return Verdict("failed", "timed out")
    if ev.sample_ran:
        return Verdict("failed", "silent skip: the bundled sample was planned instead of the "
                       "episode")
    exc = traceback_line(both)
    if exc:
        return Verdict("failed", f"traceback: {exc}")
    if ev.json_problems:
        return Verdict("failed", f"bad artifact: {ev.json_problems[0]}")
    if ev.leftovers:
        return Verdict("failed", f"temp files left in out/: {', '.join(ev.leftovers[:3])}")
    if ev.short_problems:
        return Verdict("failed", f"bad Short: {ev.short_problems[0]}")
    if ev.empty_titles:
        return Verdict("failed", f"empty title: {ev.empty_titles[0]}")
    if ev.returncode != 0:
        err = error_line(both)
        if not err:
            last = [ln.strip() for ln in ev.output.splitlines() if ln.strip()]
            return Verdict("failed", f"exit {ev.returncode} without a one-line reason: "
                           f"{last[-1] if last else '(no output)'}")
        if ev.shorts:
            return Verdict("failed", f"{len(ev.shorts)} Shorts but the run failed: {err}")
        return _no_short(ev, err)
    if ev.shorts:
        return Verdict("ok", f"{len(ev.shorts)} Shorts")
    if not ev.out_dirs:
        return Verdict("failed", "silent skip: exit 0, no output and no reason")
    if ev.message:
        return _no_short(ev, f"no Short: {ev.message}")
    return Verdict("failed", "no Short and no reason given")


def _no_short(ev: Evidence, reason: str) -> Verdict:
    if ev.expect == "shorts":
        return Verdict("failed", f"expected Shorts, got: {reason}")
    return Verdict("ok", reason)


# --- reading a working folder --------------------------------------------------------


def _models() -> dict[str, type]:
    """Artifact file name -> its pydantic model (the contract readers validate against)."""
    from shortfactory.core import artifacts as a

    names = {"source.json": "SourceProbe", "transcript.json": "Transcript",
             "audio_features.json": "AudioFeatures", "scene_cuts.json": "SceneCuts",
             "faces.json": "Faces", "candidates.json": "Candidates",
             "crop_path.json": "CropPath", "metadata.json": "ClipMetadata",
             "shorts.json": "ShortsIndex"}
    return {f: getattr(a, m) for f, m in names.items() if hasattr(a, m)}


def _reject_constant(token: str) -> None:
    raise ValueError(f"{token} in JSON")


def _null_number(data: object, where: str = "") -> str | None:
    """Path of the first list holding null beside numbers (or only nulls), or None."""
    if isinstance(data, dict):
        for key, value in data.items():
            found = _null_number(value, f"{where}.{key}" if where else str(key))
            if found is not None:
                return found
    elif isinstance(data, list):
        nulls = sum(v is None for v in data)
        numbers = sum(isinstance(v, int | float) and not isinstance(v, bool) for v in data)
        if nulls and (numbers or nulls == len(data)):
            return where
        for i, value in enumerate(data):
            if isinstance(value, dict | list):
                found = _null_number(value, f"{where}[{i}]")
                if found is not None:
                    return found
    return None


def json_problem(path: Path, root: Path | None = None) -> str | None:
    """Why a JSON artifact is bad (not JSON, NaN/infinity, null numbers, schema), or None.

    Python's json writes NaN and Infinity as bare tokens and pydantic writes them as
    ``null``: both are caught, the second as a null among numbers or by the schema.
    """
    shown = path.relative_to(root) if root else path
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as err:
        return f"{shown}: {err}"
    where = _null_number(data)
    if where is not None:
        return f"{shown}: null among numbers at {where or '<root>'} (a NaN written as null)"
    model = _models().get(path.name)
    if model is None and root is not None and root / "out" in path.parents:
        model = _models().get("metadata.json")  # out/<ep>/<clip>.json: a clip's metadata
    if model is not None:
        try:
            model.model_validate_json(text)
        except Exception as err:  # noqa: BLE001 - pydantic's ValidationError, reported
            first = str(err).splitlines()
            return f"{shown}: not a valid {model.__name__} ({' '.join(first[1:3]).strip()})"
    return None


def out_leftovers(out: Path) -> list[str]:
    """Files in ``out/`` that are not finished Shorts or what goes with them (JSON,
    caption track, thumbnail): crash leftovers."""
    left = []
    for path in sorted(out.rglob("*")) if out.is_dir() else []:
        if path.is_dir():
            continue
        if (path.name.startswith(".") or path.suffix.lower() in _TEMP_SUFFIXES
                or path.suffix.lower() not in (".mp4", ".json", ".srt", ".png")):
            left.append(str(path.relative_to(out)))
    return left


def short_problem(mp4: Path) -> str | None:
    """Why a rendered Short is unusable, or None.

    Unreadable, not portrait, under 1 s, or video and audio streams of different lengths.
    """
    import av

    try:
        with av.open(str(mp4)) as container:
            if not container.streams.video:
                return f"{mp4.name}: no video stream"
            stream = container.streams.video[0]
            if stream.width >= stream.height:
                return f"{mp4.name}: not portrait ({stream.width}x{stream.height})"
            seconds = (container.duration or 0) / 1e6
            if seconds < 1.0:
                return f"{mp4.name}: {seconds:.2f} s long"
            spans = {s.type: float(s.duration * s.time_base) for s in container.streams
                     if s.type in ("video", "audio") and s.duration}
            if len(spans) == 2 and abs(spans["video"] - spans["audio"]) > AV_SLACK_S:
                return (f"{mp4.name}: video {spans['video']:.1f} s but audio "
                        f"{spans['audio']:.1f} s")
    except Exception as err:  # noqa: BLE001 - any decoder error makes the Short bad
        return f"{mp4.name}: unreadable ({err})"
    return None


def gather(workdir: Path, evidence: Evidence) -> Evidence:
    """Fill ``evidence`` from a finished run's working folder."""
    logs = []
    for log in sorted((workdir / "logs").rglob("*.log")) if (workdir / "logs").is_dir() else []:
        logs.append(f"--- {log.relative_to(workdir)}\n"
                    + log.read_text(encoding="utf-8", errors="replace"))
    evidence.logs = "\n".join(logs)
    out = workdir / "out"
    evidence.out_dirs = sorted(p.name for p in out.iterdir() if p.is_dir()) if out.is_dir() else []
    if "sample" in evidence.out_dirs or (workdir / "results" / "sample").exists():
        evidence.sample_ran = True
    for path in sorted([*workdir.glob("results/**/*.json"), *workdir.glob("out/**/*.json")]):
        if path.name.startswith("."):
            continue
        problem = json_problem(path, workdir)
        if problem:
            evidence.json_problems.append(problem)
    evidence.leftovers = out_leftovers(out)
    for episode_dir in (out / d for d in evidence.out_dirs):
        evidence.shorts += sorted(p for p in episode_dir.glob("*.mp4")
                                  if not p.name.startswith("."))
        for meta in episode_dir.glob("*.json"):
            if meta.name == "shorts.json" or meta.name.startswith("."):
                continue
            try:
                title = json.loads(meta.read_text(encoding="utf-8")).get("title", "")
            except ValueError:
                continue  # reported by json_problem
            if not str(title).strip():
                evidence.empty_titles.append(str(meta.relative_to(workdir)))
        index = episode_dir / "shorts.json"
        if index.exists():
            try:
                listed = json.loads(index.read_text(encoding="utf-8"))
            except ValueError:
                continue  # reported by json_problem
            evidence.message = listed.get("message", "") or evidence.message
            evidence.scores += [float(s["total"]) for s in listed.get("shorts", [])
                                if isinstance(s.get("total"), int | float)]
    if not evidence.message:
        for cands in workdir.glob("results/*/candidates.json"):
            try:
                evidence.message = json.loads(cands.read_text()).get("message", "") or ""
            except ValueError:
                pass
    evidence.short_problems = [p for p in map(short_problem, evidence.shorts) if p]
    return evidence


def benchmark_rss(workdir: Path) -> tuple[float, str]:
    """Highest ``max_rss`` (MB) over every rule's benchmark TSV, and which rule/job it was."""
    best, where = 0.0, ""
    for tsv in (workdir / "benchmarks").rglob("*.tsv") if (workdir / "benchmarks").is_dir() else []:
        rows = [r.split("\t") for r in tsv.read_text().splitlines() if r.strip()]
        if len(rows) < 2 or "max_rss" not in rows[0]:
            continue
        col = rows[0].index("max_rss")
        for row in rows[1:]:
            try:
                value = float(row[col])
            except (ValueError, IndexError):
                continue  # "NA" or "-": too short to sample
            if math.isfinite(value) and value > best:
                best = value
                where = str(tsv.relative_to(workdir / "benchmarks").with_suffix(""))
    return best, where


def true_peak_dbtp(mp4: Path) -> float | None:
    """True peak of a Short's audio after encoding (ffmpeg ebur128), dBTP; None if silent."""
    from shortfactory.core.media import ffmpeg_exe

    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(mp4),
                           "-map", "0:a:0?", "-af", "ebur128=peak=true", "-f", "null", "-"],
                          capture_output=True, text=True, errors="replace")
    summary = proc.stderr.rsplit("True peak:", 1)
    if len(summary) < 2:
        return None
    found = re.search(r"Peak:\s+(-?inf|-?[\d.]+)\s+dBFS", summary[1])
    if not found or "inf" in found.group(1):
        return None
    return float(found.group(1))


# --- contact sheets ------------------------------------------------------------------


THUMB = (180, 320)


def frame_at(mp4: Path, t: float):  # noqa: ANN201 - a PIL image
    """One frame of ``mp4`` at ``t`` seconds, scaled to THUMB."""
    import numpy as np
    from PIL import Image

    from shortfactory.core.media import ffmpeg_exe

    w, h = THUMB
    raw = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", f"{t:.2f}", "-i", str(mp4),
                          "-frames:v", "1", "-vf", f"scale={w}:{h}", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    if len(raw) < w * h * 3:
        raise ValueError(f"{mp4.name}: no frame at {t:.1f} s")
    return Image.fromarray(np.frombuffer(raw[: w * h * 3], np.uint8).reshape(h, w, 3))


SHEET_HEAD, SHEET_LABEL, SHEET_PAD = 28, 22, 6


def _label_font(fallback):  # noqa: ANN001, ANN202 - PIL fonts
    """The bundled CJK caption font for the labels (a Japanese title is boxes in PIL's
    default font); ``fallback`` without it."""
    from PIL import ImageFont

    from shortfactory.clips.fonts import files_named
    from shortfactory.core.recipe import SubtitleSection

    found = files_named(SubtitleSection().cjk_font)
    return ImageFont.truetype(str(found[0]), 14) if found else fallback


def sheet_image(shorts: list[Path], frames: int = 4):  # noqa: ANN201 - (PIL image, list)
    """One row per Short, ``frames`` frames spread over it, labelled with id and title.

    Returns the image (its top band left for :func:`save_sheet`'s title) and the frames
    that could not be decoded, each drawn as a grey placeholder saying so.
    """
    import av
    from PIL import Image, ImageDraw, ImageFont

    w, h = THUMB
    pad, label_h = SHEET_PAD, SHEET_LABEL
    sheet = Image.new("RGB", (pad + frames * (w + pad),
                              SHEET_HEAD + len(shorts) * (label_h + h + pad)), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=14)
    missing: list[str] = []
    label_font = _label_font(font)
    for row, mp4 in enumerate(shorts):
        try:
            with av.open(str(mp4)) as container:
                seconds = (container.duration or 0) / 1e6
        except Exception:  # noqa: BLE001 - drawn as missing frames
            seconds = 0.0
        name = mp4.stem
        meta = mp4.with_suffix(".json")
        if meta.exists():
            try:
                name += "  " + json.loads(meta.read_text(encoding="utf-8")).get("title", "")
            except ValueError:
                pass
        y = SHEET_HEAD + row * (label_h + h + pad)
        draw.text((pad, y + 3), name[:110], fill=(230, 230, 120), font=label_font)
        for col in range(frames):
            t = seconds * (col + 0.5) / frames
            x = pad + col * (w + pad)
            try:
                sheet.paste(frame_at(mp4, t), (x, y + label_h))
            except (ValueError, subprocess.CalledProcessError):
                missing.append(f"{mp4.name}: no frame at {t:.1f} s")
                draw.rectangle((x, y + label_h, x + w - 1, y + label_h + h - 1), fill=(90, 90, 90))
                draw.text((x + 8, y + label_h + h // 2), f"no frame\nat {t:.1f} s",
                          fill=(255, 120, 120), font=font)
    return sheet, missing


def save_sheet(sheet, title: str, out: Path) -> Path:  # noqa: ANN001 - a PIL image
    from PIL import ImageDraw, ImageFont

    ImageDraw.Draw(sheet).text((SHEET_PAD, 6), title[:120], fill=(255, 255, 255),
                               font=ImageFont.load_default(size=14))
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def contact_sheet(shorts: list[Path], out: Path, title: str, frames: int = 4) -> Path:
    """Write the contact sheet of ``shorts`` to ``out`` (a PNG)."""
    return save_sheet(sheet_image(shorts, frames)[0], title, out)


# --- running the line ----------------------------------------------------------------


def snakemake_cmd(workdir: Path, cores: int) -> list[str]:
    exe = Path(sys.executable).with_name("snakemake")
    head = [str(exe)] if exe.exists() else [sys.executable, "-m", "snakemake"]
    return [*head, "-s", str(SNAKEFILE), "--directory", str(workdir), "--cores", str(cores),
            "--keep-going", "--nocolor"]


def run_episode(source: Path, workdir: Path, *, cores: int, expect: str,
                timeout_s: float) -> tuple[Evidence, float]:
    """Drop ``source`` into a fresh working folder's episodes/, run the line; evidence, wall s.

    A dry run first: if it plans the bundled sample, that is a silent skip and the real
    run (which would generate and process the sample) is not started. What the run said
    is kept in the folder (``run.json``, ``snakemake.out``) for :func:`reuse_episode`.
    """
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "episodes").mkdir(parents=True)
    (workdir / "episodes" / source.name).symlink_to(source)
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    cmd = snakemake_cmd(workdir, cores)
    evidence = Evidence(expect=expect, cores=cores)
    wall = 0.0
    dry = subprocess.run([*cmd, "-n"], capture_output=True, env=env, timeout=600)
    dry_text = (dry.stdout + dry.stderr).decode("utf-8", "replace")
    if dry.returncode == 0 and _SAMPLE_PLANNED.search(dry_text):
        evidence.sample_ran, evidence.output = True, dry_text
    elif dry.returncode != 0:
        # Failed while reading the workflow (before any job): the real run would say the same.
        evidence.returncode, evidence.output = dry.returncode, dry_text
    else:
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, env=env, timeout=timeout_s)
            evidence.returncode = proc.returncode
            evidence.output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        except subprocess.TimeoutExpired as err:
            evidence.timed_out, evidence.returncode = True, -1
            evidence.output = ((err.stdout or b"") + (err.stderr or b"")).decode(
                "utf-8", "replace")
        wall = time.perf_counter() - start
    (workdir / "snakemake.out").write_text(evidence.output, encoding="utf-8")
    (workdir / "run.json").write_text(json.dumps(
        {"returncode": evidence.returncode, "timed_out": evidence.timed_out,
         "sample_planned": evidence.sample_ran, "wall_s": wall, "cores": cores}) + "\n")
    return gather(workdir, evidence), wall


def reuse_episode(workdir: Path, *, expect: str) -> tuple[Evidence, float] | None:
    """The evidence of the last run in ``workdir`` (classify again without running)."""
    try:
        run = json.loads((workdir / "run.json").read_text())
    except (OSError, ValueError):
        return None
    evidence = Evidence(expect=expect, returncode=run["returncode"],
                        timed_out=run["timed_out"], sample_ran=run["sample_planned"],
                        output=(workdir / "snakemake.out").read_text(encoding="utf-8"),
                        cores=run.get("cores", 0))
    return gather(workdir, evidence), run["wall_s"]


def settings() -> tuple[bool, int, list[str], bool]:
    """(quick, cores, only, reuse) from the environment (see the module docstring)."""
    quick = os.environ.get("SHORTFACTORY_BENCH_QUICK", "") not in ("", "0")
    cores = int(os.environ.get("SHORTFACTORY_BENCH_CORES", "2"))
    only = [k for k in os.environ.get("SHORTFACTORY_BENCH_ONLY", "").split(",") if k]
    reuse = os.environ.get("SHORTFACTORY_BENCH_REUSE", "") not in ("", "0")
    return quick, cores, only, reuse


def summarise(per: dict[str, dict], peaks: list[float], rss_all: list[tuple[float, str]],
              cores: int, quick: bool = False) -> dict[str, float | int | str]:
    """The flat record: counts, true peak, peak RSS, the long-episode figures, per episode.

    ``x_duration`` is wall time over duration of the ~24 min episode; ``rss_mb_per_hour``
    the slope of peak RSS between the ~12 and ~24 min episodes (each only where those
    episodes made Shorts: a run that stopped early measures nothing).
    """
    out: dict[str, float | int | str] = {}
    out["episodes"] = len(per)
    out["episodes_ok"] = sum(r["outcome"] == "ok" for r in per.values())
    out["episodes_failed"] = sum(r["outcome"] == "failed" for r in per.values())
    if peaks:
        out["max_true_peak_dbtp"] = round(max(peaks), 2)
    if rss_all:
        best = max(rss_all)
        out["max_rss_mb"] = round(best[0], 1)
        out["max_rss_job"] = best[1]
    done = {k: r for k, r in per.items() if r["outcome"] == "ok" and r["shorts"]}
    if LONG_KEY in done and done[LONG_KEY]["wall_s"] > 0:
        long = done[LONG_KEY]
        out["x_duration"] = round(long["wall_s"] / long["duration_s"], 3)
        out["x_duration_cores"] = long["cores"]
    if LONG_KEY in done and MID_KEY in done:
        a, b = done[MID_KEY], done[LONG_KEY]
        hours = (b["duration_s"] - a["duration_s"]) / 3600
        if hours > 0 and a["max_rss_mb"] > 0 and b["max_rss_mb"] > 0:
            out["rss_mb_per_hour"] = round((b["max_rss_mb"] - a["max_rss_mb"]) / hours, 1)
    out["cores"] = max((r["cores"] for r in per.values()), default=cores)
    out["quick"] = int(quick)
    for key, record in per.items():
        for name, value in record.items():
            out[f"{key}.{name}"] = value
    return out


def bench_realworld() -> dict[str, float | int | str]:
    from corpus import EPISODES, build, duration_s_safe

    quick, cores, only, reuse = settings()
    chosen = [e for e in EPISODES if (not only or e.key in only) and not (quick and e.long)]
    unknown = set(only) - {e.key for e in EPISODES}
    if unknown:
        raise SystemExit(f"unknown episode key(s): {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(e.key for e in EPISODES)}")
    print(f"  corpus: {len(chosen)} episodes{' (quick: no long ones)' if quick else ''}, "
          f"{cores} core(s)")
    build(chosen, include_long=not quick, log=lambda line: print(line, flush=True))
    per: dict[str, dict] = {}
    peaks: list[float] = []
    rss_all: list[tuple[float, str]] = []
    for episode in chosen:
        duration = duration_s_safe(episode.path)
        print(f"  running {episode.shown_name} ({duration:.0f} s) ...", flush=True)
        workdir = RUNS / episode.key
        reused = reuse_episode(workdir, expect=episode.expect) if reuse else None
        evidence, wall = reused or run_episode(
            episode.path, workdir, cores=cores, expect=episode.expect,
            timeout_s=TIMEOUT_S[episode.long])
        sheet = None
        (SHEETS / f"{episode.key}.png").unlink(missing_ok=True)  # a stale one misleads
        if evidence.shorts:
            sheet, missing = sheet_image(evidence.shorts)
            evidence.short_problems += missing
        verdict = classify(evidence)
        rss, rss_where = benchmark_rss(workdir)
        rss_all.append((rss, f"{episode.key}: {rss_where}"))
        ep_peaks = [p for p in map(true_peak_dbtp, evidence.shorts) if p is not None]
        peaks += ep_peaks
        record = {"file": episode.shown_name, "made": episode.made, "expect": episode.expect,
                  "outcome": verdict.outcome, "reason": verdict.reason,
                  "shorts": len(evidence.shorts), "duration_s": round(duration, 2),
                  "wall_s": round(wall, 1), "cores": evidence.cores,
                  "max_rss_mb": round(rss, 1)}
        if ep_peaks:
            record["max_true_peak_dbtp"] = round(max(ep_peaks), 2)
        if evidence.scores:
            record["min_short_score"] = round(min(evidence.scores), 3)
        if sheet is not None:
            path = save_sheet(sheet, f"{episode.shown_name}: {verdict.outcome}, {verdict.reason}",
                              SHEETS / f"{episode.key}.png")
            record["sheet"] = str(path.relative_to(REPO))
        per[episode.key] = record
        print(f"    {verdict.outcome}: {verdict.reason}  ({wall:.0f} s, "
              f"{rss:.0f} MB peak RSS)", flush=True)

    out = summarise(per, peaks, rss_all, cores, quick)
    sheets = [REPO / r["sheet"] for r in per.values() if "sheet" in r]
    if sheets:
        print("  contact sheets:")
        for sheet in sheets:
            print(f"    {sheet}")
    return out


def main(argv: list[str] | None = None) -> int:
    """Set the options as environment variables and run the stage through bench/run.py."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the long episodes")
    parser.add_argument("--cores", type=int, default=2, help="snakemake --cores (default 2)")
    parser.add_argument("--only", default="", help="comma-separated episode keys")
    parser.add_argument("--reuse", action="store_true",
                        help="classify the last run of each episode again, without running")
    args = parser.parse_args(argv)
    os.environ["SHORTFACTORY_BENCH_REUSE"] = "1" if args.reuse else ""
    os.environ["SHORTFACTORY_BENCH_QUICK"] = "1" if args.quick else ""
    os.environ["SHORTFACTORY_BENCH_CORES"] = str(args.cores)
    os.environ["SHORTFACTORY_BENCH_ONLY"] = args.only
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import main as run_main

    return run_main(["realworld"])


if __name__ == "__main__":
    sys.exit(main())
