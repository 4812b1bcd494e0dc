"""The local engine's worker processes: same results as in this process, in order, and every
failure a one-line error."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import SAMPLE_LOGS
from typer.testing import CliRunner

from pipeline import api, engine
from pipeline.cli import app
from pipeline.engine import LocalEngine, make_engine
from pipeline.errors import PostmortemError

BUNDLES = sorted(p.parent for p in SAMPLE_LOGS.glob("*/truth.json"))


@dataclass(frozen=True)
class Item:
    """Something to map, with the `size` the engine weighs items by."""

    value: int
    size: int = 1 << 30


def square_with_pid(item: Item) -> tuple[int, int]:
    return item.value * item.value, os.getpid()


def refuse(item: Item) -> int:
    raise PostmortemError(f"cannot read item {item.value}")


def die(item: Item) -> int:
    os._exit(3)


def test_large_items_go_to_worker_processes_and_come_back_in_order() -> None:
    items = [Item(value, size=(value + 1) << 27) for value in range(5)]  # the last is heaviest
    results = LocalEngine(workers=2).map(square_with_pid, items)
    assert [square for square, _ in results] == [0, 1, 4, 9, 16]
    pids = {pid for _, pid in results}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_small_or_single_items_stay_in_this_process(monkeypatch) -> None:
    def no_processes(*args: object) -> None:
        raise AssertionError("worker processes started")

    monkeypatch.setattr(engine, "_in_processes", no_processes)
    small = [Item(value, size=1024) for value in range(5)]
    assert LocalEngine(workers=4).map(square_with_pid, small)[0] == (0, os.getpid())
    assert LocalEngine(workers=4).map(square_with_pid, [Item(3)]) == [(9, os.getpid())]
    assert LocalEngine(workers=1).map(square_with_pid, [Item(2), Item(3)])[1][1] == os.getpid()


def test_a_task_error_is_raised_as_itself() -> None:
    with pytest.raises(PostmortemError, match="cannot read item 0"):
        LocalEngine(workers=2).map(refuse, [Item(0), Item(1)])


def test_a_worker_that_dies_is_a_one_line_error() -> None:
    with pytest.raises(PostmortemError, match=r"worker process .* died.*--workers 1"):
        LocalEngine(workers=2).map(die, [Item(0), Item(1)])


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_a_bundle_read_in_worker_processes_gives_the_same_context(bundle, monkeypatch) -> None:
    options = api.DraftOptions(generated_at=api.generated_at("2026-01-01T00:00:00Z"))
    alone = api.draft_context([bundle], options)
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 0)  # workers even for a small bundle
    started: list[int] = []
    real = engine._in_processes

    def counting(function, items, sizes, workers):  # type: ignore[no-untyped-def]
        started.append(len(items))
        return real(function, items, sizes, workers)

    monkeypatch.setattr(engine, "_in_processes", counting)
    together = api.draft_context([bundle], dataclasses.replace(options, workers=2))
    assert together == alone
    assert started  # the dated files went to the workers


def test_bad_worker_counts_are_one_line_errors(monkeypatch, tmp_path: Path) -> None:
    with pytest.raises(PostmortemError, match="--workers must be at least 1"):
        make_engine("local", workers=0)
    runner = CliRunner()
    out = tmp_path / "d.md"
    result = runner.invoke(app, ["draft", str(BUNDLES[0]), "-o", str(out), "--workers", "0"])
    assert result.exit_code == 1 and "--workers must be at least 1" in result.output
    assert "Traceback" not in result.output
    for value in ("many", "0"):
        monkeypatch.setenv("POSTMORTEM_WORKERS", value)
    result = runner.invoke(app, ["draft", str(BUNDLES[0]), "-o", str(out)])
    assert (
        result.exit_code == 1 and "POSTMORTEM_WORKERS must be a positive integer" in result.output
    )


def test_workers_default_to_the_environment_then_the_cores(monkeypatch) -> None:
    monkeypatch.setenv("POSTMORTEM_WORKERS", "3")
    assert engine.default_workers() == 3
    monkeypatch.delenv("POSTMORTEM_WORKERS")
    monkeypatch.setattr(engine.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    monkeypatch.setattr(engine, "_cpu_quota", lambda: None)
    assert engine.default_workers() == engine.MAX_DEFAULT_WORKERS  # a big host: capped
    monkeypatch.setattr(engine, "_cpu_quota", lambda: 2)
    assert engine.default_workers() == 2  # a container's CPU quota, not the host's cores


@pytest.mark.parametrize(
    ("text", "cores"),
    [
        ("max 100000\n", None),
        ("200000 100000\n", 2),
        ("150000 100000", 2),
        ("5000 100000", 1),
        ("junk", None),
        ("", None),
    ],
)
def test_a_cgroup_cpu_quota_is_read_as_cores(text: str, cores: int | None, tmp_path) -> None:
    path = tmp_path / "cpu.max"
    path.write_text(text)
    assert engine._cpu_quota(str(path)) == cores
    assert engine._cpu_quota(str(tmp_path / "absent")) is None
