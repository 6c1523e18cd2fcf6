"""Recipe section of the analytics loop (issue 23): how far tuning may move the recipe.

Kept apart from :mod:`shortfactory.core.recipe` like the release sections, so the loop
can grow without touching the production line's sections.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AnalyticsSection(BaseModel):
    """Strict like every recipe section."""

    model_config = ConfigDict(extra="forbid")
