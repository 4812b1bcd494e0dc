"""`postmortem check` lists open TODOs and missing sections with line numbers, nothing else."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pipeline.check import (
    BRIEF_SECTIONS,
    DEFAULT_SECTIONS,
    Finding,
    check_draft,
    required_sections,
    template_name,
)
from pipeline.cli import app

runner = CliRunner()


def _default_draft(skip: str = "", extra: str = "") -> str:
    body = "".join(f"## {section}\n\nDone.\n\n" for section in DEFAULT_SECTIONS if section != skip)
    return f"# Postmortem: checkout outage\n\n{body}{extra}"


def test_finished_default_draft_has_no_findings() -> None:
    assert check_draft(_default_draft()) == []


def test_todos_are_listed_with_their_line_numbers() -> None:
    text = "# P\n\n- **Severity:** TODO: SEV level\n" + _default_draft().split("\n", 1)[1]
    text += "| TODO | people | TODO: who joined | |\n"
    findings = check_draft(text)
    assert findings == [
        Finding(3, "todo", "- **Severity:** TODO: SEV level"),
        Finding(text.count("\n"), "todo", "| TODO | people | TODO: who joined | |"),
    ]


def test_todo_in_code_is_quoted_log_text_not_an_open_item() -> None:
    extra = "Log: `TODO: retry` and ``a ` TODO``\n\n```\nTODO: from the logs\n```\nTO&#68;O\n"
    assert check_draft(_default_draft(extra=extra)) == []


def test_lowercase_and_longer_words_are_not_todos() -> None:
    assert check_draft(_default_draft(extra="todo list; TODOS; MASTODON\n")) == []


def test_missing_section_points_at_where_it_belongs() -> None:
    text = _default_draft(skip="Detection")
    timeline_line = text.splitlines().index("## Timeline") + 1
    assert check_draft(text) == [
        Finding(timeline_line, "missing_section", "missing section: Detection")
    ]


def test_missing_last_section_points_past_the_end() -> None:
    text = _default_draft(skip="Supporting information")
    assert check_draft(text) == [
        Finding(
            len(text.splitlines()) + 1, "missing_section", "missing section: Supporting information"
        )
    ]


def test_headings_match_loosely_on_case_numbering_emphasis_and_colons() -> None:
    text = _default_draft().replace("## Root cause\n", "## 5. **Root Cause:**\n")
    text = text.replace("## Summary\n", "Summary\n=======\n")
    assert check_draft(text) == []


def test_heading_inside_a_code_block_does_not_count() -> None:
    text = _default_draft(skip="Impact") + "```\n## Impact\n```\n"
    assert [finding.text for finding in check_draft(text)] == ["missing section: Impact"]


def test_brief_template_marker_selects_its_sections() -> None:
    text = "<!-- postmortem:template name=brief -->\n# P\n\n" + "".join(
        f"## {section}\n\nok\n\n" for section in BRIEF_SECTIONS
    )
    assert template_name(text) == "brief"
    assert required_sections(text) == BRIEF_SECTIONS
    assert check_draft(text) == []
    assert check_draft(text.replace("## Timeline\n", "")) == [
        Finding(11, "missing_section", "missing section: Timeline")
    ]


def test_own_template_can_list_its_sections() -> None:
    text = '<!-- postmortem:template name=ours sections="What happened; Actions" -->\n# P\n'
    assert required_sections(text) == ("What happened", "Actions")
    assert [f.text for f in check_draft(text)] == [
        "missing section: What happened",
        "missing section: Actions",
    ]


def test_unknown_template_requires_no_sections() -> None:
    assert check_draft("<!-- postmortem:template name=mystery -->\n# P\nTODO later\n") == [
        Finding(3, "todo", "TODO later")
    ]


def test_check_command_prints_findings_and_exits_1(tmp_path: Path) -> None:
    draft = tmp_path / "POSTMORTEM.md"
    draft.write_text("# P\n\nTODO: title\n\n## Summary\n\nok\n")
    result = runner.invoke(app, ["check", str(draft)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{draft}:3: TODO: title"
    assert f"{draft}:8: missing section: Impact" in lines
    assert lines[-1] == "1 open TODO, 8 missing sections."


def test_check_command_exits_0_on_a_clean_draft(tmp_path: Path) -> None:
    draft = tmp_path / "POSTMORTEM.md"
    draft.write_text(_default_draft())
    result = runner.invoke(app, ["check", str(draft)])
    assert result.exit_code == 0
    assert result.output == f"{draft}: no open TODOs, no missing sections.\n"


def test_check_command_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope.md")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_generated_draft_lists_its_todos(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.jsonl").write_text(
        '{"ts": "2024-03-14T02:30:10Z", "level": "error", "msg": "TODO: not ours"}\n'
    )
    out = tmp_path / "DRAFT.md"
    assert runner.invoke(app, ["draft", str(logs), "-o", str(out)]).exit_code == 0
    findings = check_draft(out.read_text())
    assert findings
    assert {finding.kind for finding in findings} == {"todo"}
    assert not any("not ours" in finding.text for finding in findings)
