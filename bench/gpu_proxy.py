"""GPU proxy benchmark: the analysis proxy decoded by NVDEC against the CPU, per core count.

``python bench/gpu_proxy.py [VIDEO ...]`` makes the proxy of each video (default: the
bundled sample and, where the shared media is there, Popeye's HEVC) with
``hwaccel: none`` and ``hwaccel: cuda``, with this process and its ffmpeg pinned to 2,
4, 8 and all cores in turn (``os.sched_setaffinity``: a small machine with the same
GPU), best of two runs each. It prints a table and writes
``bench/results/gpu_proxy.json``: ``cpu_s_<file>_<n>cores``, ``gpu_s_...`` and
``gpu_speedup_...`` (> 1: NVDEC is faster), ``frames_equal_<file>`` (the two proxies
have the same frames) and ``psnr_gpu_vs_cpu_<file>`` (dB; the CPU decode skips
deblocking, NVDEC does not, so they differ a little). Where no NVIDIA driver loads it
says so and writes ``cuda_available: 0``.

Standalone on purpose: it needs numpy and ``shortfactory.core.media`` only (and ffmpeg,
``SHORTFACTORY_FFMPEG`` or imageio-ffmpeg), so it runs on a GPU machine without the
project's other dependencies. Its figures are why ``hwaccel: auto`` takes the GPU
(see ``media.wants_gpu_decode``).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from shortfactory.core import media  # noqa: E402

RESULTS = REPO / "bench" / "results"
DEFAULT_VIDEOS = (REPO / "samples" / "sample.mp4",
                  REPO.parent / "shared/media/animated/popeye_1936/mkv_pgs/Title T03-4.mkv")
CORE_COUNTS = (2, 4, 8)


class _Warnings(logging.Handler):
    """Collects media's warnings: a GPU proxy that fell back to the CPU says so there."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


def timed_proxy(source: Path, out: Path, hwaccel: str, cores: int) -> float:
    """Best of two wall times of :func:`media.make_proxy` on ``cores`` cores; a GPU run
    that fell back to the CPU is an error, not a figure."""
    warnings = _Warnings()
    logging.getLogger("shortfactory.core.media").addHandler(warnings)
    best = float("inf")
    try:
        for _ in range(2):
            start = time.perf_counter()
            media.make_proxy(source, out, height=360, fps=6, hwaccel=hwaccel, threads=cores)
            best = min(best, time.perf_counter() - start)
    finally:
        logging.getLogger("shortfactory.core.media").removeHandler(warnings)
    if warnings.seen:
        raise RuntimeError(f"{source}: {warnings.seen[-1]}")
    return best


def frame_count(path: Path) -> int:
    err = subprocess.run([media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path),
                          "-map", "0:v:0", "-f", "null", "-"], capture_output=True,
                         text=True).stderr
    found = re.findall(r"frame=\s*(\d+)", err)
    return int(found[-1]) if found else -1


def psnr(a: Path, b: Path) -> float:
    err = subprocess.run([media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(a), "-i",
                          str(b), "-lavfi", "psnr", "-f", "null", "-"], capture_output=True,
                         text=True).stderr
    found = re.findall(r"average:([0-9.]+|inf)", err)
    return float(found[-1]) if found else -1.0


def bench_gpu_proxy(videos: list[Path]) -> dict[str, float]:
    out: dict[str, float] = {"cuda_available": float(media.cuda_decoder_available())}
    if not out["cuda_available"]:
        print("no NVIDIA driver loads here: nothing to compare")
        return out
    all_cores = sorted(os.sched_getaffinity(0))
    counts = [n for n in CORE_COUNTS if n < len(all_cores)] + [len(all_cores)]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for video in videos:
            key = re.sub(r"[^a-z0-9]+", "_", video.stem.lower()).strip("_")
            cpu_out, gpu_out = tmp / f"{key}.cpu.mp4", tmp / f"{key}.gpu.mp4"
            try:
                for n in counts:
                    os.sched_setaffinity(0, all_cores[:n])  # ffmpeg inherits it
                    cpu_s = timed_proxy(video, cpu_out, "none", n)
                    gpu_s = timed_proxy(video, gpu_out, "cuda", n)
                    out[f"cpu_s_{key}_{n}cores"] = cpu_s
                    out[f"gpu_s_{key}_{n}cores"] = gpu_s
                    out[f"gpu_speedup_{key}_{n}cores"] = cpu_s / gpu_s
            finally:
                os.sched_setaffinity(0, all_cores)
            out[f"frames_equal_{key}"] = float(frame_count(cpu_out) == frame_count(gpu_out))
            out[f"psnr_gpu_vs_cpu_{key}"] = psnr(cpu_out, gpu_out)
    return out


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    videos = [Path(v) for v in sys.argv[1:]] or [v for v in DEFAULT_VIDEOS if v.exists()]
    result = {k: round(v, 4) for k, v in bench_gpu_proxy(videos).items()}
    for key, value in result.items():
        print(f"  {key:<44} {value}")
    result_out = {**result, "machine": f"{platform.node()} {os.cpu_count()} cpus",
                  "when": datetime.now(UTC).isoformat(timespec="seconds")}
    target = Path(os.environ.get("BENCH_RESULTS", RESULTS))
    target.mkdir(parents=True, exist_ok=True)
    (target / "gpu_proxy.json").write_text(json.dumps(result_out, indent=1) + "\n")
    print(f"  -> {target / 'gpu_proxy.json'}")


if __name__ == "__main__":
    main()
