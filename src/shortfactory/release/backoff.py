"""Exponential backoff with jitter, shared by the uploader and the webhooks.

Why jitter: after an outage every client retries at once; random waits spread them
(Google asks for "truncated exponential backoff" on 5xx). The sleep function is a
parameter so that tests run the retry paths without waiting.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Backoff:
    """Waits of ``base_s * 2**attempt`` (times a jitter in [0.5, 1]), capped."""

    retries: int
    base_s: float = 1.0
    cap_s: float = 64.0
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = field(default=random.random)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        return min(self.cap_s, self.base_s * 2 ** attempt) * (0.5 + 0.5 * self.rand())

    def wait(self, attempt: int, why: str) -> None:
        seconds = self.delay(attempt)
        log.info("retry %d of %d in %.2f s: %s", attempt + 1, self.retries, seconds, why)
        self.sleep(seconds)


def retrying(call: Callable[[], T], retryable: Callable[[BaseException], bool],
             backoff: Backoff, what: str) -> T:
    """``call()``, retried while it raises a ``retryable`` error; the last error is
    raised when the retries run out."""
    attempt = 0
    while True:
        try:
            return call()
        except Exception as err:
            if attempt >= backoff.retries or not retryable(err):
                raise
            backoff.wait(attempt, f"{what}: {describe(err)}")
            attempt += 1


def describe(err: BaseException) -> str:
    """One line for a transport or HTTP error (never a response body: it may echo a
    request header)."""
    status = getattr(getattr(err, "resp", None), "status", None)
    if status is not None:
        return f"HTTP {status}"
    return f"{type(err).__name__}: {err}".strip().rstrip(":")
