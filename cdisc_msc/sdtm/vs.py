"""VS: weight (kg) and height (cm) from vs.csv, one record per measurement
collected. A measurement left empty gives no record (height is not measured
at every visit); a raw row with neither is reported as not mapped.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.sdtm.build import SdtmContext
from cdisc_msc.sdtm.common import add_subject_ids, iso_date, require
from cdisc_msc.sdtm.instruments import finish_findings, number_text

TESTS: dict[str, tuple[str, str, str]] = {
    "HEIGHT": ("HEIGHT", "Height", "cm"),
    "WEIGHT": ("WEIGHT", "Weight", "kg"),
}
"""Raw column -> (VSTESTCD, VSTEST, unit); units are the CRF's and the standard ones."""


def measurement_records(vs: pd.DataFrame) -> pd.DataFrame:
    """One record per collected measurement.

    >>> d = pd.DataFrame({"SUBJID": ["001"], "VISIT": ["M0"], "VISITNUM": [2.0], "VSDT": ["2024-03-05"],
    ...                   "WEIGHT": [61.5], "HEIGHT": [float("nan")]})
    >>> measurement_records(d)[["VSTESTCD", "VSORRES", "VSSTRESN", "VSSTRESU"]].values.tolist()
    [['WEIGHT', '61.5', 61.5, 'kg']]
    """
    keys = ["SUBJID", "VISIT", "VISITNUM", "VSDT", *(["_ROW"] if "_ROW" in vs else [])]
    require(vs, [*keys, *TESTS], "measurement_records")
    parts = []
    for col, (testcd, test, unit) in TESTS.items():
        value = pd.to_numeric(vs[col], errors="coerce")
        keep = value.notna()
        text = number_text(value[keep])
        parts.append(vs.loc[keep, keys].assign(
            VSTESTCD=testcd, VSTEST=test, VSORRES=text, VSORRESU=unit,
            VSSTRESC=text, VSSTRESN=value[keep].astype("float64"), VSSTRESU=unit))
    out = pd.concat(parts, ignore_index=True)
    out["VSDTC"] = iso_date(out["VSDT"])
    return out.drop(columns=["VSDT"])


def build(ctx: SdtmContext) -> dict[str, pd.DataFrame]:
    """VS from vs.csv."""
    form = ctx.form("vs")
    empty = form[list(TESTS)].isna().all(axis=1)
    if empty.any():
        ctx.accounting.not_mapped("vs", form[empty], "neither weight nor height recorded")
    recs = measurement_records(form)
    ctx.accounting.flow("vs", "VS", int((~empty).sum()), len(recs), "one record per measurement collected")
    vs = add_subject_ids(recs, ctx.subjects, ctx.config, "VS")
    vs = finish_findings(vs, "VS", ctx.subjects, ctx.datasets.get("SE"), ctx.datasets.get("SV"),
                         order=["VSTESTCD", "VISITNUM"], lobxfl_by=["VSTESTCD"])
    return {"VS": vs.drop(columns=[c for c in vs.columns if c.startswith("_") or c == "SUBJID"])}
