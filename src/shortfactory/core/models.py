"""Model files that come from packages, fetched at install time, never at run time.

MediaPipe's current wheel (1.2.x) ships the Tasks runtime but no face model; the
0.10.14 wheel carries BlazeFace's ``.tflite`` files (Apache-2.0). Installing 0.10.14
would drag in jax (1 GB), so ``shortfactory fetch-models`` downloads that wheel with
``pip download --no-deps`` (from the package index, like any other install step) and
keeps only the two model files, under the environment's ``share/shortfactory/models``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from shortfactory.core.errors import ShortfactoryError
from shortfactory.core.io import atomic_path

MEDIAPIPE_MODEL_WHEEL = "mediapipe==0.10.14"
MEDIAPIPE_FACE_MODELS = ("face_detection_full_range_sparse.tflite",
                         "face_detection_short_range.tflite")
MEDIAPIPE_WHEEL_DIR = "mediapipe/modules/face_detection/"
MODEL_ENV = "SHORTFACTORY_MODELS_DIR"


def models_dir() -> Path:
    """Where fetched models live: ``$SHORTFACTORY_MODELS_DIR``, else inside the active
    environment, so a fresh virtualenv never sees another one's files."""
    return Path(os.environ.get(MODEL_ENV) or Path(sys.prefix) / "share" / "shortfactory"
                / "models")


def find_model(name: str, directory: Path | None = None) -> Path | None:
    """The model file ``name`` if it has been fetched, else None."""
    path = (directory or models_dir()) / name
    return path if path.is_file() else None


def extract_models(wheel: Path, names: tuple[str, ...], prefix: str, dest: Path) -> list[Path]:
    """Copy ``prefix + name`` out of ``wheel`` into ``dest`` (atomically, each file)."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    with zipfile.ZipFile(wheel) as archive:
        members = set(archive.namelist())
        for name in names:
            if prefix + name not in members:
                raise ShortfactoryError(f"{wheel}: has no {prefix + name}")
            with atomic_path(dest / name) as tmp:
                tmp.write_bytes(archive.read(prefix + name))
            written.append(dest / name)
    return written


def fetch_mediapipe_face_models(dest: Path | None = None, *, wheel: Path | None = None,
                                ) -> list[Path]:
    """BlazeFace models from the mediapipe 0.10.14 wheel into ``dest``; files already
    there are kept (a re-install does not download again)."""
    dest = dest or models_dir()
    if all(find_model(n, dest) for n in MEDIAPIPE_FACE_MODELS):
        return [dest / n for n in MEDIAPIPE_FACE_MODELS]
    if wheel is not None:
        return extract_models(wheel, MEDIAPIPE_FACE_MODELS, MEDIAPIPE_WHEEL_DIR, dest)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               "--only-binary=:all:", "--python-version", "3.11",
               "--platform", "manylinux2014_x86_64", "--dest", tmp, MEDIAPIPE_MODEL_WHEEL]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("mediapipe-*.whl"))
        if done.returncode != 0 or not wheels:
            detail = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise ShortfactoryError(f"pip download {MEDIAPIPE_MODEL_WHEEL} failed: {detail}")
        return extract_models(wheels[0], MEDIAPIPE_FACE_MODELS, MEDIAPIPE_WHEEL_DIR, dest)
