"""Run every SDTM domain mapping in dependency order.

Each domain module (``cdisc_msc/sdtm/<domain>.py``) exposes
``build(ctx: SdtmContext) -> dict[str, pd.DataFrame]``: the domain's dataset
and, where needed, its SUPP-- dataset, keyed by dataset name. Mappings fill
the variables the spec declares; ``conform`` then imposes the spec's order and
types, and records are sorted by the dataset keys.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from cdisc_msc.accounting import Accounting
from cdisc_msc.config import StudyConfig
from cdisc_msc.spec.apply import conform_sorted
from cdisc_msc.spec.model import Spec

# Dependency order: DM gives USUBJID and RFSTDTC; EX and SE give EPOCH.
DOMAIN_MODULES: tuple[str, ...] = (
    "dm", "ex", "se", "sv", "ds", "ie", "ae", "cm", "mh", "ce", "qs", "rs", "lb", "vs",
    "trial_design",
)


@dataclass
class SdtmContext:
    """What a domain mapping may read: configuration, spec, raw forms, earlier datasets."""

    config: StudyConfig
    spec: Spec
    raw: object  # cdisc_msc.raw.readers.RawStudy
    accounting: Accounting = field(default_factory=Accounting)
    datasets: dict[str, pd.DataFrame] = field(default_factory=dict)

    def form(self, name: str) -> pd.DataFrame:
        """The rows of a raw form that passed validation (rows with errors are
        accounted for as not mapped by the reader's report)."""
        return self.raw.valid_rows(name)  # type: ignore[attr-defined]

    @property
    def subjects(self) -> pd.DataFrame:
        """SUBJID -> USUBJID, RFSTDTC, RFXSTDTC... from DM (built first)."""
        return self.datasets["DM"]


def build_sdtm(config: StudyConfig, spec: Spec, raw: object,
               progress: Callable[[str], None] | None = None) -> tuple[dict[str, pd.DataFrame], Accounting]:
    """Map the raw study into every SDTM dataset of the spec."""
    ctx = SdtmContext(config=config, spec=spec, raw=raw)
    for form in getattr(raw, "frames", {}):
        bad = raw.invalid_rows(form)  # type: ignore[attr-defined]
        if len(bad):
            ctx.accounting.not_mapped(form, bad, "raw problem: see raw_problems.csv")
    for mod_name in DOMAIN_MODULES:
        if progress:
            progress(mod_name)
        module = importlib.import_module(f"cdisc_msc.sdtm.{mod_name}")
        produced: dict[str, pd.DataFrame] = module.build(ctx)
        for name, frame in produced.items():
            ds = spec.dataset(name)
            ctx.datasets[name] = conform_sorted(frame, ds)
    missing = [d.name for d in spec.datasets if d.name not in ctx.datasets]
    if missing:
        raise RuntimeError(f"spec declares SDTM datasets no mapping produced: {', '.join(missing)}")
    return ctx.datasets, ctx.accounting
