"""Cross-dataset checks: subjects in DM/ADSL, exposure within the reference exposure dates, ADSL one per subject."""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import rows_with
from cdisc_msc.validate.checks.util import by_subject, findings, full_date
from cdisc_msc.validate.engine import CheckContext, SkipCheck, register


def _subjects(ctx: CheckContext, kind: str, name: str) -> np.ndarray | None:
    """The distinct USUBJIDs of a dataset (None when it is absent or has no USUBJID)."""
    folder = ctx.package.folder(kind)
    data = folder.datasets.get(name) if folder is not None else None
    if data is None or not data.readable or not data.has("USUBJID"):
        return None
    return data.codes("USUBJID")[1]


@register("subject_in_dm")
def subject_in_dm(ctx: CheckContext) -> pd.DataFrame | None:
    """SDTM datasets against DM; ADSL against SDTM DM (when present); other ADaM datasets against ADSL."""
    name = ctx.ds.name
    if not ctx.ds.has("USUBJID"):
        return None
    if ctx.folder.kind == "sdtm":
        reference, where = (None, "") if name == "DM" else (_subjects(ctx, "sdtm", "DM"), "DM")
    elif name == "ADSL":
        reference, where = _subjects(ctx, "sdtm", "DM"), "SDTM DM"
    else:
        reference, where = _subjects(ctx, "adam", "ADSL"), "ADSL"
    if name == "DM":
        return None
    if reference is None:
        raise SkipCheck(f"no {where or 'reference'} dataset to check subjects against")
    codes, subjects = ctx.ds.codes("USUBJID")
    rows = rows_with(~pd.Series(subjects, dtype=object).isin(set(reference)).to_numpy(), codes)
    return findings(rows, variable="USUBJID", value=subjects[codes[rows]], detail=where)


@register("exposure_in_reference")
def exposure_in_reference(ctx: CheckContext) -> pd.DataFrame | None:
    frame, p = ctx.frame, ctx.ds.prefix
    dm = _subjects(ctx, "sdtm", "DM")
    dm_data = ctx.folder.datasets.get("DM")
    if dm is None or not {"RFXSTDTC", "RFXENDTC"} <= set(dm_data.frame.columns):
        raise SkipCheck("no DM with RFXSTDTC/RFXENDTC")
    ref = by_subject(frame, dm_data.frame, ["RFXSTDTC", "RFXENDTC"])
    first, last = full_date(ref["RFXSTDTC"]), full_date(ref["RFXENDTC"])
    out = []
    for name in (f"{p}STDTC", f"{p}ENDTC"):
        if name not in frame.columns:
            continue
        d = full_date(frame[name])
        bad = (d < first) | (d > last)
        rows = frame.index[bad.to_numpy()]
        out.append(findings(rows, variable=name, value=frame.loc[rows, name].to_numpy(),
                            detail="RFXSTDTC..RFXENDTC " + ref.loc[rows, "RFXSTDTC"].astype(str) + ".."
                            + ref.loc[rows, "RFXENDTC"].astype(str)))
    return pd.concat(out) if out else None


@register("one_record_per_subject")
def one_record_per_subject(ctx: CheckContext) -> pd.DataFrame | None:
    frame = ctx.frame
    if "USUBJID" not in frame.columns:
        return None
    counts = frame.groupby("USUBJID")["USUBJID"].transform("size")
    dup = frame["USUBJID"].duplicated(keep="first") & frame["USUBJID"].notna()
    rows = frame.index[dup]
    return findings(rows, variable="USUBJID", value=frame.loc[rows, "USUBJID"].to_numpy(),
                    detail=counts[dup].astype(str).to_numpy())
