"""`postmortem templates` lists every shipped template with its one-line description."""

from __future__ import annotations

from importlib import resources

from typer.testing import CliRunner

from pipeline.catalog import builtin_templates, describe
from pipeline.cli import app


def test_every_shipped_template_is_listed() -> None:
    shipped = sorted(
        entry.name for entry in resources.files("templates").iterdir() if entry.name.endswith(".j2")
    )
    assert sorted(info.file for info in builtin_templates()) == shipped


def test_name_comes_from_the_marker_and_format_from_the_file_name() -> None:
    names = {info.file: (info.name, info.format) for info in builtin_templates()}
    assert names["postmortem.md.j2"] == ("default", "md")
    assert names["brief.md.j2"] == ("brief", "md")
    assert names["postmortem.html.j2"] == ("html", "html")


def test_templates_command_lists_default_brief_and_html() -> None:
    result = CliRunner().invoke(app, ["templates"])
    names = [line.split()[0] for line in result.output.splitlines()]
    assert names == ["brief", "default", "html"]


def test_description_is_the_first_line_comment() -> None:
    assert describe("{# description: The classic short postmortem. #}\n# {{ x }}") == (
        "The classic short postmortem."
    )
    assert describe("{#- description: trimmed -#}\n") == "trimmed"
    assert describe("# no comment\n") == ""


def test_templates_command_prints_one_line_per_template() -> None:
    result = CliRunner().invoke(app, ["templates"])
    assert result.exit_code == 0
    assert len(result.output.splitlines()) == len(builtin_templates())
    assert result.output.splitlines()[0].split()[:2] == [
        builtin_templates()[0].name,
        builtin_templates()[0].format,
    ]
