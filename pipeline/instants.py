"""The context's times as timestamps, each text parsed once per run.

The draft's views compare every key event's time with the window, several times per render (the
draft, the chart's marks, the measures); with a hundred thousand key events, parsing the same ISO
texts again was seconds of `pd.Timestamp`.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd


@lru_cache(maxsize=1 << 20)
def instant(value: object) -> pd.Timestamp:
    """`pd.Timestamp(value)`, remembered (timestamps are immutable, so sharing one is safe)."""
    return pd.Timestamp(value)
