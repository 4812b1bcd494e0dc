"""Key-event rules: every rule's samples are found, as that rule, by the real driver."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.keyevents import NOT_KEY, RULES, KeyRule, find_key_events, rule
from pipeline.schema import conform

SAMPLES = [(r, sample) for r in RULES for sample in r.samples]


@pytest.mark.parametrize(
    ("key_rule", "sample"), SAMPLES, ids=[f"{r.name}:{s[:30]}" for r, s in SAMPLES]
)
def test_every_rule_finds_its_samples(key_rule: KeyRule, sample: str) -> None:
    frame = conform(
        pd.DataFrame(
            {
                "ts": [pd.Timestamp("2024-03-14T02:31:00Z")],
                "message": [sample],
                "severity": ["info"],
                "source_file": ["syslog"],
                "line_no": [7],
            }
        )
    )
    found = find_key_events(frame)
    if key_rule.kind == NOT_KEY:  # matched first, so that no later rule makes it a key event
        assert found.empty
        return
    assert found["rule"].tolist()[:1] == [key_rule.name]
    assert found["line"].tolist()[:1] == [7]


def test_logins_are_not_deploys() -> None:
    lines = [
        "Accepted publickey for deploy from 10.0.1.5 port 48431 ssh2",
        "Started Session 67735 of User deploy.",
        "deployed release v5.2.0 (sha 3f9c2e1) to /srv/orders/current",
    ]
    frame = conform(
        pd.DataFrame(
            {
                "ts": [pd.Timestamp("2024-03-14T02:31:00Z")] * 3,
                "message": lines,
                "severity": ["info"] * 3,
                "source_file": ["syslog"] * 3,
                "line_no": [1, 2, 3],
            }
        )
    )
    found = find_key_events(frame)
    assert found[["kind", "line"]].values.tolist() == [["login", 2], ["deploy", 3]]


def test_a_rule_without_matching_samples_is_refused() -> None:
    with pytest.raises(ValueError, match="does not match its samples"):
        rule("bad", "bad", r"never", "some line")


def test_access_log_lines_are_not_key_events() -> None:
    frame = conform(
        pd.DataFrame(
            {
                "ts": [pd.Timestamp("2024-03-14T02:31:00Z")],
                "message": ["POST /admin/restart -> 200"],
                "status": [200],
                "severity": ["info"],
                "source_file": ["access.log"],
                "line_no": [1],
            }
        )
    )
    assert find_key_events(frame).empty


def test_three_restarts_make_a_crash_loop() -> None:
    frame = conform(
        pd.DataFrame(
            {
                "ts": pd.to_datetime(
                    ["2024-03-14T02:31:00Z", "2024-03-14T02:32:00Z", "2024-03-14T02:33:00Z"]
                ),
                "message": [
                    f"checkout.service: Scheduled restart job, restart counter is at {i}."
                    for i in (1, 2, 3)
                ],
                "severity": ["info"] * 3,
                "service": ["systemd"] * 3,
                "source_file": ["syslog"] * 3,
                "line_no": [1, 2, 3],
            }
        )
    )
    found = find_key_events(frame)
    assert found["kind"].tolist() == ["restart", "restart", "restart", "crash_loop"]
    assert found.loc[found["kind"] == "crash_loop", "line"].tolist() == [3]
