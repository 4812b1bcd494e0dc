"""Golden drafts: every sample_logs bundle in the default and brief templates.

Rewrite them with `pytest --update-golden` and read the diff (and the drafts) before committing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import GOLDEN, SAMPLE_LOGS

from pipeline import api

BUNDLES = sorted(p.parent.name for p in SAMPLE_LOGS.glob("*/truth.json"))
TEMPLATES = ("default", "brief")
GENERATED_AT = dt.datetime(2024, 3, 15, tzinfo=dt.UTC)


@pytest.fixture(scope="module", params=BUNDLES)
def context(request: pytest.FixtureRequest) -> dict:
    root = SAMPLE_LOGS.parent
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)  # source paths in the draft relative to the repository
        path = Path("sample_logs") / request.param
        return api.draft_context([path], api.DraftOptions(generated_at=GENERATED_AT))


@pytest.mark.parametrize("template", TEMPLATES)
def test_draft_matches_golden(context: dict, template: str, update_golden: bool) -> None:
    bundle = Path(context["sources"][0]["path"]).parts[1]
    options = api.DraftOptions(template=template, output_name="POSTMORTEM.md")
    text = api.render_context(context, options).text
    golden = GOLDEN / f"{bundle}.{template}.md"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    if not golden.exists():
        pytest.fail(f"{golden} is missing: run pytest --update-golden and read it")
    assert text == golden.read_text(encoding="utf-8")


def test_cli_draft_of_the_demo_bundle_matches_its_golden(in_repo: Path, tmp_path: Path) -> None:
    """The command a new user runs gives the golden draft, byte for byte, and its chart."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    output = tmp_path / "POSTMORTEM.md"
    args = ["draft", "sample_logs/checkout-outage", "-o", str(output)]
    result = CliRunner().invoke(app, [*args, "--generated-at", "2024-03-15T00:00:00Z"])
    assert result.exit_code == 0, result.output
    assert output.read_text(encoding="utf-8") == (GOLDEN / "checkout-outage.default.md").read_text(
        encoding="utf-8"
    )
    assert (tmp_path / "POSTMORTEM.md.assets" / "chart.svg").read_bytes().startswith(b"<?xml")
