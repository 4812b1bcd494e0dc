"""Text application logs: Python `logging`, log4j/logback, Tomcat, ZooKeeper, Spark, glog/klog.

Each format is a short list of layouts (RE2 regexes with the same named groups) tried in order over
the batch, so one format covers the layouts its ecosystem writes by default. Every layout starts
with a timestamp: a line that does not is a traceback, a Java stack frame (`\\tat ...`,
`Caused by: ...`, `... 12 more`) or a message's next line, and the driver folds it into the event
before it. The logger (or program) goes to `service`; `message` is the text after it.

Where the layouts of two families overlap (a log4j line also reads as "time LEVEL message" to the
Python layouts), the stricter family has the higher `specificity`, so it wins a file whose lines
both recognise and loses one where only the looser family recognises most lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from parsers.appfields import whole_numbers
from parsers.base import LogFormat, Sample, register
from pipeline.schema import STRING

# ISO-like local time as Python and log4j write it: `2024-03-14 02:31:07,123`, optional offset.
TS = (
    r"(?P<ts_text>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?"
    r"(?: ?(?:Z|[+-]\d\d:?\d\d)\b)?)"
)
LEVEL = (
    r"(?P<level>(?i:trace|debug|info|notice|warn|warning|error|err|severe|critical|crit|fatal"
    r"|alert|emerg|emergency|finest|finer|fine|config|verbose))\b"
)
LOGGER = r"(?P<service>[\w$][\w$.\-]*)"
REST = r"(?P<message>.*)$"
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def layouts_parser(layouts: Sequence[str]):
    """A parse function trying `layouts` in order; each line takes the first layout it fits.

    Columns are the union of the layouts' named groups; `ts_text` is normalised to ISO 8601
    (`,123` -> `.123`, `-0800` joined to the time) so one explicit format reads every layout.
    """
    names = sorted({name for layout in layouts for name in re.compile(layout).groupindex})

    def parse(lines: pa.Array) -> pd.DataFrame:
        n = len(lines)
        columns = {name: np.full(n, None, dtype=object) for name in names}
        done = np.zeros(n, dtype=bool)
        for layout in layouts:
            fits = pc.match_substring_regex(lines, layout).fill_null(False)
            todo = fits.to_numpy(zero_copy_only=False) & ~done
            if not todo.any():
                continue
            struct = pc.extract_regex(lines.filter(pa.array(todo)), layout)
            for name in re.compile(layout).groupindex:
                columns[name][todo] = struct.field(name).to_numpy(zero_copy_only=False)
            done |= todo
        positions = np.flatnonzero(done)
        frame = pd.DataFrame(
            {name: values[done] for name, values in columns.items()},
            index=pd.Index(positions, dtype=np.int64),
        )
        for name in frame.columns:
            frame[name] = frame[name].where(frame[name] != "", None)
        if "ts_text" in frame.columns:
            frame["ts_text"] = _iso(frame["ts_text"])
        if "message" in frame.columns:
            frame["message"] = pd.array(
                frame["message"].fillna("").str.rstrip().to_numpy(), dtype=STRING
            )
        if "service" in frame.columns:
            frame["service"] = frame["service"].str.strip()
        if "pid" in frame.columns:
            frame["pid"] = whole_numbers(frame["pid"])
        return frame.drop(columns=[c for c in ("thread", "file", "line") if c in frame.columns])

    return parse


def _iso(text: pd.Series) -> pd.Series:
    text = text.astype(object).str.replace(r"(\d\d:\d\d:\d\d),(\d)", r"\1.\2", regex=True)
    return text.str.replace(r" ([+-]\d\d:?\d\d)$", r"\1", regex=True)


def _sniff(layouts: Sequence[str]) -> str:
    """One regex recognising any of the layouts (named groups dropped: RE2 wants unique names)."""
    unnamed = (_NAMED_GROUP.sub("(?:", layout) for layout in layouts)
    return "|".join(f"(?:{layout})" for layout in unnamed)


def _text_format(
    name: str,
    description: str,
    layouts: Sequence[str],
    samples: Sequence[Sample],
    *,
    ts_format: str = "ISO8601",
    specificity: int,
    yearless: bool = False,
) -> LogFormat:
    return register(
        LogFormat(
            name=name,
            description=description,
            sniff=_sniff(layouts),
            parse=layouts_parser(layouts),
            samples=samples,
            ts_format=ts_format,
            yearless=yearless,
            multiline=True,
            specificity=specificity,
        )
    )


PYTHON_LAYOUTS = (
    # %(asctime)s - %(name)s - %(levelname)s - %(message)s  (the logging cookbook's format)
    rf"^{TS} - {LOGGER} - {LEVEL} - {REST}",
    # %(asctime)s %(levelname)s [%(name)s] %(message)s
    rf"^{TS} +{LEVEL} +\[{LOGGER}\] {REST}",
    # %(asctime)s:%(levelname)s:%(name)s:%(message)s and BASIC_FORMAT behind a time
    rf"^{TS}[ :]{LEVEL}:{LOGGER}:{REST}",
    rf"^{TS}[ :]{LEVEL}:{REST}",
    # %(asctime)s [%(levelname)s] %(name)s: %(message)s
    rf"^{TS} +\[{LEVEL}\] +{LOGGER}: {REST}",
    # %(asctime)s %(levelname)s %(message)s
    rf"^{TS} +\[?{LEVEL}\]?:? +{REST}",
    # %(asctime)s %(name)s %(levelname)s %(message)s
    rf"^{TS} +{LOGGER} +{LEVEL}:? +{REST}",
    # Any other line that starts with a full timestamp is an event of its own (level unknown)
    # rather than the next line of the one before it.
    rf"^{TS} +{REST}",
)

PYTHON_LOGGING = _text_format(
    "python_logging",
    "Python logging text (`2024-03-14 02:31:07,123 - orders.api - ERROR - msg` and kin)",
    PYTHON_LAYOUTS,
    specificity=4,  # the catch-all layout reads any ISO-timestamped text: every rival wins a tie
    samples=[
        Sample(
            "2024-03-14 02:31:07,123 - orders.api - ERROR - payment gateway timeout\n"
            "Traceback (most recent call last):\n"
            '  File "/srv/orders/api.py", line 42, in charge\n'
            '    raise TimeoutError("gateway")\n'
            "TimeoutError: gateway",
            severity="error",
            fields={
                "ts": "2024-03-14T02:31:07.123Z",
                "service": "orders.api",
                "message": "payment gateway timeout\nTraceback (most recent call last):\n"
                '  File "/srv/orders/api.py", line 42, in charge\n'
                '    raise TimeoutError("gateway")\nTimeoutError: gateway',
            },
        ),
        Sample(
            "2024-03-14 02:31:07,123 ERROR [orders.api] payment gateway timeout",
            severity="error",
            fields={"service": "orders.api", "message": "payment gateway timeout"},
        ),
        Sample(
            "2012-07-02 10:22:40,672:DEBUG:foo bar baz",
            severity="debug",
            fields={"ts": "2012-07-02T10:22:40.672Z", "service": None, "message": "foo bar baz"},
        ),
        Sample(
            "2025-09-26 21:12:39,385 WARNING warning message:\nlow disk space",
            severity="warning",
            fields={"message": "warning message:\nlow disk space"},
        ),
    ],
)

JAVA_LAYOUTS = (
    # log4j/logback `%d %-5p [%t] %c: %m` and `%d %-5p [%t] %c - %m`
    rf"^{TS} +{LEVEL} +\[(?P<thread>[^\]]*)\] +{LOGGER} *(?::|-) {REST}",
    # `%d [%t] %-5p %c - %m`
    rf"^{TS} +\[(?P<thread>[^\]]*)\] +{LEVEL} +{LOGGER} *(?::|-) {REST}",
    # Spring Boot: `%d  INFO 1234 --- [app] [  main] o.s.b.App  : msg`
    rf"^{TS} +{LEVEL} +(?P<pid>\d+) +--- +(?:\[[^\]]*\] +)?\[(?P<thread>[^\]]*)\] +"
    rf"(?:\[[^\]]*\] +)?{LOGGER} *: {REST}",
    # `%d %-5p %c (%F:%M(%L)) - %m` (Hadoop) and `%d %-5p %c - %m`
    rf"^{TS} +{LEVEL} +{LOGGER} +(?:\(\S+\) +)?- {REST}",
    # `%d | %-5p | %c - %m`
    rf"^{TS} +\| *{LEVEL} *\| *{LOGGER} +- {REST}",
)

JAVA_LOG4J = _text_format(
    "java_log4j",
    "log4j/logback/Spring Boot text (`2015-10-18 18:01:47,978 INFO [main] org.x.Y: msg`)",
    JAVA_LAYOUTS,
    specificity=10,
    samples=[
        Sample(
            "2015-10-18 18:01:47,978 ERROR [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster:"
            " Error starting MRAppMaster\n"
            "java.lang.NullPointerException: boom\n"
            "\tat org.apache.hadoop.mapreduce.v2.app.MRAppMaster.main(MRAppMaster.java:1411)\n"
            "Caused by: java.io.IOException: disk\n"
            "\t... 12 more",
            severity="error",
            fields={
                "ts": "2015-10-18T18:01:47.978Z",
                "service": "org.apache.hadoop.mapreduce.v2.app.MRAppMaster",
                "message": "Error starting MRAppMaster\njava.lang.NullPointerException: boom\n"
                "\tat org.apache.hadoop.mapreduce.v2.app.MRAppMaster.main(MRAppMaster.java:1411)"
                "\nCaused by: java.io.IOException: disk\n\t... 12 more",
            },
        ),
        Sample(
            "2015-05-22 16:10:00,123 [DefaultQuartzScheduler_Worker-5] WARN "
            " com.redhat.rhn.taskomatic.task.ErrataCacheTask  - In the queue: 24",
            severity="warning",
            fields={
                "service": "com.redhat.rhn.taskomatic.task.ErrataCacheTask",
                "message": "In the queue: 24",
            },
        ),
        Sample(
            "2025-01-23T03:42:36.681-0800  INFO 125873 --- [myapp] [           main]"
            " o.s.b.d.f.logexample.MyApplication       : Started MyApplication in 2.1 seconds",
            severity="info",
            fields={
                "ts": "2025-01-23T11:42:36.681Z",
                "pid": 125873,
                "service": "o.s.b.d.f.logexample.MyApplication",
                "message": "Started MyApplication in 2.1 seconds",
            },
        ),
        Sample(
            "2014-01-09 20:03:28,269 -0800 | ERROR | com.example.service.ExampleService -"
            " something compeletely unexpected happened...",
            severity="error",
            fields={
                "ts": "2014-01-10T04:03:28.269Z",
                "service": "com.example.service.ExampleService",
                "message": "something compeletely unexpected happened...",
            },
        ),
    ],
)

ZOOKEEPER = _text_format(
    "zookeeper",
    "ZooKeeper log4j text (`... - INFO  [thread:Class@123] - msg`)",
    (
        rf"^{TS}(?: \[myid:\d*\])? - {LEVEL} +\[(?P<thread>.*):{LOGGER}@(?P<line>\d+)\] - "
        rf"{REST}",
    ),
    specificity=12,
    samples=[
        Sample(
            "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:"
            "FastLeaderElection@774] - Notification time out: 3200",
            severity="info",
            fields={
                "ts": "2015-07-29T17:41:44.747Z",
                "service": "FastLeaderElection",
                "message": "Notification time out: 3200",
            },
        ),
    ],
)

TOMCAT = _text_format(
    "tomcat",
    "Tomcat 8+ catalina.out (`31-Jul-2020 16:40:38.505 INFO [thread] a.b.Class.method msg`)",
    (
        r"^(?P<ts_text>\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\.\d{3}) +"
        rf"{LEVEL} +\[(?P<thread>[^\]]*)\] +{LOGGER}\.(?P<function>[\w$<>]+) {REST}",
    ),
    ts_format="%d-%b-%Y %H:%M:%S.%f",
    specificity=10,
    samples=[
        Sample(
            "31-Jul-2020 16:40:38.505 INFO [localhost-startStop-1]"
            " org.apache.catalina.startup.HostConfig.deployDirectory Deployment of web"
            " application directory [/opt/webapps/ROOT] has finished in [40] ms",
            severity="info",
            fields={
                "ts": "2020-07-31T16:40:38.505Z",
                "service": "org.apache.catalina.startup.HostConfig",
                "message": "Deployment of web application directory [/opt/webapps/ROOT] has"
                " finished in [40] ms",
            },
        ),
    ],
)

SPARK = _text_format(
    "spark",
    "Spark/Hadoop console log4j (`17/06/09 20:10:40 INFO a.B: msg`)",
    (rf"^(?P<ts_text>\d\d/\d\d/\d\d \d\d:\d\d:\d\d) +{LEVEL} +{LOGGER}: {REST}",),
    ts_format="%y/%m/%d %H:%M:%S",
    specificity=10,
    samples=[
        Sample(
            "17/06/09 20:10:52 INFO executor.CoarseGrainedExecutorBackend: Got assigned task 87",
            severity="info",
            fields={
                "ts": "2017-06-09T20:10:52Z",
                "service": "executor.CoarseGrainedExecutorBackend",
                "message": "Got assigned task 87",
            },
        ),
    ],
)

# glog/klog: `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`; glog >= 0.7 writes the year too.
_GLOG_TAIL = r" +(?P<pid>\d{1,18}) (?P<file>[^:\s\]]+):(?P<line>\d+)\] ?" + r"(?P<message>.*)$"
KLOG = _text_format(
    "klog",
    "glog/klog without a year (`I0314 02:31:07.123456   12345 file.go:123] msg`)",
    (r"^\s*(?P<level>[IWEF])(?P<ts_text>\d{4} \d\d:\d\d:\d\d\.\d{6})" + _GLOG_TAIL,),
    ts_format="%m%d %H:%M:%S.%f",
    yearless=True,
    specificity=10,
    samples=[
        Sample(
            "E0314 02:31:07.123456   12345 controller.go:123] sync failed: etcd timeout",
            severity="error",
            fields={
                "ts": "2024-03-14T02:31:07.123456Z",
                "pid": 12345,
                "message": "sync failed: etcd timeout",
            },
        ),
    ],
)

GLOG = _text_format(
    "glog",
    "glog with a year (`I20210131 14:48:54.411655 15520 main.cc:9] msg`)",
    (r"^\s*(?P<level>[IWEF])(?P<ts_text>\d{8} \d\d:\d\d:\d\d\.\d{6})" + _GLOG_TAIL,),
    ts_format="%Y%m%d %H:%M:%S.%f",
    specificity=10,
    samples=[
        Sample(
            "W20210131 14:48:54.411655 15520 main.c++:9] disk almost full",
            severity="warning",
            fields={"ts": "2021-01-31T14:48:54.411655Z", "pid": 15520},
        ),
    ],
)
