"""The library entry points the CLI calls: paths and options in, results out, no printing."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from parsers.timestamps import TimeOptions, resolve_zone
from pipeline.analysis import AnalysisOptions
from pipeline.errors import PostmortemError
from pipeline.export import export_format, serialize
from pipeline.render import render
from pipeline.report import build_context
from pipeline.series import parse_bucket
from pipeline.sources import FileQuality, FormatRule, ingest, parse_format_rules
from pipeline.window import parse_range, parse_time


@dataclass(frozen=True)
class DraftOptions:
    tz: str = "UTC"
    year: int | None = None
    generated_at: dt.datetime | None = None
    template: str = "postmortem.md.j2"
    format_for: tuple[FormatRule, ...] = ()  # (glob, format name) from --format-for
    bucket: str | None = None  # --bucket, e.g. "30s"; adaptive when None
    since: str | None = None  # --since / --until: ISO 8601, naive = UTC
    until: str | None = None
    window: str | None = None  # --window START..END overrides detection
    format: str = "md"  # "md" (the template) or "json" (the context itself)


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
    ingested = ingest(
        paths, TimeOptions(tz=options.tz, year=options.year), format_for=options.format_for
    )
    if not ingested.files:
        raise PostmortemError("no log files found under the given paths")
    context = build_context(
        ingested,
        generated_at=options.generated_at or generated_at(None),
        tz="UTC",
        options=analysis_options(options),
    )
    if options.format == "json":
        text = json.dumps(context, indent=2, ensure_ascii=False) + "\n"
        return Draft(text=text, context=context)
    return Draft(text=render(context, options.template), context=context)


DRAFT_FORMATS = ("md", "json")


def draft_format(value: str | None, output: Path | None) -> str:
    """`--format`, else the output's suffix (`.json` means JSON), else Markdown."""
    if value is None:
        return "json" if output is not None and output.suffix.lower() == ".json" else "md"
    if value not in DRAFT_FORMATS:
        raise PostmortemError(f"--format must be one of {', '.join(DRAFT_FORMATS)}: {value!r}")
    return value


def analysis_options(options: DraftOptions) -> AnalysisOptions:
    """The analysis choices of `draft`, parsed (bad values are one-line errors)."""
    since = parse_time(options.since, "--since") if options.since else None
    until = parse_time(options.until, "--until") if options.until else None
    if since is not None and until is not None and until <= since:
        raise PostmortemError("--until must be after --since")
    return AnalysisOptions(
        bucket=parse_bucket(options.bucket) if options.bucket else None,
        since=since,
        until=until,
        window=parse_range(options.window) if options.window else None,
    )


@dataclass(frozen=True)
class ReadOptions:
    """How to read logs for `events` and `inspect`: the time and format choices of `draft`."""

    tz: str = "UTC"
    year: int | None = None
    format_for: tuple[FormatRule, ...] = ()


def format_rules(values: Sequence[str] | None) -> tuple[FormatRule, ...]:
    """`--format-for GLOB=FORMAT` values checked against the registry."""
    return parse_format_rules(values or ())


@dataclass(frozen=True)
class Exported:
    data: bytes
    events: int
    files: list[FileQuality]


def export_events(paths: Sequence[Path], output: Path, options: ReadOptions) -> Exported:
    """The normalised events of `paths`, serialised in the format `output`'s suffix names."""
    kind = export_format(output)  # a bad suffix is a usage error before any reading
    resolve_zone(options.tz)
    ingested = ingest(
        paths, TimeOptions(tz=options.tz, year=options.year), format_for=options.format_for
    )
    return Exported(serialize(ingested.events, kind), len(ingested.events), ingested.files)


def inspect(paths: Sequence[Path], options: ReadOptions) -> list[FileQuality]:
    """How each file under `paths` reads: format, line accounting, time range, zone assumed."""
    resolve_zone(options.tz)
    ingested = ingest(
        paths, TimeOptions(tz=options.tz, year=options.year), format_for=options.format_for
    )
    return ingested.files
