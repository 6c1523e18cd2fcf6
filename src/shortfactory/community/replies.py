"""``community/<date>/replies.csv``: every comment with its draft or why it has none.

The file is for a person to review before anything is posted: one row a comment, in
the comments file's order, with the draft, the reason (where the draft came from, or
why the comment is skipped), the similarity of the past exchange it was adapted from
and that exchange itself. ``approved`` is left empty for the reviewer (yes / no); the
reviewer may also edit ``draft``. A CSV because it opens in any spreadsheet.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from shortfactory.community.comments import load_comments, short_contexts
from shortfactory.community.corpus import load_corpus
from shortfactory.community.draft import REPLY, SKIP, Draft, Drafter
from shortfactory.core.errors import InputError, ShortfactoryError
from shortfactory.core.io import write_rows_csv
from shortfactory.core.recipe_community import CommunitySection

log = logging.getLogger(__name__)

OPT_IN = ("community.enabled is false: the community loop is opt-in; set "
          "community.enabled: true in the recipe")
APPROVED = frozenset({"yes", "y", "1", "true", "x", "ok"})


@dataclass(slots=True)
class ReplyRow:
    """One row of replies.csv."""

    comment_id: str
    video_id: str
    episode: str
    clip_id: str
    author: str
    lang: str
    comment: str
    action: str
    draft: str
    reason: str
    similarity: float
    source_id: str
    source_comment: str
    source_reply: str
    approved: str = ""

    @property
    def is_approved(self) -> bool:
        return self.approved.strip().lower() in APPROVED


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ReplyRow))


def row_of(draft: Draft) -> ReplyRow:
    context, source = draft.context, draft.source
    return ReplyRow(
        comment_id=draft.comment.id, video_id=draft.comment.video_id,
        episode=context.episode if context else "", clip_id=context.clip_id if context else "",
        author=draft.comment.author, lang=draft.lang, comment=draft.comment.text,
        action=draft.action, draft=draft.draft, reason=draft.reason,
        similarity=draft.similarity, source_id=source.id if source else "",
        source_comment=source.comment if source else "",
        source_reply=source.reply if source else "")


def write_replies(path: str | Path, rows: list[ReplyRow]) -> None:
    write_rows_csv(path, COLUMNS, rows)


def read_replies(path: str | Path) -> list[ReplyRow]:
    """replies.csv as rows; a missing column or a bad similarity names the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: replies file not found (run draft_replies first)") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"comment_id", "action", "draft"} - set(reader.fieldnames or ())
    if missing:
        raise InputError(f"{path}: not a replies.csv (no {', '.join(sorted(missing))} column)")
    rows = []
    for line, record in enumerate(reader, start=2):
        values: dict[str, Any] = {k: (record.get(k) or "") for k in COLUMNS}
        try:
            values["similarity"] = float(values["similarity"] or 0)
        except ValueError:
            raise InputError(f"{path}:{line}: similarity is not a number") from None
        if values["action"] not in (REPLY, SKIP):
            raise InputError(f"{path}:{line}: action '{values['action']}' is not reply or "
                             "skip")
        rows.append(ReplyRow(**values))
    return rows


def draft_replies(section: CommunitySection | dict[str, Any], out: str | Path, *,
                  root: str | Path = ".", answered: set[str] | None = None,
                  say: Callable[[str], None] = print) -> list[ReplyRow]:
    """Draft a reply to every comment of ``section.comments`` into ``out``.

    ``answered``: comment ids already replied to (default: those the posting ledger
    records as posted or in flight), skipped so a comment is never drafted twice.
    """
    section = CommunitySection.model_validate(section)
    if not section.enabled:
        raise ShortfactoryError(OPT_IN)
    corpus = load_corpus(_under(root, section.corpus) if section.corpus else None,
                         section.channel_name)
    comments = load_comments(_under(root, section.comments), section.channel_id)
    contexts = short_contexts(Path(root) / section.published_csv, root)
    if answered is None:
        from shortfactory.community.post import ReplyLedger

        answered = ReplyLedger.load(Path(root) / section.ledger).claimed()
    drafter = Drafter(corpus, section)
    rows = []
    for comment in comments:
        if comment.id in answered:
            comment.answered = True
        rows.append(row_of(drafter.draft(comment, contexts.get(comment.video_id))))
    write_replies(out, rows)
    drafted = sum(r.action == REPLY for r in rows)
    say(f"{out}: {drafted} draft(s), {len(rows) - drafted} skipped, of {len(rows)} "
        f"comment(s); review them (approved: yes) before post_replies")
    return rows


def _under(root: str | Path, path: str) -> Path:
    """A recipe path: as given when absolute (or ~), else relative to ``root``."""
    expanded = Path(path).expanduser()
    return expanded if expanded.is_absolute() else Path(root) / expanded
