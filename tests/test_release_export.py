"""Export for manual upload (TikTok, Reels), the CLI commands and the Snakemake
script adapters of the release side."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from release_fakes import make_episode, make_video

from shortfactory.cli import main
from shortfactory.core.artifacts import ClipMetadata
from shortfactory.core.io import read_model, write_model
from shortfactory.release.export import CAPTION_CHARS, export_episode

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def episode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_episode(tmp_path, make_video(tmp_path / "v.mp4", seconds=0.2), count=2)


def test_a_folder_per_short_with_everything_to_paste(episode: Path, tmp_path: Path) -> None:
    folders = export_episode(episode, tmp_path / "export/ep1")
    assert [f.name for f in folders] == ["01-c0100-0120", "02-c0200-0220"]
    first = folders[0]
    assert sorted(p.name for p in first.iterdir()) == [
        "c0100-0120.mp4", "c0100-0120.srt", "caption.txt", "cover.png", "hashtags.txt"]
    assert (first / "c0100-0120.mp4").read_bytes() == \
        (tmp_path / "out/ep1/c0100-0120.mp4").read_bytes()
    assert (first / "caption.txt").read_text() == "Moment 1\n\nWhat happened 1.\n\n" \
        "#shorts #anime\n"
    assert (first / "hashtags.txt").read_text() == "#shorts #anime\n"
    assert "-->" in (first / "c0100-0120.srt").read_text()


def test_export_replaces_the_old_folder_and_leaves_no_temp(episode: Path,
                                                           tmp_path: Path) -> None:
    dest = tmp_path / "export/ep1"
    export_episode(episode, dest)
    (dest / "stale").mkdir()
    export_episode(episode, dest)
    assert not (dest / "stale").exists()
    assert [p.name for p in dest.parent.iterdir()] == ["ep1"]


def test_a_long_caption_is_cut_in_the_description(episode: Path, tmp_path: Path) -> None:
    meta_path = tmp_path / "out/ep1/c0100-0120.json"
    meta = read_model(meta_path, ClipMetadata)
    write_model(meta_path, meta.model_copy(update={
        "description": "word " * 1000, "hashtags": [f"tag{i}" for i in range(40)]}))
    (folder, _) = export_episode(episode, tmp_path / "export/ep1")
    text = (folder / "caption.txt").read_text()
    assert len(text) <= CAPTION_CHARS + 1 and text.startswith("Moment 1\n\nword word")
    assert "…" in text and text.rstrip().endswith("#tag29")  # 30 hashtags kept


def test_cli_publish_dry_runs_by_default(episode: Path, capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text("publish:\n  api_url: http://127.0.0.1:9/\n")
    assert main(["publish", "--recipe", str(recipe), "--out", "out"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("dry run: nothing is sent")
    assert "videos.insert: POST http://127.0.0.1:9/upload/youtube/v3/videos" in shown
    assert not (tmp_path / "published.csv").exists()
    assert main(["publish", "--recipe", str(recipe), "nope"]) == 1
    assert "out/nope/shorts.json" in capsys.readouterr().err


def test_cli_export(episode: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--dest", "exported"]) == 0
    assert (tmp_path / "exported/ep1/02-c0200-0220/caption.txt").is_file()
    assert "exported/ep1/01-c0100-0120" in capsys.readouterr().out


def test_script_adapters_call_the_package(episode: Path, tmp_path: Path) -> None:
    log = str(tmp_path / "x.log")
    fake = SimpleNamespace(input=[str(episode)], output=[str(tmp_path / "export/ep1")],
                           log=[log], params=SimpleNamespace())
    runpy.run_path(str(REPO / "scripts/export_shorts.py"), {"snakemake": fake})
    assert (tmp_path / "export/ep1/01-c0100-0120/hashtags.txt").is_file()
    fake.output = [str(tmp_path / "results/ep1/notify_render.json")]
    fake.params = SimpleNamespace(recipe={})
    runpy.run_path(str(REPO / "scripts/notify_render.py"), {"snakemake": fake})
    assert Path(fake.output[0]).is_file()
    fake.params = SimpleNamespace(recipe={}, notify={}, for_real=False)
    runpy.run_path(str(REPO / "scripts/publish_shorts.py"), {"snakemake": fake})
    assert not (tmp_path / "published.csv").exists()
