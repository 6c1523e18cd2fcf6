# Analytics loop (issue 23): separate targets, never part of `all`.
