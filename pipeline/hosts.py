"""Which machine each log file came from: the unit that shares one clock and one time zone.

Zone inference (`pipeline.zones`) lets a file with zone-less timestamps borrow the zone of a
zoned file from the same machine, so files must be grouped by host first. The clues, strongest
first: `--host-for GLOB=NAME`; the folder a bundle is usually copied into
(`<bundle>/<host>/var/log/...`), which is the first folder under the bundle's root unless it is a
well-known log folder such as `nginx` or `log`; the hostname field of a syslog file. A file with
none of these joins the one syslog host of the nearest folder around it, else shares a host with
the other clue-less files of its own folder: files copied from one folder almost always come
from one machine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline.globs import matches_glob, parse_glob_rules

HostRule = tuple[str, str]  # (glob, host name) from `--host-for GLOB=NAME`

# Folder names that say what a log is, not which machine wrote it.
LOG_FOLDERS = frozenset(
    {
        "apache",
        "apache2",
        "api",
        "app",
        "apps",
        "application",
        "audit",
        "caddy",
        "containers",
        "haproxy",
        "httpd",
        "journal",
        "log",
        "logs",
        "mysql",
        "nginx",
        "pods",
        "postgres",
        "postgresql",
        "redis",
        "syslog",
        "traefik",
        "var",
    }
)
DOMINANT_SHARE = 0.8  # share of a file's events that must name one syslog host for it to count


@dataclass(frozen=True)
class HostOf:
    """The host a file was assigned to, and the clue that said so."""

    key: str  # grouping key: files with the same key share a clock
    name: str | None  # what to call it (None: no clue named it)
    rule: str  # "--host-for", "folder", "syslog hostname", "same folder"


def parse_host_rules(values: Iterable[str]) -> tuple[HostRule, ...]:
    """`--host-for GLOB=NAME` options, checked before any reading."""
    return parse_glob_rules(values, "--host-for", "NAME")


def assign_hosts(
    names: Sequence[str], hostnames: Mapping[str, str | None], rules: Sequence[HostRule] = ()
) -> dict[str, HostOf]:
    """The host of every file in `names`; `hostnames` is each file's dominant syslog hostname."""
    root = _bundle_root(names)
    known = {host.lower(): host for host in hostnames.values() if host}
    hosts = {name: _host_of(name, root, known, hostnames.get(name), rules) for name in names}
    # A clue-less file joins the syslog host of the nearest folder around it that holds exactly
    # one (`var/log/nginx/access.log` beside `var/log/syslog` whose lines say `web-1`).
    syslog_hosts = [(_parts(n)[:-1], h) for n, h in hosts.items() if h.rule == "syslog hostname"]
    for name, host in hosts.items():
        if host.rule != "same folder":
            continue
        folders = _parts(name)[:-1]
        for depth in range(len(folders), len(root) - 1, -1):
            around = {h.key: h for where, h in syslog_hosts if where[:depth] == folders[:depth]}
            if around:
                if len(around) == 1:
                    (joined,) = around.values()
                    hosts[name] = HostOf(key=joined.key, name=joined.name, rule="same folder")
                break
    return hosts


def dominant_hostname(hosts: pd.Series) -> str | None:
    """The syslog hostname most of a file's events carry, when one clearly dominates."""
    known = hosts.dropna()
    if known.empty:
        return None
    counts = known.astype(object).value_counts()
    top = counts.index[0]
    if counts.iloc[0] < DOMINANT_SHARE * len(hosts) or not str(top).strip():
        return None
    return str(top)


def _host_of(
    name: str,
    root: tuple[str, ...],
    known: Mapping[str, str],
    hostname: str | None,
    rules: Sequence[HostRule],
) -> HostOf:
    for pattern, host in rules:
        if matches_glob(name, pattern):
            return HostOf(key=f"host:{host}", name=host, rule="--host-for")
    folders = _parts(name)[:-1]
    # A folder named like a syslog host of the bundle, even above the bundle's root
    # (`api-1/nginx/access.log` next to `api-1/syslog` whose lines say `api-1`).
    for folder in folders:
        if folder.lower() in known:
            return HostOf(key=f"host:{known[folder.lower()]}", name=folder, rule="folder")
    below_root = folders[len(root) :]
    if below_root and below_root[0].lower() not in LOG_FOLDERS:
        return HostOf(key=f"host:{below_root[0]}", name=below_root[0], rule="folder")
    if hostname:
        return HostOf(key=f"host:{known[hostname.lower()]}", name=hostname, rule="syslog hostname")
    return HostOf(key=f"folder:{_folder(name)}", name=None, rule="same folder")


def _folder(name: str) -> str:
    return "/".join(_parts(name)[:-1])


def _parts(name: str) -> tuple[str, ...]:
    return tuple(part for part in name.replace("!", "/").split("/") if part not in ("", "."))


def _bundle_root(names: Sequence[str]) -> tuple[str, ...]:
    """The folders every file shares: host folders are the first level below them."""
    folders = [_parts(name)[:-1] for name in names]
    if not folders:
        return ()
    shared = min(folders, key=len)
    for depth, part in enumerate(shared):
        if any(folder[depth] != part for folder in folders):
            return shared[:depth]
    return shared
