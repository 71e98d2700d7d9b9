"""Run every ADaM derivation in dependency order.

Each module ``cdisc_msc/adam/<name>.py`` exposes ``build(ctx: AdamContext)
-> dict[str, pd.DataFrame]``. ADSL comes first (treatment dates and flags that
every BDS dataset merges); ``adsl_baseline`` runs last and adds the baseline
disease-activity and steroid variables to ADSL from the BDS datasets.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.spec.apply import conform, sort_by_keys
from cdisc_msc.spec.model import Spec

ADAM_MODULES: tuple[str, ...] = ("adsl", "adae", "adqs", "adrs", "adster", "adcomo", "adsl_baseline")


@dataclass
class AdamContext:
    config: StudyConfig
    spec: Spec
    sdtm: dict[str, pd.DataFrame]
    datasets: dict[str, pd.DataFrame] = field(default_factory=dict)


def build_adam(config: StudyConfig, spec: Spec, sdtm: dict[str, pd.DataFrame],
               progress: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """Derive every ADaM dataset of the spec from the SDTM datasets."""
    ctx = AdamContext(config=config, spec=spec, sdtm=sdtm)
    for mod_name in ADAM_MODULES:
        if progress:
            progress(mod_name)
        module = importlib.import_module(f"cdisc_msc.adam.{mod_name}")
        for name, frame in module.build(ctx).items():
            ds = spec.dataset(name)
            ctx.datasets[name] = sort_by_keys(conform(frame, ds), ds)
    missing = [d.name for d in spec.datasets if d.name not in ctx.datasets]
    if missing:
        raise RuntimeError(f"spec declares ADaM datasets no derivation produced: {', '.join(missing)}")
    return ctx.datasets
