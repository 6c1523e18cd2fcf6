"""Stage 10, look and hand off: the HTML report and editable timelines (not part of `all`).

Reads the finished artifacts only; nothing here decides what the line makes.
"""
