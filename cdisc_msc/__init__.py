"""cdisc-msc: the MSC-SLE trial's raw EDC exports to a submission-ready CDISC package."""

__version__ = "0.1.0"
