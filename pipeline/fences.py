"""Fenced machine-written blocks, so that a re-run updates a draft without losing human edits.

People edit the draft as soon as it exists, while the logs keep coming. Every block the tool
writes is fenced with HTML comments (invisible when rendered) that record a hash of the body as it
was written:

    <!-- postmortem:auto id=summary hash=3a7bd3e2360a -->
    ...body...
    <!-- /postmortem:auto id=summary -->

`update_draft` re-renders a block only when its body still has that hash, i.e. no human touched
it. A changed block is kept as the human left it and reported; every byte outside the fences is
copied unchanged. The hash covers the exact bytes, so an editor that rewrites line endings or
strips trailing spaces makes the block count as edited: it is kept, never silently replaced.

Blocks that the fresh render has and the draft lacks (say, an outage window found only in the
newer logs) are inserted right after the block that precedes them in the fresh render when only
blank lines separate the two there, and otherwise appended at the end of the file; both cases
are reported in `added`. Blocks the fresh render no longer has are left in place (`stale`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

HASH_LENGTH = 12
_ID = r"[A-Za-z0-9_.:-]+"
_OPEN = re.compile(rf"<!-- postmortem:auto id=(?P<id>{_ID}) hash=(?P<hash>[0-9a-f]*) -->\r?\n?")
_LINE = re.compile(r"[^\n]*(?:\n|$)")


@dataclass(frozen=True)
class Block:
    """One fenced block of a text, by offsets: markers included in `start:end`."""

    id: str
    recorded_hash: str
    start: int
    body_start: int
    body_end: int
    end: int
    newline: str

    def body(self, text: str) -> str:
        return text[self.body_start : self.body_end]


@dataclass(frozen=True)
class UpdateResult:
    """The updated draft and what happened to each block (ids in document order)."""

    text: str
    replaced: list[str] = field(default_factory=list)
    kept_edited: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def fence(block_id: str, body: str, newline: str = "\n") -> str:
    """`body` between markers that record its hash; ends with a newline."""
    if not re.fullmatch(_ID, block_id):
        raise ValueError(f"fence id must match {_ID}: {block_id!r}")
    if body and not body.endswith("\n"):
        body += newline
    return (
        f"<!-- postmortem:auto id={block_id} hash={body_hash(body)} -->{newline}"
        f"{body}<!-- /postmortem:auto id={block_id} -->{newline}"
    )


def seal(text: str) -> str:
    """Fill in the hash of every fenced block (templates write `hash=` and leave it empty)."""
    out: list[str] = []
    position = 0
    for block in parse_blocks(text):
        out.append(text[position : block.start])
        out.append(_rewrite(text, block, block.body(text)))
        position = block.end
    out.append(text[position:])
    return "".join(out)


def parse_blocks(text: str) -> list[Block]:
    """Well-formed fenced blocks in order. A marker on a line of its own opens a block, the first
    closing marker with the same id closes it; an opening marker never closed is plain text."""
    blocks: list[Block] = []
    starts = [m.start() for m in _LINE.finditer(text) if m.group(0)]
    index = 0
    while index < len(starts):
        start = starts[index]
        opening = _OPEN.match(text, start)
        if not opening or not _ends_line(text, opening):
            index += 1
            continue
        closing = re.compile(rf"<!-- /postmortem:auto id={re.escape(opening['id'])} -->(?:\r?\n|$)")
        body_start = opening.end()
        for close_index in range(index + 1, len(starts)):
            close_start = starts[close_index]
            found = closing.match(text, close_start)
            if found:
                newline = "\r\n" if opening.group(0).endswith("\r\n") else "\n"
                blocks.append(
                    Block(
                        opening["id"],
                        opening["hash"],
                        start,
                        body_start,
                        close_start,
                        found.end(),
                        newline,
                    )
                )
                index = close_index + 1
                break
        else:
            index += 1
    return blocks


def update_draft(existing: str, fresh: str) -> UpdateResult:
    """Re-render the untouched fenced blocks of `existing` from `fresh`; keep everything else."""
    fresh_blocks = parse_blocks(fresh)
    fresh_by_id: dict[str, Block] = {}
    for block in fresh_blocks:
        fresh_by_id.setdefault(block.id, block)
    old_blocks = parse_blocks(existing)
    old_ids = {block.id for block in old_blocks}
    new_ids = [block_id for block_id in fresh_by_id if block_id not in old_ids]
    anchored = _placements(fresh, fresh_blocks, old_ids)
    placed = {follower.id for pairs in anchored.values() for _, follower in pairs}

    out: list[str] = []
    replaced: list[str] = []
    kept_edited: list[str] = []
    stale: list[str] = []
    position = 0
    for block in old_blocks:
        out.append(existing[position : block.start])
        position = block.end
        current = existing[block.start : block.end]
        new = fresh_by_id.get(block.id)
        body = block.body(existing)
        if new is None:
            stale.append(block.id)
            out.append(current)
            continue
        fresh_body = _as_written(new, fresh, block)
        if body_hash(body) != block.recorded_hash and body != fresh_body:
            kept_edited.append(block.id)
            out.append(current)
        else:
            rendered = _rewrite(existing, block, fresh_body)
            if rendered != current:
                replaced.append(block.id)
            out.append(rendered)
        followers = anchored.pop(block.id, [])
        if followers and not current.endswith("\n"):
            out.append(block.newline)
        for separator, follower in followers:
            out.append(_with_newline(separator, block.newline))
            follower_body = _with_newline(follower.body(fresh), block.newline)
            out.append(fence(follower.id, follower_body, block.newline))
    out.append(existing[position:])
    text = "".join(out)

    # What could not be anchored goes to the end, where appending changes no existing byte.
    for block_id in new_ids:
        if block_id in placed:
            continue
        if text and not text.endswith("\n"):
            text += "\n"
        text += ("\n" if text else "") + fence(block_id, fresh_by_id[block_id].body(fresh))
    return UpdateResult(
        text=text,
        replaced=replaced,
        kept_edited=kept_edited,
        added=new_ids,
        stale=stale,
    )


def _placements(
    fresh: str, fresh_blocks: list[Block], old_ids: set[str]
) -> dict[str, list[tuple[str, Block]]]:
    """New blocks that can go right after an existing block: anchor id -> [(separator, block)].

    A new block is anchored when, in the fresh render, only blank lines separate it from the
    block before it, and that block exists in the draft (or is itself anchored just before).
    """
    placements: dict[str, list[tuple[str, Block]]] = {}
    anchor_of: dict[str, str] = {block_id: block_id for block_id in old_ids}
    seen: set[str] = set()
    for previous, block in zip([None, *fresh_blocks], fresh_blocks, strict=False):
        if block.id in old_ids or block.id in seen:
            continue
        seen.add(block.id)
        if previous is None or previous.id not in anchor_of:
            continue
        separator = fresh[previous.end : block.start]
        if separator.strip():
            continue
        anchor = anchor_of[previous.id]
        placements.setdefault(anchor, []).append((separator, block))
        anchor_of[block.id] = anchor
    return placements


def _as_written(new: Block, fresh: str, old: Block) -> str:
    """The fresh body in the line endings of the draft's block."""
    body = new.body(fresh)
    if old.newline == "\r\n":
        body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return body


def _rewrite(text: str, block: Block, body: str) -> str:
    rendered = fence(block.id, body, block.newline)
    if not text[block.start : block.end].endswith("\n"):
        rendered = rendered[: -len(block.newline)]
    return rendered


def _with_newline(separator: str, newline: str) -> str:
    return separator.replace("\r\n", "\n").replace("\n", newline)


def _ends_line(text: str, match: re.Match[str]) -> bool:
    return match.group(0).endswith("\n") or match.end() == len(text)
