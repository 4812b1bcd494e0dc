"""The README stays true: every format and command it should name, it names."""

from __future__ import annotations

import pytest
import typer
from conftest import ROOT

import parsers
from pipeline.cli import app

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands() -> None:
    head = README.split("\n\n", 2)[1]
    assert "make demo" in head
    assert "make test" in head


@pytest.mark.parametrize("name", [fmt.name for fmt in parsers.registered()])
def test_readme_lists_every_registered_format(name: str) -> None:
    assert f"| `{name}` |" in README


@pytest.mark.parametrize("command", sorted(typer.main.get_command(app).commands))
def test_readme_mentions_every_command(command: str) -> None:
    assert f"postmortem {command}" in README
