"""The bundled sample episode's generator: script, drawing, audio, TTS voices.
Not part of the line; tests and `make run` use it."""
