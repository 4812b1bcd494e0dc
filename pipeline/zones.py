"""Place every zone-less timestamp in UTC: choose each file's zone, say why, and apply it.

nginx's error log, classic syslog and many app logs write local time with no zone, and the hosts
of one incident often live in different zones. One default for all of them makes the timeline
lie (the database error lands after the outage it caused), so each such file gets its own zone,
chosen by the first rule that has evidence:

1. **stated**: `--tz-for GLOB=ZONE`, then `--tz ZONE` (or the config file's `tz`);
2. **same host**: the offsets that zoned logs of the same host write in local time (an nginx
   access log's `+0530` is that machine's zone). A `Z`/`+00:00` from an app log is no such
   evidence, because apps log UTC by choice; a `+0000` from `$time_local` is. When the host's
   offsets change inside the logs (a DST switch), the file follows them over time;
3. **aligned**: the offset (15-minute steps, −12 h … +14 h) at which the file's per-minute
   errors (or activity) line up with the logs whose time is known (`pipeline.alignment`);
4. **other hosts**: when every host that states its local zone states the same one;
5. **assumed**: UTC, flagged as an assumption.

IANA zones (stated ones) are applied with their DST rules, so a file that crosses a DST change is
placed right on both sides of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parsers import get_format
from parsers.timestamps import localize, resolve_zone
from pipeline.alignment import MinuteCounts, align, minute_counts
from pipeline.globs import matches_glob, parse_glob_rules
from pipeline.hosts import HostOf
from pipeline.series import is_failure

ZoneRule = tuple[str, str]  # (glob, zone) from `--tz-for GLOB=ZONE`
_NS_PER_MINUTE = 60 * 1_000_000_000


@dataclass(frozen=True)
class ZoneChoice:
    """The zone a file's zone-less timestamps were read in, the rule that chose it, and why."""

    zone: str  # "UTC", "+05:30", "Europe/Berlin", or "+01:00/+02:00" when following a host
    rule: str  # "stated", "same host", "aligned", "other hosts", "assumed"
    evidence: str
    score: float | None = None  # alignment correlation, for "aligned"
    # For a host whose offsets change over time: (its local wall clock in ns, offset minutes).
    follow: tuple[np.ndarray, np.ndarray] | None = field(default=None, compare=False, repr=False)


def parse_zone_rules(values: Sequence[str]) -> tuple[ZoneRule, ...]:
    """`--tz-for GLOB=ZONE` options, every zone checked before any reading."""
    rules = parse_glob_rules(values, "--tz-for", "ZONE")
    for _, zone in rules:
        resolve_zone(zone)
    return rules


def zoneless(events: pd.DataFrame) -> np.ndarray:
    """Events whose timestamp carried no zone of its own (read as UTC wall clock until placed)."""
    return events["utc_offset"].isna().to_numpy() & events["ts"].notna().to_numpy()


def choose_zones(
    frames: Mapping[str, pd.DataFrame],
    hosts: Mapping[str, HostOf],
    *,
    tz: str | None = None,
    tz_rules: Sequence[ZoneRule] = (),
) -> dict[str, ZoneChoice]:
    """A zone for every file in `frames` that has zone-less timestamps."""
    pending = [name for name, events in frames.items() if zoneless(events).any()]
    if not pending:
        return {}
    evidence = _local_offsets(frames, hosts)
    chosen: dict[str, ZoneChoice] = {}
    for name in pending:
        choice = _stated(name, tz, tz_rules) or _same_host(hosts[name], evidence)
        if choice is not None:
            chosen[name] = choice
    reference = _reference(frames, chosen)
    for name in pending:
        if name not in chosen:
            choice = _aligned(frames[name], reference)
            if choice is not None:
                chosen[name] = choice
    for name in pending:
        if name not in chosen:
            chosen[name] = _other_hosts(evidence) or ZoneChoice(
                "UTC",
                "assumed",
                "no zone in its timestamps, no zoned log of its host, no clear alignment",
            )
    return chosen


def place(events: pd.DataFrame, choice: ZoneChoice) -> pd.DataFrame:
    """`events` with their zone-less timestamps moved from wall clock to UTC by `choice`."""
    if not zoneless(events).any():
        return events
    out = events.copy()
    out["ts"] = placed_times(events, choice)
    return out


def placed_times(events: pd.DataFrame, choice: ZoneChoice) -> pd.Series:
    """The `ts` column with its zone-less values moved to UTC by `choice` (a new Series)."""
    naive = zoneless(events)
    ts = events["ts"].copy()
    if not naive.any():
        return ts
    wall = ts[naive].dt.tz_localize(None)
    if choice.follow is not None:
        offsets = _offsets_at(wall.to_numpy().view("i8"), *choice.follow)
        utc = pd.Series(wall.to_numpy() - offsets * _NS_PER_MINUTE, index=wall.index)
        placed = utc.dt.tz_localize("UTC")
    else:
        placed = localize(wall, resolve_zone(choice.zone)).dt.tz_convert("UTC")
    ts[naive] = placed.astype(ts.dtype)
    return ts


def format_offset(minutes: int) -> str:
    """`+05:30`, `-07:00`, or `UTC` for zero."""
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(int(minutes)), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


@dataclass(frozen=True)
class _HostEvidence:
    """Offsets a host's zoned logs wrote in local time."""

    host: HostOf
    files: tuple[str, ...]
    wall_ns: np.ndarray  # local wall clock of each evidence line (sorted when offsets differ)
    offsets: np.ndarray  # its offset in minutes

    @property
    def distinct(self) -> list[int]:
        return sorted({int(o) for o in np.unique(self.offsets)})


def _local_offsets(
    frames: Mapping[str, pd.DataFrame], hosts: Mapping[str, HostOf]
) -> dict[str, _HostEvidence]:
    by_host: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
    host_of_key = {host.key: host for host in hosts.values()}
    for name, events in frames.items():
        stated = events["utc_offset"].notna().to_numpy() & events["ts"].notna().to_numpy()
        if not stated.any():
            continue
        offsets = events["utc_offset"].to_numpy(dtype=np.float64, na_value=np.nan)
        local = stated & ((offsets != 0) | _local_time_format(events))
        if not local.any():
            continue
        utc = events["ts"][local].dt.tz_localize(None).to_numpy().view("i8")
        wall = utc + offsets[local].astype(np.int64) * _NS_PER_MINUTE
        by_host.setdefault(hosts[name].key, []).append((name, wall, offsets[local]))
    evidence = {}
    for key, parts in by_host.items():
        wall = np.concatenate([part[1] for part in parts])
        offsets = np.concatenate([part[2] for part in parts]).astype(np.int64)
        if offsets.min() != offsets.max():  # only a host that switches offsets is followed
            order = np.argsort(wall, kind="stable")
            wall, offsets = wall[order], offsets[order]
        files = tuple(part[0] for part in parts)
        evidence[key] = _HostEvidence(host_of_key[key], files, wall, offsets)
    return evidence


def _local_time_format(events: pd.DataFrame) -> np.ndarray:
    """Lines of formats whose numeric offset is local time by definition (`$time_local`)."""
    names = events["format"].astype(object)
    local = {
        name
        for name in pd.unique(names.dropna())
        if "%z" in (get_format(str(name)).ts_format or "")
    }
    return names.isin(local).to_numpy()


def _stated(name: str, tz: str | None, rules: Sequence[ZoneRule]) -> ZoneChoice | None:
    for pattern, zone in rules:
        if matches_glob(name, pattern):
            return ZoneChoice(zone, "stated", f"--tz-for {pattern}={zone}")
    if tz is not None:
        return ZoneChoice(tz, "stated", "--tz (or the config file's tz)")
    return None


def _same_host(host: HostOf, evidence: Mapping[str, _HostEvidence]) -> ZoneChoice | None:
    found = evidence.get(host.key)
    if found is None:
        return None
    where = found.files[0] + (f" and {len(found.files) - 1} more" if len(found.files) > 1 else "")
    who = f"host {host.name}" if host.name else "its folder"
    zones = [format_offset(o) for o in found.distinct]
    if len(zones) == 1:
        return ZoneChoice(zones[0], "same host", f"{zones[0]} written by {where} ({who})")
    return ZoneChoice(
        "/".join(zones),
        "same host",
        f"follows the offsets {', '.join(zones)} written by {where} over time ({who})",
        follow=(found.wall_ns, found.offsets),
    )


def _reference(
    frames: Mapping[str, pd.DataFrame], chosen: Mapping[str, ZoneChoice]
) -> MinuteCounts | None:
    """Per-minute counts of the lines whose time is known (stated, or placed already)."""
    instants, errors = [], []
    for name, events in frames.items():
        known = events["ts"].notna().to_numpy()
        if name in chosen:
            ts = placed_times(events, chosen[name])  # one column, not a copy of the frame
        else:
            ts, known = events["ts"], known & ~zoneless(events)
        instants.append(ts[known].dt.tz_localize(None).to_numpy().view("i8"))
        errors.append(_errors(events)[known])
    if not instants:
        return None
    return minute_counts(np.concatenate(instants), np.concatenate(errors))


def _aligned(events: pd.DataFrame, reference: MinuteCounts | None) -> ZoneChoice | None:
    naive = zoneless(events)
    wall = events["ts"][naive].dt.tz_localize(None).to_numpy().view("i8")
    result = align(wall, _errors(events)[naive], reference)
    if result is None or not result.confident:
        return None
    zone = format_offset(result.offset_minutes)
    what = "error bursts" if result.signal == "errors" else "activity"
    return ZoneChoice(
        zone,
        "aligned",
        f"its {what} line up with the logs of known time at {zone}"
        f" (correlation {result.score:.2f}; next best offset {result.runner_up:.2f})",
        score=result.score,
    )


def _other_hosts(evidence: Mapping[str, _HostEvidence]) -> ZoneChoice | None:
    zones = {format_offset(o) for found in evidence.values() for o in found.distinct}
    if len(zones) != 1:
        return None
    zone = zones.pop()
    named = sorted(found.host.name or ", ".join(found.files) for found in evidence.values())
    return ZoneChoice(
        zone,
        "other hosts",
        f"every host that writes its zone writes {zone} ({', '.join(named)});"
        " no zoned log of its own host and no clear alignment",
    )


def _errors(events: pd.DataFrame) -> np.ndarray:
    return is_failure(events).to_numpy(dtype=bool)


def _offsets_at(wall_ns: np.ndarray, ref_wall_ns: np.ndarray, ref_offsets: np.ndarray):
    """The offset of the reference line nearest in wall-clock time to each of `wall_ns`."""
    right = np.clip(np.searchsorted(ref_wall_ns, wall_ns), 0, len(ref_wall_ns) - 1)
    left = np.clip(right - 1, 0, len(ref_wall_ns) - 1)
    nearer_left = np.abs(wall_ns - ref_wall_ns[left]) <= np.abs(ref_wall_ns[right] - wall_ns)
    return np.where(nearer_left, ref_offsets[left], ref_offsets[right]).astype(np.int64)
