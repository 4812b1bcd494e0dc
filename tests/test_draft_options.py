"""`draft --format json`, `--window`, `--since/--until`, `--bucket`: the context the CLI writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
LINE = (
    '203.0.113.{ip} - - [14/Mar/2024:02:{minute:02d}:{second:02d} +0000] "GET /api/orders/{ip}'
    ' HTTP/1.1" {status} 57 "-" "curl/8.5.0"\n'
)
KEYS = {
    "schema_version",
    "generated_at",
    "tz",
    "incident",
    "totals",
    "span",
    "series",
    "window",
    "windows",
    "impact",
    "root_cause_candidates",
    "key_events",
    "timeline",
    "signatures",
    "sources",
    "clock_skew",
}


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    lines = [
        LINE.format(ip=i, minute=m, second=i * 6, status=502 if 20 <= m < 30 else 200)
        for m in range(60)
        for i in range(10)
    ]
    (folder / "access.log").write_text("".join(lines))
    return folder


def _context(args: list[str], tmp_path: Path) -> dict:
    out = tmp_path / "ctx.json"
    result = runner.invoke(app, ["draft", *args, "-o", str(out), "--generated-at", "2024-03-15"])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_json_output_is_the_whole_context(bundle: Path, tmp_path: Path) -> None:
    context = _context([str(bundle)], tmp_path)
    assert set(context) == KEYS
    assert context["incident"] is True
    assert context["window"]["start"] == "2024-03-14T02:20:00Z"
    assert context["window"]["end"] == "2024-03-14T02:30:00Z"
    assert context["window"]["duration_s"] == 600
    assert context["windows"][0]["main"] is True
    assert context["impact"]["failed_requests"] == 100
    assert context["impact"]["endpoints"][0]["endpoint"] == "/api/orders/{id}"


def test_window_option_overrides_detection(bundle: Path, tmp_path: Path) -> None:
    context = _context(
        [str(bundle), "--window", "2024-03-14T02:25:00Z..2024-03-14T02:35:00Z"], tmp_path
    )
    assert context["window"]["overridden"] is True
    assert context["impact"]["failed_requests"] == 50


def test_since_until_and_bucket_bound_the_analysis(bundle: Path, tmp_path: Path) -> None:
    context = _context(
        [
            str(bundle),
            "--since",
            "2024-03-14T02:40:00Z",
            "--until",
            "2024-03-14T02:50:00Z",
            "--bucket",
            "30s",
        ],
        tmp_path,
    )
    assert context["incident"] is False
    assert context["totals"]["requests"] == 100
    assert context["span"]["bucket_s"] == 30


def test_markdown_is_the_default_format(bundle: Path) -> None:
    result = runner.invoke(app, ["draft", str(bundle), "--generated-at", "2024-03-15"])
    assert result.exit_code == 0
    assert result.stdout.startswith("<!-- postmortem:template name=default -->\n# Postmortem")


def test_unknown_format_is_a_one_line_error(bundle: Path) -> None:
    result = runner.invoke(app, ["draft", str(bundle), "--format", "pdf"])
    assert result.exit_code == 1
    assert "--format must be one of md, html, json" in result.output
