"""End-to-end benchmarks: the whole `postmortem` process on generated logs, lnav beside it.

What is timed is what a user waits for: the process from exec to exit (interpreter start, imports,
read, parse, analyse, render, write). Each command runs as a child process; its wall time comes
from the clock around it and its peak memory from the kernel (`os.wait4` rusage: the largest
resident set of the child or of any process it waited for). A sampler also adds up the resident
sets of the whole process tree every 50 ms, which is what matters once the work is spread over
worker processes (the kernel's number is a maximum over processes, not a sum).

When `lnav` is on PATH, `lnav -n -c ';SELECT count(*) FROM access_log' FILES` runs on the same
files in the same run; the issue's target is our wall time <= 0.5 x lnav's on the 1M nginx file.

    python benchmarks/run.py [--quick | --lines N] [--repeat N] [--data DIR] [--json FILE]
                             [--no-lnav] [--dask [--only-mixed]]

`--dask` also times `postmortem draft --engine dask` on the multi-file case, on a LocalCluster of
1 and of 2 workers (`POSTMORTEM_DASK_WORKERS`); it needs `pip install 'postmortem[dask]'`.

Data that is missing (or was made with another line count) is generated first (generate.py).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from generate import DEFAULT_OUT, FILES, MANIFEST, generate

DASK_WORKERS = (1, 2)  # LocalCluster sizes timed by --dask
QUICK_LINES = 100_000
FULL_LINES = 1_000_000
LNAV_QUERY = ";SELECT count(*) FROM access_log"
LNAV_TARGET_RATIO = 0.5
SAMPLE_EVERY_S = 0.05
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    name: str
    files: tuple[Path, ...]
    lines: int

    @property
    def megabytes(self) -> float:
        return sum(path.stat().st_size for path in self.files) / 1e6


@dataclass
class Run:
    """One timed child process."""

    wall_s: float
    max_rss_mb: float  # MiB, kernel: largest single process
    tree_rss_mb: float  # MiB, sampled: sum over the process tree
    returncode: int
    stderr_tail: str = ""


@dataclass
class Result:
    case: str
    tool: str
    lines: int
    megabytes: float
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(run.returncode == 0 for run in self.runs)

    @property
    def wall_s(self) -> float:
        return statistics.median(run.wall_s for run in self.runs)

    @property
    def best_s(self) -> float:
        return min(run.wall_s for run in self.runs)

    @property
    def max_rss_mb(self) -> float:
        return max(run.max_rss_mb for run in self.runs)

    @property
    def tree_rss_mb(self) -> float:
        return max(run.tree_rss_mb for run in self.runs)


# ---------------------------------------------------------------------------------------------
# measuring one process


class _TreeSampler(threading.Thread):
    """Peak of the summed RSS of a process and its descendants, polled from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_bytes = 0
        self._done = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def run(self) -> None:
        while not self._done.is_set():
            total = sum(self._rss(pid) for pid in self._tree(self.pid))
            self.peak_bytes = max(self.peak_bytes, total)
            self._done.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def _tree(self, pid: int) -> list[int]:
        found, pending = [], [pid]
        while pending:
            current = pending.pop()
            found.append(current)
            with contextlib.suppress(OSError):
                for task in os.listdir(f"/proc/{current}/task"):
                    children = Path(f"/proc/{current}/task/{task}/children").read_text()
                    pending.extend(int(child) for child in children.split())
        return found

    def _rss(self, pid: int) -> int:
        try:
            return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page
        except (OSError, IndexError, ValueError):
            return 0


def measure(
    argv: Sequence[str], stdout_path: Path | None = None, env: dict[str, str] | None = None
) -> Run:
    """Run `argv` to completion; wall time, kernel peak RSS, sampled tree peak RSS."""
    with tempfile.TemporaryFile() as stderr, contextlib.ExitStack() as stack:
        stdout = stack.enter_context(stdout_path.open("wb")) if stdout_path else subprocess.DEVNULL
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=stdout, stderr=stderr, cwd=ROOT, env=env)
        sampler = _TreeSampler(process.pid)
        sampler.start()
        # wait4 instead of Popen.wait: it returns this child's own rusage, not a running maximum
        # over every child this script ever had (which is what RUSAGE_CHILDREN gives).
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        sampler.stop()
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        tail = stderr.read().decode("utf-8", "replace").strip().splitlines()[-6:]
    return Run(
        wall_s=wall,
        max_rss_mb=usage.ru_maxrss / 1024,  # Linux reports kilobytes
        tree_rss_mb=max(sampler.peak_bytes / 2**20, usage.ru_maxrss / 1024),
        returncode=process.returncode,
        stderr_tail="\n".join(tail),
    )


# ---------------------------------------------------------------------------------------------
# the cases


def ensure_data(directory: Path, lines: int) -> None:
    """Generate the data unless a manifest says it is already there with this many lines."""
    manifest = directory / MANIFEST
    if manifest.exists():
        known = json.loads(manifest.read_text())
        if known.get("lines") == lines and all((directory / f).exists() for f in FILES.values()):
            return
    print(f"generating {lines:,} lines per format into {directory} ...", flush=True)
    generate(directory, lines)


def cases(data: Path, quick: bool, lines: int | None = None) -> list[Case]:
    lines = lines or (QUICK_LINES if quick else FULL_LINES)
    directory = {FULL_LINES: data, QUICK_LINES: data / "quick"}.get(lines, data / f"lines-{lines}")
    ensure_data(directory, lines)
    nginx = directory / FILES["nginx"]
    bundle = tuple(directory / FILES[kind] for kind in ("nginx", "syslog", "app"))
    return [
        Case(f"nginx {_count(lines)}", (nginx,), lines),
        Case(f"mixed {_count(3 * lines)}", bundle, 3 * lines),
    ]


def _count(lines: int) -> str:
    """300000 -> 300k, 3000000 -> 3M: the case names of the README's tables."""
    if lines % 1_000_000 == 0:
        return f"{lines // 1_000_000}M"
    return f"{lines // 1000}k" if lines % 1000 == 0 else str(lines)


def warm(case: Case) -> None:
    """Read every file once so that every tool sees the same (warm) page cache."""
    for path in case.files:
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass


def postmortem_bin() -> str:
    beside = Path(sys.executable).parent / "postmortem"
    if beside.exists():
        return str(beside)
    found = shutil.which("postmortem")
    if found is None:
        sys.exit("postmortem is not installed: run `make bench` (it sets up .venv)")
    return found


def has_command(binary: str, command: str, env: dict[str, str] | None) -> bool:
    probe = subprocess.run(
        [binary, command, "--help"], capture_output=True, cwd=ROOT, env=env, check=False, timeout=60
    )
    return probe.returncode == 0


def bench_case(case: Case, args: argparse.Namespace, scratch: Path) -> list[Result]:
    binary = postmortem_bin()
    files = [str(path) for path in case.files]
    warm(case)
    draft = Result(case.name, "postmortem draft", case.lines, case.megabytes)
    lnav = Result(case.name, "lnav count(*)", case.lines, case.megabytes)
    events = Result(case.name, "postmortem events", case.lines, case.megabytes)
    use_lnav = not args.no_lnav and shutil.which("lnav") is not None
    use_events = has_command(binary, "events", args.child_env)
    if not use_events:
        events.note = "skipped: `postmortem events` does not exist yet"
    # `--engine dask` on a LocalCluster of 1 and 2 workers: multi-file cases only (one file is
    # one task, so a single file cannot spread).
    workers = DASK_WORKERS if args.dask and len(case.files) > 1 else ()
    on_dask = {n: Result(case.name, f"draft dask-{n}", case.lines, case.megabytes) for n in workers}
    for attempt in range(args.repeat):
        out = scratch / f"draft-{attempt}.md"
        draft.runs.append(
            measure([binary, "draft", *files, "-o", str(out), "--force"], env=args.child_env)
        )
        for count, result in on_dask.items():
            env = {**(args.child_env or os.environ), "POSTMORTEM_DASK_WORKERS": str(count)}
            argv = [binary, "draft", *files, "-o", str(out), "--force", "--engine", "dask"]
            result.runs.append(measure(argv, env=env))
        if use_lnav:
            counted = scratch / "lnav.out"
            lnav.runs.append(measure(["lnav", "-n", "-c", LNAV_QUERY, *files], counted))
            lnav.note = "count(*) = " + " ".join(counted.read_text().split()[1:2])
        if use_events:
            parquet = scratch / f"events-{attempt}.parquet"
            parquet.unlink(missing_ok=True)
            events.runs.append(
                measure([binary, "events", *files, "-o", str(parquet)], env=args.child_env)
            )
    said = [line for line in draft.runs[-1].stderr_tail.splitlines() if line.startswith("Read ")]
    draft.note = said[0] if said and draft.ok else ""
    if not use_lnav:
        lnav.note = "skipped: lnav is not on PATH" if not args.no_lnav else "skipped: --no-lnav"
    for result in on_dask.values():
        said = [
            line for line in result.runs[-1].stderr_tail.splitlines() if line.startswith("Read ")
        ]
        result.note = said[0] if said and result.ok else ""
    return [draft, *on_dask.values(), lnav, events]


# ---------------------------------------------------------------------------------------------
# reporting


def checkout(rev: str, into: Path) -> dict[str, str]:
    """Export commit `rev` into `into`; the environment that makes the children run that code.

    The work tree is shared with engineers editing it right now: measuring a clean export of a
    commit gives a number that belongs to that commit. PYTHONPATH puts the export ahead of the
    editable install (the console script's own folder is first on sys.path, not the work tree).
    """
    archive = subprocess.run(["git", "archive", "--format=tar", rev], capture_output=True, cwd=ROOT)
    if archive.returncode != 0:
        sys.exit(f"git archive {rev} failed: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    env = {**os.environ, "PYTHONPATH": str(into)}
    probe = "import sys; sys.path.pop(0); import pipeline; print(pipeline.__file__)"
    where = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env
    )
    if not where.stdout.startswith(str(into)):
        sys.exit(
            f"the export of {rev} would not be the code measured: {where.stdout or where.stderr}"
        )
    return env


def environment(rev: str | None) -> dict[str, str]:
    """The facts a number needs to be comparable: machine, versions, commit, date."""
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in ("pandas", "pyarrow"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    lnav = shutil.which("lnav")
    lnav_version = "not installed"
    if lnav:
        probe = subprocess.run([lnav, "-V"], capture_output=True, text=True, check=False)
        lnav_version = probe.stdout.strip() or "unknown"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git("rev-parse", rev) if rev else _git("rev-parse", "HEAD") + _dirty(),
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "pandas": versions["pandas"],
        "pyarrow": versions["pyarrow"],
        "lnav": lnav_version,
        "load": _load(),
    }


def _load() -> str:
    """Other work on this machine slows the numbers down: print it beside them."""
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min) {five:.2f} (5 min)"


def _dirty() -> str:
    return " + uncommitted changes" if _git("status", "--porcelain", "--untracked-files=no") else ""


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT, check=False)
    except OSError:
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def table(results: list[Result]) -> str:
    header = (
        f"{'case':<11} {'tool':<18} {'lines':>10} {'MB':>7} {'wall s':>8} {'best s':>7}"
        f" {'lines/s':>11} {'MB/s':>7} {'peak RSS MiB':>12} {'tree RSS MiB':>12}"
    )
    rows = [header, "-" * len(header)]
    for result in results:
        start = f"{result.case:<11} {result.tool:<18} {result.lines:>10,} {result.megabytes:>7.1f}"
        if not result.runs:
            rows.append(f"{start}  {result.note}")
            continue
        if not result.ok:
            failed = next(run for run in result.runs if run.returncode != 0)
            last = failed.stderr_tail.splitlines()[-3:]
            rows.append(f"{start}  FAILED (exit {failed.returncode}): " + "\n".join(last))
            continue
        wall = result.wall_s
        rows.append(
            f"{start} {wall:>8.2f} {result.best_s:>7.2f} {result.lines / wall:>11,.0f}"
            f" {result.megabytes / wall:>7.1f}"
            f" {result.max_rss_mb:>12.0f} {result.tree_rss_mb:>12.0f}"
            + (f"  {result.note}" if result.note else "")
        )
    return "\n".join(rows)


def ratios(results: list[Result]) -> list[str]:
    lines = []
    for draft in (r for r in results if r.tool == "postmortem draft" and r.ok):
        same_case = (r for r in results if r.case == draft.case and r.tool.startswith("lnav"))
        lnav = next(same_case, None)
        if lnav is None or not lnav.ok:
            continue
        ratio = draft.wall_s / lnav.wall_s
        verdict = "meets" if ratio <= LNAV_TARGET_RATIO else "misses"
        lines.append(
            f"{draft.case}: postmortem draft / lnav = {draft.wall_s:.2f} s / {lnav.wall_s:.2f} s"
            f" = {ratio:.2f} ({verdict} the <= {LNAV_TARGET_RATIO} target)"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="Time `postmortem` end to end on generated logs.")
    parser.add_argument("--quick", action="store_true", help="100k-line cases instead of 1M")
    parser.add_argument("--lines", type=int, help="lines per generated file (default 1M)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per command (median wall)")
    parser.add_argument("--data", type=Path, default=DEFAULT_OUT, help="generated data directory")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--no-lnav", action="store_true", help="do not run lnav for reference")
    parser.add_argument(
        "--rev", help="measure this commit (a clean export) instead of the work tree as it is"
    )
    parser.add_argument(
        "--dask",
        action="store_true",
        help="also time --engine dask with 1 and 2 workers on the multi-file case",
    )
    parser.add_argument("--only-mixed", action="store_true", help="run the multi-file case only")
    args = parser.parse_args()

    env = environment(args.rev)
    print("  ".join(f"{key}: {value}" for key, value in env.items()), flush=True)
    with tempfile.TemporaryDirectory(prefix="postmortem-bench-") as scratch:
        args.child_env = checkout(args.rev, Path(scratch) / "src") if args.rev else None
        # The fixed cost every run pays (interpreter, imports, CLI) before it reads a byte.
        startup = Result("startup", "postmortem --version", 0, 0.0)
        startup.runs = [
            measure([postmortem_bin(), "--version"], env=args.child_env)
            for _ in range(max(args.repeat, 3))
        ]
        results: list[Result] = [startup]
        for case in cases(args.data, args.quick, args.lines):
            if args.only_mixed and len(case.files) == 1:
                continue
            print(f"running {case.name} ({case.megabytes:.0f} MB) ...", flush=True)
            results.extend(bench_case(case, args, Path(scratch)))
    print()
    print(table(results))
    for line in ratios(results):
        print(line)
    print(f"load average after: {_load()}; wall s = median of {args.repeat}, best s = fastest")
    if args.json:
        payload = {
            "environment": env,
            "results": [
                {**asdict(r), "wall_s": r.wall_s if r.runs else None} for r in results if r.runs
            ],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    if any(r.runs and not r.ok for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
