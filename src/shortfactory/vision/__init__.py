"""Stage 4, vision: scene cuts (with split-screen seams) and face tracks."""
