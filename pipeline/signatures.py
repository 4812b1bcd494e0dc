"""Signatures: one template per message, variable tokens masked, so that repeats group.

The rules are general on purpose (they are judged on logs of systems nobody here has seen): they
mask what is variable in any system's messages (times, numbers, ids, addresses, paths, quoted
values, durations) and leave words alone. They run as RE2 regexes (pyarrow) over the *unique*
messages only, so a million repeats of one line cost one regex pass.

Per-signature counts before, during and after the window, first sighting and the new / surging
flags are what the root-cause ranking reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.schema import STRING

MAX_MESSAGE = 2000  # characters of a message that decide its signature (tracebacks are long)
SURGE_FACTOR = 5.0  # in-window rate this many times the outside rate is a surge
MIN_SURGE = 3  # occurrences in the window needed to call anything a surge
MIN_TOKENS = 3  # shorter templates are all constant words ("Connection refused")
MIN_VARIANTS = 3  # values a word position must take before it counts as a variable

_HEX = "[0-9a-fA-F]"
_BEFORE = r"(^|[\s=:,;(\[{<>\"'])"  # what may precede a path or quoted value

# (name, RE2 pattern, replacement). Order matters: specific shapes before generic numbers.
MASKS: tuple[tuple[str, str, str], ...] = (
    ("url", r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+", "<url>"),
    ("email", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b", "<email>"),
    (
        "timestamp",
        r"\b\d{4}[-/]\d{2}[-/]\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?",
        "<ts>",
    ),
    ("uuid", rf"\b{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}\b", "<uuid>"),
    ("hex_bytes", rf"\b{_HEX}{{2}}(:{_HEX}{{2}}){{5,}}\b", "<hex>"),
    ("ipv6", rf"\b{_HEX}{{1,4}}(:{_HEX}{{1,4}}){{7}}\b", "<ip>"),
    ("ipv6_short", rf"\b{_HEX}{{1,4}}(:{_HEX}{{1,4}})*::({_HEX}{{1,4}}(:{_HEX}{{1,4}})*)?", "<ip>"),
    ("ipv4", r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", "<ip>"),
    ("time", r"\b\d{1,2}:\d{2}(:\d{2}([.,]\d+)?)?\b", "<time>"),
    ("host_port", r"\b(localhost|[A-Za-z][\w-]*(\.[\w-]+)+):\d{1,5}\b", "<host>:<port>"),
    ("quoted", r"\"[^\"\n]*\"", '"<*>"'),
    ("single_quoted", _BEFORE + r"'[^'\n]*'", r"\1'<*>'"),
    ("path", _BEFORE + r"(~|\.{1,2})?(/[\w.@%+~:-]+)+/?", r"\1<path>"),
    ("windows_path", r"\b[A-Za-z]:\\[^\s\"']+", "<path>"),
    (
        "duration",
        r"\b\d+(\.\d+)?\s?(ns|us|µs|ms|s|sec|secs|seconds?|mins?|minutes?|h|hrs?|hours?|days?)\b",
        "<duration>",
    ),
    ("hex", rf"\b0[xX]{_HEX}+\b", "<hex>"),
    ("id", r"\b([A-Za-z_]+\d|\d+[A-Za-z_])\w*\b", "<id>"),
    ("number", r"\b\d+([.,]\d+)*\b", "<num>"),
    ("list", r"<\w+>(\s*,\s*<\w+>)+", "<list>"),
    ("space", r"\s+", " "),
)


def signature_of(messages: pd.Series) -> pd.Series:
    """The template of each message: same template for messages that differ only in variables.

    Only the first line of a multi-line event counts (a traceback's frames vary by deployment).
    """
    if messages.empty:
        return pd.Series([], dtype=STRING, index=messages.index)
    text = messages.astype(STRING).fillna("")
    codes, uniques = pd.factorize(text, sort=False)
    templates = mask(pa.array(np.asarray(uniques, dtype=object), pa.string()))
    # Merging looks at the distinct templates only: far fewer than the distinct messages.
    template_codes, distinct = pd.factorize(pd.Series(templates.to_pylist(), dtype=object))
    merged = merge_variable_words(pd.Series(distinct, dtype=object)).to_numpy(dtype=object)
    return pd.Series(pd.array(merged[template_codes][codes], dtype=STRING), index=messages.index)


def merge_variable_words(templates: pd.Series, *, rounds: int = 2) -> pd.Series:
    """Mask words that vary where everything else is equal (user names, hosts, unit names).

    Masking cannot know that `alice` is a variable; the other messages can. Like Drain and Brain,
    templates of the same length that differ in one position are one template when that position
    takes at least `MIN_VARIANTS` values (two values are more often a state, `started`/`stopped`,
    than a variable). The first word is never masked (it is usually the verb or the component).
    """
    current = templates.astype(object).reset_index(drop=True)
    for _ in range(rounds):
        tokens = current.str.split(" ")
        lengths = tokens.str.len()
        long_enough = lengths >= MIN_TOKENS
        if not long_enough.any():
            break
        exploded = tokens[long_enough].explode().to_frame("token")
        exploded["position"] = exploded.groupby(level=0).cumcount()
        exploded = exploded[exploded["position"] > 0]
        exploded = exploded[~exploded["token"].str.fullmatch(r"<[\w*:]+>").astype(bool)]
        if exploded.empty:
            break
        ids = exploded.index.to_numpy()
        positions = exploded["position"].to_numpy()
        keys = [
            " ".join([*tokens[i][:p], "<*>", *tokens[i][p + 1 :]])
            for i, p in zip(ids, positions, strict=True)
        ]
        exploded["key"] = keys
        variants = exploded.groupby("key")["token"].nunique()
        exploded["variants"] = exploded["key"].map(variants)
        chosen = exploded[exploded["variants"] >= MIN_VARIANTS]
        if chosen.empty:
            break
        best = chosen.sort_values(["variants", "key"], ascending=[False, True]).groupby(level=0)
        replacement = best["key"].first()
        current.loc[replacement.index] = replacement.to_numpy()
    current.index = templates.index
    return current


def mask(messages: pa.Array) -> pa.Array:
    """Apply `MASKS` in order to an array of messages (vectorised, RE2)."""
    first_line = pc.utf8_slice_codeunits(
        pc.replace_substring_regex(messages, r"\r?\n[\s\S]*$", ""), 0, MAX_MESSAGE
    )
    out = first_line
    for _name, pattern, replacement in MASKS:
        out = pc.replace_substring_regex(out, pattern, replacement)
    return pc.utf8_trim_whitespace(out)


def signature_stats(
    events: pd.DataFrame,
    signatures: pd.Series,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pd.DataFrame:
    """Per signature: counts before/during/after the window, first and last sighting, where it
    was first seen (file, line, text), and whether it is new or surging in the window.

    `new`: never seen before the window yet seen in it. `surging`: its rate in the window is
    `SURGE_FACTOR` times its rate outside (and at least `MIN_SURGE` occurrences).

    The per-event work runs on integer codes (signature, file rank, row number): a frame of a
    million Python strings cost seconds. Text is fetched only for each signature's first row.
    """
    columns = [
        "signature",
        "count",
        "before",
        "during",
        "after",
        "first_seen",
        "last_seen",
        "file",
        "line",
        "text",
        "severity",
        "new",
        "surging",
    ]
    if events.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    codes, uniques = pd.factorize(signatures, sort=False)
    file_rank, file_names = file_keys(events["source_file"])
    frame = pd.DataFrame(
        {
            "signature": codes,
            "ts": pd.to_datetime(events["ts"].to_numpy(dtype="datetime64[ns]"), utc=True),
            "file": file_rank,
            "line": events["line_no"].to_numpy(),
            "row": np.arange(len(events), dtype=np.int64),
            "severity_rank": events["severity"].cat.codes.to_numpy(),
        }
    )
    if start is not None and end is not None:
        frame["before"] = (frame["ts"] < start).astype(np.int64)
        frame["during"] = ((frame["ts"] >= start) & (frame["ts"] < end)).astype(np.int64)
        frame["after"] = (frame["ts"] >= end).astype(np.int64)
    else:
        frame["before"] = np.ones(len(frame), dtype=np.int64)
        frame["during"] = frame["after"] = np.zeros(len(frame), dtype=np.int64)
    frame = frame.sort_values(["ts", "file", "line"], kind="stable")
    grouped = frame.groupby("signature", sort=False)
    stats = grouped.agg(
        count=("ts", "size"),
        before=("before", "sum"),
        during=("during", "sum"),
        after=("after", "sum"),
        first_seen=("ts", "min"),
        last_seen=("ts", "max"),
        file_row=("row", "first"),
        line=("line", "first"),
        severity_code=("severity_rank", "max"),
    )
    # `first` skips missing values: the first text is that of the first row that has one.
    has_text = events["message"].notna().to_numpy()[frame["row"].to_numpy()]
    text_row = frame[has_text].groupby("signature", sort=False)["row"].first()
    text_row = text_row.reindex(stats.index)
    text = pd.Series(np.nan, index=stats.index, dtype=object)
    found = text_row.notna().to_numpy()
    text[found] = events["message"].iloc[text_row[found].to_numpy(dtype=np.int64)].to_numpy()
    file_codes = file_rank[stats["file_row"].to_numpy()]
    stats = stats.assign(
        signature=pd.Series(uniques.take(stats.index.to_numpy()), index=stats.index).to_numpy(
            dtype=object
        ),
        file=file_names[file_codes],
        text=text.to_numpy(),
    ).reset_index(drop=True)
    for name in ("signature", "file", "text"):
        stats[name] = stats[name].astype("str")
    levels = events["severity"].cat.categories
    stats["severity"] = [levels[c] if c >= 0 else None for c in stats["severity_code"]]
    stats = stats.drop(columns=["severity_code", "file_row"])
    if start is not None and end is not None:
        inside = max((end - start).total_seconds(), 1.0)
        outside = max((frame["ts"].max() - frame["ts"].min()).total_seconds() - inside, 1.0)
        rate_in = stats["during"] / inside
        rate_out = (stats["before"] + stats["after"]) / outside
        stats["new"] = (stats["before"] == 0) & (stats["during"] > 0)
        stats["surging"] = (stats["during"] >= MIN_SURGE) & (rate_in >= SURGE_FACTOR * rate_out)
    else:
        stats["new"] = False
        stats["surging"] = False
    stats = stats.sort_values(["first_seen", "signature"], kind="stable").reset_index(drop=True)
    return stats[columns]


def file_keys(source_file: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per event, the rank of its file name in string order, and the names by rank.

    Sorting by the rank sorts as the names would (`astype(str)`, so a missing file is `nan`)
    without turning a categorical column into a million Python strings.
    """
    categorical = source_file.astype("category")
    names = np.asarray([str(c) for c in categorical.cat.categories] + ["nan"], dtype=object)
    order = np.argsort(names, kind="stable")
    unique_names, rank_of_sorted = np.unique(names[order], return_inverse=True)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = rank_of_sorted
    codes = categorical.cat.codes.to_numpy().astype(np.int64)
    codes[codes < 0] = len(names) - 1
    return rank[codes], unique_names
