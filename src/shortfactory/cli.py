"""The ``shortfactory`` command: helpers around the Snakemake workflow.

The line itself runs with ``snakemake``; this command does what Snakemake cannot:
generate the sample episode, check a recipe, fetch the face models at install time,
and make the project's profiles resolvable by bare name (``snakemake --profile gpu``).
It also delivers finished Shorts without Snakemake: ``publish`` (a dry-run unless
``--for-real``), ``export`` (folders for manual upload) and ``youtube-login``; and
``tune`` re-tunes a recipe from published Shorts' metrics (``snakemake tune``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from shortfactory.core.errors import InputError, ShortfactoryError

if TYPE_CHECKING:
    from shortfactory.core.recipe import Recipe

PROFILE_NAMES = ("gpu", "slurm")


def snakemake_config_dir() -> Path:
    """Where Snakemake looks up bare profile names (appdirs' user config dir)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "snakemake"


def setup_profiles(project: Path, target_dir: Path | None = None) -> list[str]:
    """Link ``profiles/<name>`` into Snakemake's config dir; never clobber a user's own."""
    target_dir = target_dir or snakemake_config_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    report = []
    for name in PROFILE_NAMES:
        source = (project / "profiles" / name).resolve()
        link = target_dir / name
        if link.is_symlink() and link.resolve() == source:
            report.append(f"{link} -> {source} (already linked)")
            continue
        if link.is_symlink() and not link.exists():
            link.unlink()
        if link.exists() or link.is_symlink():
            report.append(f"{link} exists and is not ours: kept; use --profile {source}")
            continue
        link.symlink_to(source, target_is_directory=True)
        report.append(f"{link} -> {source}")
    return report


def font_report(recipe: Recipe) -> list[str]:
    """Which font files the render will draw with, so a user sees what the check found."""
    from shortfactory.clips.render import (
        _watermark_font,  # private in render.py; the watermark has no name key
    )
    from shortfactory.recipe_checks import resolve_subtitle_font

    sub = resolve_subtitle_font(recipe.subtitles.font, recipe.subtitles.bold)
    lines = [f"subtitles.font: {recipe.subtitles.font} -> {sub.file}"]
    if recipe.render.watermark.text.strip():
        lines.append(f"render.watermark: {_watermark_font()}")
    return lines


def shorts_indexes(out: Path, episodes: list[str]) -> list[Path]:
    """``out/<episode>/shorts.json`` of the named episodes, else of every episode."""
    if not episodes:
        found = sorted(out.glob("*/shorts.json"))
        if not found:
            raise InputError(f"{out}: no <episode>/shorts.json (run snakemake first)")
        return found
    paths = [out / name / "shorts.json" for name in episodes]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise InputError(f"no such Shorts index: {', '.join(missing)}")
    return paths


def _release_commands(sub: argparse._SubParsersAction) -> None:
    publish = sub.add_parser("publish", help="upload the Shorts to YouTube (a dry-run that "
                             "prints what would be sent, unless --for-real)")
    publish.add_argument("episodes", nargs="*", help="episode names (default: all in --out)")
    publish.add_argument("--for-real", action="store_true", help="send (default: dry-run)")
    publish.add_argument("--recipe", type=Path, default=Path("recipes/default.yaml"))
    publish.add_argument("--out", type=Path, default=Path("out"),
                         help="folder of <episode>/shorts.json (default: out)")
    export = sub.add_parser("export", help="a folder per Short for TikTok/Reels uploads")
    export.add_argument("episodes", nargs="*", help="episode names (default: all in --out)")
    export.add_argument("--out", type=Path, default=Path("out"))
    export.add_argument("--dest", type=Path, default=Path("export"))
    login = sub.add_parser("youtube-login", help="sign in to YouTube once (browser) and "
                           "cache the token 0600")
    login.add_argument("--recipe", type=Path, default=Path("recipes/default.yaml"))
    login.add_argument("--no-browser", action="store_true", help="print the URL only")
    tune = sub.add_parser("tune", help="re-tune weights, triggers and length from published "
                          "Shorts' metrics into a reviewable recipe (snakemake tune)")
    tune.add_argument("metrics", nargs="*", type=Path,
                      help="Studio CSV / Analytics API JSON files (default: metrics/*)")
    tune.add_argument("--recipe", type=Path, default=Path("recipes/default.yaml"))
    tune.add_argument("--tuned", type=Path, default=Path("recipes/tuned.yaml"))
    tune.add_argument("--report", type=Path, default=Path("analytics/report.html"))
    tune.add_argument("--in-place", action="store_true",
                      help="write the changes into --recipe itself (default: --tuned)")


def _run_release(args: argparse.Namespace) -> None:
    if args.command == "export":
        from shortfactory.release.export import export_episode

        for index in shorts_indexes(args.out, args.episodes):
            for folder in export_episode(index, args.dest / index.parent.name):
                print(folder)
        return
    from shortfactory.recipe_checks import load_recipe

    recipe = load_recipe(args.recipe)
    if args.command == "tune":
        from shortfactory.analytics.metrics import metrics_files
        from shortfactory.analytics.tune import tune

        metrics = args.metrics or metrics_files()
        if not metrics:
            raise InputError("metrics: no Studio CSV or Analytics API JSON given or found")
        tune(args.recipe, metrics, recipe.publish.published_csv,
             tuned_path=args.recipe if args.in_place else args.tuned,
             report_path=args.report, in_place=args.in_place)
        return
    if args.command == "youtube-login":
        from shortfactory.release.auth import credentials

        section = recipe.publish
        credentials(section.client_secrets, section.token, token_url=section.token_url,
                    open_browser=not args.no_browser)
        print(f"signed in; token cached at {section.token}")
        return
    from shortfactory.release.deliver import publish

    publish(shorts_indexes(args.out, args.episodes), recipe.publish, recipe.notify,
            for_real=args.for_real)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shortfactory", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sample = sub.add_parser("sample", help="generate the bundled sample episode")
    sample.add_argument("--out", type=Path, default=Path("samples/sample.mp4"))
    sample.add_argument("--duration", type=float, default=None, help="seconds (default: full)")
    sample.add_argument("--seed", type=int, default=7)
    check = sub.add_parser("check-recipe", help="validate a recipe and print its sections")
    check.add_argument("recipe", type=Path)
    prof = sub.add_parser("setup-profiles", help="make --profile gpu/slurm resolve here")
    prof.add_argument("--project", type=Path, default=Path.cwd())
    fetch = sub.add_parser("fetch-models", help="fetch the MediaPipe face models (from the "
                           "mediapipe 0.10.14 wheel), multilingual Whisper base and cut "
                           "Montserrat's static caption weights (install time)")
    fetch.add_argument("--dest", type=Path, default=None,
                       help="directory (default: this environment's share/shortfactory/models)")
    fetch.add_argument("--wheel", type=Path, default=None, help="use this downloaded wheel")
    fetch.add_argument("--fonts", default="montserrat", choices=["montserrat", "none"],
                       help="cut Montserrat's static caption weights (default) or not")
    fetch.add_argument("--whisper", default="base", choices=["base", "none"],
                       help="the multilingual Whisper model to join (default: base)")
    _release_commands(sub)
    args = parser.parse_args(argv)
    try:
        if args.command == "sample":
            from shortfactory.sample.generator import generate_sample

            truth = args.out.with_name(args.out.stem + ".truth.json")
            generate_sample(args.out, truth, seed=args.seed, duration_s=args.duration)
            print(f"wrote {args.out} and {truth}")
        elif args.command == "check-recipe":
            from shortfactory.recipe_checks import load_recipe

            recipe = load_recipe(args.recipe)
            print(f"{args.recipe}: ok")
            for line in font_report(recipe):
                print(line)
            print(recipe.model_dump_json(indent=2))
        elif args.command == "fetch-models":
            from shortfactory.core.models import (
                fetch_caption_fonts,
                fetch_mediapipe_face_models,
                fetch_whisper_model,
            )

            for path in fetch_mediapipe_face_models(args.dest, wheel=args.wheel):
                print(path)
            if args.whisper != "none":
                print(fetch_whisper_model(args.whisper, args.dest))
            if args.fonts != "none":
                for path in fetch_caption_fonts(args.dest):
                    print(path)
        elif args.command == "setup-profiles":
            for line in setup_profiles(args.project):
                print(line)
        elif args.command in ("publish", "export", "youtube-login", "tune"):
            _run_release(args)
    except ShortfactoryError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
