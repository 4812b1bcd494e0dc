"""The few lines a CI job page shows about a draft (GitHub's `GITHUB_STEP_SUMMARY`).

A reviewer looking at the job wants the answer before opening the artifact: was there an outage,
how long, how bad, what to look at first, and where the draft is. The text comes from the same
redacted context as the draft and log text is escaped the same way.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.escape import md_code
from pipeline.render import human_duration


def step_summary(context: dict, output: Path | None) -> str:
    """Markdown to append to the job summary; ends with a blank line so that the next appends."""
    lines = ["### Postmortem draft", ""]
    window = context.get("window")
    totals = context["totals"]
    if window:
        impact = context.get("impact") or {}
        lines.append(
            f"- **Outage:** {window['start']} to {window['end']}"
            f" ({human_duration(window['duration_s'])})"
        )
        lines.append(
            f"- **Failed requests:** {impact.get('failed_requests', 0)}"
            f" of {impact.get('requests', 0)} in the window"
        )
        candidates = context.get("root_cause_candidates") or []
        if candidates:
            lines.append(f"- **Top candidate (to confirm):** {md_code(candidates[0]['signature'])}")
    else:
        lines.append(
            f"- **No outage window found** ({totals['errors']} error events,"
            f" {totals['failed_requests']} failed requests)"
        )
    lines.append(f"- **Read:** {totals['files']} files, {totals['events']} events")
    if output is not None:
        lines.append(f"- **Draft:** {md_code(str(output))}")
    return "\n".join(lines) + "\n\n"
