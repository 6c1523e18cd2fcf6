# DAG logic: recipe validation, episode discovery and small named input/param helpers.

import datetime
import re
import sys
from pathlib import Path

from shortfactory.analytics.metrics import metrics_files
from shortfactory.core.episodes import describe_skipped, discover_episodes
from shortfactory.core.errors import ShortfactoryError
from shortfactory.core.recipe import recipe_hash, section_params
from shortfactory.recipe_checks import load_recipe
from shortfactory.workflow import (
    audio_features_mem_mb,
    clip_entry,
    clip_span,
    script_code_version,
    read_clips,
    recover_from_crash,
    render_mem_mb,
)

UPSTREAM_OF_METADATA = ("ingest", "transcribe", "audio", "vision", "candidates", "metadata")
SAMPLE_EPISODE = "sample"
SAMPLE_VIDEO = "samples/sample.mp4"
SAMPLE_TRUTH = "samples/sample.truth.json"

def resolve_recipe_path(name):
    """A recipe path as given (relative to the working dir), else next to the Snakefile."""
    path = Path(name)
    if path.is_absolute() or path.exists():
        return path
    return Path(workflow.basedir) / path


try:
    RECIPE_PATH = resolve_recipe_path(config.get("recipe", "recipes/default.yaml"))
    RECIPE = load_recipe(RECIPE_PATH)
    FOUND = discover_episodes(config.get("episodes_dir", "episodes"), config.get("episodes") or [])
except ShortfactoryError as err:
    sys.exit(f"error: {err}")

if workflow.is_main_process:
    for line in recover_from_crash(Path.cwd()):
        print(line, file=sys.stderr)
for line in describe_skipped(FOUND.skipped):
    print(line, file=sys.stderr)
EPISODES = FOUND.episodes
if not EPISODES and FOUND.skipped:
    # Files were dropped in but none is usable: running the sample instead would hide it.
    sys.exit(f"error: {config.get('episodes_dir', 'episodes')}: no usable episode "
             f"({len(FOUND.skipped)} file(s) skipped, see above)")
if not EPISODES:
    EPISODES = {SAMPLE_EPISODE: Path(SAMPLE_VIDEO)}


wildcard_constraints:
    episode="|".join(map(re.escape, EPISODES)) if EPISODES else "NONE",
    clip=r"c[0-9]+-[0-9]+",


def get_source(wildcards):
    return str(EPISODES[wildcards.episode])


def stage_code(script):
    """A rule's code version: its script and every package module that script uses
    (transitively), with the packages and models that change its output."""
    return script_code_version(Path(workflow.basedir) / "scripts" / script)


def get_section(name):
    """A rule's params: only its own recipe section."""
    return section_params(RECIPE, name)


def get_recipe_hash():
    """Hash of the sections a clip's metadata depends on (not camera/subtitles/render)."""
    return recipe_hash(RECIPE, UPSTREAM_OF_METADATA)


def get_candidates(wildcards):
    """The checkpoint's output; asking for it makes Snakemake wait for the checkpoint."""
    return checkpoints.select_candidates.get(episode=wildcards.episode).output[0]


def get_clip_span(wildcards):
    return clip_span(get_candidates(wildcards), wildcards.clip)


def get_clip_entry(wildcards):
    return clip_entry(get_candidates(wildcards), wildcards.clip).model_dump(
        mode="json", exclude={"rank"}
    )


def get_episode_shorts(wildcards):
    ids = [c.id for c in read_clips(get_candidates(wildcards))]
    return {
        "videos": expand("out/{episode}/{clip}.mp4", episode=wildcards.episode, clip=ids),
        "metadata": expand("out/{episode}/{clip}.json", episode=wildcards.episode, clip=ids),
        "captions": expand("out/{episode}/{clip}.srt", episode=wildcards.episode, clip=ids),
        "thumbnails": expand("out/{episode}/{clip}.png", episode=wildcards.episode, clip=ids),
    }


def get_final_outputs():
    return expand("out/{episode}/shorts.json", episode=list(EPISODES))


def watermark_image():
    """The logo file as an input of the render, so replacing it re-renders."""
    image = RECIPE.render.watermark.image
    return {"watermark": image} if image else {}


def _is_flag_set(key):
    return str(config.get(key, "")).strip().lower() in {"1", "true", "yes"}


def is_publish_for_real():
    """Sending is opt-in: only --config publish_for_real=1 (or true/yes) sends."""
    return _is_flag_set("publish_for_real")


def get_community_date():
    """The day whose replies.csv the targets make or post: today unless configured."""
    return str(config.get("community_date") or datetime.date.today().isoformat())


def get_replies_file():
    return f"community/{get_community_date()}/replies.csv"


def get_community_inputs(wildcards):
    """The comments, the style corpus if the recipe names one, and published.csv (only
    to mention the Short, so only when it exists)."""
    section = RECIPE.community
    inputs = {"comments": section.comments}
    if section.corpus:
        inputs["corpus"] = section.corpus
    if Path(section.published_csv).exists():
        inputs["published"] = section.published_csv
    return inputs


def is_reply_for_real():
    """Posting is opt-in: only --config reply_for_real=1 (or true/yes) sends."""
    return _is_flag_set("reply_for_real")


def get_render_notices():
    """The render receipts to add to `all` when a webhook listens for "render"."""
    if not any("render" in hook.events for hook in RECIPE.notify.webhooks):
        return []
    return expand("results/{episode}/notify_render.json", episode=list(EPISODES))


TUNED_DEFAULT = "recipes/tuned.yaml"


def get_tuned_path():
    """Where the tuned recipe goes (config `tuned`); never the recipe in use, which
    Snakemake would delete before the job (as an output)."""
    tuned = Path(config.get("tuned", TUNED_DEFAULT))
    if tuned.resolve() == Path(RECIPE_PATH).resolve():
        # Running on the tuned recipe (as README suggests) must not make every run fail:
        # the next round goes next to it.
        tuned = tuned.with_name(f"{tuned.stem}.next.yaml")
    return str(tuned)


def get_metrics_files():
    """The performance exports: metrics/*.csv (YouTube Studio) and metrics/*.json (API)."""
    return [str(p) for p in metrics_files()]


def get_published_csv():
    return RECIPE.publish.published_csv


def get_published_input():
    """published.csv as an input when it exists (a new upload re-tunes); when it does
    not, the rule says so in one line instead of Snakemake's missing-input error."""
    path = get_published_csv()
    return [path] if Path(path).exists() else []


def get_clip_files(wildcards, pattern):
    """One per-clip artifact per candidate of the episode (waits for the checkpoint)."""
    ids = [c.id for c in read_clips(get_candidates(wildcards))]
    return expand(pattern, episode=wildcards.episode, clip=ids)


def get_report_inputs(wildcards):
    return {
        "candidates": f"results/{wildcards.episode}/candidates.json",
        "faces": f"results/{wildcards.episode}/faces.json",
        # The Shorts, their thumbnails and titles (collect_shorts waits for all renders).
        "shorts": f"out/{wildcards.episode}/shorts.json",
        "crops": get_clip_files(wildcards, "results/{episode}/clips/{clip}/crop_path.json"),
    }


def get_timeline_inputs(wildcards):
    return {
        "candidates": f"results/{wildcards.episode}/candidates.json",
        "probe": f"results/{wildcards.episode}/source.json",
        "source": get_source(wildcards),
        "crops": get_clip_files(wildcards, "results/{episode}/clips/{clip}/crop_path.json"),
        "srts": get_clip_files(wildcards, "results/{episode}/clips/{clip}/subtitles.srt"),
        "asses": get_clip_files(wildcards, "results/{episode}/clips/{clip}/subtitles.ass"),
    }


def get_mem_mb_compute_audio_features(wildcards, input, attempt):
    """Memory sized from the episode (read once its audio exists; Snakemake defers it)."""
    return audio_features_mem_mb(input.audio, attempt)


def get_mem_mb_render_short(wildcards, input, attempt):
    """Memory sized from the source's frame size and length (its probe)."""
    return render_mem_mb(input.probe, attempt)
