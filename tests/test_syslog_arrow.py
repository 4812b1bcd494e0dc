"""The syslog parsers work on arrow arrays and read each distinct time once: these pin that they
give what the pandas/Python-regex code they replaced gave, value for value, on any text.

The old code is spelled out here as the reference (it is short), so that a later change to
either side cannot drift silently.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import syslog
from parsers.timestamps import TimeOptions, YearlessTimes, parse_timestamps

# Characters that trip up whitespace and digit classes: RE2's `\s` is ASCII, Python's Unicode.
EDGES = "\t\n\x0b\x0c\r \x1c\x85\xa0\u2003\u3000\ufeff0१٣"
TEXT = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(EDGES), max_size=40)


def _old_clean(values: list[str | None]) -> list[str]:
    array = pa.array([value or "" for value in values], pa.string())
    out = pc.replace_substring_regex(array, r"^\x{FEFF}?\s+|^\x{FEFF}|\s+$", "")
    return out.to_pylist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.none() | TEXT, max_size=10))
def test_message_cleanup_is_the_regex_it_replaced(values: list[str | None]) -> None:
    cleaned = syslog._clean_message(pa.array(values, pa.string()))
    assert cleaned.to_pylist() == _old_clean(values)


REPEAT_PY = re.compile(r"^(?:(?:--- )?last message repeated \d+ times?(?: ---)?)\s*$")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.builds(
            lambda head, count, tail: f"{head}last message repeated {count} times{tail}",
            st.sampled_from(["", "--- ", " "]),
            st.text(alphabet="0123456789१٣x", min_size=1, max_size=3),
            st.text(alphabet=" ---" + EDGES, max_size=4),
        )
        | TEXT,
        max_size=10,
    )
)
def test_repeats_are_found_as_pythons_re_found_them(messages: list[str]) -> None:
    found = pc.match_substring_regex(pa.array(messages, pa.string()), syslog.REPEAT_MESSAGE)
    assert found.to_pylist() == [REPEAT_PY.search(message) is not None for message in messages]


@pytest.mark.parametrize(
    "pids", [["1", "0042", None, "9007199254740992"], ["abc", "1e3", "-5", "+7", None, "12"]]
)
def test_pids_are_what_to_numeric_reads(pids: list[str | None]) -> None:
    expected = pd.to_numeric(pd.Series(pids, dtype=object), errors="coerce").astype("Int64")
    got = syslog._pid(pa.array(pids, pa.string()))
    assert pd.Series(got).equals(expected)


def test_a_pid_beyond_floats_stays_exact() -> None:
    """`to_numeric` over a column with a missing pid went through float64 and rounded pids past
    2**53 (`...678` became `...680`); digits are now cast as integers."""
    got = syslog._pid(pa.array(["123456789012345678", None], pa.string()))
    assert got[0] == 123456789012345678


def _old_yearless(text: pd.Series, fmt: str, year: int) -> pd.Series:
    """The whole-file year rule with a given year, as it was: per line, in pandas."""
    squeezed = text.str.replace(r"\s+", " ", regex=True)
    months = pd.to_datetime("2000 " + squeezed, format="%Y " + fmt, errors="coerce").dt.month
    rolled = (months.diff() < -6).cumsum().fillna(0).astype(int).to_numpy()
    years = pd.Series((year + rolled).astype(str), index=text.index)
    return parse_timestamps(years + " " + squeezed, "%Y " + fmt, "Europe/Berlin")


STAMPS = st.builds(
    lambda month, day, time: f"{month} {day:>2} {time}",
    st.sampled_from(["Jan", "Feb", "Mar", "Oct", "Dec", "Foo"]),
    st.integers(0, 32),
    st.sampled_from(["00:00:00.0", "02:30:00.0", "23:59:59.5", "25:00:00.0"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.none() | STAMPS, max_size=12).filter(lambda stamps: any(stamps)))
def test_year_less_times_are_the_per_line_reading(stamps: list[str | None]) -> None:
    """Rollovers (also next to lines without a date), Feb 29, DST folds: per distinct text."""
    fmt = "%b %d %H:%M:%S.%f"
    text = pd.Series(stamps, dtype=object)
    expected = _old_yearless(text, fmt, 2023).to_numpy(dtype="datetime64[ns]")
    got = YearlessTimes.of(text, fmt).choose(
        fmt, TimeOptions(year=2023, tz="Europe/Berlin"), None, None
    )
    assert np.array_equal(got, expected, equal_nan=True)
