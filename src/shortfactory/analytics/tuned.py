"""Write the tuned recipe: the person's recipe with only the tuned keys changed.

A round-trip edit with ruamel.yaml (the approach of
:func:`shortfactory.core.recipe.modify_recipe`): comments, key order, quoting and every
untouched value stay as they were; each changed key gets a dated comment above it (or,
for a new trigger, beside it) saying what moved and why; a header says where the file
came from. Top-level sections that no change touches are copied from the source text
byte for byte, because a dump re-flows some constructs (a flow list with comments
inside it) even when nothing in them changed.

The result is validated as a recipe (with its ``extends`` chain) before it is written
atomically, and it never replaces the source recipe unless the caller asks: the person
reviews the diff and adopts the file.
"""

from __future__ import annotations

import difflib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from shortfactory.core.errors import RecipeError
from shortfactory.core.io import write_text_atomic
from shortfactory.core.recipe import load_recipe

HEADER = "## tuned by shortfactory"  # first line of the header block this module writes
_TUNED_LINE = re.compile(r"^(\s*)# tuned \d{4}-\d{2}-\d{2}: ")


@dataclass(slots=True)
class Change:
    """One key to change: ``new`` None deletes it; ``why`` ends up in its comment."""

    path: tuple[str, ...]
    old: Any
    new: Any
    why: str


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long value the person wrote on one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    # Keep "null" written as null (ruamel would write nothing after the colon).
    yaml.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def tuned_text(source: str | Path, changes: list[Change], *, day: str,
               dest: str | Path | None = None, note: str = "") -> str:
    """The text of the tuned recipe (nothing is written). ``dest`` (where it will live)
    fixes a relative ``extends:`` path; ``note`` goes into the header."""
    source = Path(source)
    text = source.read_text(encoding="utf-8")
    yaml = _yaml()
    data = yaml.load(text) or CommentedMap()
    touched: set[str] = set()
    for change in changes:
        _apply(data, change, day)
        touched.add(change.path[0])
    if dest is not None and data.get("extends"):
        moved = os.path.relpath(source.parent / str(data["extends"]), Path(dest).parent)
        if moved != data["extends"]:
            data["extends"] = moved
            touched.add("extends")
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    body = _splice(_strip_header(text), _strip_header(buffer.getvalue()), touched)
    return _header(source, day, changes, note) + _latest_comments(body)


def _apply(data: CommentedMap, change: Change, day: str) -> None:
    """Set or delete one nested key, with its dated comment, keeping the blank lines and
    comments that followed the mapping's last key after whatever is last now."""
    node = data
    for depth, key in enumerate(change.path[:-1]):
        if not isinstance(node.get(key), CommentedMap):
            node[key] = CommentedMap()
            node.yaml_set_comment_before_after_key(
                key, before=f"tuned {day}: section added", indent=2 * depth)
        node = node[key]
    key = change.path[-1]
    indent = 2 * (len(change.path) - 1)
    tail = _take_tail(node)
    if change.new is None:
        node.pop(key, None)
    elif key in node:
        node[key] = change.new
        node.yaml_set_comment_before_after_key(key, before=f"tuned {day}: {change.why}",
                                               indent=indent)
    else:
        node[key] = change.new
        node.yaml_add_eol_comment(f"tuned {day}: {change.why}", key)
    _put_tail(node, tail)


def _take_tail(node: CommentedMap) -> str:
    """Cut what follows the last key's own line (blank lines, comments before the next
    section) off its comment token, and return it."""
    if not node:
        return ""
    last = list(node)[-1]
    token = _eol_token(node, last)
    if token is None:
        return ""
    first, _, rest = token.value.partition("\n")
    if rest:
        token.value = first + "\n"
    return rest


def _put_tail(node: CommentedMap, tail: str) -> None:
    """Give the cut tail to the mapping's last key now."""
    if not tail or not node:
        return
    last = list(node)[-1]
    token = _eol_token(node, last)
    if token is None:
        node.yaml_add_eol_comment("#", last)
        token = _eol_token(node, last)
        token.value = "\n" + tail
        return
    token.value = token.value.rstrip("\n") + "\n" + tail


def _eol_token(node: CommentedMap, key: Any) -> Any:
    entry = node.ca.items.get(key)
    return entry[2] if entry and len(entry) > 2 and entry[2] is not None else None


def _sections(text: str) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The lines before the first top-level key, and each top-level key's lines (its
    section, up to the next top-level key)."""
    lines = text.splitlines(keepends=True)
    starts = [(i, m.group(1)) for i, line in enumerate(lines)
              if (m := re.match(r"^([A-Za-z_][\w-]*|\"[^\"]+\"|'[^']+'):", line))]
    preamble = lines[: starts[0][0]] if starts else lines
    sections = []
    for n, (i, key) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(lines)
        sections.append((key.strip("\"'"), lines[i:end]))
    return preamble, sections


def _splice(original: str, dumped: str, touched: set[str]) -> str:
    """The dump's sections for the touched keys, the original's for every other."""
    pre, old = _sections(original)
    _, new = _sections(dumped)
    kept = dict(old)
    out = list(pre)
    for key, lines in new:
        out += lines if key in touched or key not in kept else kept[key]
    text = "".join(out)
    return text if text.endswith("\n") else text + "\n"


def _latest_comments(text: str) -> str:
    """Keep only the newest dated comment above a key: tuning again replaces the note
    of the round before instead of piling them up."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    for i, line in enumerate(lines):
        this = _TUNED_LINE.match(line)
        after = _TUNED_LINE.match(lines[i + 1]) if i + 1 < len(lines) else None
        if this and after and this.group(1) == after.group(1):
            continue
        out.append(line)
    return "".join(out)


def _header(source: Path, day: str, changes: list[Change], note: str) -> str:
    """The header block; its lines start with ``##`` so the next round can replace it."""
    removed = [".".join(c.path) for c in changes if c.new is None]
    lines = [f"{HEADER} on {day} from {source.name} (`snakemake tune`): review the",
             "## diff, then adopt it with --config recipe=<this file> or copy the keys."]
    if note:
        lines.append(f"## {note}")
    if removed:
        lines.append(f"## removed: {', '.join(removed)}")
    return "\n".join(lines) + "\n"


def _strip_header(text: str) -> str:
    """Drop the header block of an earlier tuning round (it is written anew)."""
    lines = text.splitlines(keepends=True)
    end = 0
    while end < len(lines) and lines[end].startswith("##"):
        end += 1
    return "".join(lines[end:])


def unified_diff(before: str, after: str, name_before: str, name_after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True), name_before,
                                        name_after))


def write_tuned(source: str | Path, dest: str | Path, changes: list[Change], *, day: str,
                note: str = "", in_place: bool = False) -> str:
    """Write the tuned recipe to ``dest`` after validating it; return the unified diff
    against ``source``. Refuses to write over ``source`` unless ``in_place``."""
    source, dest = Path(source), Path(dest)
    if dest.resolve() == source.resolve() and not in_place:
        raise RecipeError(f"{dest}: is the recipe being tuned; the tuned recipe goes to "
                          "another file unless asked to replace it (tune_in_place)")
    before = source.read_text(encoding="utf-8")
    text = tuned_text(source, changes, day=day, dest=dest, note=note)
    dest.parent.mkdir(parents=True, exist_ok=True)
    check = dest.with_name(f".{dest.name}.check.yaml")
    try:
        check.write_text(text, encoding="utf-8")
        load_recipe(check)
    finally:
        check.unlink(missing_ok=True)
    write_text_atomic(dest, text)
    return unified_diff(before, text, str(source), str(dest))
