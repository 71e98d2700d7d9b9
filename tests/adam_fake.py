"""Shared builders for the ADaM unit tests: dates worked out by hand, the study
configuration and ADaM spec fixtures, and a minimal ADSL for the BDS datasets.

Import what a test module needs, e.g.::

    from adam_fake import INFUSION, config, day, sas, spec   # config, spec: pytest fixtures

Every test module keeps its own module-scoped copy of the fixtures it imports.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cdisc_msc.config import StudyConfig, load_config
from cdisc_msc.spec.loader import load_spec, read_spec
from cdisc_msc.spec.model import Spec

ROOT = Path(__file__).resolve().parents[1]
INFUSION = dt.date(2024, 3, 15)
"""Default infusion date (study day 1) of the hand-made subjects."""
STUDYID = "MSC-SLE"


def sas(d: dt.date) -> float:
    """SAS date number, by hand: days since 1960-01-01.

    >>> sas(dt.date(1960, 1, 2))
    1.0
    """
    return float((d - dt.date(1960, 1, 1)).days)


def day(n: int, infusion: dt.date = INFUSION) -> str:
    """ISO date of study day ``n`` (day 1 = infusion day, no day 0), by hand.

    >>> day(1), day(-1), day(2)
    ('2024-03-15', '2024-03-14', '2024-03-16')
    """
    return (infusion + dt.timedelta(days=n - 1 if n > 0 else n)).isoformat()


@pytest.fixture(scope="module")
def config() -> StudyConfig:
    """The study configuration ``specs/study.yaml``."""
    return load_config(ROOT / "specs" / "study.yaml")


@pytest.fixture(scope="module")
def spec() -> Spec:
    """The ADaM spec (``load_spec``: fails on any spec problem)."""
    return load_spec(ROOT / "specs" / "adam")


def lenient_spec(*mine: str) -> Spec:
    """The ADaM spec read with ``read_spec``: problems in other datasets' files do not stop
    the tests, problems in the files named by ``mine`` (e.g. "adsl", "adae") do."""
    got, report = read_spec(ROOT / "specs" / "adam")
    own = [p for p in report.problems if any(n in str(p.file) for n in mine)]
    assert not own, own
    return got


def bds_adsl(usubjids: list[str], trtn: float | list[float | None] = 2.0, saffl: str | list[str] = "Y",
             trtsdt: dt.date | None = INFUSION, **extra) -> pd.DataFrame:
    """ADSL with the variables the BDS derivations merge (STUDYID, TRT01P/PN, TRT01A/AN,
    TRTSDT, SAFFL), one row per ``usubjids``; ``trtn`` = cohort dose (1, 2 or 4), missing
    for a subject without a cohort; ``extra`` columns are added as given.

    >>> bds_adsl(["S1"], trtn=1.0)[["TRT01A", "TRT01AN", "TRTSDT"]].values.tolist()
    [['MSC 1 x10^6 cells/kg', 1.0, 23450.0]]
    """
    n = len(usubjids)
    codes = list(trtn) if isinstance(trtn, list) else [trtn] * n
    arms = [None if c is None else f"MSC {c:g} x10^6 cells/kg" for c in codes]
    start = None if trtsdt is None else sas(trtsdt)
    out = pd.DataFrame({
        "USUBJID": usubjids, "STUDYID": STUDYID, "TRT01P": arms, "TRT01PN": codes, "TRT01A": arms,
        "TRT01AN": codes, "TRTSDT": [start if c is not None else None for c in codes], "SAFFL": saffl,
    })
    return out.assign(**extra)
