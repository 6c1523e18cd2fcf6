"""Snakemake adapter: score windows and write the candidates checkpoint."""

from shortfactory.clips.candidates import select_candidates
from shortfactory.core.artifacts import AudioFeatures, Faces, SceneCuts, SourceProbe, Transcript
from shortfactory.core.io import read_model, write_model
from shortfactory.core.recipe import CandidatesSection
from shortfactory.workflow import script_context

if "snakemake" in globals():
    with script_context(snakemake.log[0]) as log:
        inp = snakemake.input
        probe = read_model(inp.probe, SourceProbe)
        # Snakemake hands over the section as a plain dict: validated back into its model.
        section = CandidatesSection.model_validate(snakemake.params.recipe)
        result = select_candidates(
            read_model(inp.transcript, Transcript), read_model(inp.audio, AudioFeatures),
            read_model(inp.scenes, SceneCuts), read_model(inp.faces, Faces),
            section, episode=snakemake.wildcards.episode,
            duration_s=probe.duration_s, has_audio=probe.audio is not None,
        )
        if result.message:
            log.warning("%s: %s", snakemake.wildcards.episode, result.message)
        write_model(snakemake.output[0], result)
