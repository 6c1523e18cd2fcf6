"""Recipe section of the community loop (issue 24): drafting replies to comments.

Kept apart from :mod:`shortfactory.core.recipe` like the release sections.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class CommunitySection(BaseModel):
    """Strict like every recipe section."""

    model_config = ConfigDict(extra="forbid")
