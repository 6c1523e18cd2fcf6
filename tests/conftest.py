"""Shared fixtures: the shared real media and small media made with ffmpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from shortfactory.core.artifacts import Cut, SceneCuts, Shot
from shortfactory.core.media import ffmpeg_exe

REPO = Path(__file__).resolve().parents[1]
SHARED_MEDIA = REPO.parent / "shared" / "media"


def shared_media(relative: str) -> Path:
    """A file of ../shared/media, or skip the test with the reason."""
    path = SHARED_MEDIA / relative
    if not path.exists():
        pytest.skip(f"shared test media not available: {path}")
    return path


def make_media(path: Path, *, video: bool = True, audio: bool = True, seconds: float = 2.0,
               size: str = "320x180", rate: int = 24) -> Path:
    """Write a small real media file with ffmpeg's lavfi sources."""
    args = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y"]
    if video:
        args += ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    if video:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac"]
    args += [str(path)]
    subprocess.run(args, check=True)
    return path


def hard_cut_scenes(duration: float, cuts=(), analysis_fps: float = 6.0) -> SceneCuts:
    """A hand-made scene_cuts artifact: hard cuts at ``cuts``, shots between them."""
    edges = [0.0, *cuts, duration]
    return SceneCuts(analysis_fps=analysis_fps, duration_s=duration,
                     cuts=[Cut(time_s=c, kind="hard") for c in cuts],
                     shots=[Shot(index=i, start_s=a, end_s=b)
                            for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False))])


@pytest.fixture
def shared():
    return shared_media
