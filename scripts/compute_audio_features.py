"""Snakemake adapter: per-hop loudness, speech, energy change and onsets."""

from shortfactory.core.artifacts import Transcript
from shortfactory.core.io import read_model, write_model
from shortfactory.core.recipe import AudioSection
from shortfactory.speech.audio import features_from_files
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]):
        transcript = read_model(snakemake.input.transcript, Transcript)
        # Snakemake hands over the section as a plain dict: validated back into its model.
        section = AudioSection.model_validate(snakemake.params.recipe)
        features = features_from_files(snakemake.input.audio, transcript, section)
        write_model(snakemake.output[0], features)
