"""Put every file's timestamps on one clock: hosts, then zones, then the skew left between hosts.

`pipeline.sources` parses zone-less timestamps as wall clock; this is the one step that decides,
with the whole bundle in view, what those wall clocks meant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from parsers.timestamps import TimeOptions
from pipeline.hosts import HostOf, assign_hosts, dominant_hostname
from pipeline.skew import ClockSkew, estimate_skew
from pipeline.zones import ZoneChoice, choose_zones, place

__all__ = ["ClockSkew", "Clocks", "place_clocks"]


@dataclass(frozen=True)
class Clocks:
    """Each file's events in UTC, and the account of how they got there."""

    frames: dict[str, pd.DataFrame]
    hosts: dict[str, HostOf]
    zones: dict[str, ZoneChoice]  # files that had zone-less timestamps
    skew: list[ClockSkew]


def place_clocks(frames: Mapping[str, pd.DataFrame], time: TimeOptions) -> Clocks:
    """Assign hosts, choose a zone for every file with zone-less times, place them, measure skew."""
    hostnames = {name: dominant_hostname(events["host"]) for name, events in frames.items()}
    hosts = assign_hosts(list(frames), hostnames, time.host_for)
    zones = choose_zones(frames, hosts, tz=time.tz, tz_rules=time.tz_for)
    placed = {
        name: place(events, zones[name]) if name in zones else events
        for name, events in frames.items()
    }
    return Clocks(placed, hosts, zones, estimate_skew(placed, hosts))
