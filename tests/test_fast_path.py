"""The fast paths of issue 6 against plain reference paths: results must stay identical.

Each reference below is the straightforward per-event version the fast path replaced, kept here
(not in the package) so that the test, not a comment, says the two agree. They run on every
sample bundle and on the corpus logs.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from conftest import CORPUS, SAMPLE_LOGS

from parsers import nginx
from parsers.timestamps import TimeOptions
from pipeline.analysis import analyse
from pipeline.schema import STRING
from pipeline.signatures import mask, merge_variable_words, signature_of, signature_stats
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


def _zone(bundle: Path) -> str:
    found = re.search(r"--tz ([\w/+:-]+)", (bundle / "README.md").read_text(encoding="utf-8"))
    return found.group(1) if found else "UTC"


@pytest.fixture(scope="module", params=BUNDLES, ids=[b.name for b in BUNDLES])
def bundle_events(request: pytest.FixtureRequest) -> pd.DataFrame:
    path = request.param
    return ingest([path], TimeOptions(tz=_zone(path))).events


@pytest.fixture(scope="module")
def corpus_events() -> pd.DataFrame:
    if not CORPUS_LOGS:
        pytest.skip("corpus folder absent")
    return ingest(CORPUS_LOGS, TimeOptions()).events


# --- references: the per-event versions -------------------------------------------------------


def reference_signature_of(messages: pd.Series) -> pd.Series:
    """Mask every message, one by one in the array, with no factorising."""
    if messages.empty:
        return pd.Series([], dtype=STRING, index=messages.index)
    text = messages.astype(STRING).fillna("")
    templates = mask(pa.array(text.to_numpy(dtype=object), pa.string())).to_pylist()
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


def test_signature_stats_match_the_per_event_frame_on_bundles(bundle_events) -> None:
    _check_stats(bundle_events)


def test_signature_stats_match_the_per_event_frame_on_corpus(corpus_events) -> None:
    _check_stats(corpus_events)


# --- the access-log parser: arrow kernels and threads vs plain pandas on one thread ----------


def _plain_numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column].astype(object), errors="coerce")


def _plain_message(method, path, request, status, out) -> pd.Series:
    return nginx._message_objects(out["method"], out["path"], request, status)


def _plain_events(paths: list[Path], tz: str, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    with monkeypatch.context() as patch:
        patch.setattr(nginx, "_numbers", _plain_numbers)
        patch.setattr(nginx, "_message", _plain_message)
        patch.setattr(
            nginx, "extract_parallel", lambda lines, pattern: pc.extract_regex(lines, pattern)
        )
        return ingest(paths, TimeOptions(tz=tz)).events


def _threaded_events(paths: list[Path], tz: str, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    with monkeypatch.context() as patch:
        patch.setattr(nginx, "PARALLEL_MIN_LINES", 2)  # force the thread pool even on small files
        patch.setattr(nginx, "MAX_THREADS", 3)  # an odd chunk count, to check the joins
        patch.setattr(nginx.os, "cpu_count", lambda: 3)
        return ingest(paths, TimeOptions(tz=tz)).events


@pytest.mark.parametrize("path", BUNDLES, ids=[b.name for b in BUNDLES])
def test_access_parser_matches_the_plain_path_on_bundles(path, monkeypatch) -> None:
    tz = _zone(path)
    plain = _plain_events([path], tz, monkeypatch)
    pd.testing.assert_frame_equal(ingest([path], TimeOptions(tz=tz)).events, plain)
    pd.testing.assert_frame_equal(_threaded_events([path], tz, monkeypatch), plain)


def test_access_parser_matches_the_plain_path_on_corpus(monkeypatch) -> None:
    if not CORPUS_LOGS:
        pytest.skip("corpus folder absent")
    plain = _plain_events(CORPUS_LOGS, "UTC", monkeypatch)
    assert (plain["format"].astype(str).str.contains("access|ingress")).sum() > 0
    pd.testing.assert_frame_equal(ingest(CORPUS_LOGS, TimeOptions()).events, plain)
    pd.testing.assert_frame_equal(_threaded_events(CORPUS_LOGS, "UTC", monkeypatch), plain)


def test_numbers_fall_back_for_what_arrow_cannot_cast() -> None:
    frame = pd.DataFrame({"bytes": pd.array(["12", None, "99999999999999999999999"], dtype=STRING)})
    fast = nginx._numbers(frame, "bytes")
    assert fast.tolist()[0] == 12 and pd.isna(fast.tolist()[1])
    assert fast.tolist()[2] == pytest.approx(1e23)
