"""Snakemake adapter: word-timed .ass, plain .srt and the accents (emoji, punch-in moments)
of one clip."""

from shortfactory.clips.subtitles import write_subtitles
from shortfactory.core.artifacts import Transcript
from shortfactory.core.io import read_model, write_model, write_text_atomic
from shortfactory.core.recipe import SubtitleSection
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        span = snakemake.params.clip
        # Snakemake hands over the section as a plain dict: validated back into its model.
        # The render's speed comes as a param of its own (the SRT is on the output's
        # timeline), so other render edits do not rerun the subtitles.
        section = SubtitleSection.model_validate(snakemake.params.recipe)
        transcript = read_model(snakemake.input.transcript, Transcript)
        ass, srt, accents = write_subtitles(
            transcript, span["start_s"], span["end_s"], section, snakemake.params.speed,
            snakemake.params.triggers, clip=snakemake.wildcards.clip)
        write_text_atomic(snakemake.output.ass, ass)
        write_text_atomic(snakemake.output.srt, srt)
        write_model(snakemake.output.accents, accents)
