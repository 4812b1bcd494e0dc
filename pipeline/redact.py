"""Redact secrets from log text before it reaches any output (draft, JSON, chart labels).

Logs copied off servers carry whatever the software printed: tokens in query strings, bearer
tokens, passwords in debug messages, keys in URLs. A postmortem is shared widely, so every string
taken from the logs passes through here first.

The rules are plain regexes in RE2 syntax, run by pyarrow over the *unique* values of a column
(`pyarrow.compute.replace_substring_regex`), so a million log lines with a few thousand distinct
messages cost a few thousand matches. One pass of all the rules at once first picks the few
values that hold anything to redact, and only those go through the rules one by one.
`redact_text` runs the very same rules so that the two can never disagree. Every rule is
idempotent: redacting redacted text changes nothing, because no rule matches a value that starts
with `[`.

Client IPs are pseudonymised (not redacted) with `ips=True`: each address becomes `ip-` and eight
hex digits of a salted SHA-256, stable across runs so that the same input gives the same bytes and
one client stays one client throughout the draft. With the default salt the mapping is public (the
IPv4 space is small enough to hash in full), so a team that needs real anonymity sets its own salt.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MARK = "[REDACTED]"
DEFAULT_SALT = "postmortem"

# Words that make a key secret when a parameter or field name ends with them
# (`token`, `access_token`, `X-Amz-Signature`, `client_secret`, `apikey`, `PHPSESSID`, ...).
# `key=value` rules match from the word on: the rest of the name stays as it is anyway, and a
# leading `[A-Za-z0-9_.-]*` made RE2 some twenty times slower.
_SECRET_WORDS = (
    r"token|secret|passw(?:or)?d|pwd|pass|api[_-]?key|key|auth|sig|signature|session(?:id)?"
    r"|sessid|credentials?|otp"
)
# The narrower set for `name: value`, where a colon is also ordinary prose ("session: started").
_STRONG_WORDS = r"token|secret|passw(?:or)?d|pwd|api[_-]?key|private[_-]?key|access[_-]?key"
_KEY = rf"[A-Za-z0-9_.-]*(?:{_SECRET_WORDS})"


@dataclass(frozen=True)
class Rule:
    """One redaction: a RE2 pattern and its replacement (`\\1` style group references)."""

    name: str
    pattern: str
    replacement: str
    example: str
    redacted: str


RULES: tuple[Rule, ...] = (
    Rule(
        "private_key",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\]*)",
        "[REDACTED PRIVATE KEY]",
        "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- loaded",
        "key: [REDACTED PRIVATE KEY] loaded",
    ),
    Rule(
        "authorization_header",
        r"(?i)(\b(?:proxy-)?authorization\"?\s*[:=]\s*\"?)"
        r"(?:(?:bearer|basic|digest|negotiate|ntlm|token|apikey|hmac|aws4-hmac-sha256)\s+)?"
        r"[^\s\"',;\[][^\s\"',;]*",
        r"\1" + MARK,
        "Authorization: Bearer abc.def.ghi",
        "Authorization: [REDACTED]",
    ),
    Rule(
        "url_credentials",
        r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@\[][^\s/?#@]*@",
        r"\1" + MARK + "@",
        "https://deploy:hunter2@git.example.com/repo.git",
        "https://[REDACTED]@git.example.com/repo.git",
    ),
    Rule(
        "aws_key_pair",
        r"\b(AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA)[A-Z0-9]{16}"
        r"([\s:,;|\"'=]{1,3})[A-Za-z0-9/+]{40,}",
        r"\1" + MARK + r"\2" + MARK,
        "creds AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "creds AKIA[REDACTED]:[REDACTED]",
    ),
    Rule(
        "aws_access_key_id",
        r"\b(AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA)[A-Z0-9]{16}\b",
        r"\1" + MARK,
        "using AKIAIOSFODNN7EXAMPLE",
        "using AKIA[REDACTED]",
    ),
    Rule(
        "json_field",
        rf"(?i)(\"{_KEY}\"\s*:\s*\")(?:[^\"\\]|\\.)*(\")",
        r"\1" + MARK + r"\2",
        '{"user": "bob", "password": "hunter2"}',
        '{"user": "bob", "password": "[REDACTED]"}',
    ),
    Rule(
        "escaped_json_field",
        rf"(?i)(\\\"{_KEY}\\\"\s*:\s*\\\")(?:[^\"\\]|\\[^\"])*(\\\")",
        r"\1" + MARK + r"\2",
        r"body={\"api_key\":\"k-123\"}",
        r"body={\"api_key\":\"[REDACTED]\"}",
    ),
    Rule(
        "python_field",
        rf"(?i)('{_KEY}'\s*:\s*')[^'\\]*(')",
        r"\1" + MARK + r"\2",
        "{'token': 'abc'}",
        "{'token': '[REDACTED]'}",
    ),
    Rule(
        "key_value",
        # Not a value that starts with `/`: `PWD=/home/ops` and `key=/etc/ssh/id` are paths.
        rf"(?i)({_SECRET_WORDS})(\s*=\s*)[^&\s\"'#;,\[/][^&\s\"'#;,]*",
        r"\1\2" + MARK,
        "GET /login?user=bob&password=hunter2&next=/",
        "GET /login?user=bob&password=[REDACTED]&next=/",
    ),
    Rule(
        "encoded_key_value",
        rf"(?i)({_SECRET_WORDS})(%3D)(?:[^&\s\"'#;,%\[]|%(?:[013-9A-Fa-f][0-9A-Fa-f]|2[0-57-9A-Fa-f]))+",
        r"\1\2" + MARK,
        "next=%2Fcb%3Ftoken%3Ds3cr3t%26a%3D1",
        "next=%2Fcb%3Ftoken%3D[REDACTED]%26a%3D1",
    ),
    Rule(
        "colon_value",
        rf"(?i)({_STRONG_WORDS})(:[ \t]*)[^\s\"',;\[][^\s\"',;]*",
        r"\1\2" + MARK,
        "X-Api-Key: 0f3c9a",
        "X-Api-Key: [REDACTED]",
    ),
    Rule(
        "bearer_token",
        r"(?i)\b(bearer)\s+"
        r"(?:[A-Za-z0-9._~+/=-]{16,}|[A-Za-z._~+/=-]*[0-9][A-Za-z0-9._~+/=-]*)",
        r"\1 " + MARK,
        "sent bearer 3f9a0c77d2",
        "sent bearer [REDACTED]",
    ),
    Rule(
        "basic_token",
        r"\b(Basic)\s+(?:[A-Za-z0-9+/]{8,}={1,2}|[A-Za-z+/]*[0-9][A-Za-z0-9+/]*={0,2})",
        r"\1 " + MARK,
        "retry with Basic Ym9iOnMzY3JldA==",
        "retry with Basic [REDACTED]",
    ),
    Rule(
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*",
        "[REDACTED JWT]",
        "claims eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-part_1 rejected",
        "claims [REDACTED JWT] rejected",
    ),
    Rule(
        "vendor_token",
        r"\b(ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|xox[abposr]-|sk_live_|sk_test_|rk_live_|AIza)"
        r"[A-Za-z0-9_-]{16,}",
        r"\1" + MARK,
        "push with ghp_0123456789abcdefghijABCDEFGHIJ0123",
        "push with ghp_[REDACTED]",
    ),
)

# Every rule at once, each in its own group (a `(?i)` inside one stays inside it): what a value
# must match for any rule to change it.
_ANY_RULE = "|".join(f"(?:{rule.pattern})" for rule in RULES)

# A cheap pre-filter: text with none of these can hold no IP address.
_IP_HINT = (
    r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]|[0-9A-Fa-f]?::|[0-9A-Fa-f]:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]"
)
_IP_CANDIDATE = re.compile(
    r"(?<![\w.:\]])(?:"  # not glued to a word, a number or a redaction mark
    r"\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)"
    r"|(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4})(?![\w:])"
    r")"
)


def redact_series(series: pd.Series, *, ips: bool = False, salt: str = DEFAULT_SALT) -> pd.Series:
    """Redacted copy of a column of log text, computed once per distinct value.

    Missing values stay missing and the index is kept. A categorical column comes back
    categorical; anything else comes back as an Arrow-backed `string` column.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        return _redact_categories(series, ips, salt)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    clean = _redact_unique(pa.array(pd.array(uniques, dtype="string[pyarrow]")), ips, salt)
    taken = clean.take(pa.array(codes, mask=codes < 0))
    result = pd.Series(
        pd.arrays.ArrowStringArray(taken), index=series.index, name=series.name
    ).astype("string[pyarrow]")
    if isinstance(series.dtype, pd.CategoricalDtype):
        return result.astype("category")
    return result


def _redact_categories(series: pd.Series, ips: bool, salt: str) -> pd.Series:
    """A categorical column redacted through its categories, never a string per row: two
    secrets that redact to the same text become one category (categories stay sorted)."""
    categories = series.cat.categories
    clean = _redact_unique(pa.array(pd.array(categories, dtype="string[pyarrow]")), ips, salt)
    redacted = pd.Index(pd.array(clean, dtype="string[pyarrow]"))
    merged = redacted.unique().sort_values()
    lookup = np.append(merged.get_indexer(redacted), -1)  # code -1 (missing) stays missing
    codes = lookup[series.cat.codes.to_numpy()]
    values = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(merged))
    return pd.Series(values, index=series.index, name=series.name)


def redact_text(text: str, *, ips: bool = False, salt: str = DEFAULT_SALT) -> str:
    """One string through exactly the rules `redact_series` applies."""
    return _redact_one(text, ips, salt)


@lru_cache(maxsize=4096)
def _redact_one(text: str, ips: bool, salt: str) -> str:
    return str(redact_series(pd.Series([text], dtype="string[pyarrow]"), ips=ips, salt=salt)[0])


def redact_context(ctx: dict, *, ips: bool, salt: str = DEFAULT_SALT) -> dict:
    """A copy of the context with every string value redacted; keys and non-strings as they were.

    All strings are redacted in one vectorised pass. Our own words, ISO times and numbers contain
    nothing the rules look for, so they come through unchanged.
    """
    strings = sorted(_strings(ctx))
    if not strings:
        return _rebuild(ctx, {})
    clean = redact_series(pd.Series(strings, dtype="string[pyarrow]"), ips=ips, salt=salt)
    return _rebuild(ctx, dict(zip(strings, clean.tolist(), strict=True)))


def hash_ip(address: str, salt: str = DEFAULT_SALT) -> str:
    """`203.0.113.7` -> `ip-` + 8 hex digits: stable for a salt, distinct per address."""
    canonical = str(ipaddress.ip_address(address))
    digest = hashlib.sha256(f"{salt}\0{canonical}".encode()).hexdigest()
    return f"ip-{digest[:8]}"


def _redact_unique(values: pa.Array, ips: bool, salt: str) -> pa.Array:
    # Pseudonyms first: a secret rule may then swallow one (`Bearer ip-…`), and a second pass
    # finds nothing left to change. pyarrow's RE2 directly: `Series.str.replace` took ~30x longer.
    if ips:
        values = _hash_ips(values, salt)
    # Almost no log text holds a secret, and one pass of the rules' union costs about what one
    # rule costs: only the values it flags go through the rules. A value no rule matches is left
    # unchanged by every rule in turn, so the result is the same as running all of them on all.
    flagged = pc.match_substring_regex(values, pattern=_ANY_RULE).fill_null(False)
    hits = pc.sum(flagged).as_py() or 0
    if hits == 0:
        return values
    subset = values if hits == len(values) else values.filter(flagged)
    for rule in RULES:
        subset = pc.replace_substring_regex(
            subset, pattern=rule.pattern, replacement=rule.replacement
        )
    if hits == len(values):
        return subset
    return pc.replace_with_mask(values, flagged, subset)


def _hash_ips(values: pa.Array, salt: str) -> pa.Array:
    """Replace IP addresses; only the values the RE2 pre-filter flags reach Python's `re`."""
    hinted = pc.match_substring_regex(values, pattern=_IP_HINT).fill_null(False)
    if not pc.any(hinted).as_py():
        return values
    out = values.to_pylist()
    for index in pc.indices_nonzero(hinted).to_pylist():
        out[index] = _IP_CANDIDATE.sub(lambda m: _pseudonym(m, salt), out[index])
    return pa.array(out, pa.string())


def _pseudonym(match: re.Match[str], salt: str) -> str:
    candidate = match.group(0)
    if not any(c in "0123456789abcdefABCDEF" for c in candidate):
        return candidate  # a bare `::` in prose
    try:
        return hash_ip(candidate, salt)
    except ValueError:  # `02:31:07` and `1.2.3.400` look like addresses but are not
        return candidate


def _strings(node: object) -> set[str]:
    """Every string in a tree of dicts, lists and tuples (a stack, not recursion: a context holds
    a hundred thousand key events)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


def _rebuild(node: object, clean: dict[str, str]) -> object:
    # Strings are replaced in place of a call per leaf: most of a context is flat records.
    if isinstance(node, str):
        return clean.get(node, node)
    if isinstance(node, dict):
        return {
            key: clean.get(value, value) if type(value) is str else _rebuild(value, clean)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [
            clean.get(item, item) if type(item) is str else _rebuild(item, clean) for item in node
        ]
    if isinstance(node, tuple):
        return tuple(_rebuild(item, clean) for item in node)
    return node
