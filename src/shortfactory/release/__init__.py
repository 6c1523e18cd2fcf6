"""Stage 9, release: upload and notify (dry-run by default, never twice)."""
