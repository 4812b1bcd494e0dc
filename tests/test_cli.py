"""The `postmortem` command: help everywhere, one-line errors, never a silent overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()

ACCESS_LINE = (
    '203.0.113.{ip} - - [14/Mar/2024:02:{minute:02d}:07 +0000] "GET /api/cart HTTP/1.1" {status}'
    ' 57 "-" "curl/8.5.0"\n'
)


def _command_names() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)


@pytest.fixture
def small_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "logs"
    bundle.mkdir()
    lines = [
        ACCESS_LINE.format(ip=i % 50, minute=minute, status=502 if 20 <= minute < 30 else 200)
        for minute in range(60)
        for i in range(10)
    ]
    (bundle / "access.log").write_text("".join(lines))
    return bundle


def test_top_level_help_lists_the_draft_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "draft" in result.output


@pytest.mark.parametrize("command", _command_names())
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    assert len(result.output.strip().splitlines()) > 3


def test_missing_path_is_a_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["draft", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "no such file or directory" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_bad_timezone_is_a_one_line_error(small_bundle: Path) -> None:
    result = runner.invoke(app, ["draft", str(small_bundle), "--tz", "Mars/Olympus"])
    assert result.exit_code == 1
    assert "unknown time zone" in result.output


def test_existing_output_is_refused_and_left_untouched(small_bundle: Path, tmp_path: Path) -> None:
    output = tmp_path / "POSTMORTEM.md"
    output.write_text("my edits\n")
    result = runner.invoke(app, ["draft", str(small_bundle), "-o", str(output)])
    assert result.exit_code == 1
    assert "--force" in result.output
    assert output.read_text() == "my edits\n"


def test_force_overwrites_and_reports_the_window(small_bundle: Path, tmp_path: Path) -> None:
    output = tmp_path / "POSTMORTEM.md"
    output.write_text("old\n")
    result = runner.invoke(
        app,
        ["draft", str(small_bundle), "-o", str(output), "--force", "--generated-at", "2024-03-15"],
    )
    assert result.exit_code == 0, result.output
    text = output.read_text()
    assert text.startswith("<!-- postmortem:template name=default -->\n# Postmortem")
    assert "- **Start:** 2024-03-14 02:20:07 UTC: first failed request `" in text
    assert "access.log:201` `GET /api/cart -> 502`" in text
    assert "- **End:** 2024-03-14 02:30:07 UTC: failures back to their baseline" in text
    assert "100 of 100 requests failed (100.0 %)" in text


def test_same_logs_give_byte_identical_drafts(small_bundle: Path) -> None:
    args = ["draft", str(small_bundle), "--generated-at", "2024-03-15T00:00:00Z"]
    first = runner.invoke(app, args)
    second = runner.invoke(app, args)
    assert first.exit_code == 0
    assert first.stdout == second.stdout
