"""Last ADaM step: subject-level variables that need ADAE and the BDS datasets.

* NTOLFL ("not tolerated", SAP 4.1): for infused subjects (SAFFL = Y), "Y"
  when ADAE has a toxicity (TOXFL = Y) of analysis grade ATOXGRN >= 3 over the
  whole study -- starting by study day ``end_of_study_day`` (366) or on/before
  the subject's end-of-study date (a start that cannot be dated counts);
  otherwise "N". Empty for subjects never infused.
* BSLEDAI, BBILAG, BPGA, BSTER: AVAL of the baseline record (ABLFL = "Y") of
  the parameter named in ``BASELINE_PARAMETERS`` (ADRS / ADSTER).
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.adam.adrs import BILAGTS, PGA, SLEDAITS
from cdisc_msc.adam.adster import PREDAVG
from cdisc_msc.scoring import require_columns

BASELINE_PARAMETERS: dict[str, tuple[str, str]] = {
    "BSLEDAI": ("ADRS", SLEDAITS),
    "BBILAG": ("ADRS", BILAGTS),
    "BPGA": ("ADRS", PGA),
    "BSTER": ("ADSTER", PREDAVG),
}
"""ADSL variable -> (BDS dataset, PARAMCD) whose baseline AVAL it carries (the PARAMCDs of ADRS / ADSTER)."""
NOT_TOLERATED_GRADE = 3
"""A toxicity of this analysis grade or higher makes the subject "not tolerated" (SAP 4.1)."""


def not_tolerated(adsl: pd.DataFrame, adae: pd.DataFrame, end_of_study_day: int) -> pd.Series:
    """NTOLFL aligned with ``adsl``: Y/N for SAFFL = Y subjects, missing otherwise.

    >>> adsl = pd.DataFrame({"USUBJID": ["A", "B", "C"], "SAFFL": ["Y", "Y", "N"]})
    >>> adae = pd.DataFrame({"USUBJID": ["A", "B"], "TOXFL": ["Y", "Y"], "ATOXGRN": [3.0, 2.0],
    ...                      "ASTDY": [400.0, 5.0], "ASTDT": [1000.0, 500.0], "EOSDT": [1000.0, None]})
    >>> not_tolerated(adsl, adae, 366).tolist()
    ['Y', 'N', <NA>]
    """
    require_columns(adsl, ["USUBJID", "SAFFL"], "not_tolerated (ADSL)")
    require_columns(adae, ["USUBJID", "TOXFL", "ATOXGRN", "ASTDY", "ASTDT", "EOSDT"], "not_tolerated (ADAE)")
    day = pd.to_numeric(adae["ASTDY"]).astype("float64")
    astdt = pd.to_numeric(adae["ASTDT"]).astype("float64")
    eosdt = pd.to_numeric(adae["EOSDT"]).astype("float64")
    in_study = (day <= end_of_study_day) | (astdt <= eosdt) | eosdt.isna() | astdt.isna()
    severe = (adae["TOXFL"] == "Y").fillna(False) & (pd.to_numeric(adae["ATOXGRN"]) >= NOT_TOLERATED_GRADE)
    hit = set(adae.loc[(severe & in_study).to_numpy(dtype=bool), "USUBJID"])
    flag = pd.Series("N", index=adsl.index, dtype="string").mask(adsl["USUBJID"].isin(hit), "Y")
    return flag.where((adsl["SAFFL"] == "Y").fillna(False))


def baseline_value(bds: pd.DataFrame, paramcd: str, where: str) -> pd.Series:
    """AVAL of the ABLFL = "Y" record of ``paramcd``, indexed by USUBJID.

    >>> d = pd.DataFrame({"USUBJID": ["A", "A"], "PARAMCD": ["P", "P"], "ABLFL": ["Y", None], "AVAL": [8.0, 4.0]})
    >>> baseline_value(d, "P", "demo").to_dict()
    {'A': 8.0}
    """
    require_columns(bds, ["USUBJID", "PARAMCD", "ABLFL", "AVAL"], where)
    rows = bds[((bds["PARAMCD"] == paramcd) & (bds["ABLFL"] == "Y")).fillna(False).to_numpy(dtype=bool)]
    if rows["USUBJID"].duplicated().any():
        raise ValueError(f"{where}: more than one baseline record of {paramcd} for a subject")
    return pd.Series(pd.to_numeric(rows["AVAL"]).astype("float64").to_numpy(), index=rows["USUBJID"].to_numpy())


def add_baseline(adsl: pd.DataFrame, datasets: dict[str, pd.DataFrame],
                 params: dict[str, tuple[str, str]] = BASELINE_PARAMETERS) -> pd.DataFrame:
    """Fill the baseline variables of ``params`` from the BDS datasets."""
    out = adsl.copy()
    for var, (name, paramcd) in params.items():
        if name not in datasets:
            raise KeyError(f"adsl_baseline: {var} needs {name}, which has not been built")
        values = baseline_value(datasets[name], paramcd, f"adsl_baseline {var} ({name})")
        out[var] = out["USUBJID"].map(values).astype("float64")
    return out


SDTM_INPUTS: tuple[str, ...] = ()
"""The SDTM datasets :func:`build` reads (``build_adam`` releases them after their last reader)."""


def build(ctx) -> dict[str, pd.DataFrame]:
    """ADSL with NTOLFL and the baseline disease-activity and steroid variables."""
    adsl = add_baseline(ctx.datasets["ADSL"], ctx.datasets)
    adsl["NTOLFL"] = not_tolerated(adsl, ctx.datasets["ADAE"], ctx.config.end_of_study_day)
    return {"ADSL": adsl}
