import pandas as pd
import pytest

from pipeline.schema import COLUMNS, SEVERITY_LEVELS, SchemaError, conform, empty_events, validate


def test_empty_events_has_every_column_in_its_declared_dtype():
    events = validate(empty_events())
    assert list(events.columns) == list(COLUMNS)
    assert str(events["ts"].dtype) == "datetime64[ns, UTC]"
    assert events["severity"].cat.ordered
    assert list(events["severity"].cat.categories) == list(SEVERITY_LEVELS)


def test_severity_is_ordered_from_debug_to_emergency():
    events = conform(pd.DataFrame({"severity": ["error", "info", "emergency", "warning"]}))
    assert events["severity"].max() == "emergency"
    assert (events["severity"] >= "error").tolist() == [True, False, True, False]


def test_conform_fills_missing_columns_with_typed_missing_values():
    events = conform(pd.DataFrame({"message": ["a"], "status": [502]}))
    validate(events)
    assert events.loc[0, "status"] == 502
    assert pd.isna(events.loc[0, "bytes"])


def test_validate_rejects_a_missing_column():
    with pytest.raises(SchemaError, match="missing \\['bytes'\\]"):
        validate(empty_events().drop(columns=["bytes"]))


def test_validate_rejects_a_wrong_dtype():
    events = empty_events()
    events["status"] = events["status"].astype("float64")
    with pytest.raises(SchemaError, match="'status'"):
        validate(events)


def test_validate_rejects_an_unordered_severity():
    events = empty_events()
    events["severity"] = events["severity"].astype(pd.CategoricalDtype(list(SEVERITY_LEVELS)))
    with pytest.raises(SchemaError, match="'severity'"):
        validate(events)


def test_concat_column_of_text_categories_is_what_pandas_gives() -> None:
    """The arrow path (union of used categories, sorted, codes mapped) against pandas' own."""
    from pipeline.schema import concat_column

    def piece(values: list) -> pd.Series:
        return pd.Series(values, dtype="string[pyarrow]").astype("category")

    pieces = [piece(["b", None, "é", "b"]), piece(["a", "Z", None]), piece([None, None])]
    pieces[1] = pieces[1].cat.add_categories(["unused"])  # not used: not in the union
    joined = concat_column(pieces)
    expected = pd.concat([p.astype(object) for p in pieces], ignore_index=True)
    assert joined.astype(object).fillna("-").tolist() == expected.fillna("-").tolist()
    assert joined.isna().tolist() == [False, True, False, False, False, False, True, True, True]
    assert list(joined.cat.categories) == ["Z", "a", "b", "é"]  # code-point order
    assert joined.cat.categories.dtype == pieces[0].cat.categories.dtype
