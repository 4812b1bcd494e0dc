"""`--update` re-renders untouched machine blocks and never loses a human edit."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.fences import body_hash, fence, parse_blocks, seal, update_draft


def _draft(summary: str, timeline: str, *, title: str = "# Postmortem\n\n") -> str:
    return (
        f"{title}## Summary\n\n{fence('summary', summary)}\n## Timeline\n\n"
        f"{fence('timeline', timeline)}\n## Lessons learned\n\nTODO\n"
    )


OLD = _draft("5 requests failed.\n", "| 02:31 | first 5xx |\n")
NEW = _draft("7 requests failed.\n", "| 02:31 | first 5xx |\n| 02:40 | recovery |\n")


def test_fence_records_the_hash_of_its_body() -> None:
    assert fence("summary", "x") == (
        "<!-- postmortem:auto id=summary hash=73cb3858a687 -->\n"
        "x\n<!-- /postmortem:auto id=summary -->\n"
    )
    assert hashlib.sha256(b"x\n").hexdigest()[:12] == "73cb3858a687"


def test_untouched_blocks_are_re_rendered() -> None:
    result = update_draft(OLD, NEW)
    assert result.text == NEW
    assert result.replaced == ["summary", "timeline"]
    assert result.kept_edited == result.added == result.stale == []


def test_same_render_twice_replaces_nothing() -> None:
    result = update_draft(NEW, NEW)
    assert result.text == NEW
    assert result.replaced == []


def test_human_text_outside_fences_is_kept_byte_for_byte() -> None:
    edited = OLD.replace("# Postmortem\n", "# Postmortem: checkout down\n\nOwner: Ana\n").replace(
        "TODO\n", "We got lucky: it was 2 am.\n"
    )
    result = update_draft(edited, NEW)
    assert result.text == (
        NEW.replace("# Postmortem\n", "# Postmortem: checkout down\n\nOwner: Ana\n").replace(
            "TODO\n", "We got lucky: it was 2 am.\n"
        )
    )


def test_a_block_a_human_changed_is_kept_and_reported() -> None:
    edited = OLD.replace("5 requests failed.", "5 requests failed (confirmed by Ana).")
    result = update_draft(edited, NEW)
    assert result.kept_edited == ["summary"]
    assert result.replaced == ["timeline"]
    assert "5 requests failed (confirmed by Ana).\n" in result.text
    assert "7 requests failed." not in result.text
    assert "| 02:40 | recovery |" in result.text


def test_a_human_edit_equal_to_the_fresh_render_is_simply_adopted() -> None:
    edited = OLD.replace("5 requests failed.", "7 requests failed.")
    result = update_draft(edited, NEW)
    assert result.text == NEW
    assert result.kept_edited == []


def test_new_block_next_to_an_existing_one_is_inserted_after_it() -> None:
    summary, window = fence("summary", "a"), fence("window", "w")
    old = f"# P\n\n{summary}\nhuman\n"
    new = f"# P\n\n{summary}\n{window}\nhuman\n"
    result = update_draft(old, new)
    assert result.text == new
    assert result.added == ["window"]


def test_new_block_without_a_safe_anchor_is_appended_at_the_end() -> None:
    old = "# P\n\nhuman notes"
    window = fence("window", "w")
    new = f"# P\n\n## Window\n\n{window}"
    result = update_draft(old, new)
    assert result.text == f"# P\n\nhuman notes\n\n{window}"
    assert result.added == ["window"]


def test_block_the_fresh_render_lacks_is_left_alone() -> None:
    old = _draft("5 requests failed.\n", "rows\n")
    new = "## Summary\n\n" + fence("summary", "none\n")
    result = update_draft(old, new)
    assert result.stale == ["timeline"]
    assert "rows\n<!-- /postmortem:auto id=timeline -->" in result.text


def test_broken_fence_is_treated_as_human_text() -> None:
    old = OLD.replace("<!-- /postmortem:auto id=summary -->\n", "")
    result = update_draft(old, NEW)
    old_timeline = fence("timeline", "| 02:31 | first 5xx |\n")
    new_timeline = fence("timeline", "| 02:31 | first 5xx |\n| 02:40 | recovery |\n")
    assert result.text == (
        old.replace(old_timeline, new_timeline) + "\n" + fence("summary", "7 requests failed.\n")
    )
    assert (result.replaced, result.added) == (["timeline"], ["summary"])


def test_crlf_draft_gets_crlf_blocks_and_stays_untouched_next_time() -> None:
    old = seal(OLD.replace("\n", "\r\n"))
    result = update_draft(old, NEW)
    assert result.text == seal(NEW.replace("\n", "\r\n"))
    assert result.replaced == ["summary", "timeline"]
    assert update_draft(result.text, NEW).replaced == []


def test_line_endings_rewritten_by_an_editor_count_as_an_edit() -> None:
    result = update_draft(OLD.replace("\n", "\r\n"), NEW)
    assert result.text == OLD.replace("\n", "\r\n")
    assert result.kept_edited == ["summary", "timeline"]


def test_seal_fills_in_empty_hashes() -> None:
    template_output = "<!-- postmortem:auto id=s hash= -->\nbody\n<!-- /postmortem:auto id=s -->\n"
    assert seal(template_output) == fence("s", "body\n")
    assert [block.recorded_hash for block in parse_blocks(seal(template_output))] == [
        body_hash("body\n")
    ]


def test_marker_inside_a_line_is_not_a_fence() -> None:
    text = "see <!-- postmortem:auto id=s hash=abc -->\nx\n<!-- /postmortem:auto id=s -->\n"
    assert parse_blocks(text) == []


# --- property: random human edits are never lost -----------------------------------------

HUMAN = st.lists(
    st.sampled_from(["a", "b", " ", "\n", "#", "|", "-", "<!--", "-->", "postmortem:auto", "é"]),
    max_size=8,
).map("".join)
BODY = st.lists(st.sampled_from(["x", "y", " ", "\n", "|", "`"]), max_size=6).map(
    lambda parts: "".join(parts) + "\n"
)


@st.composite
def drafts_and_edits(draw: st.DrawFn) -> tuple[str, str, str, list[str | None]]:
    """An old draft, a fresh render, the human-edited draft, and the expected result."""
    count = draw(st.integers(1, 4))
    ids = [f"b{i}" for i in range(count)]
    old_bodies = [draw(BODY) for _ in ids]
    new_bodies = [draw(BODY) for _ in ids]
    segments = [draw(HUMAN) + "\n" for _ in range(count + 1)]
    fresh_segments = [draw(HUMAN) + "\n" for _ in range(count + 1)]
    # Human edits: insert text before the newline that ends each segment (so markers stay on
    # their own lines), and insert text inside some bodies (before their final newline).
    edited_segments = []
    for segment in segments:
        where = draw(st.integers(0, len(segment) - 1))
        edited_segments.append(segment[:where] + draw(HUMAN) + segment[where:])
    edited_bodies: list[str | None] = []
    for body in old_bodies:
        where = draw(st.integers(0, len(body) - 1))
        insertion = draw(HUMAN.filter(lambda text: "\n<!--" not in text))
        edited = body[:where] + insertion + body[where:]
        edited_bodies.append(edited if edited != body else None)

    def assemble(parts: list[str], bodies: list[str], keep: list[str | None]) -> str:
        out = parts[0]
        for index, block_id in enumerate(ids):
            kept = keep[index]
            if kept is not None:
                out += (
                    f"<!-- postmortem:auto id={block_id} hash={body_hash(bodies[index])} -->\n"
                    f"{kept}<!-- /postmortem:auto id={block_id} -->\n"
                )
            else:
                out += fence(block_id, bodies[index])
            out += parts[index + 1]
        return out

    existing = assemble(edited_segments, old_bodies, edited_bodies)
    fresh = assemble(fresh_segments, new_bodies, [None] * count)
    expected_bodies = [
        kept if kept is not None and kept != new else None
        for kept, new in zip(edited_bodies, new_bodies, strict=True)
    ]
    # Edited blocks stay as the human left them (old hash); the others take the fresh body.
    expected = assemble(
        edited_segments,
        [
            old if kept is not None else new
            for old, new, kept in zip(old_bodies, new_bodies, expected_bodies, strict=True)
        ],
        expected_bodies,
    )
    return existing, fresh, expected, expected_bodies


@settings(max_examples=300, deadline=None)
@given(drafts_and_edits())
def test_update_keeps_every_human_edit_and_refreshes_the_rest(
    case: tuple[str, str, str, list[str | None]],
) -> None:
    existing, fresh, expected, kept = case
    result = update_draft(existing, fresh)
    assert result.text == expected
    assert result.kept_edited == [f"b{i}" for i, body in enumerate(kept) if body is not None]
    assert result.added == result.stale == []


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_text_typed_anywhere_survives_an_update(data: st.DataObject) -> None:
    """Even edits that break a fence (typing on a marker's line) lose nothing: the broken block
    becomes human text and the fresh one is added."""
    places = data.draw(st.lists(st.integers(0, len(OLD)), min_size=1, max_size=5, unique=True))
    existing = OLD
    for number, where in enumerate(sorted(places, reverse=True)):
        existing = existing[:where] + f"«edit {number}»" + existing[where:]
    text = update_draft(existing, NEW).text
    assert [f"«edit {n}»" in text for n in range(len(places))] == [True] * len(places)
