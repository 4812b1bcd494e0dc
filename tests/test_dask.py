"""`--engine dask`: the same draft, byte for byte, whichever engine read the files (issue 7).

One LocalCluster with two worker processes serves the whole module; the runs point at it with
`scheduler=` so that each test does not pay a cluster start. The error paths need no Dask.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import logging
import shutil
import socket
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from conftest import ROOT, SAMPLE_LOGS
from typer.testing import CliRunner

import pipeline.engine
from pipeline import api, quality
from pipeline.cli import app
from pipeline.engine import DaskEngine, LocalEngine, make_engine
from pipeline.errors import PostmortemError
from pipeline.signatures import mask, signature_of

BUNDLES = sorted(p.parent for p in SAMPLE_LOGS.glob("*/truth.json"))
GENERATED_AT = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
runner = CliRunner()

CUSTOM_SPEC = '$remote_addr|$time_iso8601|"$request"|$status|$request_time'
CUSTOM_LINES = "".join(
    f'203.0.113.{n}|2024-03-14T02:3{n}:07+00:00|"POST /api/checkout HTTP/1.1"|50{n % 3}|0.25\n'
    for n in range(1, 8)
)
SYSLOG = "".join(f"Mar 14 02:3{n}:00 web-1 app[4]: restarted worker {n}\n" for n in range(6))
ACCESS = "".join(
    f'203.0.113.{n} - - [14/Mar/2024:02:3{n}:00 +0000] "GET /api/cart HTTP/1.1" 502 57 "-" "curl"\n'
    for n in range(6)
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The address of a two-worker LocalCluster (processes, one thread each), for the module."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},
        silence_logs=logging.CRITICAL,
        memory_limit=0,
    ) as local:
        yield local.scheduler_address


def _options(**changes: object) -> api.DraftOptions:
    return dataclasses.replace(api.DraftOptions(generated_at=GENERATED_AT), **changes)


def _read(options: api.DraftOptions | api.ReadOptions, paths: list) -> tuple[pd.DataFrame, list]:
    ingested = api.read_logs(paths, options)
    return ingested.events, [quality.quality_dict(q) for q in ingested.files]


# ---------------------------------------------------------------------------------------------
# identical results


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_every_bundle_drafts_the_same_on_dask(bundle: Path, cluster: str, in_repo: Path) -> None:
    """Window, impact, candidates, and in fact the whole context and the rendered draft."""
    paths = [bundle.relative_to(in_repo)]
    local = api.draft_context(paths, _options())
    dask = api.draft_context(paths, _options(engine="dask", scheduler=cluster))
    assert dask["window"] == local["window"]
    assert dask["impact"] == local["impact"]
    assert dask["root_cause_candidates"] == local["root_cause_candidates"]
    assert json.dumps(dask, sort_keys=True) == json.dumps(local, sort_keys=True)
    text = api.render_context(dask, _options()).text
    assert text == api.render_context(local, _options()).text
    truth = json.loads((bundle / "truth.json").read_text(encoding="utf-8"))
    assert bool(dask["window"]) == bool(truth["incident"])  # not two equal empty drafts


def test_year_less_syslog_takes_the_second_round_on_dask(cluster: str, in_repo: Path) -> None:
    """Year-less syslog is parsed once the span of the dated logs is known: a second map."""
    paths = [Path("sample_logs/db-failover")]
    local_events, local_files = _read(api.ReadOptions(), paths)
    events, files = _read(api.ReadOptions(engine="dask", scheduler=cluster), paths)
    yearless = [f for f in files if f.get("year_rule") == "bundle"]
    assert len(yearless) == 2  # app-1/syslog and db-1/syslog
    assert files == local_files
    pd.testing.assert_frame_equal(events, local_events)


def test_custom_nginx_log_format_is_known_to_the_workers(cluster: str, tmp_path: Path) -> None:
    """`--nginx-log-format` is compiled in the caller only; the task compiles it again."""
    log = tmp_path / "edge.log"
    log.write_text(CUSTOM_LINES)
    local_events, local_files = _read(api.ReadOptions(nginx_log_format=CUSTOM_SPEC), [log])
    options = api.ReadOptions(nginx_log_format=CUSTOM_SPEC, engine="dask", scheduler=cluster)
    events, files = _read(options, [log])
    assert [f["format"] for f in files] == ["nginx_custom"]
    assert files[0]["unparsed"] == 0
    assert len(events) == 7
    assert files == local_files
    pd.testing.assert_frame_equal(events, local_events)


def test_stdin_is_read_by_the_client_and_parsed_on_a_worker(cluster: str) -> None:
    given = ACCESS + SYSLOG
    local = runner.invoke(app, ["inspect", "-", "--json"], input=given)
    dask = runner.invoke(
        app, ["inspect", "-", "--json", "--engine", "dask", "--scheduler", cluster], input=given
    )
    assert local.exit_code == 0, local.output
    assert dask.exit_code == 0, dask.output
    files = json.loads(dask.output)["files"]
    assert [(f["path"], f["events"]) for f in files] == [("<stdin>", 12)]
    assert dask.output == local.output


def test_cli_draft_on_an_existing_cluster(cluster: str, in_repo: Path, tmp_path: Path) -> None:
    """`--scheduler` connects to the cluster and leaves it running: only the client closes."""
    base = ["draft", "sample_logs/checkout-outage", "--generated-at", "2024-06-01T00:00:00Z"]
    local, dask = tmp_path / "local" / "draft.md", tmp_path / "dask" / "draft.md"
    by_local = runner.invoke(app, [*base, "-o", str(local)])
    by_dask = runner.invoke(
        app, [*base, "-o", str(dask), "--engine", "dask", "--scheduler", cluster]
    )
    assert by_local.exit_code == 0, by_local.output
    assert by_dask.exit_code == 0, by_dask.output
    summary = by_dask.output.replace(str(dask), str(local))  # the last line names the draft
    assert summary == by_local.output  # files, events, window
    assert dask.read_bytes() == local.read_bytes()
    chart = "draft.md.assets/chart.svg"
    assert (dask.parent / chart).read_bytes() == (local.parent / chart).read_bytes()
    from distributed import Client

    with Client(cluster, set_as_default=False) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        # The files were parsed there: 6 files, then the year-less syslog again.
        done = client.run_on_scheduler(_parse_tasks_done)
    assert done >= 7


def _parse_tasks_done(dask_scheduler: object) -> int:
    """How many `parse_source` tasks the scheduler has seen through (run on the scheduler)."""
    prefix = dask_scheduler.task_prefixes.get("parse_source")  # type: ignore[attr-defined]
    return 0 if prefix is None else prefix.state_counts["forgotten"]


def test_without_a_scheduler_a_local_cluster_is_started_and_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setenv("POSTMORTEM_DASK_WORKERS", "1")
    engine = DaskEngine()
    with engine:
        cluster = engine._cluster
        assert cluster is not None
        assert len(engine.client.scheduler_info()["workers"]) == 1
        assert engine.map(str.upper, ["a", "b", "c"]) == ["A", "B", "C"]
    assert engine._client is None
    assert cluster.status.name == "closed"


def test_a_task_error_is_raised_as_itself(cluster: str) -> None:
    """A `PostmortemError` in a worker is the same one-line error in the caller."""
    with (
        make_engine("dask", cluster) as engine,
        pytest.raises(PostmortemError, match="--generated-at is not an ISO 8601 time"),
    ):
        engine.map(api.generated_at, ["2024-01-01", "not a time"])


def test_results_come_back_in_the_order_of_the_items(cluster: str) -> None:
    items = [str(n) * (50 - n) for n in range(40)]  # tasks of different lengths
    with make_engine("dask", cluster) as engine:
        assert engine.map(len, items) == [len(item) for item in items]
        assert engine.map(len, []) == []


# ---------------------------------------------------------------------------------------------
# logs where they live: URLs through fsspec, on both engines


@pytest.fixture
def bundle_copy(tmp_path: Path) -> Path:
    """checkout-outage, plus a gzip and a tar.gz, in a folder of its own."""
    folder = tmp_path / "incident"
    shutil.copytree(SAMPLE_LOGS / "checkout-outage", folder)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "edge.log.gz").write_bytes(gzip.compress(ACCESS.encode()))
    with tarfile.open(extra / "hosts.tar.gz", "w:gz") as archive:
        archive.add(folder / "web-1" / "syslog", arcname="web-2/syslog")
    return tmp_path


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_file_urls_read_like_local_paths(
    engine: str, bundle_copy: Path, request: pytest.FixtureRequest
) -> None:
    scheduler = request.getfixturevalue("cluster") if engine == "dask" else None
    options = api.ReadOptions(engine=engine, scheduler=scheduler)
    local_events, local_files = _read(api.ReadOptions(), [bundle_copy])
    url = bundle_copy.as_uri()
    events, files = _read(options, [url])
    prefix = url + "/"
    assert [f["path"][len(prefix) :] for f in files] == [
        Path(f["path"]).relative_to(bundle_copy).as_posix() for f in local_files
    ]
    assert "extra/hosts.tar.gz!web-2/syslog" in [f["path"][len(prefix) :] for f in files]
    assert "README.md" not in " ".join(f["path"] for f in files)  # a folder walk skips it

    def comparable(rows: list[dict]) -> list[dict]:
        drop = ("path", "tz_evidence")  # both name files
        return [{k: v for k, v in row.items() if k not in drop} for row in rows]

    assert comparable(files) == comparable(local_files)
    names = (
        local_events["source_file"]
        .astype(str)
        .map(lambda name: url + "/" + Path(name).relative_to(bundle_copy).as_posix())
    )
    pd.testing.assert_series_equal(
        events["source_file"].astype(str), names, check_names=False, check_index=False
    )
    columns = [c for c in events.columns if c != "source_file"]
    pd.testing.assert_frame_equal(events[columns], local_events[columns])


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_file_url_globs(engine: str, bundle_copy: Path, request: pytest.FixtureRequest) -> None:
    scheduler = request.getfixturevalue("cluster") if engine == "dask" else None
    (bundle_copy / "incident" / "web-1" / "nginx" / ".access.log.swp").write_text("junk\n")
    pattern = (bundle_copy / "incident" / "web-1" / "nginx").as_uri() + "/access.log*"
    ingested = api.read_logs([pattern], api.ReadOptions(engine=engine, scheduler=scheduler))
    names = [q.path.rsplit("/", 1)[-1] for q in ingested.files]
    assert names == ["access.log.2.gz", "access.log.1", "access.log"]  # oldest first
    assert all(q.format == "nginx_access" and q.unparsed == 0 for q in ingested.files)
    assert len(ingested.events) == 11805 + 7142 + 4954


def test_url_errors_are_one_line(tmp_path: Path) -> None:
    missing = (tmp_path / "nope").as_uri()
    with pytest.raises(PostmortemError, match=f"^no such file or directory: {missing}$"):
        api.read_logs([missing], api.ReadOptions())
    with pytest.raises(PostmortemError, match=r"^no files match "):
        api.read_logs([missing + "/*.log"], api.ReadOptions())
    with pytest.raises(PostmortemError, match=r"^cannot read nosuchscheme://x: "):
        api.read_logs(["nosuchscheme://x"], api.ReadOptions())


def test_missing_fsspec_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    result = runner.invoke(app, ["inspect", "s3://bucket/incident/"])
    assert result.exit_code == 1
    assert result.output == "error: reading URLs needs fsspec: pip install 'postmortem[dask]'\n"


def test_a_url_in_the_api_keeps_its_slashes() -> None:
    """`Path` folds `s3://b` into `s3:/b`: URLs travel as strings, local paths either way."""
    assert str(Path("s3://bucket/key")) == "s3:/bucket/key"
    with pytest.raises(PostmortemError, match="no such file or directory: s3:/bucket/key"):
        api.read_logs([Path("s3://bucket/key")], api.ReadOptions())


# ---------------------------------------------------------------------------------------------
# errors: one line each, no traceback


def test_missing_dask_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, in_repo: Path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(PostmortemError, match=r"^--engine dask needs Dask: pip install"):
        make_engine("dask").__enter__()
    result = runner.invoke(app, ["inspect", "sample_logs/oom-kill", "--engine", "dask"])
    assert result.exit_code == 1
    assert result.output == "error: --engine dask needs Dask: pip install 'postmortem[dask]'\n"


def test_unreachable_scheduler_names_the_address(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(pipeline.engine, "CONNECT_TIMEOUT_S", 1)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    result = runner.invoke(
        app, ["inspect", "sample_logs/oom-kill", "--engine", "dask", "--scheduler", address]
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"error: cannot reach the Dask scheduler at {address}: ")
    assert result.output.count("\n") == 1


@pytest.mark.parametrize("command", ["draft", "events", "inspect"])
def test_unknown_engine_lists_the_engines(command: str, tmp_path: Path) -> None:
    args = [command, str(SAMPLE_LOGS / "oom-kill"), "--engine", "spark"]
    if command == "events":
        args += ["-o", str(tmp_path / "out.jsonl")]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.output == "error: --engine must be one of local, dask: 'spark'\n"


def test_scheduler_needs_the_dask_engine() -> None:
    result = runner.invoke(
        app, ["inspect", str(SAMPLE_LOGS / "oom-kill"), "--scheduler", "tcp://x:8786"]
    )
    assert result.exit_code == 1
    assert result.output == "error: --scheduler ADDRESS needs --engine dask\n"


def test_bad_worker_count_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTMORTEM_DASK_WORKERS", "two")
    with pytest.raises(PostmortemError, match="POSTMORTEM_DASK_WORKERS must be a positive"):
        pipeline.engine.local_workers()


def test_the_default_engine_never_imports_dask() -> None:
    code = (
        "import sys, pipeline.cli, pipeline.api, pipeline.engine;"
        "sys.exit(sorted({'dask', 'distributed', 'fsspec'} & set(sys.modules)) or None)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert isinstance(make_engine("local").__enter__(), LocalEngine)


# ---------------------------------------------------------------------------------------------
# signatures: computed once, in the caller, after the partitions are combined


def test_masking_is_a_pure_function_of_each_message() -> None:
    """The per-message stage of a signature gives the same on a series as on its halves."""
    messages = pa.array(
        [
            "session opened for user alice by cron(uid=0)",
            "GET /api/cart/7f3a9c HTTP/1.1 took 250ms from 203.0.113.9",
            "connection to db-1.internal:5432 refused after 3 retries",
            "session opened for user bob by cron(uid=0)",
            "worker 12 exited with status 137 at 2024-03-14T02:31:07Z",
            "session opened for user carol by cron(uid=0)",
        ]
    )
    whole = mask(messages).to_pylist()
    halves = mask(messages.slice(0, 3)).to_pylist() + mask(messages.slice(3)).to_pylist()
    assert whole == halves
    assert whole[2] == "connection to <host>:<port> refused after <num> retries"


def test_signatures_depend_on_the_whole_series_so_they_run_after_combining() -> None:
    """Words that vary where all else is equal (user names) become `<*>` only when at least
    three variants are seen: per partition, `alice` might stay a word. This is why signatures
    are computed by the caller on the combined events, never in a task (docs/scale.md)."""
    messages = pd.Series(
        [
            "session opened for user alice by cron",
            "session opened for user bob by cron",
            "session opened for user carol by cron",
            "disk full on sda1",
        ]
    )
    whole = signature_of(messages).tolist()
    halves = signature_of(messages[:2]).tolist() + signature_of(messages[2:]).tolist()
    assert whole[:3] == ["session opened for user <*> by cron"] * 3
    assert halves[0] == "session opened for user alice by cron"
    assert whole[3] == halves[3]  # a message alone in its template: the same either way


def test_the_engine_only_maps_parse_source(in_repo: Path) -> None:
    """Signatures, zones and detection are not in the engine's path: `ingest` hands it
    `parse_source` and nothing else, so the same caller-side code runs whatever the engine."""
    seen: list[str] = []

    class Recording(LocalEngine):
        def map(self, function, items):  # type: ignore[no-untyped-def]
            seen.append(getattr(function, "func", function).__name__)
            return super().map(function, items)

    from pipeline.sources import ingest

    ingest([Path("sample_logs/oom-kill")], engine=Recording())
    assert seen == ["parse_source", "parse_source"]  # dated files, then year-less syslog
