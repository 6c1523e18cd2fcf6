"""Stages 2-3: transcription (faster-whisper) and audio features."""
