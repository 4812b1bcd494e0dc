"""Signatures on real logs of other projects (../shared/corpus): repeats group, words stay."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import CORPUS

from pipeline.signatures import signature_of, signature_stats

SYSLOG_HEADER = re.compile(r"^\w{3} +\d+ [\d:]+ \S+ [^:]+: ")


def corpus_messages(relative: str) -> pd.Series:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file absent: {relative}")
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return pd.Series([SYSLOG_HEADER.sub("", line) for line in lines if line.strip()])


def test_ssh_brute_force_groups_into_few_signatures() -> None:
    signatures = signature_of(
        corpus_messages("elastic-beats/system/auth/secure-rhel7.first-16k.log")
    )
    counts = signatures.value_counts()
    assert len(signatures) == 146
    assert len(counts) == 11
    assert counts["Failed password for root from <ip> port <num> <id>"] == 51
    assert counts['pam_succeed_if(sshd:auth): requirement "<*>" not met by user "<*>"'] == 50
    assert counts["fatal: Read from socket failed: Connection reset by peer [preauth]"] == 8


def test_words_that_tell_messages_apart_are_kept() -> None:
    signatures = signature_of(
        pd.Series(["Connection refused", "Connection reset by peer", "Started nginx.service"])
    )
    assert signatures.nunique() == 3


def test_multiline_events_are_signed_by_their_first_line() -> None:
    signatures = signature_of(
        pd.Series(
            [
                'Traceback (most recent call last):\n  File "/app/a.py", line 3',
                'Traceback (most recent call last):\n  File "/srv/b.py", line 9',
            ]
        )
    )
    assert signatures.tolist() == ["Traceback (most recent call last):"] * 2


def test_stats_flag_new_and_surging_signatures() -> None:
    ts = pd.to_datetime(
        ["2024-03-14T02:00:00Z", "2024-03-14T02:10:00Z"]
        + [f"2024-03-14T02:2{i}:00Z" for i in range(5)]
        + ["2024-03-14T02:40:00Z"]
    )
    events = pd.DataFrame(
        {
            "ts": ts,
            "source_file": pd.Categorical(["app.log"] * 8),
            "line_no": pd.array(range(1, 9), dtype="Int64"),
            "message": ["tick"] * 2 + ["pool exhausted"] * 5 + ["tick"],
            "severity": pd.Categorical(
                ["info"] * 2 + ["error"] * 5 + ["info"],
                categories=["debug", "info", "notice", "warning", "error"],
                ordered=True,
            ),
        }
    )
    stats = signature_stats(
        events,
        signature_of(events["message"]),
        pd.Timestamp("2024-03-14T02:20:00Z"),
        pd.Timestamp("2024-03-14T02:30:00Z"),
    ).set_index("signature")
    assert stats.loc["pool exhausted", ["count", "before", "during", "after"]].tolist() == [
        5,
        0,
        5,
        0,
    ]
    assert bool(stats.loc["pool exhausted", "new"]) and bool(stats.loc["pool exhausted", "surging"])
    assert stats.loc["tick", ["before", "during", "after"]].tolist() == [2, 0, 1]
    assert not stats.loc["tick", "new"]
    assert stats.loc["pool exhausted", "line"] == 3
