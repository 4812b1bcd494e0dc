"""Log formats. Importing this package registers every built-in format."""

from parsers import (  # noqa: F401  (registration side effect)
    apache,
    applog,
    journald,
    jsonlines,
    logfmt,
    nginx,
    nginx_error,
    nginx_ingress,
    syslog,
)
from parsers.base import LogFormat, Sample, detect_format, get_format, parse_lines, registered

__all__ = ["LogFormat", "Sample", "detect_format", "get_format", "parse_lines", "registered"]
