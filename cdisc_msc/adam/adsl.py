"""ADSL: one record per subject in DM (screen failures included, flagged).

Derivations (MethodDefs in ``specs/adam/methods/adsl.yaml``):

* TRT01P/TRT01PN = the assigned dose cohort (DM.ARMCD), TRT01A/TRT01AN = the
  cohort of the dose given (DM.ACTARMCD); numeric codes = the study
  configuration's ``trtn``. Empty for subjects without an assigned / given dose.
* TRTSDT/TRTSDTM and TRTEDT/TRTEDTM from DM.RFXSTDTC / RFXENDTC (single
  infusion). ADaM dates are SAS date numbers (days since 1960-01-01, DATE9.),
  datetimes SAS datetime numbers (seconds since 1960-01-01, DATETIME20.).
* ENRLFL = eligible and assigned (DM.ARMCD present); SAFFL = infused
  (DM.RFXSTDTC present). Both Y/N for every subject.
* AGEGR1/AGEGR1N: ``AGE_GROUPS``.
* EOSSTT/EOSDT/DCSREAS/DCSREASP from the subject's last DS disposition event.
* NTOLFL and the baseline variables (``LATE_VARIABLES``) are filled by
  ``adsl_baseline`` once ADAE and the BDS datasets exist; here they are empty.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.scoring import require_columns
from cdisc_msc.sdtm.common import dtc_to_date, dtc_to_datetime

SAS_EPOCH = pd.Timestamp("1960-01-01")

AGE_GROUPS: tuple[tuple[float, float, str, int], ...] = (
    (-np.inf, 40, "<40", 1),
    (40, np.inf, ">=40", 2),
)
"""(lower bound inclusive, upper bound exclusive, AGEGR1, AGEGR1N)."""

LATE_VARIABLES: tuple[str, ...] = ("NTOLFL", "BSLEDAI", "BBILAG", "BPGA", "BSTER")
"""ADSL variables filled by ``adsl_baseline`` (empty after ``adsl.build``)."""

COMPLETED = "COMPLETED"
DISCONTINUED = "DISCONTINUED"
ONGOING = "ONGOING"
OTHER = "OTHER"


# ------------------------------------------------------------ SAS numbers ----
def to_sas_date(dates: pd.Series) -> pd.Series:
    """datetime64 dates -> SAS date numbers (float, days since 1960-01-01); NaT -> NaN.

    >>> to_sas_date(pd.Series(pd.to_datetime(["1960-01-02", None]))).tolist()
    [1.0, nan]
    """
    days = (pd.to_datetime(dates).dt.normalize() - SAS_EPOCH).dt.days
    return days.astype("float64")


def to_sas_datetime(stamps: pd.Series) -> pd.Series:
    """datetime64 -> SAS datetime numbers (float seconds since 1960-01-01); NaT -> NaN.

    >>> to_sas_datetime(pd.Series(pd.to_datetime(["1960-01-02T00:01"]))).tolist()
    [86460.0]
    """
    return (pd.to_datetime(stamps) - SAS_EPOCH).dt.total_seconds().astype("float64")


def from_sas_date(days: pd.Series) -> pd.Series:
    """SAS date numbers -> datetime64 dates (inverse of :func:`to_sas_date`).

    >>> from_sas_date(pd.Series([1.0, None])).tolist()
    [Timestamp('1960-01-02 00:00:00'), NaT]
    """
    d = pd.to_numeric(days).astype("float64")
    return SAS_EPOCH + pd.to_timedelta(d, unit="D")


def dtc_to_sas_date(dtc: pd.Series) -> pd.Series:
    """ISO --DTC -> SAS date of its complete date part (partial -> NaN).

    >>> dtc_to_sas_date(pd.Series(["1960-01-03T10:00", "2024-05", None])).tolist()
    [2.0, nan, nan]
    """
    return to_sas_date(dtc_to_date(dtc.astype("string")))


def dtc_to_sas_datetime(dtc: pd.Series) -> pd.Series:
    """ISO --DTC with a time -> SAS datetime; date only or partial -> NaN.

    >>> dtc_to_sas_datetime(pd.Series(["1960-01-01T01:00", "1960-01-01"])).tolist()
    [3600.0, nan]
    """
    return to_sas_datetime(dtc_to_datetime(dtc.astype("string")))


# ------------------------------------------------------------ derivations ----
def yn_flag(mask: pd.Series) -> pd.Series:
    """Boolean -> "Y"/"N" text (population flags are never empty).

    >>> yn_flag(pd.Series([True, False])).tolist()
    ['Y', 'N']
    """
    return pd.Series(np.where(mask.fillna(False).to_numpy(dtype=bool), "Y", "N"), index=mask.index, dtype="string")


def population_flags(dm: pd.DataFrame) -> pd.DataFrame:
    """ENRLFL (eligible and assigned a dose cohort: DM.ARMCD present) and SAFFL (infused: DM.RFXSTDTC present).

    >>> population_flags(pd.DataFrame({"ARMCD": ["MSC1", None, "MSC2"],
    ...                                "RFXSTDTC": ["2024-01-05T09:00", None, None]})).values.tolist()
    [['Y', 'Y'], ['N', 'N'], ['Y', 'N']]
    """
    require_columns(dm, ["ARMCD", "RFXSTDTC"], "population_flags")
    return pd.DataFrame({"ENRLFL": yn_flag(dm["ARMCD"].notna()), "SAFFL": yn_flag(dm["RFXSTDTC"].notna())},
                        index=dm.index)


def treatment_variables(dm: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """TRT01P/TRT01PN from DM.ARMCD, TRT01A/TRT01AN from DM.ACTARMCD (names and codes from the config arms).

    >>> treatment_variables(pd.DataFrame({"ARMCD": ["MSC4"], "ACTARMCD": ["MSC2"]}), cfg).values.tolist()  # doctest: +SKIP
    [['MSC 4 x10^6 cells/kg', 4, 'MSC 2 x10^6 cells/kg', 2]]
    """
    require_columns(dm, ["ARMCD", "ACTARMCD"], "treatment_variables")
    names = {a.armcd: a.arm for a in config.arms}
    codes = {a.armcd: a.trtn for a in config.arms}
    planned, actual = dm["ARMCD"].astype("string"), dm["ACTARMCD"].astype("string")
    return pd.DataFrame({
        "TRT01P": planned.map(names).astype("string"),
        "TRT01PN": planned.map(codes).astype("Int64"),
        "TRT01A": actual.map(names).astype("string"),
        "TRT01AN": actual.map(codes).astype("Int64"),
    }, index=dm.index)


def treatment_dates(dm: pd.DataFrame) -> pd.DataFrame:
    """TRTSDT/TRTSDTM from RFXSTDTC, TRTEDT/TRTEDTM from RFXENDTC (datetime empty when no time).

    >>> treatment_dates(pd.DataFrame({"RFXSTDTC": ["1960-01-02T01:00"], "RFXENDTC": ["1960-01-02"]})).values.tolist()
    [[1.0, 90000.0, 1.0, nan]]
    """
    require_columns(dm, ["RFXSTDTC", "RFXENDTC"], "treatment_dates")
    return pd.DataFrame({
        "TRTSDT": dtc_to_sas_date(dm["RFXSTDTC"]), "TRTSDTM": dtc_to_sas_datetime(dm["RFXSTDTC"]),
        "TRTEDT": dtc_to_sas_date(dm["RFXENDTC"]), "TRTEDTM": dtc_to_sas_datetime(dm["RFXENDTC"]),
    }, index=dm.index)


def age_groups(age: pd.Series, groups: tuple[tuple[float, float, str, int], ...] = AGE_GROUPS) -> pd.DataFrame:
    """AGEGR1/AGEGR1N from AGE by ``groups`` (lower inclusive, upper exclusive).

    >>> age_groups(pd.Series([39, 40, None])).values.tolist()
    [['<40', 1], ['>=40', 2], [<NA>, <NA>]]
    """
    a = pd.to_numeric(age).astype("float64")
    label = pd.Series(pd.NA, index=age.index, dtype="string")
    code = pd.Series(pd.NA, index=age.index, dtype="Int64")
    for lo, hi, text, n in groups:
        inside = (a >= lo) & (a < hi)
        label, code = label.mask(inside, text), code.mask(inside, n)
    return pd.DataFrame({"AGEGR1": label, "AGEGR1N": code}, index=age.index)


def disposition(ds: pd.DataFrame) -> pd.DataFrame:
    """Per subject, EOSSTT/EOSDT/DCSREAS/DCSREASP from the last DS disposition event.

    The end-of-participation event is the subject's DSCAT = DISPOSITION EVENT
    record (the latest by DSSTDTC, then DSSEQ). DSDECOD COMPLETED ->
    EOSSTT COMPLETED; any other DSDECOD (screen failure included) ->
    DISCONTINUED with DCSREAS = DSDECOD and, for OTHER, DCSREASP = DSTERM.
    Subjects without such a record are ONGOING (not in the result).

    >>> ds = pd.DataFrame({"USUBJID": ["A", "A", "B"], "DSSEQ": [1, 2, 1],
    ...     "DSCAT": ["PROTOCOL MILESTONE", "DISPOSITION EVENT", "DISPOSITION EVENT"],
    ...     "DSDECOD": ["INFORMED CONSENT OBTAINED", "COMPLETED", "OTHER"], "DSTERM": ["x", "done", "moved"],
    ...     "DSSTDTC": ["1960-01-01", "1960-01-03", "1960-01-02"]})
    >>> disposition(ds).values.tolist()
    [['A', 'COMPLETED', 2.0, <NA>, <NA>], ['B', 'DISCONTINUED', 1.0, 'OTHER', 'moved']]
    """
    require_columns(ds, ["USUBJID", "DSSEQ", "DSCAT", "DSDECOD", "DSTERM", "DSSTDTC"], "disposition")
    ev = ds[(ds["DSCAT"] == "DISPOSITION EVENT").fillna(False).to_numpy(dtype=bool)]
    ev = ev.assign(_D=dtc_to_date(ev["DSSTDTC"].astype("string")), _S=pd.to_numeric(ev["DSSEQ"]))
    last = ev.sort_values(["USUBJID", "_D", "_S"], kind="mergesort", na_position="first").groupby(
        "USUBJID", sort=True).tail(1).sort_values("USUBJID", kind="mergesort")
    decod = last["DSDECOD"].astype("string")
    done = (decod == COMPLETED).fillna(False)
    return pd.DataFrame({
        "USUBJID": last["USUBJID"].astype("string"),
        "EOSSTT": pd.Series(np.where(done, COMPLETED, DISCONTINUED), index=last.index, dtype="string"),
        "EOSDT": to_sas_date(last["_D"]),
        "DCSREAS": decod.mask(done),
        "DCSREASP": last["DSTERM"].astype("string").where(decod == OTHER),
    }).reset_index(drop=True)


def derive_adsl(dm: pd.DataFrame, ds: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """All ADSL variables except ``LATE_VARIABLES`` (added empty), one record per DM subject."""
    require_columns(dm, ["STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ETHNIC",
                         "ARMCD", "ARM", "ACTARMCD", "ACTARM", "ARMNRS", "RFXSTDTC", "RFXENDTC", "RFICDTC",
                         "DTHFL", "DTHDTC"], "derive_adsl")
    dm = dm.reset_index(drop=True)
    out = dm[["STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "AGEU", "SEX", "RACE", "ETHNIC",
              "ARM", "ACTARM", "ARMNRS", "DTHFL"]].copy()
    out = pd.concat([out, age_groups(dm["AGE"]), treatment_variables(dm, config), treatment_dates(dm),
                     population_flags(dm)], axis=1)
    out["RFICDT"] = dtc_to_sas_date(dm["RFICDTC"])
    out["DTHDT"] = dtc_to_sas_date(dm["DTHDTC"])
    eos = disposition(ds)
    out = out.merge(eos, on="USUBJID", how="left", validate="one_to_one")
    out["EOSSTT"] = out["EOSSTT"].astype("string").fillna(ONGOING)
    for name in LATE_VARIABLES:
        out[name] = pd.Series(pd.NA, index=out.index, dtype="string" if name.endswith("FL") else "Float64")
    return out


SDTM_INPUTS: tuple[str, ...] = ("DM", "DS")
"""The SDTM datasets :func:`build` reads (``build_adam`` releases them after their last reader)."""


def build(ctx) -> dict[str, pd.DataFrame]:
    """ADSL from SDTM DM and DS."""
    return {"ADSL": derive_adsl(ctx.sdtm["DM"], ctx.sdtm["DS"], ctx.config)}
