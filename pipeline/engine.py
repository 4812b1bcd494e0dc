"""Where the per-source work runs: in this process, one source at a time, by default.

Reading and parsing a source is a pure function of the source and a plan
(`pipeline.sources.parse_source`), so an engine only has to map it over the sources and hand
the results back in order. Everything after that (zones, merge, analysis) runs in the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Engine(Protocol):
    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[function(item) for item in items]`, wherever and however it runs."""
        ...


class LocalEngine:
    """One item after the other in this process: each source's lines are let go before the
    next is read, so memory holds one file's text at a time."""

    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return [function(item) for item in items]
