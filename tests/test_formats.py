"""Every registered format parses its own samples to the declared fields and detects them."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import parsers
from parsers.base import LogFormat, Sample
from parsers.timestamps import TimeOptions
from pipeline.schema import validate

CASES = [
    pytest.param(fmt, sample, id=f"{fmt.name}-{i}")
    for fmt in parsers.registered()
    for i, sample in enumerate(fmt.samples)
]


@pytest.mark.parametrize(("fmt", "sample"), CASES)
def test_sample_parses_to_declared_fields(fmt: LogFormat, sample: Sample) -> None:
    result = parsers.parse_lines(sample.line.split("\n"), fmt, TimeOptions(tz="UTC", year=2024))
    events = validate(result.events)
    assert result.unparsed == 0, result.unparsed_examples
    assert len(events) == 1
    event = events.iloc[0]
    assert event["severity"] == sample.severity
    assert event["format"] == fmt.name
    for name, expected in sample.fields.items():
        actual = event[name]
        if name == "ts":
            assert actual == pd.Timestamp(expected), name
        elif expected is None:
            assert pd.isna(actual), name
        elif isinstance(expected, float):
            assert math.isclose(actual, expected), name
        else:
            assert actual == expected, name


@pytest.mark.parametrize(("fmt", "sample"), CASES)
def test_sample_is_claimed_by_its_format(fmt: LogFormat, sample: Sample) -> None:
    detected = parsers.detect_format(sample.line.split("\n"))
    assert detected is not None and detected.name == fmt.name


def test_every_format_has_samples_and_a_unique_name() -> None:
    names = [fmt.name for fmt in parsers.registered()]
    assert len(names) == len(set(names))
    assert all(fmt.samples for fmt in parsers.registered())
