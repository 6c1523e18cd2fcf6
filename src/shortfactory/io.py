"""Atomic artifact writing and validated reading.

Every artifact is written to a temporary sibling and renamed into place, so a killed
job never leaves a file that looks finished (Snakemake would otherwise trust it).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InputError

M = TypeVar("M", bound=BaseModel)


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``final``; rename it onto ``final`` only on success.

    The temporary name keeps the final suffix (ffmpeg picks muxers by extension).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{final.stem}.", suffix=suffix if suffix is not None else final.suffix,
        dir=final.parent,
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes 0600 files; a finished artifact gets the usual umask permissions.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_model(path: str | os.PathLike[str], model: BaseModel) -> None:
    """Serialize a pydantic artifact to JSON atomically."""
    write_text_atomic(path, model.model_dump_json(indent=1) + "\n")


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
