"""The `postmortem` command. It only translates: options in, one API call, a short report out."""

from __future__ import annotations

import json
import os
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from pipeline import __version__, api, quality
from pipeline.catalog import builtin_templates
from pipeline.check import check_draft
from pipeline.config import load_config
from pipeline.engine import default_workers
from pipeline.errors import PostmortemError
from pipeline.render import human_duration
from pipeline.stepsummary import step_summary

app = typer.Typer(
    help="Turn the logs of an outage into a postmortem draft.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True, highlight=False)


def _fail(error: Exception) -> typer.Exit:
    # Escaped: a message may hold brackets (`postmortem[dask]`, a glob) that are not markup.
    err_console.print(f"[red]error:[/] {escape(str(error))}", markup=True, soft_wrap=True)
    return typer.Exit(1)


FormatForOption = Annotated[
    list[str] | None,
    typer.Option(
        "--format-for",
        metavar="GLOB=FORMAT",
        help="Read files matching GLOB with FORMAT instead of detecting it (repeatable).",
    ),
]
NginxLogFormatOption = Annotated[
    str | None,
    typer.Option(
        "--nginx-log-format",
        metavar="LOG_FORMAT",
        help="The log_format string (or whole directive) from nginx.conf, for custom access logs.",
    ),
]
TzOption = Annotated[
    str | None,
    typer.Option(
        help="Zone of every timestamp that carries none (IANA name or offset like +02:00);"
        " by default each file's zone is inferred."
    ),
]
TzForOption = Annotated[
    list[str] | None,
    typer.Option(
        "--tz-for",
        metavar="GLOB=ZONE",
        help="Zone of the zone-less timestamps of files matching GLOB (repeatable).",
    ),
]
HostForOption = Annotated[
    list[str] | None,
    typer.Option(
        "--host-for",
        metavar="GLOB=NAME",
        help="Host that wrote the files matching GLOB, for zone inference (repeatable).",
    ),
]
EngineOption = Annotated[
    str,
    typer.Option(
        metavar="local|dask",
        help="Where files are read and parsed: local (this process) or dask (one task per file"
        " on a Dask cluster; pip install 'postmortem[dask]').",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        metavar="ADDRESS",
        help="With --engine dask: the dask.distributed scheduler to use (tcp://host:8786);"
        " by default a local cluster with one worker per core is started and stopped.",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        metavar="N",
        help="With the local engine: processes that read files at the same time, for bundles of"
        " several large files (default: POSTMORTEM_WORKERS, else one per core, at most 8; 1"
        " reads every file in this process).",
        show_default=False,
    ),
]
YearOption = Annotated[
    int | None, typer.Option(help="Year of syslog lines that carry none (RFC 3164).")
]


class ChartFormat(StrEnum):
    svg = "svg"
    png = "png"


def _progress(message: str) -> AbstractContextManager[object]:
    """A spinner on an interactive terminal; nothing in CI, in pipes or with NO_COLOR set."""
    if err_console.is_terminal and not os.environ.get("NO_COLOR"):
        return err_console.status(message)
    return nullcontext()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"postmortem {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Turn the logs of an outage into a postmortem draft."""


@app.command()
def draft(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Log files or folders (read recursively), or URLs (s3://, gs://, file://)."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write the draft; stdout when omitted."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the output file if it exists.")
    ] = False,
    tz: Annotated[
        str | None,
        typer.Option(
            help="Zone of every timestamp that carries none (IANA name or offset like +02:00);"
            " default the config file's, else inferred per file."
        ),
    ] = None,
    tz_for: TzForOption = None,
    host_for: HostForOption = None,
    year: YearOption = None,
    generated_at: Annotated[
        str | None,
        typer.Option(
            help="Pin the draft's generation time (ISO 8601) for reproducible output;"
            " SOURCE_DATE_EPOCH works too."
        ),
    ] = None,
    format_for: FormatForOption = None,
    nginx_log_format: NginxLogFormatOption = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    bucket: Annotated[
        str | None,
        typer.Option(help="Bucket width of the series (30s, 1min, 5min); adapts to the span."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Analyse only events at or after this time (ISO 8601).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Analyse only events before this time (ISO 8601).")
    ] = None,
    window: Annotated[
        str | None,
        typer.Option(
            help="Use this outage window instead of detecting one: START..END (ISO 8601)."
        ),
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="md, html or json (the whole context); default from the -o suffix, else md.",
        ),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            metavar="NAME|PATH",
            help="Built-in template (see `postmortem templates`) or your own Jinja2 file.",
        ),
    ] = None,
    chart: Annotated[
        ChartFormat, typer.Option(help="Chart beside the draft, in <draft>.assets/.")
    ] = ChartFormat.svg,
    no_chart: Annotated[bool, typer.Option("--no-chart", help="Write no chart.")] = False,
    update: Annotated[
        Path | None,
        typer.Option(
            metavar="DRAFT",
            help="Re-render the machine-written blocks of DRAFT that nobody edited;"
            " leave every other byte alone.",
        ),
    ] = None,
    redact: Annotated[
        bool | None,
        typer.Option(
            "--redact/--no-redact",
            help="Redact secrets (tokens, passwords, keys) from every output; on by default."
            " --no-redact is for private use only.",
        ),
    ] = None,
    redact_ips: Annotated[
        bool | None,
        typer.Option("--redact-ips/--keep-ips", help="Replace client IPs by stable pseudonyms."),
    ] = None,
    exit_code: Annotated[
        bool,
        typer.Option(
            "--exit-code", help="Exit 3 when an incident is found, 0 when none (1 error, 2 usage)."
        ),
    ] = False,
) -> None:
    """Draft a postmortem from the logs under PATHS."""
    if update is not None:
        if output is not None and output != update:
            raise _fail(PostmortemError("pass either --update DRAFT or -o FILE, not both"))
        output = update
    elif output is not None and output.exists() and not force:
        raise _fail(PostmortemError(f"{output} exists; pass --force to overwrite it"))
    existing: str | None = None
    try:
        config = load_config().override(tz=tz, redact=redact, redact_ips=redact_ips)
        if update is not None:
            existing = _read_draft(update)
            chosen = api.update_template(existing, template)
        else:
            chosen = template or (config.template if config.source is not None else None)
        fmt = api.draft_format(output_format, output, chosen)
        if update is not None and fmt != "md":
            raise PostmortemError("--update works on Markdown drafts only")
        options = api.DraftOptions(
            tz=config.tz,
            tz_for=api.zone_rules(tz_for),
            host_for=api.host_rules(host_for),
            year=year,
            generated_at=api.generated_at(generated_at),
            template=chosen,
            format_for=api.format_rules(format_for, nginx_log_format),
            nginx_log_format=nginx_log_format,
            bucket=bucket,
            since=since,
            until=until,
            window=window,
            format=fmt,
            redact=config.redact,
            redact_ips=config.redact_ips,
            services=config.services,
            chart=None if no_chart else chart.value,
            output_name=output.name if output is not None else None,
            engine=engine,
            scheduler=scheduler,
            workers=default_workers() if workers is None else workers,
        )
        with _progress("Reading and analysing the logs"):
            result = api.draft(paths, options)
    except PostmortemError as error:
        raise _fail(error) from None
    text = result.text
    if existing is not None:
        updated = api.update(existing, text)
        text = updated.text
        for block_id in updated.kept_edited:
            err_console.print(
                f"kept edited block {block_id!r} (delete its fence markers to stop updates,"
                " or restore it to get the new version)",
                markup=False,
                soft_wrap=True,
            )
    if output is None:
        typer.echo(text, nl=False)
    else:
        _write(output, text.encode("utf-8"))
        if result.chart is not None and result.chart_path is not None:
            _write(output.parent / result.chart_path, result.chart)
    err_console.print(_summary(result.context, output), markup=False, soft_wrap=True)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        try:
            with open(summary_file, "a", encoding="utf-8") as handle:
                handle.write(step_summary(result.context, output))
        except OSError as error:
            raise _fail(PostmortemError(f"cannot append to GITHUB_STEP_SUMMARY: {error}")) from None
    if exit_code:
        raise typer.Exit(3 if result.incident else 0)


def _read_draft(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as error:
        raise PostmortemError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise PostmortemError(f"{path} is not UTF-8 text") from None


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as error:
        raise _fail(PostmortemError(f"cannot write {path}: {error.strerror}")) from None


def _summary(context: dict, output: Path | None) -> str:
    totals = context["totals"]
    lines = [
        f"Read {totals['files']} files, {totals['events']} events,"
        f" {totals['failed_requests']} failed requests."
    ]
    window = context["window"]
    if window:
        lines.append(
            f"Outage window: {window['start']} -> {window['end']}"
            f" ({human_duration(window['duration_s'])}),"
            f" {(context['impact'] or {}).get('failed_requests', 0)} failed requests."
        )
    else:
        lines.append("No outage window found.")
    placed = Counter(s["tz_rule"] for s in context["sources"] if s.get("tz_rule"))
    if placed:
        rules = ", ".join(f"{rule} {count}" for rule, count in sorted(placed.items()))
        hint = "; state them with --tz-for GLOB=ZONE" if placed.get("assumed") else ""
        lines.append(f"Zone-less logs placed: {rules}{hint}.")
    if output is not None:
        lines.append(f"Draft: {output}")
    return "\n".join(lines)


@app.command()
def events(
    paths: Annotated[
        list[str],
        typer.Argument(help="Log files, folders, globs, archives, URLs, or - for stdin."),
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Where to write: .jsonl, .csv or .parquet."),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the output file if it exists.")
    ] = False,
    tz: TzOption = None,
    tz_for: TzForOption = None,
    host_for: HostForOption = None,
    year: YearOption = None,
    format_for: FormatForOption = None,
    nginx_log_format: NginxLogFormatOption = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
) -> None:
    """Write the normalised events of PATHS with Elastic Common Schema field names."""
    if output.exists() and not force:
        raise _fail(PostmortemError(f"{output} exists; pass --force to overwrite it"))
    try:
        options = api.ReadOptions(
            tz=tz,
            tz_for=api.zone_rules(tz_for),
            host_for=api.host_rules(host_for),
            year=year,
            format_for=api.format_rules(format_for, nginx_log_format),
            nginx_log_format=nginx_log_format,
            engine=engine,
            scheduler=scheduler,
            workers=default_workers() if workers is None else workers,
        )
        exported = api.export_events(paths, output, options)
    except PostmortemError as error:
        raise _fail(error) from None
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(exported.data)
    except OSError as error:
        raise _fail(PostmortemError(f"cannot write {output}: {error.strerror}")) from None
    unparsed = sum(q.unparsed for q in exported.files)
    skipped = sum(1 for q in exported.files if q.skipped)
    err_console.print(
        f"Wrote {exported.events} events from {len(exported.files) - skipped} files to {output}"
        f" ({unparsed} unparsed lines, {skipped} files skipped).",
        markup=False,
        soft_wrap=True,
    )


@app.command()
def inspect(
    paths: Annotated[
        list[str],
        typer.Argument(help="Log files, folders, globs, archives, URLs, or - for stdin."),
    ],
    tz: TzOption = None,
    tz_for: TzForOption = None,
    host_for: HostForOption = None,
    year: YearOption = None,
    format_for: FormatForOption = None,
    nginx_log_format: NginxLogFormatOption = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    workers: WorkersOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document instead of text.")
    ] = False,
) -> None:
    """Show how each file reads: format, lines, events, unparsed examples, time range, host,
    the zone of its zone-less timestamps and why, and clock skew between hosts."""
    try:
        options = api.ReadOptions(
            tz=tz,
            tz_for=api.zone_rules(tz_for),
            host_for=api.host_rules(host_for),
            year=year,
            format_for=api.format_rules(format_for, nginx_log_format),
            nginx_log_format=nginx_log_format,
            engine=engine,
            scheduler=scheduler,
            workers=default_workers() if workers is None else workers,
        )
        ingested = api.inspect(paths, options)
    except PostmortemError as error:
        raise _fail(error) from None
    if as_json:
        document = {
            "files": [quality.quality_dict(q) for q in ingested.files],
            "skew": [quality.skew_dict(s) for s in ingested.skew],
        }
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        typer.echo(quality.describe(ingested.files, ingested.skew), nl=False)


@app.command()
def check(
    draft_path: Annotated[
        Path, typer.Argument(metavar="DRAFT", help="The Markdown draft to check.")
    ],
) -> None:
    """List open TODOs and missing required sections; exit 1 while any remain (a CI gate)."""
    try:
        text = draft_path.read_text(encoding="utf-8")
    except OSError as error:
        raise _fail(PostmortemError(f"cannot read {draft_path}: {error.strerror}")) from None
    except UnicodeDecodeError:
        raise _fail(PostmortemError(f"{draft_path} is not UTF-8 text")) from None
    findings = check_draft(text)
    if not findings:
        typer.echo(f"{draft_path}: no open TODOs, no missing sections.")
        return
    for finding in findings:
        typer.echo(f"{draft_path}:{finding.line_no}: {finding.text}")
    todos = sum(finding.kind == "todo" for finding in findings)
    missing = len(findings) - todos
    typer.echo(f"{_count(todos, 'open TODO')}, {_count(missing, 'missing section')}.")
    raise typer.Exit(1)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@app.command()
def templates() -> None:
    """List the built-in templates that --template NAME accepts, one line each."""
    infos = builtin_templates()
    width = max((len(info.name) for info in infos), default=0)
    for info in infos:
        description = info.description or "(no description)"
        typer.echo(f"{info.name:<{width}}  {info.format:<4}  {description}")


if __name__ == "__main__":
    app()
