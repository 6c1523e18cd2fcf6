"""Atomic artifact writing and validated reading.

Every artifact is written to a temporary file and renamed into place, so a killed job
never leaves a file that looks finished (Snakemake would otherwise trust it). Inside a
workflow the temporary files live in ``.snakemake/partial/``, never beside finished
outputs, and carry the writer's process id, so the next run can tell a crash's
leftovers from a file another job is still writing (:func:`clean_partials`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import re
import socket
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shortfactory.core.errors import InputError, ShortfactoryError

M = TypeVar("M", bound=BaseModel)

PARTIAL_DIR = Path(".snakemake") / "partial"
_PARTIAL_NAME = re.compile(r"^(.+?)~(\d+)-")


def staging_dir(final: Path) -> Path:
    """Where the temporary file for ``final`` is written.

    The workflow's ``.snakemake/partial/`` of the nearest folder above ``final`` that
    has a ``.snakemake`` (the Snakemake working directory), when it is on the same
    filesystem (a rename cannot cross one); otherwise ``final``'s own folder.
    """
    parent = final.parent.resolve()
    for folder in (parent, *parent.parents):
        if (folder / ".snakemake").is_dir():
            stage = folder / PARTIAL_DIR
            try:
                stage.mkdir(parents=True, exist_ok=True)
                if stage.stat().st_dev == parent.stat().st_dev:
                    return stage
            except OSError:
                pass
            break
    return parent


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str], suffix: str | None = None, *,
                mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path for ``final``; rename it onto ``final`` only on success.

    The temporary name keeps the final suffix (ffmpeg picks muxers by extension) and
    starts with this process's id (see :func:`clean_partials`). ``mode``: the finished
    file's permissions (a secret: 0o600, which the temporary file has all along);
    default, what the umask gives.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    stage = staging_dir(final)
    prefix = f"{_writer()}-{final.stem}." if stage != final.parent.resolve() \
        else f".{final.stem}."
    fd, tmp_name = tempfile.mkstemp(
        prefix=prefix, suffix=suffix if suffix is not None else final.suffix, dir=stage,
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes 0600 files; a finished artifact gets the usual umask permissions.
        os.chmod(tmp, 0o666 & ~_umask() if mode is None else mode)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _writer() -> str:
    """``host~pid``: who writes a temporary file (a cluster shares the folder)."""
    return f"{socket.gethostname().replace('~', '-')}~{os.getpid()}"


def clean_partials(workdir: str | os.PathLike[str] = ".") -> list[Path]:
    """Delete the temporary files of writers that no longer run (a killed job's
    leftovers); returns what was removed. Files of live processes, and of other hosts
    (whose processes this one cannot see), are kept."""
    stage = Path(workdir) / PARTIAL_DIR
    removed: list[Path] = []
    if not stage.is_dir():
        return removed
    host = socket.gethostname().replace("~", "-")
    for path in stage.iterdir():
        match = _PARTIAL_NAME.match(path.name)
        if match and match.group(1) == host and not _alive(int(match.group(2))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (a killed job no one has reaped yet, common when
    its Snakemake parent was killed too) does not."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_rows_csv(path: str | os.PathLike[str], columns: Iterable[str],
                   rows: Iterable[Any]) -> None:
    """Write dataclass ``rows`` as a CSV with a header, atomically: the ledgers
    (published.csv, the reply ledger) are rewritten whole after each change, and a crash
    mid-write must leave the previous file, never half of one."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    write_text_atomic(path, out.getvalue())


def read_user_csv(path: str | os.PathLike[str], text: str, required: Iterable[str],
                  what: str) -> list[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of a CSV a person wrote or exported (comments, a style
    corpus): header names and values stripped, names lower-cased, so "Comment " reads
    as ``comment``; a missing required column names the file and the columns ``what``
    (e.g. "a comments CSV") needs."""
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower() for c in reader.fieldnames or ()}
    required = list(required)
    missing = set(required) - columns
    if missing:
        raise InputError(f"{path}: {what} needs columns {', '.join(required)} "
                         f"(missing {', '.join(sorted(missing))})")
    return [(line, {(k or "").strip().lower(): (v or "").strip() for k, v in record.items()})
            for line, record in enumerate(reader, start=2)]


def write_model(path: str | os.PathLike[str], model: BaseModel) -> None:
    """Serialize a pydantic artifact to JSON atomically; refuse NaN and infinity.

    Why refuse: JSON has no NaN (pydantic writes ``null``), so a non-finite number
    would pass this stage and fail the next one's validation with a message about the
    wrong file. It is a bug in the writer: say so here, naming the field.
    """
    data = model.model_dump(mode="python")
    where = first_non_finite(data)
    if where is not None:
        raise ShortfactoryError(
            f"{path}: refusing to write {type(model).__name__} with a non-finite number "
            f"at {where} (a bug in the stage that computed it)")
    write_text_atomic(path, model.model_dump_json(indent=1) + "\n")


def first_non_finite(value: Any, where: str = "") -> str | None:
    """Key path of the first NaN or infinity inside nested dicts/lists, else None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else (where or "<root>")
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = first_non_finite(item, f"{where}.{key}" if where else str(key))
        if found is not None:
            return found
    return None


def read_model(path: str | os.PathLike[str], model_type: type[M]) -> M:
    """Load and validate an artifact, failing with a message that names the file."""
    path = Path(path)
    try:
        return model_type.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise InputError(f"{path}: artifact is missing") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise InputError(
            f"{path}: not a valid {model_type.__name__} artifact ({where}: {first['msg']}); "
            "delete it to rebuild"
        ) from None
