"""Exceptions that carry a one-line, user-facing message.

Stages raise these for problems a user can fix (bad input file, bad recipe, missing
model); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class ShortfactoryError(Exception):
    """Base class: ``str(error)`` is the whole message a user needs."""


class InputError(ShortfactoryError):
    """An input media file is unusable; the message names the file and the reason."""


class RecipeError(ShortfactoryError):
    """A recipe failed validation; the message lists ``file:line:col: key.path: reason``."""


class ModelError(ShortfactoryError):
    """A model (ASR, detector) could not be found or loaded."""
