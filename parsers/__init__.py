"""Log formats. Importing this package registers every built-in format."""

from parsers import applog, jsonlines, logfmt, nginx, syslog  # noqa: F401  (registration)
from parsers.base import LogFormat, Sample, detect_format, get_format, parse_lines, registered

__all__ = ["LogFormat", "Sample", "detect_format", "get_format", "parse_lines", "registered"]
