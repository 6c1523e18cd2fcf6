"""The thumbnail is the Short's sharpest picture, preferring a visible face."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
from PIL import Image

from shortfactory.clips.thumbnail import score_frames, write_thumbnail
from shortfactory.core.media import ffmpeg_exe


def test_a_face_outweighs_a_little_sharpness() -> None:
    scores = score_frames([1.0, 2.0, 3.0], [100.0, 80.0, 20.0], [0.0, 0.3, 0.6])
    assert max(scores, key=lambda s: s.total).time_s == 2.0  # sharp enough, with a face
    assert scores[0].sharpness == 1.0 and scores[2].total < scores[1].total


def test_the_sharp_part_of_a_short_is_chosen_and_written_full_size(tmp_path: Path) -> None:
    video = tmp_path / "short.mp4"
    # 6 s of a detailed test picture, heavily blurred except from 4.5 s on.
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=360x640:rate=30:duration=6",
                    "-vf", "boxblur=12:2:enable='lt(t,4.5)'", "-c:v", "libx264",
                    "-pix_fmt", "yuv420p", str(video)], check=True)
    out = tmp_path / "short.png"
    best = write_thumbnail(video, out, skip_s=1.0)
    assert best.time_s >= 4.5
    png = np.asarray(Image.open(out).convert("RGB")).astype(np.int16)
    assert png.shape == (640, 360, 3)
    with av.open(str(video)) as container:  # it is the frame at that time, decoded
        frame = next(f for f in container.decode(video=0) if f.time >= best.time_s - 1e-3)
        assert np.abs(frame.to_ndarray(format="rgb24") - png).mean() < 3
