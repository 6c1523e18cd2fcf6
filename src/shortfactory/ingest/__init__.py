"""Stage 1, ingest: probe the source, extract audio, make the analysis proxy."""
