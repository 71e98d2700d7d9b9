"""The registered check functions (importing this package registers them all)."""
from cdisc_msc.validate.checks import adam, cross, dates, define, package, structure, terminology, transport  # noqa: F401
