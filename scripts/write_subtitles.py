"""Snakemake adapter: word-timed .ass and plain .srt subtitles of one clip."""

from shortfactory.artifacts import Transcript
from shortfactory.io import read_model, write_text_atomic
from shortfactory.subtitles import build_cues, to_ass, to_srt
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        span, params = snakemake.params.clip, snakemake.params.recipe
        transcript = read_model(snakemake.input.transcript, Transcript)
        cues = build_cues(transcript, span["start_s"], span["end_s"], params)
        write_text_atomic(snakemake.output.ass, to_ass(cues, params))
        write_text_atomic(snakemake.output.srt, to_srt(cues))
