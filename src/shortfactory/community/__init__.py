"""The community loop (issue 24): replies to comments in the channel's own voice.

Drafting (:mod:`.draft`) retrieves the channel's most similar past exchange from a
style corpus (:mod:`.corpus`, :mod:`.retrieve`), adapts it to the Short and fits it
to the corpus's length and emoji habits (:mod:`.style`), skipping what a draft must
not answer (:mod:`.skip`); the drafts go to ``community/<date>/replies.csv`` for
review (:mod:`.replies`). Posting (:mod:`.post`) is a dry-run unless asked, and
answers a comment at most once. Never part of ``all``; opt-in by recipe.
"""
