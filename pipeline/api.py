"""The library entry points the CLI calls: paths and options in, results out, no printing."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from parsers.timestamps import TimeOptions, resolve_zone
from pipeline.errors import PostmortemError
from pipeline.render import render
from pipeline.report import build_context
from pipeline.sources import ingest


@dataclass(frozen=True)
class DraftOptions:
    tz: str = "UTC"
    year: int | None = None
    generated_at: dt.datetime | None = None
    template: str = "postmortem.md.j2"


@dataclass(frozen=True)
class Draft:
    text: str
    context: dict


def generated_at(value: str | None) -> dt.datetime:
    """The one clock in the output: `--generated-at`, else SOURCE_DATE_EPOCH, else now."""
    if value:
        try:
            stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise PostmortemError(f"--generated-at is not an ISO 8601 time: {value!r}") from None
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        except ValueError:
            raise PostmortemError(f"SOURCE_DATE_EPOCH is not an integer: {epoch!r}") from None
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def draft(paths: Sequence[Path], options: DraftOptions) -> Draft:
    """Read the logs under `paths` and render the postmortem draft."""
    resolve_zone(options.tz)  # a bad zone is a usage error before any reading
    ingested = ingest(paths, TimeOptions(tz=options.tz, year=options.year))
    if not ingested.files:
        raise PostmortemError("no log files found under the given paths")
    context = build_context(
        ingested, generated_at=options.generated_at or generated_at(None), tz="UTC"
    )
    return Draft(text=render(context, options.template), context=context)
