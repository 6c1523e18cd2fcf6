"""Stages 5-8: candidate clips, the virtual camera, subtitles, render, metadata,
and the Shorts index."""
