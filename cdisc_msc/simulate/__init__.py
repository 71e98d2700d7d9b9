"""Synthetic MSC-SLE raw exports (no real patient data): :func:`simulate_study`."""
from cdisc_msc.simulate.study import simulate_study

__all__ = ["simulate_study"]
