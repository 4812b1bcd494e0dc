"""The library entry points the CLI calls: paths and options in, results out, no printing."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from parsers.base import extra_formats
from parsers.log_format import compile_log_format
from parsers.timestamps import TimeOptions, resolve_zone
from pipeline.analysis import AnalysisOptions
from pipeline.chart import ChartInput, render_chart
from pipeline.check import template_name
from pipeline.draftview import draft_view
from pipeline.engine import make_engine
from pipeline.errors import PostmortemError
from pipeline.export import export_format, serialize
from pipeline.fences import UpdateResult, update_draft
from pipeline.hosts import HostRule, parse_host_rules
from pipeline.redact import redact_context, redact_series
from pipeline.render import Template, load_template, render_draft
from pipeline.report import build_context
from pipeline.schema import DRAFT_COLUMNS
from pipeline.series import parse_bucket
from pipeline.sources import FileQuality, FormatRule, Ingested, ingest, parse_format_rules
from pipeline.window import parse_range, parse_time
from pipeline.zones import ZoneRule, parse_zone_rules

# Free-text columns of the events table that the analysis turns into signatures and excerpts.
REDACTED_COLUMNS = ("message", "path", "user_agent", "referrer")


@dataclass(frozen=True)
class DraftOptions:
    tz: str | None = None  # zone stated for every zone-less timestamp; None: infer per file
    year: int | None = None
    tz_for: tuple[ZoneRule, ...] = ()  # (glob, zone) from --tz-for
    host_for: tuple[HostRule, ...] = ()  # (glob, host) from --host-for
    generated_at: dt.datetime | None = None
    template: str | None = None  # built-in name or file; None: `default`, or `html` for HTML
    format_for: tuple[FormatRule, ...] = ()  # (glob, format name) from --format-for
    nginx_log_format: str | None = None  # a `log_format` from nginx.conf, compiled into a format
    bucket: str | None = None  # --bucket, e.g. "30s"; adaptive when None
    since: str | None = None  # --since / --until: ISO 8601, naive = UTC
    until: str | None = None
    window: str | None = None  # --window START..END overrides detection
    format: str = "md"  # "md" or "html" (a template) or "json" (the context itself)
    redact: bool = True  # secrets out of every output; `--no-redact` for private use only
    redact_ips: bool = False  # client IPs become stable pseudonyms
    chart: str | None = "svg"  # "svg", "png", or None for no chart
    output_name: str | None = None  # the draft's file name: Markdown links its chart beside it
    services: Mapping[str, str] = field(default_factory=dict)  # log name -> team's name (config)
    engine: str = "local"  # where the files are read and parsed: "local" or "dask"
    scheduler: str | None = None  # --scheduler: a dask.distributed address; None: a LocalCluster
    workers: int = 1  # --workers: the local engine's processes (the CLI: one per core)


@dataclass(frozen=True)
class Draft:
    text: str
    context: dict
    chart: bytes | None = None  # for Markdown: the file to write at `chart_path`
    chart_path: str | None = None  # relative to the draft's folder: `<draft>.assets/chart.svg`

    @property
    def incident(self) -> bool:
        return bool(self.context.get("incident"))


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


def draft(paths: Sequence[Path | str], options: DraftOptions) -> Draft:
    """Read the logs under `paths` and render the postmortem draft."""
    return render_context(draft_context(paths, options), options)


def draft_context(paths: Sequence[Path | str], options: DraftOptions) -> dict:
    """The redacted context of the logs under `paths` (what every output is made from)."""
    ingested = read_logs(paths, options, columns=DRAFT_COLUMNS, compact=True)
    if not ingested.files:
        raise PostmortemError("no log files found under the given paths")
    if options.services:
        ingested = replace(ingested, events=rename_services(ingested.events, options.services))
    if options.redact or options.redact_ips:
        # Before analysis: signatures mask tokens, and a half-masked secret (an AWS key pair
        # whose key id became `<id>`) would no longer match the rules that redact it afterwards.
        ingested = replace(ingested, events=_redact_events(ingested.events, options.redact_ips))
    if options.format != "json":
        draft_template(options)  # a bad template is an error before the slow part
    if options.chart not in (None, "svg", "png"):
        raise PostmortemError(f"--chart must be svg or png: {options.chart!r}")
    context = build_context(
        ingested,
        generated_at=options.generated_at or generated_at(None),
        tz="UTC",
        options=analysis_options(options),
    )
    if options.redact or options.redact_ips:
        # Secrets go before anything is written: the draft, the JSON, the chart's labels.
        context = redact_context(context, ips=options.redact_ips)
    return context


def rename_services(events: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Give services the names the team uses (`[services]` in the config): `gunicorn` -> `api`.

    Several log names may map to one team name, so the categories are rebuilt, not renamed.
    """
    renamed = events.copy(deep=False)  # only `service` is replaced
    service = renamed["service"].astype(object)
    renamed["service"] = service.where(~service.isin(list(names)), service.map(names)).astype(
        "category"
    )
    return renamed


def _redact_events(events: pd.DataFrame, ips: bool) -> pd.DataFrame:
    if events.empty:
        return events
    clean = events.copy(deep=False)  # the redacted columns are replaced, the others shared
    for column in REDACTED_COLUMNS:
        if column in clean:
            redacted = redact_series(clean[column], ips=ips)
            # A categorical comes back categorical, with the redacted texts as its categories.
            compact = isinstance(events[column].dtype, pd.CategoricalDtype)
            clean[column] = redacted if compact else redacted.astype(events[column].dtype)
    return clean


def render_context(context: dict, options: DraftOptions) -> Draft:
    """The draft of an (already redacted) context in `options.format` and template."""
    if options.format == "json":
        text = json.dumps(context, indent=2, ensure_ascii=False) + "\n"
        return Draft(text=text, context=context)
    template = draft_template(options)
    view = draft_view(context)  # once: the chart marks the same events the draft lists
    chart, chart_path, view["chart"] = _chart(context, options, template, view)
    text = render_draft(view, template)
    return Draft(text=text, context=context, chart=chart, chart_path=chart_path)


def draft_template(options: DraftOptions) -> Template:
    """The template for `options.format`: the one asked for, else `default` / `html`."""
    fallback = "html" if options.format == "html" else "default"
    template = load_template(options.template or fallback)
    if template.format != options.format:
        raise PostmortemError(
            f"template {template.name} writes {template.format}, not {options.format}:"
            f" pass --format {template.format} or an output ending in .{template.format}"
        )
    return template


def _chart(
    context: dict, options: DraftOptions, template: Template, view: dict
) -> tuple[bytes | None, str | None, str | None]:
    """(file bytes, path beside the draft, what the template gets: a link or inline SVG)."""
    if options.chart is None or not context["series"]["ts"]:
        return None, None, None
    data = chart_input(context, view)
    if template.format == "html":
        if options.chart == "png":
            encoded = base64.b64encode(render_chart(data, "png")).decode("ascii")
            return None, None, f'<img alt="incident chart" src="data:image/png;base64,{encoded}">'
        svg = render_chart(data, "svg").decode("utf-8")
        return None, None, svg[svg.index("<svg") :]
    if options.output_name is None:  # stdout: nowhere to put a file beside the draft
        return None, None, None
    path = f"{options.output_name}.assets/chart.{options.chart}"
    return render_chart(data, options.chart), path, quote(path)


def chart_input(context: dict, view: dict | None = None) -> ChartInput:
    """The chart's data from the context: its series, window and the trigger/resolution events
    (from `view`, the context's `draft_view`, when the caller has it)."""
    series = context["series"]
    frame = pd.DataFrame(
        {
            "requests": series["requests"],
            "failed": series["failed_requests"],
            "errors": series["errors"],
        },
        index=pd.DatetimeIndex(pd.to_datetime(series["ts"], utc=True, format="ISO8601")),
    )
    window = context["window"]
    if not window:
        return ChartInput(frame)
    view = view or draft_view(context)
    marks = [
        (pd.Timestamp(e["ts"]), e["kind"].replace("_", " "))
        for e in view["trigger_events"] + view["resolution_events"]
        if e["kind"] != "recovery"
    ]
    return ChartInput(
        frame, pd.Timestamp(window["start"]), pd.Timestamp(window["end"]), tuple(marks)
    )


def update(existing: str, fresh: str) -> UpdateResult:
    """`--update`: the fresh render's fenced blocks into an edited draft, human edits kept."""
    return update_draft(existing, fresh)


def update_template(existing: str, template: str | None) -> str:
    """The template to re-render an existing draft with: the one asked for, else its marker's."""
    return template or template_name(existing)


DRAFT_FORMATS = ("md", "html", "json")
_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}


def draft_format(value: str | None, output: Path | None, template: str | None = None) -> str:
    """`--format`, else the output's suffix, else the format of `--template`, else Markdown."""
    if value is None:
        if output is not None and output.suffix.lower() in _SUFFIXES:
            return _SUFFIXES[output.suffix.lower()]
        return load_template(template).format if template else "md"
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

    tz: str | None = None
    year: int | None = None
    format_for: tuple[FormatRule, ...] = ()
    nginx_log_format: str | None = None
    tz_for: tuple[ZoneRule, ...] = ()
    host_for: tuple[HostRule, ...] = ()
    engine: str = "local"
    scheduler: str | None = None
    workers: int = 1


def read_logs(
    paths: Sequence[Path | str],
    options: DraftOptions | ReadOptions,
    columns: Sequence[str] | None = None,
    compact: bool = False,
) -> Ingested:
    """Ingest `paths` with the time and format choices every command shares.

    A `--nginx-log-format` is compiled into a format that detection considers for this run only.
    A bad `--tz` is a usage error before any reading. `columns` keeps only those columns of
    the events (all of them by default, as `postmortem events` exports them), and `compact`
    holds their text as categories (`pipeline.schema.CATEGORICAL_TEXT`).

    The engine (`--engine`, `--scheduler`) reads and parses the files and nothing else: a Dask
    cluster started for the run is stopped when `ingest` returns, before the analysis, which
    runs here on the combined result.
    """
    if options.tz is not None:
        resolve_zone(options.tz)
    time = TimeOptions(
        tz=options.tz, year=options.year, tz_for=options.tz_for, host_for=options.host_for
    )
    custom = [compile_log_format(options.nginx_log_format)] if options.nginx_log_format else []
    with (
        extra_formats(custom),
        make_engine(options.engine, options.scheduler, options.workers) as engine,
    ):
        return ingest(
            paths,
            time,
            format_for=options.format_for,
            nginx_log_format=options.nginx_log_format,
            columns=columns,
            compact=compact,
            engine=engine,
        )


def format_rules(
    values: Sequence[str] | None, nginx_log_format: str | None = None
) -> tuple[FormatRule, ...]:
    """`--format-for GLOB=FORMAT` values checked against the registry, which for this check
    includes the `nginx_custom` format a `--nginx-log-format` defines."""
    custom = [compile_log_format(nginx_log_format)] if nginx_log_format else []
    with extra_formats(custom):
        return parse_format_rules(values or ())


def zone_rules(values: Sequence[str] | None) -> tuple[ZoneRule, ...]:
    """`--tz-for GLOB=ZONE` values, every zone checked."""
    return parse_zone_rules(values or ())


def host_rules(values: Sequence[str] | None) -> tuple[HostRule, ...]:
    """`--host-for GLOB=NAME` values."""
    return parse_host_rules(values or ())


@dataclass(frozen=True)
class Exported:
    data: bytes
    events: int
    files: list[FileQuality]


def export_events(paths: Sequence[Path | str], output: Path, options: ReadOptions) -> Exported:
    """The normalised events of `paths`, serialised in the format `output`'s suffix names."""
    kind = export_format(output)  # a bad suffix is a usage error before any reading
    ingested = read_logs(paths, options)
    zones = {q.path: q.tz_assumed for q in ingested.files if q.tz_assumed}
    return Exported(serialize(ingested.events, kind, zones), len(ingested.events), ingested.files)


def inspect(paths: Sequence[Path | str], options: ReadOptions) -> Ingested:
    """How each file under `paths` reads: format, line accounting, time range, zone and why."""
    return read_logs(paths, options, columns=DRAFT_COLUMNS, compact=True)  # counts are shown
