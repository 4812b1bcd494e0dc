"""postmortem: read the logs of an outage and draft its postmortem."""

__version__ = "0.1.0"
