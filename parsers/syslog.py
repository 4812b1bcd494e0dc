"""Syslog as rsyslog, syslog-ng, macOS and network devices write it to files.

Three formats share one shape, `[<PRI>]TIME [HOST] [TAG[PID]:] MESSAGE`, and differ in the time and
the header:

* `syslog_rfc3164`: BSD time without a year (`Mar  4 02:31:07`); the driver supplies the year.
* `syslog_iso`: the same header behind an RFC 3339 / ISO 8601 time, as rsyslog's high-precision
  file format and SUSE write it (`2024-03-14T02:31:07.123456+01:00 host prog[1]: msg`).
* `syslog_rfc5424`: `<PRI>1 TIME HOST APP PROCID MSGID [SD] MSG`, with structured data.

The BSD header is loose in the wild, so it is read by a short list of layouts tried in order (a
line takes the first that fits): a tag with no host before it (`haproxy[7]: ...`), a tag after the
host (`sshd(pam_unix)[123]:`, `postfix/smtpd[1713]:`, `launchd[1] (com.x[5]):`), a tag with spaces
and a pid (`Setup Assistant[1173]:`), a tag without its colon (`fluentd[11] msg`, `WinFileService
Event: ...`: the first word is the program, as fluentd, syslog-loose and VRL read it), and finally
host + message. `last message repeated N times` is its own event, attributed to the program (and
host, pid, severity) of the event before it, with N kept in the message.

Indented lines (macOS's tab-indented continuations) are folded into the event before them, as
Filebeat's syslog module does (`multiline.pattern: ^\\s`); any other line that starts no event stays
unparsed, so junk in a syslog file is reported, not hidden. RFC 5424 is different: its MSG may hold
newlines, so there every line up to the next header belongs to the event before it.

Severity comes from `<PRI>`, else from a leading level word in the message (`error:`, `[warn]`,
`FATAL`), else info.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from parsers import nginx
from parsers.appfields import whole_numbers
from parsers.base import LogFormat, Sample, register
from pipeline.schema import SEVERITY_LEVELS, STRING

# Words that are a log level when they stand where a syslog host or program would be: such a line
# is an application log ("2024-03-14T02:31:07Z INFO started"), not syslog.
LEVEL_WORDS = (
    "trace", "debug", "dbg", "verbose", "info", "notice", "warn", "warning", "error", "err",
    "severe", "critical", "crit", "fatal", "alert", "emerg", "emergency", "panic",
)  # fmt: skip


def not_words(words: Iterable[str], excluded_chars: str) -> str:
    """RE2 regex for a token of characters not in `excluded_chars` that is none of `words`.

    RE2 has no lookahead, so "a host that is not INFO" is spelled out as a trie: at each prefix of
    a word the token may stop (unless the prefix is a word), turn off to another character, or
    continue along the word. Letters match in either case.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for char in word.lower():
            node = node.setdefault(char, {})
        node[""] = {}

    def branch(node: dict, depth: int) -> str:
        letters = sorted(key for key in node if key)
        options = [""] if depth and "" not in node else []
        others = "".join(re.escape(c) + re.escape(c.upper()) for c in letters)
        options.append(f"[^{excluded_chars}{others}][^{excluded_chars}]*")
        options += [
            f"[{re.escape(c)}{re.escape(c.upper())}]{branch(node[c], depth + 1)}" for c in letters
        ]
        return "(?:" + "|".join(options) + ")"

    return branch(trie, 0)


PRI = r"(?:<(?P<pri>\d{1,3})>)?"
BSD_TIME = r"(?P<ts_text>[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d{1,9})?)"
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?"
ISO_TIME = rf"(?P<ts_text>{ISO})"
# A host name, or an IPv6 address (the only host with colons; it never ends with one).
_HOST_EXCLUDED = r"\s\[\]=:"
_HOST_CHARS = rf"[^{_HOST_EXCLUDED}]+"
_IPV6 = r"[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*[0-9A-Fa-f]"
_TAG_TOKEN = not_words(LEVEL_WORDS, r"\s\[\]:")  # a program right after the time
_WORD_TOKEN = not_words(LEVEL_WORDS, r"\s\[\]")  # a program without its colon
# The sniffs refuse a level word as host (`2024-03-14T02:31:07Z INFO started` is an app log). The
# parsers only see lines a sniff took, so they use the plain token: RE2 extracts groups ~4x
# faster without the long alternation.
SNIFF_HOST = rf"(?P<host>{not_words(LEVEL_WORDS, _HOST_EXCLUDED)}|{_IPV6})"
PARSE_HOST = rf"(?P<host>{_HOST_CHARS}|{_IPV6})"
PID = r"(?:\[(?P<pid>\d+)\])"
CONTINUATION = r"^\s"  # an indented line continues the BSD-style event before it
REST = r"(?P<message>.*)$"
REPEAT = r"(?P<message>(?:--- )?last message repeated \d+ times?(?: ---)?)\s*$"


def bsd_bodies(host: str) -> tuple[str, ...]:
    """What follows the time in a BSD-style line; a line takes the first that fits.

    The common shape comes first (for speed): a host never holds `[` or ends with `:`, so it
    cannot take a line meant for the no-host layouts.
    """
    return (
        # `host prog[pid]: msg`; `prog` may hold anything but spaces (`sshd(pam_unix)`, `a/b`)
        rf"{host} (?P<service>[^\s\[]\S*?){PID}?(?: \([^)]*\))?:(?:\s+|$){REST}",
        # `prog[pid]: msg` with no host (haproxy's and logger's network messages, `su:`)
        rf"(?P<service>{_TAG_TOKEN}){PID}?:(?:\s+|$){REST}",
        REPEAT,
        rf"{host} {REPEAT}",
        # `host Setup Assistant[1173]: msg`, `host fluentd[11111] msg`
        rf"{host} (?P<service>[^\s\[:]+(?: [^\s\[:]+)?){PID}:?(?:\s+|$){REST}",
        # `host prog msg`: a program without its colon
        rf"{host} (?P<service>{_WORD_TOKEN}) +(?P<message>\S.*)$",
        rf"{host}(?:\s+{REST})?$",
    )


# RFC 5424 structured data: `-` or `[id k="v" ...]...`, values escaping `"`, `\` and `]`; some
# senders leave it out altogether (`MSGID  MSG`, two spaces), which grok's SYSLOG5424LINE accepts.
SD = r'(?P<sd>-|(?:\[(?:[^\]"\\]|\\.|"(?:[^"\\]|\\.)*")*\])+|)'


def rfc5424_layout(host: str) -> str:
    return (
        rf"^\s*{PRI}(?:1 )?(?P<ts_text>-|{ISO}) (?P<host>{host}) (?P<service>\S*[^\s:]) "
        rf"(?P<pid>\S+) (?P<msgid>\S+) {SD}(?: {REST})?$"
    )


RFC5424 = rfc5424_layout(r"\S+")

# A valid SD element at the start of a BSD message (rsyslog's `[origin software="rsyslogd" ...]`):
# it is metadata, not message. Text in brackets without `key="value"` pairs stays message.
_LEADING_SD = r'^(?:\[[^\s\[\]="]+(?: [^\s\[\]="]+="(?:[^"\\]|\\.)*")+\])+(?:\s+|$)'
_LEVEL_NAMES = "|".join(sorted(LEVEL_WORDS, key=len, reverse=True))
# `error: ...`, `[warn] ...`, `<crit> ...` in any case; a bare word only in capitals (`FATAL x`).
_DELIMITED_LEVEL = rf"^\s*[\[<(]?(?P<level>(?i:{_LEVEL_NAMES}))\d?(?:[\]>)]:?|:)(?:\s|$)"
_CAPITAL_LEVEL = rf"^\s*(?P<level>{_LEVEL_NAMES.upper()})(?:\s|$)"
_SD_PARAM = r'\s{name}="(?P<value>(?:[^"\\]|\\.)*)"'
_REQUEST_ID_NAMES = r"(?i:request[-_]?id|req[-_]?id|x-request-id|correlation[-_]?id|trace[-_]?id)"
_GROUP_NAME = re.compile(r"\(\?P<\w+>")


def _unnamed(pattern: str) -> str:
    return _GROUP_NAME.sub("(?:", pattern)


# Host and program names as pandas' default string dtype: `conform` casts them to categories,
# whose categories must be what casting Python strings gives (an arrow-backed `str`).
_NAME = pd.StringDtype("pyarrow", na_value=np.nan)
_NULL = pa.scalar(None, pa.string())
_SEVERITY_BY_CODE = pa.array(list(reversed(SEVERITY_LEVELS)), pa.string())
_PID_DIGITS = r"^\d{1,18}$"  # always fits int64: cast in arrow, anything else as pandas reads it


def layout_captures(lines: pa.Array, layouts: Sequence[str]) -> tuple[np.ndarray, dict]:
    """Positions (ascending) of the lines some layout fits, and the named groups of the first
    layout each fits, as arrow strings in that order (empty captures null).

    Each layout runs vectorised over the lines no earlier layout took. The captures stay arrow
    arrays: a million lines as Python strings and back cost seconds.
    """
    groups = [re.compile(layout).groupindex for layout in layouts]
    names = sorted({name for group in groups for name in group})
    n = len(lines)
    todo = np.arange(n)
    positions: list[np.ndarray] = []
    parts: list[pa.StructArray] = []
    for layout in layouts:
        if not len(todo):
            break
        rest = lines if len(todo) == n else lines.take(pa.array(todo, pa.int64()))
        # One pass (a line that does not fit is null), split over the cores like the access logs.
        struct = nginx.extract_parallel(rest, layout)
        fits = struct.is_valid()
        mask = fits.to_numpy(zero_copy_only=False)
        if not mask.any():
            continue
        parts.append(struct.filter(fits))
        positions.append(todo[mask])
        todo = todo[~mask]
    if not positions:
        return np.zeros(0, np.int64), {name: pa.array([], pa.string()) for name in names}
    joined = np.concatenate(positions)
    order = None if len(parts) == 1 else pa.array(np.argsort(joined, kind="stable"))
    columns = {}
    for name in names:
        pieces = [_group(part, name) for part in parts]
        column = pieces[0] if len(pieces) == 1 else pa.concat_arrays(pieces)
        column = column if order is None else column.take(order)
        columns[name] = pc.if_else(pc.equal(column, ""), _NULL, column)
    return (joined if order is None else joined[order.to_numpy()]), columns


def _group(struct: pa.StructArray, name: str) -> pa.Array:
    """The captures of group `name` in `struct` (all null when its layout has no such group)."""
    if struct.type.get_field_index(name) < 0:
        return pa.nulls(len(struct), pa.string())
    return struct.field(name)


def _no_events(names: Sequence[str]) -> pd.DataFrame:
    """No line fitted: the empty frame of Python-object columns the driver has always seen."""
    return pd.DataFrame(
        {name: np.empty(0, dtype=object) for name in names}, index=pd.Index([], dtype=np.int64)
    )


def _capture(values: pa.Array, pattern: str) -> pa.Array:
    """The one group of `pattern` where it matches `values`, else null.

    Most values do not match: a plain match pass finds the few that do, and only those pay for
    the capture.
    """
    matched = pc.match_substring_regex(values, _unnamed(pattern)).fill_null(False)
    count = pc.sum(matched).as_py() or 0
    if not count:
        return pa.nulls(len(values), pa.string())
    captured = pc.extract_regex(values.filter(matched), pattern).field(0)
    return pc.replace_with_mask(pa.nulls(len(values), pa.string()), matched, captured)


def _unescape_sd(values: pa.Array) -> pa.Array:
    """RFC 5424 PARAM-VALUE escapes: `\\"`, `\\\\` and `\\]` stand for the character itself."""
    return pc.replace_substring_regex(values, r'\\(["\\\]])', r"\1")


def _message_level(message: pa.Array) -> pa.Array:
    """A level word that leads the message (`error: ...`, `[warn] ...`, `FATAL ...`), else null.

    Only the message's start counts: a level word inside a sentence says nothing about severity.
    """
    return pc.coalesce(_capture(message, _DELIMITED_LEVEL), _capture(message, _CAPITAL_LEVEL))


def message_level(message: pd.Series) -> pd.Series:
    """`_message_level` for a pandas column (journald's messages), None where there is none."""
    array = pa.array(message.astype(object).to_numpy(), pa.string(), from_pandas=True)
    level = _message_level(array).to_numpy(zero_copy_only=False)
    return pd.Series(level, index=message.index, dtype=object)


def _clean_message(message: pa.Array) -> pa.Array:
    r"""Drop a UTF-8 BOM (RFC 5424 marks UTF-8 messages with one) and edge whitespace; a missing
    message is empty.

    What `^\x{FEFF}?\s+|^\x{FEFF}|\s+$` removes, without a regex pass over every message:
    RE2's `\s` is exactly these five characters.
    """
    text = pc.fill_null(message, "")
    bom = pc.starts_with(text, "\ufeff")
    if pc.any(bom).as_py():
        text = pc.if_else(bom, pc.utf8_slice_codeunits(text, 1), text)
    return pc.utf8_trim(text, characters="\t\n\f\r ")


def _drop_leading_sd(message: pa.Array) -> pa.Array:
    """A BSD message without the SD elements it starts with; only messages that start with `[`
    can, so only those go through the regex."""
    bracket = pc.starts_with(message, "[")
    if not pc.any(bracket).as_py():
        return message
    edited = pc.replace_substring_regex(message.filter(bracket), _LEADING_SD, "")
    return pc.replace_with_mask(message, bracket, edited)


def _severity(pri: pa.Array) -> pa.Array:
    """Syslog PRI (facility * 8 + severity) to our severity names; null without a PRI."""
    code = pc.bit_wise_and(pc.cast(pri, pa.int64()), 7)
    return _SEVERITY_BY_CODE.take(code)


def _pid(text: pa.Array) -> pd.api.extensions.ExtensionArray:
    """Process ids as Int64: digits cast in arrow; anything else (an RFC 5424 PROCID is any
    word) read as `pd.to_numeric` reads it, missing where it is no number."""
    digits = pc.match_substring_regex(text, _PID_DIGITS).fill_null(False)
    numbers = pc.cast(pc.if_else(digits, text, _NULL), pa.int64())
    values = pc.fill_null(numbers, 0).to_numpy(zero_copy_only=False, writable=True)
    missing = numbers.is_null().to_numpy(zero_copy_only=False, writable=True)
    out = pd.arrays.IntegerArray(values, missing)
    other = np.flatnonzero(
        pc.and_(pc.invert(digits), text.is_valid()).to_numpy(zero_copy_only=False)
    )
    if len(other):  # rare: a PROCID like `abc` or a 19-digit pid
        words = pd.Series(text.take(pa.array(other, pa.int64())).to_pylist(), dtype=object)
        out[other] = whole_numbers(words).to_numpy()
    return out


def _finish(positions: np.ndarray, columns: dict, *, bsd: bool) -> pd.DataFrame:
    """Columns every syslog format shares: severity from PRI or a level word, pid.

    Built from the arrow captures directly. Repeats are the driver's (`LogFormat.repeats`):
    in a large file the event a repeat repeats may be in the block before.
    """
    message = _clean_message(columns.pop("message"))
    if bsd:
        message = _drop_leading_sd(message)
    level = _message_level(message)
    if "level" in columns:
        level = pc.coalesce(columns.pop("level"), level)
    return pd.DataFrame(
        {
            "ts_text": columns.pop("ts_text"),
            "host": pd.array(columns.pop("host"), dtype=_NAME),
            "service": pd.array(columns.pop("service"), dtype=_NAME),
            "pid": _pid(columns.pop("pid")),
            "message": pd.array(message, dtype=STRING),
            "severity": _severity(columns.pop("pri")).to_numpy(zero_copy_only=False),
            "level": level.to_numpy(zero_copy_only=False),
            **{name: pd.array(values, dtype=STRING) for name, values in columns.items()},
        },
        index=pd.Index(positions, dtype=np.int64),
    )


# `last message repeated N times`. Repeats were found by `str.contains`, with Python's `re`,
# whose `\d` and `\s` are Unicode's: the same classes spelled out for RE2 (`\s` is what
# `str.isspace` calls whitespace).
_PY_SPACE = (
    r"[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}"
    r"\x{205f}\x{3000}]"
)
REPEAT_MESSAGE = rf"^(?:(?:--- )?last message repeated \p{{Nd}}+ times?(?: ---)?){_PY_SPACE}*$"


def _time_text(text: pa.Array, *, iso: bool) -> pd.Categorical:
    """Time text the driver reads with one explicit format, as categories in order of first
    appearance (a file repeats each second many times: the edits run once per distinct text).

    BSD times get `.0` when they have no fraction (so `%S.%f` reads every line); ISO times get a
    dot for a comma and 59 for a leap second (`23:59:60`), which datetime64 cannot hold.
    """
    encoded = pc.dictionary_encode(text)
    distinct = encoded.dictionary
    if iso:
        distinct = pc.replace_substring_regex(distinct, r"(\d\d:\d\d:\d\d),", r"\1.")
        distinct = pc.replace_substring_regex(distinct, r"(\d\d:\d\d):60", r"\1:59")
    else:
        distinct = pc.replace_substring_regex(distinct, r"^([^.]*)$", r"\1.0")
    # Two texts may now be one (`07` and `07.0`): encode again, still in order of appearance.
    again = pc.dictionary_encode(distinct)
    codes = again.indices.take(encoded.indices)
    codes = pc.fill_null(codes, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    categories = pd.Index(again.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))


def _bsd_parser(time: str, *, iso: bool):
    layouts = [f"^{PRI}{time} {body}" for body in bsd_bodies(PARSE_HOST)]

    def parse(lines: pa.Array) -> pd.DataFrame:
        positions, columns = layout_captures(lines, layouts)
        if not len(positions):
            return _no_events(list(columns))
        columns["ts_text"] = _time_text(columns["ts_text"], iso=iso)
        return _finish(positions, columns, bsd=True)

    bodies = map(_unnamed, bsd_bodies(SNIFF_HOST))
    sniff = f"^{_unnamed(PRI)}{_unnamed(time)} (?:" + "|".join(bodies) + ")"
    return parse, sniff


def parse_rfc5424(lines: pa.Array) -> pd.DataFrame:
    """RFC 5424 lines: `-` is nil, structured data stays out of the message (a request id in it
    becomes `request_id`, a `level` param the level), a BOM before the message is dropped."""
    positions, columns = layout_captures(lines, [RFC5424])
    if not len(positions):
        return _no_events(list(columns))
    for column in ("ts_text", "host", "service", "pid"):
        values = columns[column]
        columns[column] = pc.if_else(pc.equal(values, "-"), _NULL, values)
    columns["ts_text"] = _time_text(columns["ts_text"], iso=True)
    sd = pc.fill_null(columns.pop("sd"), "-")
    columns.pop("msgid")
    columns["request_id"] = _unescape_sd(_capture(sd, _SD_PARAM.format(name=_REQUEST_ID_NAMES)))
    columns["level"] = _unescape_sd(_capture(sd, _SD_PARAM.format(name="(?i:level|severity)")))
    return _finish(positions, columns, bsd=False)


_parse_rfc3164, _RFC3164_SNIFF = _bsd_parser(BSD_TIME, iso=False)
_parse_iso, _ISO_SNIFF = _bsd_parser(ISO_TIME, iso=True)

SYSLOG_RFC3164 = register(
    LogFormat(
        name="syslog_rfc3164",
        description="BSD syslog (RFC 3164): `Mar  4 02:31:07 host program[pid]: message`",
        sniff=_RFC3164_SNIFF,
        parse=_parse_rfc3164,
        ts_format="%b %d %H:%M:%S.%f",
        yearless=True,
        multiline=True,
        continues=CONTINUATION,
        repeats=REPEAT_MESSAGE,
        specificity=5,
        samples=[
            Sample(
                "Mar 14 02:30:58 web-1 kernel: [12345.678] Out of memory: Killed process 2231"
                " (gunicorn) total-vm:2048000kB",
                severity="info",
                fields={
                    "ts": "2024-03-14T02:30:58Z",
                    "host": "web-1",
                    "service": "kernel",
                    "message": "[12345.678] Out of memory: Killed process 2231 (gunicorn)"
                    " total-vm:2048000kB",
                },
            ),
            Sample(
                "<27>Mar  4 09:05:01 db-1 postgres[811]: FATAL:  too many connections",
                severity="error",
                fields={
                    "ts": "2024-03-04T09:05:01Z",
                    "host": "db-1",
                    "service": "postgres",
                    "pid": 811,
                    "message": "FATAL:  too many connections",
                },
            ),
            Sample(
                "Mar  4 09:05:02 bastion sshd(pam_unix)[4242]: error: authentication failure;"
                " rhost=203.0.113.9",
                severity="error",
                fields={
                    "host": "bastion",
                    "service": "sshd(pam_unix)",
                    "pid": 4242,
                    "message": "error: authentication failure; rhost=203.0.113.9",
                },
            ),
            Sample(
                "Mar 16 00:01:25 mx-1 postfix/smtpd[1713]: connect from mail.example.org[1.2.3.4]",
                severity="info",
                fields={"service": "postfix/smtpd", "pid": 1713, "host": "mx-1"},
            ),
            Sample(
                "<133>Jan 13 16:33:35 haproxy[73411]: Proxy sticky-servers started.",
                severity="notice",
                fields={
                    "ts": "2024-01-13T16:33:35Z",
                    "host": None,
                    "service": "haproxy",
                    "pid": 73411,
                    "message": "Proxy sticky-servers started.",
                },
            ),
            Sample(
                "Dec 13 11:35:28 mac-1 GoogleSoftwareUpdateAgent[21412]: Checking for updates\n"
                "\t\tticketStore=<KSPersistentTicketStore:0x100204520\n"
                "\t>",
                severity="info",
                fields={
                    "service": "GoogleSoftwareUpdateAgent",
                    "message": "Checking for updates\n\t\tticketStore=<KSPersistentTicketStore"
                    ":0x100204520\n\t>",
                },
            ),
            Sample(
                "Mar  4 09:05:03 web-1 --- last message repeated 3 times ---",
                severity="info",
                fields={
                    "host": "web-1",
                    "service": None,
                    "message": "--- last message repeated 3 times ---",
                },
            ),
            Sample(
                "Feb 28 12:00:00.456 192.168.0.1 fluentd[11111] [warn] slow flush",
                severity="warning",
                fields={
                    "ts": "2024-02-28T12:00:00.456Z",
                    "host": "192.168.0.1",
                    "service": "fluentd",
                    "pid": 11111,
                    "message": "[warn] slow flush",
                },
            ),
            Sample(
                '<46>Jan  5 15:33:03 log-1 rsyslogd:  [origin software="rsyslogd"'
                ' swVersion="8.32.0" x-pid="20506"] start',
                severity="info",
                fields={"service": "rsyslogd", "message": "start"},
            ),
        ],
    )
)

SYSLOG_ISO = register(
    LogFormat(
        name="syslog_iso",
        description="syslog with an RFC 3339 time (rsyslog high-precision, SUSE):"
        " `2024-03-14T02:31:07.123456+01:00 host program[pid]: message`",
        sniff=_ISO_SNIFF,
        parse=_parse_iso,
        ts_format="ISO8601",
        multiline=True,
        continues=CONTINUATION,
        repeats=REPEAT_MESSAGE,
        specificity=9,  # above python_logging's catch-all `TIME text` layout
        samples=[
            Sample(
                "2024-03-14T03:31:07.123456+01:00 web-1 systemd[1]: Stopping checkout.service",
                severity="info",
                fields={
                    "ts": "2024-03-14T02:31:07.123456Z",
                    "host": "web-1",
                    "service": "systemd",
                    "pid": 1,
                    "message": "Stopping checkout.service",
                },
            ),
            Sample(
                "<11>2024-03-14T02:31:07Z web-1 nginx: upstream timed out",
                severity="error",
                fields={"ts": "2024-03-14T02:31:07Z", "service": "nginx", "pid": None},
            ),
            Sample(
                "2024-03-14T02:31:07 web-1 sudo: pam_unix(sudo:session): session opened",
                severity="info",
                fields={"ts": "2024-03-14T02:31:07Z", "service": "sudo"},
            ),
        ],
    )
)

SYSLOG_RFC5424 = register(
    LogFormat(
        name="syslog_rfc5424",
        description="IETF syslog (RFC 5424): `<PRI>1 TIME HOST APP PROCID MSGID [SD] MSG`",
        sniff=_unnamed(rfc5424_layout(not_words(LEVEL_WORDS, r"\s"))),
        parse=parse_rfc5424,
        ts_format="ISO8601",
        multiline=True,
        repeats=REPEAT_MESSAGE,
        specificity=11,  # stricter than syslog_iso, which also reads its lines (badly)
        samples=[
            Sample(
                "<165>1 2024-03-14T02:31:07.003+01:00 api-1 checkout 4242 ID47 [req@32473"
                ' requestId="r-\\"77\\"" zone="eu\\]1"] \ufeffpayment declined',
                severity="notice",
                fields={
                    "ts": "2024-03-14T01:31:07.003Z",
                    "host": "api-1",
                    "service": "checkout",
                    "pid": 4242,
                    "request_id": 'r-"77"',
                    "message": "payment declined",
                },
            ),
            Sample(
                "<11>1 2024-03-14T02:31:07Z - - - - - disk full",
                severity="error",
                fields={"host": None, "service": None, "pid": None, "message": "disk full"},
            ),
            Sample(
                '2022-08-27T14:22:01.613Z edge-1 NSX 3106 - [abc@6876 level="WARN"]'
                " keep-alive late",
                severity="warning",
                fields={"ts": "2022-08-27T14:22:01.613Z", "service": "NSX", "pid": 3106},
            ),
        ],
    )
)
