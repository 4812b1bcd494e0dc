"""Secrets never reach the draft: every rule on its own sample, the hostile bundle line by line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.redact import (
    RULES,
    Rule,
    hash_ip,
    redact_context,
    redact_series,
    redact_text,
)
from pipeline.sources import ingest

DATA = Path(__file__).resolve().parent / "data"
HOSTILE = DATA / "hostile"
EXPECTED = DATA / "hostile_expected"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_every_rule_redacts_its_own_sample(rule: Rule) -> None:
    assert redact_text(rule.example) == rule.redacted


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_redacting_twice_changes_nothing(rule: Rule) -> None:
    assert redact_text(rule.redacted) == rule.redacted


@pytest.mark.parametrize("name", ["access.log", "app.jsonl"])
def test_hostile_lines_redact_to_the_expected_text(name: str) -> None:
    lines = (HOSTILE / name).read_text(encoding="utf-8").splitlines()
    expected = (EXPECTED / f"{name}.redacted").read_text(encoding="utf-8").splitlines()
    assert [redact_text(line, ips=True) for line in lines] == expected


def test_parsed_hostile_messages_lose_every_secret() -> None:
    events = ingest([HOSTILE]).events
    messages = redact_series(events["message"])
    assert messages.tolist() == [
        "GET /api/login?user=bob&password=[REDACTED]&next=/cart -> 200",
        "GET /cb?code=ok&access_token=[REDACTED]&state=xyz -> 302",
        "GET /files/report.pdf?X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED] -> 200",
        "GET /search?q=<script>alert(1)</script> -> 400",
        "GET /a|b|c -> 404",
        "POST /api/checkout?apiKey=[REDACTED]&Session=[REDACTED] -> 502",
        "GET /redirect?next=%2Fcb%3Ftoken%3D[REDACTED]%26a%3D1 -> 302",
        "login failed for bob password=[REDACTED] from 203.0.113.7",
        "upstream call failed: Authorization: [REDACTED]",
        'request body: {"card": "4111", "password": "[REDACTED]"}',
        "boto: AKIA[REDACTED] [REDACTED] rejected",
        "git clone https://[REDACTED]@github.com/acme/app.git failed",
        "loaded key [REDACTED PRIVATE KEY] for tls",
        'Traceback (most recent call last):\n  File "app.py", line 3\n'
        "ValueError: bad | pipe ``` fence",
        "user \u202eevil\u202c name\u200b here\r\n"
        "<img src=x onerror=alert(1)> & &amp; TODO: not ours",
        "proxy sent Proxy-Authorization: [REDACTED] and Cookie: theme=dark; sessionid=[REDACTED]",
    ]


def test_no_secret_of_the_hostile_bundle_survives() -> None:
    secrets = [
        "hunter2",
        "ya29.a0AfH6SMBx3",
        "IOSFODNN7EXAMPLE",
        "fe5f80f77d5fa3beca",
        "0f3c9a77e1b2",
        "abc123",
        "pa55",
        "s3cr3t",
        "eyJhbGciOiJIUzI1NiIs",
        "p@ss word",
        "wJalrXUtnFEMI",
        "ghp_0123456789",
        "MIIEowIBAAKCAQEA7",
        "Ym9iOnMzY3JldA",
        "9f8e7d",
    ]
    text = "".join(
        (EXPECTED / f"{name}.redacted").read_text(encoding="utf-8")
        for name in ("access.log", "app.jsonl")
    )
    assert [secret for secret in secrets if secret in text] == []


def test_series_and_text_agree_on_every_hostile_line() -> None:
    lines = [
        line
        for name in ("access.log", "app.jsonl")
        for line in (HOSTILE / name).read_text(encoding="utf-8").splitlines()
    ]
    assert redact_series(pd.Series(lines, dtype="string")).tolist() == [
        redact_text(line) for line in lines
    ]


def test_series_keeps_index_name_and_missing_values() -> None:
    series = pd.Series(["token=abc", None, "token=abc"], index=[7, 8, 9], name="message")
    redacted = redact_series(series)
    assert redacted.index.tolist() == [7, 8, 9]
    assert redacted.name == "message"
    assert str(redacted.dtype) == "string"
    assert redacted.isna().tolist() == [False, True, False]
    assert redacted[9] == "token=[REDACTED]"


def test_categorical_column_stays_categorical() -> None:
    series = pd.Series(["pwd=x", "ok", "pwd=x"], dtype="category")
    redacted = redact_series(series)
    assert isinstance(redacted.dtype, pd.CategoricalDtype)
    assert redacted.astype(str).tolist() == ["pwd=[REDACTED]", "ok", "pwd=[REDACTED]"]


@pytest.mark.parametrize(
    "text",
    [
        "Basic authentication failed for user bob",
        "bearer authentication is disabled",
        "GET /books?author=bob&keyword=owl&page=2 -> 200",
        "session started after 2024-03-14T02:31:07Z",
        "5xx ratio 0.4 % → 61 % at 02:31 UTC; requests fell 93 %",
        "connect() failed (111: Connection refused) while connecting to upstream",
        "tobias : TTY=pts/0 ; PWD=/home/tobias ; USER=root ; COMMAND=/usr/bin/journalctl",
        "Accepted key=/etc/ssh/ssh_host_ed25519_key for ops",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text, ips=True) == text


def test_ip_addresses_become_stable_pseudonyms() -> None:
    text = "from 203.0.113.7:443 and [2001:DB8::7]:80 at 02:31:07, build 1.2.3.4.5"
    assert redact_text(text, ips=True) == (
        "from ip-b9a47d10:443 and [ip-7a1f37db]:80 at 02:31:07, build 1.2.3.4.5"
    )
    assert hash_ip("2001:db8::7") == hash_ip("2001:DB8:0::7") == "ip-7a1f37db"
    assert hash_ip("203.0.113.7", salt="team-secret") != hash_ip("203.0.113.7")


def test_ips_stay_unless_asked() -> None:
    assert redact_text("from 203.0.113.7") == "from 203.0.113.7"


def test_context_strings_are_redacted_and_everything_else_kept() -> None:
    context = {
        "schema_version": 1,
        "generated_at": "2024-03-14T03:00:00Z",
        "window": {"start": "2024-03-14T02:31:00Z", "duration_s": 2280, "failed_ratio": 0.61},
        "signals": ["5xx ratio 0.4 % → 61 % at 02:31 UTC"],
        "evidence": [{"file": "logs/app.log", "line": 12, "text": "retry token=abc from 10.0.0.5"}],
        "incident": True,
        "pair": ("password=x", None),
    }
    redacted = redact_context(context, ips=True)
    assert redacted == {
        "schema_version": 1,
        "generated_at": "2024-03-14T03:00:00Z",
        "window": {"start": "2024-03-14T02:31:00Z", "duration_s": 2280, "failed_ratio": 0.61},
        "signals": ["5xx ratio 0.4 % → 61 % at 02:31 UTC"],
        "evidence": [
            {
                "file": "logs/app.log",
                "line": 12,
                "text": "retry token=[REDACTED] from " + hash_ip("10.0.0.5"),
            }
        ],
        "incident": True,
        "pair": ("password=[REDACTED]", None),
    }
    assert context["evidence"][0]["text"] == "retry token=abc from 10.0.0.5"


FRAGMENTS = st.sampled_from(
    [
        "token=",
        "password",
        ": ",
        "=",
        "&",
        "?",
        '"',
        "'",
        "Bearer ",
        "Authorization: ",
        "AKIAIOSFODNN7EXAMPLE",
        "eyJhbGci.eyJzdWIi.",
        "https://",
        "@",
        "[REDACTED]",
        "abc123",
        " ",
        "\n",
        "10.0.0.5",
        "::1",
        "-----BEGIN PRIVATE KEY-----",
        "%3D",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(FRAGMENTS, max_size=12).map("".join))
def test_redaction_is_idempotent_on_any_mix(text: str) -> None:
    once = redact_text(text, ips=True)
    assert redact_text(once, ips=True) == once
