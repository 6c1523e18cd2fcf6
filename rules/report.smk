# Report and editor hand-off (issue 22): separate targets, never part of `all`.
