"""Recipe section of the analytics loop (issue 23): how far tuning may move the recipe.

Kept apart from :mod:`shortfactory.core.recipe` like the release sections, so the loop
can grow without touching the production line's sections.

Why every limit is here: a tuning step is a suggestion a person reviews (the loop
writes ``recipes/tuned.yaml`` and a diff, never the recipe in use), and the limits say
how bold that suggestion may be. Small channels have noisy numbers; the defaults move
slowly and refuse to move at all below ``min_videos``.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError


def _invalid(reason: str) -> PydanticCustomError:
    """A validation error printed as ``reason`` verbatim (see core.recipe)."""
    return PydanticCustomError("recipe_value", "{reason}", {"reason": reason})


class AnalyticsSection(BaseModel):
    """Strict like every recipe section."""

    model_config = ConfigDict(extra="forbid")

    min_videos: int = Field(
        30, ge=3, description="Shorts with metrics needed before any weight, trigger or "
        "length moves; with fewer the loop reports and refuses (saying how many more)")
    retention_share: float = Field(
        0.3, ge=0, le=1, description="share of average percentage viewed in the "
        "performance target; the rest is log views corrected for publish age")
    age_correction: bool = Field(
        True, description="regress log views on log days since publishing alongside the "
        "signals, so older Shorts' head start is not credited to their features")
    within_episode: bool = Field(
        True, description="compare Shorts only with Shorts of the same episode (an "
        "unpenalised level per episode in the regression): the selector only ranks "
        "windows within an episode, and episodes differ in topic and audience")
    ridge: float = Field(
        1.0, ge=0, description="L2 penalty of the regression on the standardised signals, "
        "in Shorts' worth of evidence: larger pulls the fitted effects toward zero on "
        "little or collinear data")
    bootstrap: int = Field(
        200, ge=0, le=5000, description="resamples for each weight's confidence (share of "
        "resamples that agree on the direction); 0 = no confidence")
    learning_rate: float = Field(
        0.3, gt=0, le=1, description="share of the way from the current weights to the "
        "fitted ones moved in one tuning round")
    max_step: float = Field(
        0.08, gt=0, le=1, description="largest change of one signal weight in one round "
        "(before renormalising)")
    weight_bounds: tuple[float, float] = Field(
        (0.02, 0.6), description="[min, max] of a signal weight after tuning, as shares "
        "of the weights' sum (kept): no signal is switched off or decides alone")
    top_share: float = Field(
        0.3, gt=0, lt=1, description="share of Shorts (by performance) whose subtitles "
        "count as top-performing for the trigger words")
    prior_strength: float = Field(
        5.0, gt=0, description="Shorts' worth of the channel's average text in the "
        "informative Dirichlet prior of the trigger log-odds: rare words are shrunk "
        "toward no difference")
    min_count: float = Field(
        3.0, ge=1, description="top Shorts a word or phrase must appear in before it can "
        "become a trigger, in effective Shorts: a Short with n near-copies among the "
        "published (overlapping spans, a passage re-published in another episode) counts "
        "1/n, so one good scene published eight times is one piece of evidence")
    fdr: float = Field(
        0.1, gt=0, lt=1, description="false discovery rate of the trigger words: the "
        "Benjamini-Hochberg correction over every word tested in a round; a word must "
        "pass it to be added, strengthened or weakened")
    max_new_triggers: int = Field(
        5, ge=0, le=50, description="new trigger words or phrases added per round at most "
        "(the strongest first)")
    trigger_max_weight: float = Field(
        1.0, gt=0, le=3, description="largest weight a tuned trigger gets (the recipe's "
        "triggers use 0.4-1.0)")
    decay: float = Field(
        0.15, ge=0, lt=1, description="share of its weight a trigger loses in a round where "
        "the metrics do not support it (stale triggers fade)")
    min_trigger_weight: float = Field(
        0.1, ge=0, description="a trigger that decays below this is removed")
    length_step_s: float = Field(
        3.0, ge=0, description="largest move of candidates.target_length_s in one round, s "
        "(0 = never tune the length)")
    api_url: str = Field(
        "https://youtubeanalytics.googleapis.com/", description="YouTube Analytics API "
        "root for `snakemake fetch_metrics` (a local fake server in tests)")
    token: str = Field(
        "~/.config/shortfactory/youtube_analytics_token.json", description="cached sign-in "
        "for the read-only analytics scope (mode 0600), apart from the upload token")
    start_date: str = Field(
        "2005-02-14", description="first day of the fetched reports, YYYY-MM-DD (YouTube's "
        "first day: everything)")

    @field_validator("weight_bounds")
    @classmethod
    def _bounds_ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 <= low < high <= 1:
            raise _invalid(f"[{low}, {high}]: need 0 <= min < max <= 1")
        return value

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"https?://[^/\s]+", value):
            raise _invalid(f"'{value}' is not an http(s) URL")
        # googleapiclient joins method paths onto it: without the slash the last path
        # segment would be replaced.
        return value if value.endswith("/") else value + "/"

    @field_validator("start_date")
    @classmethod
    def _iso_day(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise _invalid(f"'{value}' is not a day written YYYY-MM-DD")
        return value

    @model_validator(mode="after")
    def _trigger_floor(self) -> AnalyticsSection:
        if self.min_trigger_weight >= self.trigger_max_weight:
            raise _invalid("need min_trigger_weight < trigger_max_weight")
        return self
