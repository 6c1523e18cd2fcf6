"""The surface habits of a channel's replies: length and emoji.

A reply reads as the channel's own when it is about as long as the channel's replies
and uses emoji the way the channel does (how often, which ones, where). These are the
habits the drafter matches and the benchmark scores, so both read them from here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import emoji as emoji_lib
import numpy as np


def emoji_in(text: str) -> list[str]:
    """The emoji of ``text`` in order; a ZWJ sequence, flag or skin tone is one."""
    return [e["emoji"] for e in emoji_lib.emoji_list(text)]


def without_emoji(text: str) -> str:
    """``text`` with its emoji removed and spaces folded."""
    return " ".join(emoji_lib.replace_emoji(text, "").split())


def text_length(text: str) -> int:
    """Characters a reader sees, an emoji sequence counting as one."""
    return len(without_emoji(text)) + len(emoji_in(text))


@dataclass(slots=True)
class StyleProfile:
    """One language's reply habits in a corpus."""

    lengths: list[int] = field(default_factory=list)
    emoji_rate: float = 0.0  # share of replies with at least one emoji
    emoji_counts: Counter[str] = field(default_factory=Counter)

    def length_at(self, quantile: float) -> int:
        """The reply length at ``quantile`` (0 with no replies)."""
        if not self.lengths:
            return 0
        return int(np.quantile(np.asarray(self.lengths, dtype=float), quantile))

    @property
    def top_emoji(self) -> str:
        """The channel's commonest emoji ('' when it uses none)."""
        return self.emoji_counts.most_common(1)[0][0] if self.emoji_counts else ""


def profile(replies: Sequence[str]) -> StyleProfile:
    """Length and emoji habits of ``replies`` (one language's)."""
    counts: Counter[str] = Counter()
    with_emoji = 0
    for reply in replies:
        found = emoji_in(reply)
        counts.update(found)
        with_emoji += bool(found)
    rate = with_emoji / len(replies) if replies else 0.0
    return StyleProfile([text_length(r) for r in replies], rate, counts)
