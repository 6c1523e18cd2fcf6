"""Ingest on real media: probe facts, and one clear line for each kind of bad input."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import make_media

from shortfactory.episodes import clip_id, discover_episodes, episode_id
from shortfactory.errors import InputError
from shortfactory.ingest import probe_source, write_audio, write_proxy
from shortfactory.media import (
    cuda_decoder_available,
    decoder_threads,
    iter_frames,
    read_wav_mono,
)


def test_probe_real_file(tmp_path: Path) -> None:
    src = make_media(tmp_path / "ok.mp4", seconds=2.0, size="320x180", rate=24)
    probe = probe_source(src, "ok")
    assert (probe.video.width, probe.video.height) == (320, 180)
    assert probe.video.fps == pytest.approx(24.0)
    assert probe.duration_s == pytest.approx(2.0, abs=0.1)
    assert probe.audio.sample_rate == 48000


def test_audio_and_proxy_are_real(tmp_path: Path) -> None:
    src = make_media(tmp_path / "ok.mp4", seconds=2.0, size="640x360")
    write_audio(src, {"audio_rate": 16000}, tmp_path / "audio.wav")
    samples, rate = read_wav_mono(tmp_path / "audio.wav")
    assert rate == 16000 and len(samples) == pytest.approx(32000, abs=800)
    spectrum = np.abs(np.fft.rfft(samples[:16000]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)  # the 440 Hz sine survived
    write_proxy(src, {"proxy_height": 180, "proxy_fps": 6}, tmp_path / "proxy.mp4")
    frames = list(iter_frames(tmp_path / "proxy.mp4"))
    assert frames[0][1].shape == (180, 320, 3)
    assert len(frames) == pytest.approx(12, abs=1)


@pytest.mark.parametrize("case,expected", [
    ("text", "not a video file"),
    ("empty", "file is empty"),
    ("no_audio", "has no audio stream"),
    ("no_video", "has no video stream"),
    ("missing", "file not found"),
    ("directory", "not a file"),
])
def test_bad_input_one_line_error(tmp_path: Path, case: str, expected: str) -> None:
    name = tmp_path / f"bad {case} é.mp4"
    if case == "text":
        name.write_text("this is not a video\n" * 100)
    elif case == "empty":
        name.touch()
    elif case == "no_audio":
        make_media(name, audio=False)
    elif case == "no_video":
        make_media(name, video=False)
    elif case == "directory":
        name.mkdir()
    with pytest.raises(InputError) as err:
        probe_source(name, "bad")
    message = str(err.value)
    assert message.startswith(str(name)) and expected in message and "\n" not in message


def test_truncated_file_fails_with_the_file_named(tmp_path: Path) -> None:
    good = make_media(tmp_path / "good.mp4", seconds=3.0)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    with pytest.raises(InputError) as err:
        probe_source(broken, "broken")
        write_audio(broken, {"audio_rate": 16000}, tmp_path / "audio.wav")
    assert str(broken) in str(err.value)
    assert not (tmp_path / "audio.wav").exists()


def test_episode_ids_keep_unicode_and_are_safe(tmp_path: Path) -> None:
    assert episode_id("Ep 01 — Début!.mkv") == "Ep-01-Début"
    assert episode_id("第1話 (raw).mp4") == "第1話-raw"
    for name in ("a b.mp4", "a-b.mkv"):
        shutil.copy(make_media(tmp_path / "src.mp4", seconds=0.5), tmp_path / name)
    (tmp_path / "src.mp4").unlink()
    with pytest.raises(InputError, match="same episode id"):
        discover_episodes(tmp_path)


def test_clip_ids_come_from_time_not_rank() -> None:
    assert clip_id(412.3, 447.1) == "c0412-0447"
    assert clip_id(5.0, 20.99) == "c0005-0020"


def test_gpu_decode_falls_back_to_the_cpu(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                          ) -> None:
    src = make_media(tmp_path / "ok.mp4", seconds=2.0, size="640x360")
    params = {"proxy_height": 180, "proxy_fps": 6, "hwaccel": "cuda"}
    with caplog.at_level(logging.WARNING, logger="shortfactory.media"):
        write_proxy(src, params, tmp_path / "proxy.mp4")
    frames = list(iter_frames(tmp_path / "proxy.mp4"))
    assert frames[0][1].shape == (180, 320, 3) and len(frames) == pytest.approx(12, abs=1)
    if not cuda_decoder_available():  # this machine: the GPU try fails, the CPU decodes
        assert "GPU decode failed, decoding on the CPU instead" in caplog.text
        assert "ok.mp4" in caplog.text
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="shortfactory.media"):
            write_proxy(src, {**params, "hwaccel": "auto"}, tmp_path / "proxy2.mp4")
        assert caplog.text == ""  # auto: no GPU, no try
        assert len(list(iter_frames(tmp_path / "proxy2.mp4"))) == len(frames)


def test_auto_decodes_on_the_gpu_where_the_driver_loads() -> None:
    from shortfactory.media import wants_gpu_decode

    assert wants_gpu_decode("cuda") and not wants_gpu_decode("none")
    assert wants_gpu_decode("auto") == cuda_decoder_available()


def test_proxy_decoder_keeps_more_frames_in_flight_than_cores() -> None:
    assert decoder_threads(2) == 8 and decoder_threads(1) == 4
    assert decoder_threads(64) == 16  # ffmpeg's own cap on frame threads
    assert 4 <= decoder_threads() <= 16


def test_frame_pipe_holds_a_whole_frame() -> None:
    import fcntl
    import os

    from shortfactory.media import PIPE_MAX_BYTES, widen_pipe

    read_end, write_end = os.pipe()
    try:
        widen_pipe(read_end, 640 * 360 * 3)
        assert fcntl.fcntl(read_end, fcntl.F_GETPIPE_SZ) >= min(640 * 360 * 3, PIPE_MAX_BYTES)
    finally:
        os.close(read_end)
        os.close(write_end)
