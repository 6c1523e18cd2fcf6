"""Glue between Snakemake and the package: code versions, clip params, script context.

Kept here, not in the Snakefile, so it is importable and tested without Snakemake.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .artifacts import Candidates, Clip
from .errors import ShortfactoryError
from .io import clean_partials, read_model


def code_version(*modules: str) -> str:
    """Content hash of package modules, passed as a param so code edits rerun a rule.

    Snakemake sees a ``script:`` file's mtime but not the package modules it imports;
    this param makes a change in ``shortfactory.camera`` rerun exactly ``plan_camera``.
    """
    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(f"shortfactory.{name}")
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(f"shortfactory.{name}")
        digest.update(Path(spec.origin).read_bytes())
    return digest.hexdigest()[:12]


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


def recover_from_crash(workdir: str | Path) -> list[str]:
    """Undo what a killed run (``kill -9``, a power cut) left in ``workdir``; one line per
    repair, for the terminal.

    Temporary files of dead writers go (they never sit beside finished outputs, see
    :mod:`shortfactory.io`), and so does Snakemake's directory lock when no other
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
