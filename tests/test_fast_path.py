"""The fast paths of issue 6 against plain reference paths: results must stay identical.

Each reference below is the straightforward per-event version the fast path replaced, kept here
(not in the package) so that the test, not a comment, says the two agree. They run on every
sample bundle and on the corpus logs.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import CORPUS, SAMPLE_LOGS
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import base, nginx
from parsers.base import registered
from parsers.timestamps import TimeOptions
from pipeline import candidates, inputs, keyevents, report, series, signatures
from pipeline.analysis import _key_line_kinds, analyse
from pipeline.api import REDACTED_COLUMNS
from pipeline.redact import RULES as REDACTION_RULES
from pipeline.redact import redact_series
from pipeline.schema import COLUMNS, STRING, _concrete, missing_values
from pipeline.series import is_request
from pipeline.signatures import (
    MASKS,
    MAX_MESSAGE,
    mask,
    merge_variable_words,
    signature_of,
    signature_stats,
)
from pipeline.sources import ingest

BUNDLES = sorted(p.parent for p in SAMPLE_LOGS.glob("*/truth.json"))
CORPUS_LOGS = (
    sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file() and not p.name.endswith((".json", ".md", ".yaml", ".yml", ".toml"))
    )
    if CORPUS.is_dir()
    else []
)


@pytest.fixture(scope="module", params=BUNDLES, ids=[b.name for b in BUNDLES])
def bundle_events(request: pytest.FixtureRequest) -> pd.DataFrame:
    path = request.param
    return ingest([path], TimeOptions()).events  # zones inferred, as a user runs it


@pytest.fixture(scope="module")
def corpus_events() -> pd.DataFrame:
    if not CORPUS_LOGS:
        pytest.skip("corpus folder absent")
    return ingest(CORPUS_LOGS, TimeOptions(tz="UTC")).events  # unrelated files: no one bundle


# --- references: the per-event versions -------------------------------------------------------


def reference_mask(messages: pa.Array) -> pa.Array:
    """Every rule over every message in turn: no merging of equal values, no threads."""
    out = pc.utf8_slice_codeunits(
        pc.replace_substring_regex(messages, r"\r?\n[\s\S]*$", ""), 0, MAX_MESSAGE
    )
    for _name, pattern, replacement in MASKS:
        out = pc.replace_substring_regex(out, pattern, replacement)
    return pc.utf8_trim_whitespace(out)


def reference_signature_of(messages: pd.Series) -> pd.Series:
    """Mask every message, one by one in the array, with no factorising."""
    if messages.empty:
        return pd.Series([], dtype=STRING, index=messages.index)
    text = messages.astype(STRING).fillna("")
    templates = reference_mask(pa.array(text.to_numpy(dtype=object), pa.string())).to_pylist()
    distinct = pd.Series(list(dict.fromkeys(templates)), dtype=object)
    merged = dict(zip(distinct, merge_variable_words(distinct), strict=True))
    return pd.Series(pd.array([merged[t] for t in templates], dtype=STRING), index=messages.index)


def reference_signature_stats(events, signatures, start, end) -> pd.DataFrame:
    """The per-event frame of strings, grouped by signature (the version before issue 6)."""
    columns = [
        "signature", "count", "before", "during", "after", "first_seen", "last_seen", "file",
        "line", "text", "severity", "new", "surging",
    ]  # fmt: skip
    frame = pd.DataFrame(
        {
            "signature": signatures.to_numpy(),
            "ts": events["ts"].to_numpy(dtype="datetime64[ns]"),
            "file": events["source_file"].astype(str).to_numpy(),
            "line": events["line_no"].to_numpy(),
            "text": events["message"].to_numpy(),
            "severity_rank": events["severity"].cat.codes.to_numpy(),
        }
    )
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    if start is not None and end is not None:
        frame["before"] = (frame["ts"] < start).astype(np.int64)
        frame["during"] = ((frame["ts"] >= start) & (frame["ts"] < end)).astype(np.int64)
        frame["after"] = (frame["ts"] >= end).astype(np.int64)
    else:
        frame["before"] = np.ones(len(frame), dtype=np.int64)
        frame["during"] = frame["after"] = np.zeros(len(frame), dtype=np.int64)
    frame = frame.sort_values(["ts", "file", "line"], kind="stable")
    stats = (
        frame.groupby("signature", sort=False)
        .agg(
            count=("ts", "size"),
            before=("before", "sum"),
            during=("during", "sum"),
            after=("after", "sum"),
            first_seen=("ts", "min"),
            last_seen=("ts", "max"),
            file=("file", "first"),
            line=("line", "first"),
            text=("text", "first"),
            severity_code=("severity_rank", "max"),
        )
        .reset_index()
    )
    levels = events["severity"].cat.categories
    stats["severity"] = [levels[c] if c >= 0 else None for c in stats["severity_code"]]
    stats = stats.drop(columns="severity_code")
    if start is not None and end is not None:
        inside = max((end - start).total_seconds(), 1.0)
        outside = max((frame["ts"].max() - frame["ts"].min()).total_seconds() - inside, 1.0)
        rate_in = stats["during"] / inside
        rate_out = (stats["before"] + stats["after"]) / outside
        stats["new"] = (stats["before"] == 0) & (stats["during"] > 0)
        stats["surging"] = (stats["during"] >= 3) & (rate_in >= 5.0 * rate_out)
    else:
        stats["new"] = False
        stats["surging"] = False
    stats = stats.sort_values(["first_seen", "signature"], kind="stable").reset_index(drop=True)
    return stats[columns]


# --- the comparisons -------------------------------------------------------------------------


def _check_signatures(events: pd.DataFrame) -> None:
    pd.testing.assert_series_equal(
        signature_of(events["message"]), reference_signature_of(events["message"])
    )


def _check_stats(events: pd.DataFrame) -> None:
    findings = analyse(events)
    window = findings.window
    bounds = [(None, None)]
    if window is not None:
        bounds.append((window.start, window.end))
    for start, end in bounds:
        fast = signature_stats(findings.events, findings.signatures, start, end)
        slow = reference_signature_stats(findings.events, findings.signatures, start, end)
        pd.testing.assert_frame_equal(fast, slow)


def test_signatures_per_unique_message_match_per_event_on_bundles(bundle_events) -> None:
    _check_signatures(bundle_events)


def test_signatures_per_unique_message_match_per_event_on_corpus(corpus_events) -> None:
    _check_signatures(corpus_events)


def test_mask_in_threads_matches_every_rule_on_every_message(corpus_events, monkeypatch) -> None:
    messages = pa.array(corpus_events["message"].to_numpy(dtype=object), pa.string())
    expected = reference_mask(messages)
    assert mask(messages).equals(expected)
    monkeypatch.setattr(signatures, "PARALLEL_MIN_VALUES", 2)  # the pool even on few values
    monkeypatch.setattr(signatures, "MAX_THREADS", 3)  # an odd chunk count, to check the joins
    monkeypatch.setattr(signatures.os, "cpu_count", lambda: 3)
    assert mask(messages).equals(expected)


DIGIT_SHAPES = [
    "0x1f and 1x1f and 7x9f",  # `0x` is the one place a rule names a digit
    "status=9/KILL status=1/HUP",
    "ß9x é7 9é µ8 8µs",
    "v1.2.3 at 2024-03-14T02:03:04Z and 2024-03-14 02:03",
    "999.1.1.1 10.0.0.255:8080 db-7.internal:5432",
    "\"quoted 42\" 'it 7' (9) [8] {7}",
    "abc123 123abc _9 9_ a_9_b",
    "pid 28811 took 3000 ms, 2.5s, 17 hours",
    "Started Session 67735 of User deploy.",
    "Started Session 815 of User deploy.",
    "line one 42\nline two 77",
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789abxX.:/ -_=\"'éß<>@,;()\n", max_size=30), max_size=40))
def test_lines_masked_by_their_digit_shape_mask_as_themselves(values: list[str]) -> None:
    messages = pa.array(DIGIT_SHAPES + values, pa.string())
    assert mask(messages).equals(reference_mask(messages))


def test_a_missing_message_has_a_missing_template() -> None:
    messages = pa.array(["a 1", None, "b 22", "a 7", None], pa.string())
    assert mask(messages).to_pylist() == ["a <num>", None, "b <num>", "a <num>", None]
    assert mask(messages).equals(reference_mask(messages))


def test_a_digit_that_survives_masking_is_the_lines_own(monkeypatch) -> None:
    # With rules that mask nothing every digit survives: each line must come back as itself,
    # not as its shape (`Session 11111`), through the re-masking of the survivors.
    monkeypatch.setattr(signatures, "_mask_values", lambda values: values)
    messages = pa.array(DIGIT_SHAPES, pa.string())
    expected = pc.utf8_trim_whitespace(pc.replace_substring_regex(messages, r"\r?\n[\s\S]*$", ""))
    assert mask(messages).equals(expected)


def test_signature_stats_match_the_per_event_frame_on_bundles(bundle_events) -> None:
    _check_stats(bundle_events)


def test_signature_stats_match_the_per_event_frame_on_corpus(corpus_events) -> None:
    _check_stats(corpus_events)


# --- root-cause candidates: integer codes vs the per-event frame of strings ------------------


def reference_rank_candidates(
    events: pd.DataFrame,
    signatures: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp,
    key_event_kinds: pd.Series | None = None,
    *,
    top: int = candidates.TOP_CANDIDATES,
) -> list[candidates.Candidate]:
    """`rank_candidates` as it was before issue 6: a per-event frame of strings."""
    duration = end - start
    lead = max(candidates.LEAD, duration / 4)
    # Access-log lines never become candidates: drop them before building any per-event column
    # (at a million requests, the strings of lines about to be dropped cost seconds).
    logs = (~candidates.is_request(events)).to_numpy(dtype=bool)
    if not logs.any():
        return []
    kept = events[logs]
    key = (
        key_event_kinds.reindex(events.index).isin(list(candidates.CAUSE_KINDS)).to_numpy()[logs]
        if key_event_kinds is not None
        else np.zeros(len(kept), bool)
    )
    frame = pd.DataFrame(
        {
            "signature": signatures[logs].to_numpy(),
            "ts": kept["ts"].to_numpy(dtype="datetime64[ns]"),
            "file": kept["source_file"].astype(str).to_numpy(),
            "line": kept["line_no"].to_numpy(),
            "text": kept["message"].fillna("").to_numpy(dtype=object),
            "severity": kept["severity"].astype(str).to_numpy(dtype=object),
            "key": key,
        }
    )
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    worded = candidates._error_worded(kept["message"])
    frame.loc[worded & _reference_below_error(frame["severity"]), "severity"] = "error"
    frame = frame.sort_values(["ts", "file", "line"], kind="stable")
    frame["near"] = (frame["ts"] >= start - lead) & (frame["ts"] < end)
    frame["far_before"] = frame["ts"] < start - lead
    frame["after"] = frame["ts"] >= end
    near = frame[frame["near"]]
    if near.empty:
        return []
    per = frame.groupby("signature", sort=False).agg(
        count=("ts", "size"),
        near=("near", "sum"),
        far_before=("far_before", "sum"),
        after=("after", "sum"),
        key=("key", "any"),
    )
    near_first = near.groupby("signature", sort=False).agg(
        first_near=("ts", "min"),
        first_seen=("ts", "min"),
        severity=("severity", _reference_worst),
    )
    all_first = frame.groupby("signature", sort=False)["ts"].min().rename("first_seen_all")
    stats = per.join(near_first, how="inner").join(all_first)

    span_start = frame["ts"].min()
    span_end = frame["ts"].max()
    near_seconds = max((end - (start - lead)).total_seconds(), 1.0)
    far_seconds = max((start - lead - span_start).total_seconds(), 0.0)
    after_seconds = max((span_end - end).total_seconds(), 0.0)
    rate_near = stats["near"] / near_seconds
    rate_outside = (stats["far_before"] + stats["after"]) / max(far_seconds + after_seconds, 1.0)

    offset = (stats["first_near"] - start).dt.total_seconds()
    early = np.where(
        offset <= 0,
        1.0 - 0.5 * (-offset / lead.total_seconds()),
        np.clip(1.0 - offset / max(duration.total_seconds() / 2, 60.0), 0.0, 1.0),
    )
    new = np.where(
        stats["far_before"] + stats["after"] == 0, 1.0, rate_near / (rate_near + rate_outside)
    )
    tracking = stats["near"] / stats["count"]
    severity = stats["severity"].map(candidates.SEVERITY_WEIGHT).fillna(0.3)
    key_bonus = np.where(stats["key"], candidates.KEY_EVENT_BONUS, 0.0)
    # Of the new things near the start, the one that showed first is the likeliest cause: an OOM
    # kill comes before the restarts it triggers, a deploy before the errors it brings.
    novel = pd.Series(new, index=stats.index) >= 0.5
    order = stats["first_near"].where(novel).rank(method="min")
    first = (1.0 - (order - 1) / max(int(novel.sum()), 1)).fillna(0.0).to_numpy()
    score = (
        candidates.WEIGHTS["first"] * first
        + candidates.WEIGHTS["early"] * early
        + candidates.WEIGHTS["new"] * new
        + candidates.WEIGHTS["tracking"] * tracking
        + candidates.WEIGHTS["severity"] * severity
        + key_bonus
    )
    stats = stats.assign(
        early=early,
        new=new,
        tracking=tracking,
        severity_w=severity,
        key_bonus=key_bonus,
        first=first,
        score=np.round(score.astype(float), 4),
        offset=offset,
    )
    stats = (
        stats.reset_index()
        .sort_values(
            ["score", "first_near", "signature"], ascending=[False, True, True], kind="stable"
        )
        .head(top)
    )

    evidence = _reference_evidence(near[near["signature"].isin(stats["signature"])])
    return [
        candidates.Candidate(
            signature=str(row.signature),
            score=float(row.score),
            reason=candidates._reason(row, start),
            first_seen=row.first_seen_all,
            count=int(row.count),
            components={
                "early": round(float(row.early), 4),
                "new": round(float(row.new), 4),
                "tracking": round(float(row.tracking), 4),
                "severity": round(float(row.severity_w), 4),
                "key_event": round(float(row.key_bonus), 4),
                "first": round(float(row.first), 4),
            },
            evidence=evidence.get(str(row.signature), ()),
        )
        for row in stats.itertuples(index=False)
    ]


def _reference_evidence(near: pd.DataFrame) -> dict[str, tuple[dict, ...]]:
    """The first lines of each signature near the window, from as many files as possible."""
    firsts = near.groupby(["signature", "file"], sort=False).head(1)
    firsts = firsts.groupby("signature", sort=False).head(candidates.EVIDENCE_LINES)
    out: dict[str, list[dict]] = {}
    for row in firsts.itertuples(index=False):
        out.setdefault(str(row.signature), []).append(
            {
                "file": row.file,
                "line": int(row.line) if pd.notna(row.line) else None,
                "text": str(row.text).split("\n", 1)[0],
                "ts": row.ts,
            }
        )
    return {k: tuple(v) for k, v in out.items()}


def _reference_below_error(levels: pd.Series) -> np.ndarray:
    order = list(candidates.SEVERITY_WEIGHT)
    rank = levels.map({name: i for i, name in enumerate(order)}).fillna(1)
    return (rank < order.index("error")).to_numpy(dtype=bool)


def _reference_worst(levels: pd.Series) -> str:
    order = list(candidates.SEVERITY_WEIGHT)
    ranks = levels.map({name: i for i, name in enumerate(order)}).dropna()
    return order[int(ranks.max())] if not ranks.empty else "info"


def _check_candidates(events: pd.DataFrame) -> None:
    findings = analyse(events)
    if findings.window is None:
        return
    kinds = _key_line_kinds(findings.events, keyevents.find_key_events(findings.events))
    args = (findings.events, findings.signatures, findings.window.start, findings.window.end, kinds)
    fast = candidates.rank_candidates(*args)
    assert fast == reference_rank_candidates(*args)
    assert fast == findings.candidates


def reference_key_line_kinds(events: pd.DataFrame, keys: pd.DataFrame) -> pd.Series:
    """`_key_line_kinds` as a (file name, line) index over every event (before issue 6, which
    gave pd.NA rather than NaN when there were no key events at all)."""
    if keys.empty:
        return pd.Series(np.nan, index=events.index, dtype=object)
    lookup = (
        keys.dropna(subset=["line"]).drop_duplicates(["file", "line"]).set_index(["file", "line"])
    )
    index = pd.MultiIndex.from_arrays(
        [events["source_file"].astype(str), events["line_no"].astype("Int64")]
    )
    return pd.Series(lookup["kind"].reindex(index).to_numpy(), index=events.index, dtype=object)


def _check_key_line_kinds(events: pd.DataFrame) -> None:
    keys = keyevents.find_key_events(events)
    with_derived = pd.concat([keys, keyevents.derived_events(events, None, None)])
    for table in (keys, with_derived, keys.iloc[:0]):
        fast = _key_line_kinds(events, table)
        pd.testing.assert_series_equal(fast, reference_key_line_kinds(events, table))


def test_key_line_kinds_by_binary_search_match_the_index_on_bundles(bundle_events) -> None:
    _check_key_line_kinds(bundle_events)


def test_key_line_kinds_by_binary_search_match_the_index_on_corpus(corpus_events) -> None:
    _check_key_line_kinds(corpus_events)


def reference_derived_events(events: pd.DataFrame, start, end) -> pd.DataFrame:
    """`derived_events` (first error, first 5xx) by sorting the filtered rows (before issue 6)."""
    rows = []
    errors = events[series.is_error(events)].sort_values("ts", kind="stable")
    failed = events[series.is_failed_request(events)].sort_values("ts", kind="stable")
    if start is not None:
        errors = errors[errors["ts"] >= start - (end - start)]
        failed = failed[failed["ts"] >= start - (end - start)]
    for kind, table in (("first_error", errors), ("first_5xx", failed)):
        if not table.empty:
            row = table.iloc[0]
            rows.append(keyevents._row(row["ts"], kind, row, str(row["message"])))
    return pd.DataFrame(rows, columns=keyevents.KEY_EVENT_COLUMNS)


def _check_derived(events: pd.DataFrame) -> None:
    findings = analyse(events)
    spans = [(None, None)]
    if findings.window is not None:
        spans.append((findings.window.start, findings.window.end))
    for start, end in spans:
        fast = keyevents.derived_events(events, start, end)
        fast = fast[fast["kind"].isin(["first_error", "first_5xx"])].reset_index(drop=True)
        slow = reference_derived_events(events, start, end)
        assert fast.to_dict("records") == slow.to_dict("records")


def test_first_error_and_5xx_without_sorting_rows_on_bundles(bundle_events) -> None:
    _check_derived(bundle_events)


def test_first_error_and_5xx_without_sorting_rows_on_corpus(corpus_events) -> None:
    _check_derived(corpus_events)


def test_candidates_on_codes_match_the_frame_of_strings_on_bundles(bundle_events) -> None:
    _check_candidates(bundle_events)


def test_candidates_on_codes_match_the_frame_of_strings_on_corpus(corpus_events) -> None:
    _check_candidates(corpus_events)


# --- key events: the rules on distinct lines after a union prefilter, vs every rule per event --


def reference_key_events(events: pd.DataFrame) -> pd.DataFrame:
    """Every rule over the first line of every non-request event (the version before issue 6)."""
    candidates = events[~is_request(events)]
    if candidates.empty:
        return keyevents._empty()
    messages = pc.utf8_slice_codeunits(
        pc.replace_substring_regex(
            pa.array(candidates["message"].fillna("").to_numpy(dtype=object), pa.string()),
            r"\r?\n[\s\S]*$",
            "",
        ),
        0,
        2000,
    )
    chosen = np.full(len(candidates), -1, dtype=np.int64)
    for i, key_rule in enumerate(keyevents.RULES):
        hit = key_rule.matches(messages) & (chosen < 0)
        chosen[hit] = i
    not_key = {i for i, key_rule in enumerate(keyevents.RULES) if key_rule.kind == ""}
    picked = np.flatnonzero([i >= 0 and i not in not_key for i in chosen])
    rows = candidates.iloc[picked]
    found = pd.DataFrame(
        {
            "ts": rows["ts"].to_numpy(dtype="datetime64[ns]"),
            "kind": [keyevents.RULES[i].kind for i in chosen[picked]],
            "rule": [keyevents.RULES[i].name for i in chosen[picked]],
            "file": rows["source_file"].astype(str).to_numpy(),
            "line": rows["line_no"].to_numpy(),
            "service": rows["service"].astype(str).where(rows["service"].notna(), "").to_numpy(),
            "text": np.asarray(messages.take(pa.array(picked)).to_pylist(), dtype=object),
        }
    )
    found["ts"] = pd.to_datetime(found["ts"], utc=True)
    found = pd.concat([found, keyevents._crash_loops(found)], ignore_index=True)
    return found.sort_values(["ts", "file", "line"], kind="stable").reset_index(drop=True)


def test_key_events_on_distinct_lines_match_every_rule_per_event_on_bundles(bundle_events) -> None:
    pd.testing.assert_frame_equal(
        keyevents.find_key_events(bundle_events), reference_key_events(bundle_events)
    )


def test_key_events_on_distinct_lines_match_every_rule_per_event_on_corpus(corpus_events) -> None:
    found = keyevents.find_key_events(corpus_events)
    assert len(found) > 10
    pd.testing.assert_frame_equal(found, reference_key_events(corpus_events))


# --- redaction: the rules' union picks the values, vs every rule over every value --------------

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"


def reference_redact(values: pd.Series) -> list:
    out = pa.array(values.astype(object).where(values.notna(), None).tolist(), pa.string())
    for rule in REDACTION_RULES:
        out = pc.replace_substring_regex(out, rule.pattern, rule.replacement)
    return out.to_pylist()


def _check_redaction(events: pd.DataFrame) -> None:
    for column in REDACTED_COLUMNS:
        fast = redact_series(events[column]).astype(object)
        assert fast.where(fast.notna(), None).tolist() == reference_redact(events[column]), column


def test_redaction_matches_every_rule_on_every_value_of_the_hostile_logs() -> None:
    events = ingest([HOSTILE], TimeOptions()).events
    assert redact_series(events["message"]).str.contains("REDACTED").sum() > 5
    _check_redaction(events)


def test_redaction_matches_every_rule_on_every_value_of_the_corpus(corpus_events) -> None:
    _check_redaction(corpus_events)


# --- the access-log parser: arrow kernels and threads vs plain pandas on one thread ----------


def _plain_numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column].astype(object), errors="coerce")


def _plain_message(method, path, request, status, out) -> pd.Series:
    return nginx._message_objects(out["method"], out["path"], request, status)


def _plain_search_fields(text: pd.Series, pattern: str) -> pd.DataFrame:
    """The regex over every row, not once per distinct value."""
    names = list(re.compile(pattern).groupindex)
    struct = pc.extract_regex(pa.array(text.astype(object).fillna(""), pa.string()), pattern)
    columns = {}
    for name in names:
        values = struct.field(name)
        present = pc.and_(struct.is_valid(), pc.not_equal(values, ""))
        cleaned = pc.if_else(present, values, pa.scalar(None, pa.string()))
        columns[name] = pd.array(cleaned, dtype=STRING)
    return pd.DataFrame(columns, index=text.index)


def _plain_real_client(clients: pd.Series) -> pd.Series:
    mapping = {text: nginx._first_public(text) for text in clients.dropna().unique()}
    return pd.Series(clients.astype(object).map(mapping).to_numpy(), index=clients.index)


def _plain_events(
    paths: list[Path], tz: str | None, monkeypatch: pytest.MonkeyPatch
) -> pd.DataFrame:
    with monkeypatch.context() as patch:
        patch.setattr(nginx, "_numbers", _plain_numbers)
        patch.setattr(nginx, "_message", _plain_message)
        patch.setattr(
            nginx, "extract_parallel", lambda lines, pattern: pc.extract_regex(lines, pattern)
        )
        patch.setattr(
            nginx,
            "_captures_with_shortcut",
            lambda lines, pattern, shortcut, names: nginx._captures(lines, pattern, names),
        )
        patch.setattr(nginx, "search_fields", _plain_search_fields)
        patch.setattr(nginx, "real_client", _plain_real_client)
        for fmt in registered():  # the sniff pass before the parse, for every format
            patch.setitem(base._REGISTRY, fmt.name, dataclasses.replace(fmt, parse_is_sniff=False))
        return ingest(paths, TimeOptions(tz=tz)).events


def _threaded_events(
    paths: list[Path], tz: str | None, monkeypatch: pytest.MonkeyPatch
) -> pd.DataFrame:
    with monkeypatch.context() as patch:
        patch.setattr(nginx, "PARALLEL_MIN_LINES", 2)  # force the thread pool even on small files
        patch.setattr(nginx, "MAX_THREADS", 3)  # an odd chunk count, to check the joins
        patch.setattr(nginx.os, "cpu_count", lambda: 3)
        return ingest(paths, TimeOptions(tz=tz)).events


@pytest.mark.parametrize("path", BUNDLES, ids=[b.name for b in BUNDLES])
def test_access_parser_matches_the_plain_path_on_bundles(path, monkeypatch) -> None:
    plain = _plain_events([path], None, monkeypatch)
    pd.testing.assert_frame_equal(ingest([path], TimeOptions()).events, plain)
    pd.testing.assert_frame_equal(_threaded_events([path], None, monkeypatch), plain)


def test_access_parser_matches_the_plain_path_on_corpus(monkeypatch) -> None:
    if not CORPUS_LOGS:
        pytest.skip("corpus folder absent")
    plain = _plain_events(CORPUS_LOGS, "UTC", monkeypatch)
    assert (plain["format"].astype(str).str.contains("access|ingress")).sum() > 0
    pd.testing.assert_frame_equal(ingest(CORPUS_LOGS, TimeOptions(tz="UTC")).events, plain)
    pd.testing.assert_frame_equal(_threaded_events(CORPUS_LOGS, "UTC", monkeypatch), plain)


# Lines at the edges of the everyday shortcut: each must give what the full pattern gives.
EDGE_ACCESS_LINES = [
    '1.2.3.4 - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    '1.2.3.4. - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    '1.2.3.4- - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    '[::1] - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    '[::1 - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    'fe80::1%eth0 - bob [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    'host.example:80 1.2.3.4 - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    '1.2.3.4 frank alice [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    '1.2.3.4 - a]b [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    '1.2.3.4 - [x] [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    '10.0.0.1, 10.0.0.2 - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    '"10.0.0.1, 8.8.8.8" 10.0.0.2 - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 - -',
    '1.2.3.4 - - [14/Mar/2024:02:31:07 +0000] "GET /a\\"b\\\\" HTTP/1.1" 200 5 "r\\"" "u"',
    '1.2.3.4 - - [14/Mar/2024:02:31:07 +0000] "" 400 0 "-" "-" "x" trailing',
    '1.2.3.4 - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" - - - -',
    '1.2.3.4 - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5',
    '1.2.3.4 - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5   ',
    '1.2.3.4 - - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 20 5 "-" "ua"',
    '1.2.3.4 -  - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    '1.2.3.4\t- - [14/Mar/2024:02:31:07 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"',
    'unix: - - [14/Mar/2024:02:31:07 +0000] "hello" 400 5 "-" "-"',
]


@pytest.mark.parametrize(
    ("pattern", "shortcut"),
    [
        (nginx.COMBINED_PATTERN, nginx.COMBINED_SHORTCUT),
        (nginx.COMMON_PATTERN, nginx.COMMON_SHORTCUT),
    ],
    ids=["combined", "common"],
)
def test_everyday_shortcut_captures_what_the_full_pattern_captures(pattern, shortcut) -> None:
    samples = [s.line for fmt in registered() for s in fmt.samples if "[" in s.line]
    lines = pa.array(EDGE_ACCESS_LINES + samples, pa.string())
    full = nginx.extract_fields(lines, pattern, frozenset({"request"}))
    fast = nginx.extract_fields(lines, pattern, frozenset({"request"}), shortcut)
    assert len(fast) >= 4
    pd.testing.assert_frame_equal(fast, full[list(fast.columns)])


def test_numbers_fall_back_for_what_arrow_cannot_cast() -> None:
    frame = pd.DataFrame({"bytes": pd.array(["12", None, "99999999999999999999999"], dtype=STRING)})
    fast = nginx._numbers(frame, "bytes")
    assert fast.tolist()[0] == 12 and pd.isna(fast.tolist()[1])
    assert fast.tolist()[2] == pytest.approx(1e23)


# --- reading: bytes split by numpy and checked by arrow vs decode() + split_lines() ------------

EDGE_BYTES = [
    b"",
    b"\n",
    b"\n\n",
    b"a",
    b"a\n",
    b"a\n\n",
    b"a\r\nb\r\n",
    b"a\rb\r",
    b"a\r\n\r\nb",
    b"\xef\xbb\xbfbom first\nx",
    b"\xef\xbb\xbf",
    b"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\xa5\n",
    b"bad \xff byte\n",
    b"surrogate \xed\xa0\x80\n",
    b"overlong \xc0\xaf\n",
    b"cut \xe2\x82",
    b"nul \x00 inside\n",
    "utf-16 line\n".encode("utf-16"),
    b"x" * (inputs.MAX_LINE_BYTES + 5) + b"\nshort\n",
    "é".encode() * (inputs.MAX_LINE_BYTES // 2 + 3) + b"\n",
]


def _plain_split(raw: bytes) -> tuple[pa.Array, int, int]:
    text, invalid = inputs.decode(raw)
    lines, truncated = inputs.split_lines(text)
    return lines, truncated, invalid


@pytest.mark.parametrize("raw", EDGE_BYTES, ids=range(len(EDGE_BYTES)))
def test_split_utf8_matches_decode_and_split(raw: bytes) -> None:
    fast = inputs.split_utf8(raw)
    lines, truncated, invalid = _plain_split(raw)
    if fast is None:  # only text that needs decoding may take the slow path
        assert invalid > 0 or raw[:2] in (b"\xff\xfe", b"\xfe\xff")
        return
    assert invalid == 0
    assert fast[0].equals(lines) and fast[0].type == pa.string()
    assert fast[1] == truncated


def test_split_utf8_matches_on_every_sample_and_corpus_file() -> None:
    files = [p for p in SAMPLE_LOGS.rglob("*") if p.is_file()] + CORPUS_LOGS
    fast_count = 0
    for path in files:
        raw = path.read_bytes()
        fast = inputs.split_utf8(raw)
        lines, truncated, invalid = _plain_split(raw)
        if fast is None:
            assert invalid > 0 or raw[:2] in (b"\xff\xfe", b"\xfe\xff"), path
            continue
        fast_count += 1
        assert fast[0].equals(lines), path
        assert (fast[1], invalid) == (truncated, 0), path
    assert fast_count > len(files) // 2


def test_missing_columns_built_by_take_equal_a_list_of_nas() -> None:
    for dtype in COLUMNS.values():
        for n in (0, 1, 7):
            expected = pd.array([pd.NA] * n if n else [], dtype=_concrete(dtype))
            pd.testing.assert_extension_array_equal(missing_values(dtype, n), expected)


# --- detection: the first non-blank lines from a growing head vs a filter of the whole file ----


@pytest.mark.parametrize(
    "lines",
    [
        [],
        ["a"] * 10,
        [""] * 1000 + ["a"],
        ["", " ", "x"] * 500,
        ["", "\t", None] * 300 + ["b"] * 250,
    ],
    ids=["empty", "short", "blank-head", "sparse", "nulls"],
)
def test_first_non_blank_lines_match_a_filter_of_every_line(lines: list[str | None]) -> None:
    array = pa.array(lines, pa.string())
    everything = array.filter(pc.invert(base._blank_mask(array)))
    for count in (1, 3, base.DETECT_LINES):
        assert base.first_non_blank(array, count).equals(everything.slice(0, count))


# --- the context's times: numpy-formatted columns vs `_iso` one by one ---------------------------

_ISO = "ISO8601"
TIME_COLUMNS = {
    "fractions": pd.Series(
        pd.to_datetime(
            [
                "2024-03-14T02:31:07Z",
                "2024-03-14T02:31:07.5Z",
                "2024-03-14T02:31:07.000001Z",
                "2024-03-14T02:31:07.000000001Z",
                "1969-12-31T23:59:59.999Z",
                "1700-01-01T00:00:00.123456Z",
            ],
            utc=True,
            format=_ISO,
        )
    ),
    "zoned": pd.Series(
        pd.to_datetime(["2024-03-14T23:59:59.999+01:00"], utc=True, format=_ISO)
    ).dt.tz_convert("Asia/Kolkata"),
    "naive": pd.Series(pd.to_datetime(["2024-03-14T02:31:07.25"], format=_ISO)),
    "empty": pd.Series([], dtype="datetime64[ns, UTC]"),
    "objects": pd.Series([pd.Timestamp("2024-01-01 00:00:01.5", tz="UTC")], dtype=object),
}


@pytest.mark.parametrize("name", TIME_COLUMNS)
def test_iso_of_a_column_matches_iso_of_each_time(name: str) -> None:
    column = TIME_COLUMNS[name]
    assert report._iso_many(column) == [report._iso(ts) for ts in column]


def test_key_event_records_match_row_by_row_on_bundles(bundle_events) -> None:
    keys = analyse(bundle_events).key_events
    expected = [
        {
            "ts": report._iso(row.ts),
            "kind": row.kind,
            "rule": row.rule,
            "file": row.file or None,
            "line": int(row.line) if row.line is not None and pd.notna(row.line) else None,
            "service": row.service or None,
            "text": report._excerpt(str(row.text)),
        }
        for row in keys.itertuples(index=False)
    ]
    assert report._records(keys) == expected
