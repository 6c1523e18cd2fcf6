# Community loop (issue 24): separate targets, never part of `all`.
