"""Ingest on real media: probe facts, and one clear line for each kind of bad input."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import make_media

from shortfactory.core.episodes import clip_id, discover_episodes, episode_id
from shortfactory.core.errors import InputError
from shortfactory.core.media import (
    cuda_decoder_available,
    decoder_threads,
    ffmpeg_exe,
    iter_frames,
    read_wav_mono,
)
from shortfactory.core.recipe import IngestSection
from shortfactory.ingest.stage import probe_source, write_audio, write_proxy

TEARS = "faces/tears_of_steel/tears_of_steel_clip_10s.mp4"
# A small proxy decoded on the CPU (the recipe's "auto" would use a GPU where one is).
SMALL_PROXY = IngestSection(proxy_height=180, proxy_fps=6, hwaccel="none")
AUDIO = IngestSection(audio_rate=16000)


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)


def proxy_frames(source: Path, out: Path) -> list[np.ndarray]:
    write_proxy(source, SMALL_PROXY, out, progress=False)
    return [f for _, f in iter_frames(out)]


def test_probe_real_file(tmp_path: Path) -> None:
    src = make_media(tmp_path / "ok.mp4", seconds=2.0, size="320x180", rate=24)
    probe = probe_source(src, "ok")
    assert (probe.video.width, probe.video.height) == (320, 180)
    assert probe.video.fps == pytest.approx(24.0)
    assert probe.duration_s == pytest.approx(2.0, abs=0.1)
    assert probe.audio.sample_rate == 48000


def test_audio_and_proxy_are_real(tmp_path: Path) -> None:
    src = make_media(tmp_path / "ok.mp4", seconds=2.0, size="640x360")
    write_audio(src, AUDIO, tmp_path / "audio.wav")
    samples, rate = read_wav_mono(tmp_path / "audio.wav")
    assert rate == 16000 and len(samples) == pytest.approx(32000, abs=800)
    spectrum = np.abs(np.fft.rfft(samples[:16000]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)  # the 440 Hz sine survived
    write_proxy(src, SMALL_PROXY, tmp_path / "proxy.mp4")
    frames = list(iter_frames(tmp_path / "proxy.mp4"))
    assert frames[0][1].shape == (180, 320, 3)
    assert len(frames) == pytest.approx(12, abs=1)


@pytest.mark.parametrize("case,expected", [
    ("text", "not a video file"),
    ("empty", "file is empty"),
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
        write_audio(broken, AUDIO, tmp_path / "audio.wav")
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
    assert set(discover_episodes(tmp_path, [str(tmp_path / "a b.mp4")]).episodes) == {"a-b"}


def test_clip_ids_come_from_time_not_rank() -> None:
    assert clip_id(412.3, 447.1) == "c0412-0447"
    assert clip_id(5.0, 20.99) == "c0005-0020"


def test_gpu_decode_falls_back_to_the_cpu(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                          ) -> None:
    src = make_media(tmp_path / "ok.mp4", seconds=2.0, size="640x360")
    section = IngestSection(proxy_height=180, proxy_fps=6, hwaccel="cuda")
    with caplog.at_level(logging.WARNING, logger="shortfactory.core.media"):
        write_proxy(src, section, tmp_path / "proxy.mp4")
    frames = list(iter_frames(tmp_path / "proxy.mp4"))
    assert frames[0][1].shape == (180, 320, 3) and len(frames) == pytest.approx(12, abs=1)
    if not cuda_decoder_available():  # this machine: the GPU try fails, the CPU decodes
        assert "GPU decode failed, decoding on the CPU instead" in caplog.text
        assert "ok.mp4" in caplog.text
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="shortfactory.core.media"):
            write_proxy(src, IngestSection(proxy_height=180, proxy_fps=6),  # auto: default
                        tmp_path / "proxy2.mp4")
        assert caplog.text == ""  # auto: no GPU, no try
        assert len(list(iter_frames(tmp_path / "proxy2.mp4"))) == len(frames)


def test_auto_decodes_on_the_gpu_where_the_driver_loads() -> None:
    from shortfactory.core.media import wants_gpu_decode

    assert wants_gpu_decode("cuda") and not wants_gpu_decode("none")
    assert wants_gpu_decode("auto") == cuda_decoder_available()


def test_proxy_takes_every_setting_from_the_section(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The recipe model's defaults are the only defaults: a section that sets nothing
    decodes with ``hwaccel`` "auto" and skips non-reference frames, as documented."""
    from shortfactory.ingest import stage as ingest
    from shortfactory.ingest.stage import media

    asked: dict = {}

    def fake_proxy(source, out, **options) -> None:  # noqa: ANN001
        asked.update(options)
        Path(out).write_bytes(b"")

    monkeypatch.setattr(media, "make_proxy", fake_proxy)
    monkeypatch.setattr(media, "video_frames_duration_s", lambda path: 0.0)
    ingest.write_proxy("in.mp4", IngestSection(), tmp_path / "proxy.mp4", threads=3,
                       progress=False)
    assert asked == {"height": 360, "fps": 6.0, "skip_nonref": True, "progress": False,
                     "hwaccel": "auto", "threads": 3}


def test_proxy_decoder_keeps_more_frames_in_flight_than_cores() -> None:
    assert decoder_threads(2) == 8 and decoder_threads(1) == 4
    assert decoder_threads(64) == 16  # ffmpeg's own cap on frame threads
    assert 4 <= decoder_threads() <= 16


def test_frame_pipe_holds_a_whole_frame() -> None:
    import fcntl
    import os

    from shortfactory.core.media import PIPE_MAX_BYTES, widen_pipe

    read_end, write_end = os.pipe()
    try:
        widen_pipe(read_end, 640 * 360 * 3)
        assert fcntl.fcntl(read_end, fcntl.F_GETPIPE_SZ) >= min(640 * 360 * 3, PIPE_MAX_BYTES)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_rotated_phone_video_is_processed_upright(tmp_path: Path, shared) -> None:
    """A portrait video stored landscape with a 90 degree display matrix (as phones
    write them) probes, proxies and decodes like its upright twin, frame for frame."""
    clip = shared(TEARS)
    upright = tmp_path / "upright.mp4"
    ffmpeg("-i", str(clip), "-t", "2", "-vf", "transpose=2", "-c:v", "libx264", "-crf", "12",
           "-preset", "ultrafast", str(upright))
    stored = tmp_path / "stored.mp4"
    ffmpeg("-i", str(clip), "-t", "2", "-c:v", "libx264", "-crf", "12", "-preset",
           "ultrafast", str(stored))
    rotated = tmp_path / "rotated.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(stored), "-c", "copy", str(rotated))
    probe = probe_source(rotated, "rot")
    assert (probe.video.stored_width, probe.video.stored_height) == (640, 360)
    assert (probe.video.width, probe.video.height, probe.video.rotation) == (360, 640, 90)
    assert probe.audio is None
    twin, turned = proxy_frames(upright, tmp_path / "p1.mp4"), proxy_frames(rotated,
                                                                              tmp_path / "p2.mp4")
    assert turned[0].shape == twin[0].shape == (180, 102, 3)
    assert len(turned) == len(twin)
    assert min(psnr(a, b) for a, b in zip(twin, turned, strict=True)) > 30
    _, full = next(iter_frames(rotated))
    assert full.shape == (640, 360, 3)  # full-size frames upright too, not scrambled


def test_anamorphic_video_is_processed_in_square_pixels(tmp_path: Path, shared) -> None:
    """A DVD-style squeezed picture (SAR 2:1) is analysed as displayed, like its
    square-pixel twin, not stretched thin."""
    clip = shared(TEARS)
    square = tmp_path / "square.mp4"
    ffmpeg("-i", str(clip), "-t", "2", "-c:v", "libx264", "-crf", "12", "-preset",
           "ultrafast", str(square))
    squeezed = tmp_path / "squeezed.mp4"
    ffmpeg("-i", str(clip), "-t", "2", "-vf", "scale=320:360,setsar=2", "-c:v", "libx264",
           "-crf", "12", "-preset", "ultrafast", str(squeezed))
    probe = probe_source(squeezed, "ana")
    assert (probe.video.stored_width, probe.video.sar) == (320, 2.0)
    assert (probe.video.width, probe.video.height) == (640, 360)
    twin = proxy_frames(square, tmp_path / "p1.mp4")
    wide = proxy_frames(squeezed, tmp_path / "p2.mp4")
    assert wide[0].shape == twin[0].shape == (180, 320, 3)
    # Half the columns were thrown away by the squeeze: close, not identical.
    assert min(psnr(a, b) for a, b in zip(twin, wide, strict=True)) > 25
    _, full = next(iter_frames(squeezed))
    assert full.shape == (360, 640, 3)


def test_video_without_audio_gets_a_silent_track(tmp_path: Path, shared,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    clip = shared("animated/blender/sintel_clip_10s.mp4")
    from shortfactory.ingest.stage import write_probe

    with caplog.at_level(logging.WARNING, logger="shortfactory.ingest.stage"):
        probe = write_probe(clip, "sintel", tmp_path / "source.json")
    assert probe.audio is None and "no audio stream" in caplog.text
    write_audio(clip, AUDIO, tmp_path / "audio.wav",
                expected_s=probe.duration_s, has_audio=False)
    samples, rate = read_wav_mono(tmp_path / "audio.wav")
    assert rate == 16000 and len(samples) / rate == pytest.approx(probe.duration_s, abs=0.05)
    assert not np.any(samples)


def test_truncated_video_stream_is_refused(tmp_path: Path, shared) -> None:
    """The container says 10 s but the picture stops at 4 s (audio intact): the proxy
    would be built on 40 % of the episode, so ingest stops with one line."""
    clip = shared(TEARS)
    short_video = tmp_path / "cut.mp4"
    ffmpeg("-i", str(clip), "-f", "lavfi", "-i", "sine=frequency=300:duration=10",
           "-map", "0:v", "-map", "1:a", "-t", "10", "-vf", "trim=duration=4",
           "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(short_video))
    probe = probe_source(short_video, "cut")
    assert probe.duration_s == pytest.approx(10, abs=0.2)
    with pytest.raises(InputError) as err:
        write_proxy(short_video, SMALL_PROXY, tmp_path / "proxy.mp4",
                    expected_s=probe.duration_s, progress=False)
    message = str(err.value)
    assert message.startswith(str(short_video)) and "video stream is corrupt or truncated" \
        in message
    assert not (tmp_path / "proxy.mp4").exists()
    assert not list(tmp_path.glob(".proxy*"))


def test_every_container_is_found_and_others_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "episodes"
    folder.mkdir()
    avi = folder / "old episode.avi"
    ffmpeg("-i", str(make_media(tmp_path / "src.mp4", seconds=0.5)), "-c:v", "mpeg4",
           "-c:a", "mp3", str(avi))
    for name in ("stream.ts", "dvd.mpg", "clip.3gp", "talk.flv"):
        (folder / name).write_bytes(b"x")
    (folder / "notes.txt").write_text("to do")
    (folder / "README.md").write_text("kept here on purpose")
    (folder / ".DS_Store").write_bytes(b"\0")
    bad_name = os.fsdecode(bytes(folder) + b"/ep\xe9.mp4")
    Path(bad_name).write_bytes(b"x")
    found = discover_episodes(folder)
    assert set(found.episodes) == {"old-episode", "stream", "dvd", "clip", "talk"}
    reasons = dict(found.skipped)
    assert reasons[folder / "notes.txt"] == "not a video container (.txt)"
    assert "not valid UTF-8" in reasons[Path(bad_name)]
    assert len(found.skipped) == 2
    assert probe_source(avi, "old").container == "avi"
    with pytest.raises(InputError, match=r"ep\\xe9.mp4: file name is not valid UTF-8"):
        discover_episodes(folder, [bad_name])
