"""Zone-less timestamps placed per file (issue 8): stated, same host, aligned, other hosts, assumed.

Every test writes a small bundle whose true UTC times are known and checks the exact instants,
so a wrong zone (or a wrong rule) fails it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLE_LOGS

from parsers.timestamps import TimeOptions
from pipeline.sources import FileQuality, Ingested, ingest

UTC = dt.UTC


def _write(root: Path, name: str, lines: list[str]) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _local(utc: dt.datetime, minutes: int) -> dt.datetime:
    return utc + dt.timedelta(minutes=minutes)


def access(utc: dt.datetime, minutes: int, status: int = 200, n: int = 1) -> str:
    local = _local(utc, minutes)
    sign = "+" if minutes >= 0 else "-"
    offset = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    return (
        f'203.0.113.{n % 250} - - [{local:%d/%b/%Y:%H:%M:%S} {offset}] "GET /api/cart/{n}'
        f' HTTP/1.1" {status} 57 "-" "curl/8.5.0"'
    )


def nginx_error(utc: dt.datetime, minutes: int, n: int = 1) -> str:
    return (
        f"{_local(utc, minutes):%Y/%m/%d %H:%M:%S} [error] 12#12: *{n} upstream timed out"
        " (110: Connection timed out) while reading response header from upstream, client:"
        f' 203.0.113.{n % 250}, server: shop.example, request: "GET /api/cart/{n} HTTP/1.1"'
    )


def syslog(utc: dt.datetime, minutes: int, host: str, message: str) -> str:
    local = _local(utc, minutes)
    return f"{local:%b} {local.day:2d} {local:%H:%M:%S} {host} {message}"


def jsonl(utc: dt.datetime, level: str, msg: str) -> str:
    return json.dumps({"ts": f"{utc:%Y-%m-%dT%H:%M:%S}.000Z", "level": level, "msg": msg})


def at(hms: str, day: str = "2024-03-14") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hms}").replace(tzinfo=UTC)


def minutes(start: str, end: str, step_s: int = 60) -> list[dt.datetime]:
    first, last = at(start), at(end)
    count = int((last - first).total_seconds() // step_s)
    return [first + dt.timedelta(seconds=step_s * i) for i in range(count)]


def quality(ingested: Ingested, suffix: str) -> FileQuality:
    (found,) = [q for q in ingested.files if q.path.endswith(suffix)]
    return found


def times(ingested: Ingested, suffix: str) -> list[pd.Timestamp]:
    events = ingested.events
    mine = events[events["source_file"].astype(str).str.endswith(suffix)]
    return sorted(mine["ts"].tolist())


def incident_bundle(root: Path, lb: int, db: int) -> None:
    """An lb host (access log with offset `lb`, zone-less error log) and a db host whose only
    log is zone-less syslog in `db`; a 5xx/error burst from 02:00 to 02:20 UTC on both."""
    quiet = [t for t in minutes("00:00", "04:00", 20) if not at("01:55") <= t < at("02:25")]
    burst = minutes("02:00", "02:20", 10)
    _write(
        root,
        "lb-1/nginx/access.log",
        [access(t, lb, n=i) for i, t in enumerate(sorted(quiet + burst))]
        + [access(t, lb, 502, n=i) for i, t in enumerate(burst)],
    )
    _write(root, "lb-1/nginx/error.log", [nginx_error(t, lb, n=i) for i, t in enumerate(burst)])
    background = [syslog(t, db, "db-1", "CRON[7]: (root) CMD (run-parts)") for t in quiet[::6]]
    fatal = [
        syslog(t, db, "db-1", 'postgres[81]: [5-1] FATAL:  too many connections for role "app"')
        for t in burst
    ]
    lines = sorted(background + fatal, key=lambda line: line[:15])
    _write(root, "db-1/syslog", lines)


def test_error_log_takes_the_offset_of_its_hosts_access_log(tmp_path: Path) -> None:
    burst = minutes("02:00", "02:05")
    _write(tmp_path, "web-1/nginx/access.log", [access(t, 330, 502) for t in burst])
    _write(tmp_path, "web-1/nginx/error.log", [nginx_error(t, 330) for t in burst])
    ingested = ingest([tmp_path])
    error_log = quality(ingested, "error.log")
    assert (error_log.tz_assumed, error_log.tz_rule, error_log.host_rule) == (
        "+05:30",
        "same host",
        "same folder",  # both sit in web-1/nginx, the bundle's root: no host folder below it
    )
    assert times(ingested, "error.log") == [pd.Timestamp(t) for t in burst]
    assert quality(ingested, "access.log").tz_assumed is None  # it states its own offset


def test_a_z_suffix_of_an_app_log_says_nothing_about_its_hosts_zone(tmp_path: Path) -> None:
    """Apps log UTC by choice: api-1's syslog follows the other host's +01:00, not the `Z`."""
    burst = minutes("02:00", "02:05")
    _write(tmp_path, "edge-1/access.log", [access(t, 60) for t in burst])
    _write(tmp_path, "api-1/app.jsonl", [jsonl(t, "info", "ok") for t in burst])
    restart = at("02:03")
    _write(tmp_path, "api-1/syslog", [syslog(restart, 60, "api-1", "systemd[1]: Started api.")])
    ingested = ingest([tmp_path])
    api_syslog = quality(ingested, "api-1/syslog")
    assert (api_syslog.tz_assumed, api_syslog.tz_rule) == ("+01:00", "other hosts")
    assert times(ingested, "api-1/syslog") == [pd.Timestamp(restart)]


def test_with_no_evidence_the_zone_is_assumed_utc_and_flagged(tmp_path: Path) -> None:
    _write(tmp_path, "syslog", [syslog(at("02:00"), 0, "web-1", "systemd[1]: Started x.")])
    ingested = ingest([tmp_path])
    only = quality(ingested, "syslog")
    assert (only.tz_assumed, only.tz_rule) == ("UTC", "assumed")


@pytest.mark.parametrize(("lb", "db"), [(-420, 120), (330, -300), (0, 600)])
def test_a_hosts_only_log_is_placed_by_aligning_its_errors(tmp_path: Path, lb: int, db: int):
    incident_bundle(tmp_path, lb, db)
    ingested = ingest([tmp_path])
    db_syslog = quality(ingested, "db-1/syslog")
    sign = "+" if db > 0 else "-"
    expected = f"{sign}{abs(db) // 60:02d}:{abs(db) % 60:02d}"
    assert (db_syslog.tz_assumed, db_syslog.tz_rule) == (expected, "aligned")
    assert db_syslog.tz_score is not None and db_syslog.tz_score > 0.7
    first_fatal = min(
        ts
        for ts, message in zip(
            ingested.events["ts"], ingested.events["message"].astype(str), strict=True
        )
        if "FATAL" in message
    )
    assert first_fatal == pd.Timestamp(at("02:00"))
    assert quality(ingested, "lb-1/nginx/error.log").tz_rule == "same host"


def test_stated_zones_win_over_inference(tmp_path: Path) -> None:
    incident_bundle(tmp_path, -420, 120)
    ingested = ingest([tmp_path], TimeOptions(tz="UTC", tz_for=(("db-1/*", "+03:00"),)))
    assert (
        quality(ingested, "db-1/syslog").tz_assumed,
        quality(ingested, "db-1/syslog").tz_rule,
    ) == (
        "+03:00",
        "stated",
    )
    error_log = quality(ingested, "error.log")
    assert (error_log.tz_assumed, error_log.tz_rule) == ("UTC", "stated")
    # Stated wrong on purpose: the error log's burst is now 7 hours early.
    assert times(ingested, "error.log")[0] == pd.Timestamp(at("02:00")) - pd.Timedelta(hours=7)


def test_host_for_groups_files_the_folders_do_not(tmp_path: Path) -> None:
    burst = minutes("02:00", "02:05")
    _write(tmp_path, "a/access.log", [access(t, -420, 502) for t in burst])
    _write(tmp_path, "b/error.log", [nginx_error(t, -420) for t in burst])
    rules = (("a/*", "lb-1"), ("b/*", "lb-1"))
    ingested = ingest([tmp_path], TimeOptions(host_for=rules))
    error_log = quality(ingested, "error.log")
    assert (error_log.host, error_log.host_rule, error_log.tz_assumed) == (
        "lb-1",
        "--host-for",
        "-07:00",
    )
    assert error_log.tz_rule == "same host"


def test_an_iana_zone_places_lines_on_both_sides_of_a_dst_change(tmp_path: Path) -> None:
    """Europe/Berlin springs forward at 01:00 UTC on 2024-03-31 (02:00 local becomes 03:00)."""
    before, after = at("00:30", "2024-03-31"), at("01:30", "2024-03-31")
    lines = [nginx_error(before, 60, 1), nginx_error(after, 120, 2)]
    _write(tmp_path, "error.log", lines)
    ingested = ingest([tmp_path], TimeOptions(tz_for=(("error.log", "Europe/Berlin"),)))
    assert times(ingested, "error.log") == [pd.Timestamp(before), pd.Timestamp(after)]


def test_a_hosts_dst_switch_is_followed_from_its_zoned_log(tmp_path: Path) -> None:
    """No IANA name given: the access log's own +0100 → +0200 switch places the error log."""
    day = "2024-03-31"
    stamps = [at(f"{h:02d}:{m:02d}", day) for h in range(0, 3) for m in (0, 20, 40)]
    offsets = [60 if t < at("01:00", day) else 120 for t in stamps]
    _write(
        tmp_path, "web-1/access.log", [access(t, o) for t, o in zip(stamps, offsets, strict=True)]
    )
    _write(
        tmp_path,
        "web-1/error.log",
        [nginx_error(t, o, i) for i, (t, o) in enumerate(zip(stamps, offsets, strict=True))],
    )
    ingested = ingest([tmp_path])
    error_log = quality(ingested, "error.log")
    assert (error_log.tz_assumed, error_log.tz_rule) == ("+01:00/+02:00", "same host")
    assert times(ingested, "error.log") == [pd.Timestamp(t) for t in stamps]


def test_year_less_syslog_takes_its_year_from_the_zoned_logs_across_new_year(tmp_path: Path):
    stamps = [at("23:50", "2023-12-31"), at("00:10", "2024-01-01")]
    _write(tmp_path, "web-1/access.log", [access(t, 0) for t in stamps])
    _write(
        tmp_path, "web-1/syslog", [syslog(t, 0, "web-1", "systemd[1]: Started x.") for t in stamps]
    )
    ingested = ingest([tmp_path])
    assert times(ingested, "syslog") == [pd.Timestamp(t) for t in stamps]
    assert quality(ingested, "syslog").year_rule == "bundle"


def test_clock_skew_is_measured_from_shared_request_ids(tmp_path: Path) -> None:
    stamps = minutes("02:00", "02:10")
    ahead = dt.timedelta(seconds=42)
    _write(
        tmp_path,
        "proxy-1/access.jsonl",
        [
            json.dumps({"ts": f"{t:%Y-%m-%dT%H:%M:%S}Z", "msg": "GET /", "request_id": f"r{i}"})
            for i, t in enumerate(stamps)
        ],
    )
    _write(
        tmp_path,
        "app-1/app.jsonl",
        [
            json.dumps(
                {"ts": f"{t + ahead:%Y-%m-%dT%H:%M:%S}Z", "msg": "ok", "request_id": f"r{i}"}
            )
            for i, t in enumerate(stamps)
        ],
    )
    (skew,) = ingest([tmp_path]).skew
    assert (skew.ahead, skew.behind, skew.seconds, skew.evidence, skew.support) == (
        "app-1",
        "proxy-1",
        42.0,
        "request ids",
        10,
    )


# --- the sample bundle whose three hosts live in three zones ---------------------------------

MULTI_ZONE = sorted(
    p.parent for p in SAMPLE_LOGS.glob("*/truth.json") if "zones" in json.loads(p.read_text())
)


def _marker_times(ingested: Ingested, bundle: Path, truth: dict) -> list[pd.Timestamp]:
    """The placed time of each `order` marker line, looked up by file and line number."""
    events = ingested.events
    files = events["source_file"].astype(str)
    found = []
    for marker in truth["order"]:
        mine = files.str.endswith(f"{bundle.name}/{marker['file']}")
        row = events[mine & (events["line_no"] == marker["line"])]
        assert len(row) == 1, marker
        found.append(row["ts"].iloc[0])
    return found


@pytest.mark.parametrize("bundle", MULTI_ZONE, ids=[b.name for b in MULTI_ZONE])
def test_every_file_of_a_multi_zone_bundle_gets_its_true_zone(bundle: Path) -> None:
    truth = json.loads((bundle / "truth.json").read_text())
    ingested = ingest([bundle])
    for name, zone in truth["zones"].items():
        placed = quality(ingested, name)
        assert placed.tz_assumed in (zone, None), name  # None: the lines state their zone
        assert placed.tz_rule != "assumed", name


@pytest.mark.parametrize("bundle", MULTI_ZONE, ids=[b.name for b in MULTI_ZONE])
def test_a_multi_zone_bundle_merges_in_its_true_order(bundle: Path) -> None:
    truth = json.loads((bundle / "truth.json").read_text())
    placed = _marker_times(ingest([bundle]), bundle, truth)
    assert placed == [pd.Timestamp(marker["ts"]) for marker in truth["order"]]
    assert placed == sorted(placed)


@pytest.mark.parametrize("bundle", MULTI_ZONE, ids=[b.name for b in MULTI_ZONE])
def test_reading_a_multi_zone_bundle_as_utc_breaks_its_order(bundle: Path) -> None:
    """The markers are chosen so that one wrong zone reorders them: the tests above can fail."""
    truth = json.loads((bundle / "truth.json").read_text())
    placed = _marker_times(ingest([bundle], TimeOptions(tz="UTC")), bundle, truth)
    assert placed != sorted(placed)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--tz-for", "syslog", "error: --tz-for wants GLOB=ZONE, got 'syslog'"),
        ("--tz-for", "syslog=Mars/Olympus", "error: unknown time zone 'Mars/Olympus'"),
        ("--host-for", "=web-1", "error: --host-for wants GLOB=NAME, got '=web-1'"),
    ],
)
@pytest.mark.parametrize("command", [["inspect"], ["draft"], ["events", "-o", "x.jsonl"]])
def test_bad_zone_and_host_rules_are_one_line_errors(
    tmp_path: Path, command: list[str], option: str, value: str, message: str
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    _write(tmp_path, "syslog", [syslog(at("02:00"), 0, "web-1", "systemd[1]: Started x.")])
    result = CliRunner().invoke(app, [*command, str(tmp_path), option, value])
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert len(result.output.strip().splitlines()) == 1


def test_inspect_json_reports_each_files_zone_rule(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    incident_bundle(tmp_path, -420, 120)
    result = CliRunner().invoke(app, ["inspect", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    files = {
        Path(f["path"]).relative_to(tmp_path).as_posix(): f
        for f in json.loads(result.output)["files"]
    }
    assert {name: (f["tz_assumed"], f["tz_rule"], f["host"]) for name, f in files.items()} == {
        "db-1/syslog": ("+02:00", "aligned", "db-1"),
        "lb-1/nginx/access.log": (None, None, "lb-1"),
        "lb-1/nginx/error.log": ("-07:00", "same host", "lb-1"),
    }
    assert files["db-1/syslog"]["year_rule"] == "bundle"


def test_clock_skew_is_measured_from_error_bursts_without_shared_ids(tmp_path: Path) -> None:
    """db-1's clock runs 90 s fast: its FATAL burst (zoned, so no zone to blame) leads the 5xx."""
    burst = minutes("02:00", "02:10", 5)
    quiet = minutes("01:00", "03:00", 60)
    _write(
        tmp_path,
        "lb-1/access.log",
        [access(t, 0) for t in quiet] + [access(t, 0, 502) for t in burst],
    )
    fast = dt.timedelta(seconds=90)
    lines = [jsonl(t + fast, "error", "FATAL: too many connections") for t in burst]
    _write(
        tmp_path, "db-1/db.jsonl", [jsonl(t + fast, "info", "checkpoint") for t in quiet] + lines
    )
    (skew,) = ingest([tmp_path]).skew
    assert (skew.ahead, skew.behind, skew.seconds, skew.evidence) == (
        "db-1",
        "lb-1",
        90.0,
        "error bursts",
    )


def test_a_var_log_copy_of_one_host_is_one_host(tmp_path: Path) -> None:
    """`<bundle>/var/log/...`: nginx's folder has no host clue, syslog's lines name web-1."""
    burst = minutes("02:00", "02:05")
    _write(tmp_path, "var/log/nginx/access.log", [access(t, 330, 502) for t in burst])
    _write(tmp_path, "var/log/nginx/error.log", [nginx_error(t, 330) for t in burst])
    restart = at("02:03")
    _write(tmp_path, "var/log/syslog", [syslog(restart, 330, "web-1", "systemd[1]: Started x.")])
    ingested = ingest([tmp_path])
    assert {(q.host, q.tz_assumed, q.tz_rule) for q in ingested.files if q.tz_assumed} == {
        ("web-1", "+05:30", "same host")
    }
    assert times(ingested, "var/log/syslog") == [pd.Timestamp(restart)]


def test_one_line_from_1970_does_not_blow_up_alignment_or_skew(tmp_path: Path) -> None:
    """Per-minute and per-second series are bounded by the data that matters, not the span."""
    incident_bundle(tmp_path, -420, 120)
    _write(tmp_path, "lb-1/old/access.log", [access(at("00:00:01", "1970-01-02"), -420, 502)])
    ingested = ingest([tmp_path])
    db_syslog = quality(ingested, "db-1/syslog")
    assert (db_syslog.tz_assumed, db_syslog.tz_rule) == ("+02:00", "aligned")


@pytest.mark.parametrize("bundle", MULTI_ZONE, ids=[b.name for b in MULTI_ZONE])
def test_a_multi_zone_bundle_places_the_same_from_a_tarball(bundle: Path, tmp_path: Path) -> None:
    import tarfile

    archive = tmp_path / "incident.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bundle, arcname=bundle.name)
    truth = json.loads((bundle / "truth.json").read_text())
    ingested = ingest([archive])
    for name, zone in truth["zones"].items():
        assert quality(ingested, f"!{bundle.name}/{name}").tz_assumed in (zone, None), name


def test_the_cli_summary_counts_how_zone_less_logs_were_placed(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    incident_bundle(tmp_path / "logs", -420, 120)
    out = tmp_path / "draft.md"
    result = CliRunner().invoke(app, ["draft", str(tmp_path / "logs"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Zone-less logs placed: aligned 1, same host 1.\n" in result.output
    alone = CliRunner().invoke(
        app, ["draft", str(tmp_path / "logs" / "db-1"), "--force", "-o", str(out)]
    )
    assert "Zone-less logs placed: assumed 1; state them with --tz-for GLOB=ZONE.\n" in alone.output
