"""Contracts and plumbing every stage shares: artifacts, recipe models, media I/O,
errors, atomic files, models on disk, episode discovery. Imports no stage."""
