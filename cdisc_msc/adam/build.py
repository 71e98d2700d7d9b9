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
from cdisc_msc.spec.apply import conform_sorted
from cdisc_msc.spec.model import Spec

ADAM_MODULES: tuple[str, ...] = ("adsl", "adae", "adqs", "adrs", "adster", "adcomo", "adsl_baseline")


@dataclass
class AdamContext:
    config: StudyConfig
    spec: Spec
    sdtm: dict[str, pd.DataFrame]
    datasets: dict[str, pd.DataFrame] = field(default_factory=dict)


def build_adam(config: StudyConfig, spec: Spec, sdtm: dict[str, pd.DataFrame],
               progress: Callable[[str], None] | None = None, *, consume: bool = False) -> dict[str, pd.DataFrame]:
    """Derive every ADaM dataset of the spec from the SDTM datasets.

    With ``consume`` the ``sdtm`` dict is emptied as the build goes: each SDTM
    dataset is removed once no later derivation reads it (module
    ``SDTM_INPUTS``), so its memory is released early (the pipeline's
    SDTM frames live only for ADaM).
    """
    ctx = AdamContext(config=config, spec=spec, sdtm=sdtm)
    modules = [importlib.import_module(f"cdisc_msc.adam.{mod_name}") for mod_name in ADAM_MODULES]
    if consume:
        _release(sdtm, modules)
    for i, (mod_name, module) in enumerate(zip(ADAM_MODULES, modules)):
        if progress:
            progress(mod_name)
        derived = module.build(ctx)
        for name in list(derived):
            ds = spec.dataset(name)
            # popped and passed on without another reference: the derived frame's columns are
            # released one by one as their conformed, key-ordered copies are made (memory)
            ctx.datasets[name] = conform_sorted(derived.pop(name), ds, consume=True)
        if consume:
            _release(sdtm, modules[i + 1:])
    missing = [d.name for d in spec.datasets if d.name not in ctx.datasets]
    if missing:
        raise RuntimeError(f"spec declares ADaM datasets no derivation produced: {', '.join(missing)}")
    return ctx.datasets


def _release(sdtm: dict[str, pd.DataFrame], later_modules: list) -> None:
    """Drop from ``sdtm`` every dataset none of ``later_modules`` reads."""
    needed = {name for module in later_modules for name in module.SDTM_INPUTS}
    for name in [n for n in sdtm if n not in needed]:
        del sdtm[name]
