"""DM: one record per screened subject (screen failures included).

Reference dates (SAP 6, documented in the MethodDefs of ``specs/sdtm/methods/dm.yaml``):

* RFSTDTC = RFXSTDTC = infusion start (date-time); RFXENDTC = infusion end;
  all empty for subjects never infused.
* RFENDTC = date of the end-of-study disposition event of an infused subject
  (completion or discontinuation); empty for screen failures and for
  subjects never infused (SDTMIG: null for subjects not treated).
* RFPENDTC = last known contact: the latest of consent, visit dates,
  infusion end, disposition dates and death date.
* ARM/ARMCD = the assigned dose cohort; ACTARM/ACTARMCD = the arm whose
  planned dose is closest to the dose given; ARMNRS for screen failures and
  for subjects assigned but never infused.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.sdtm.common import dtc_to_date, iso_date, require, usubjid

SCREEN_FAILURE = "SCREEN FAILURE"
NOT_TREATED = "ASSIGNED, NOT TREATED"


def age_in_years(birth: pd.Series, ref: pd.Series) -> pd.Series:
    """Completed years from ``birth`` to ``ref`` (both ISO dates).

    >>> age_in_years(pd.Series(["1980-06-15", "1980-06-15"]), pd.Series(["2020-06-14", "2020-06-15"])).tolist()
    [39, 40]
    """
    b, r = dtc_to_date(birth), dtc_to_date(ref)
    before_birthday = (r.dt.month * 100 + r.dt.day) < (b.dt.month * 100 + b.dt.day)
    return (r.dt.year - b.dt.year - before_birthday.astype("Int64")).astype("Int64")


def infusion_times(ex: pd.DataFrame) -> pd.DataFrame:
    """Per infused subject: RFXSTDTC (infusion start) and RFXENDTC (end, else start).

    >>> infusion_times(pd.DataFrame({"SUBJID": ["001"], "EXYN": ["Y"], "STDTM": ["2024-03-05T09:30"],
    ...                              "ENDTM": [None]})).iloc[0].tolist()
    ['001', '2024-03-05T09:30', '2024-03-05T09:30']
    """
    require(ex, ["SUBJID", "EXYN", "STDTM", "ENDTM"], "infusion_times")
    given = ex[(ex["EXYN"] == "Y").fillna(False) & ex["STDTM"].notna()]
    start = given["STDTM"].astype("string")
    end = given["ENDTM"].astype("string").fillna(start)
    out = pd.DataFrame({"SUBJID": given["SUBJID"].astype("string"), "RFXSTDTC": start, "RFXENDTC": end})
    out = out[out["SUBJID"].notna()]
    # one infusion per subject; should a subject have several rows: the first start and the
    # last end (ISO text orders as time), taken from sorted rows (a groupby min/max of text is slow)
    first = out.sort_values(["SUBJID", "RFXSTDTC"], kind="mergesort").drop_duplicates("SUBJID", keep="first")
    last = out.sort_values(["SUBJID", "RFXENDTC"], kind="mergesort").drop_duplicates("SUBJID", keep="last")
    return first[["SUBJID", "RFXSTDTC"]].merge(last[["SUBJID", "RFXENDTC"]], on="SUBJID").reset_index(drop=True)


def _latest_by_subject(parts: list[pd.DataFrame], name: str) -> pd.DataFrame:
    """Latest complete ISO date per SUBJID over frames with SUBJID and DTC."""
    allp = pd.concat([p[["SUBJID", "DTC"]] for p in parts], ignore_index=True)
    allp = allp[allp["DTC"].notna()]
    allp = allp.assign(_d=dtc_to_date(allp["DTC"]))
    allp = allp[allp["_d"].notna()]
    last = allp.groupby("SUBJID", as_index=False)["_d"].max()
    return pd.DataFrame({"SUBJID": last["SUBJID"].astype("string"),
                         name: last["_d"].dt.strftime("%Y-%m-%d").astype("string")})


def last_contact(dm_raw: pd.DataFrame, sv: pd.DataFrame, ex: pd.DataFrame, ds: pd.DataFrame) -> pd.DataFrame:
    """RFPENDTC: per subject, the latest of consent, visit, infusion end, disposition and death dates.

    >>> last_contact(pd.DataFrame({"SUBJID": ["001"], "CONSDT": ["2024-01-02"]}),
    ...              pd.DataFrame({"SUBJID": ["001"], "VISDT": ["2024-02-01"]}),
    ...              pd.DataFrame({"SUBJID": [], "ENDTM": []}),
    ...              pd.DataFrame({"SUBJID": ["001"], "DSSTDT": ["2024-01-20"], "DTHDT": [None]}))["RFPENDTC"].tolist()
    ['2024-02-01']
    """
    require(dm_raw, ["SUBJID", "CONSDT"], "last_contact (dm)")
    require(sv, ["SUBJID", "VISDT"], "last_contact (sv)")
    require(ex, ["SUBJID", "ENDTM"], "last_contact (ex)")
    require(ds, ["SUBJID", "DSSTDT", "DTHDT"], "last_contact (ds)")
    parts = [
        dm_raw[["SUBJID"]].assign(DTC=dm_raw["CONSDT"].astype("string")),
        sv[["SUBJID"]].assign(DTC=sv["VISDT"].astype("string")),
        ex[["SUBJID"]].assign(DTC=ex["ENDTM"].astype("string")),
        ds[["SUBJID"]].assign(DTC=ds["DSSTDT"].astype("string")),
        ds[["SUBJID"]].assign(DTC=ds["DTHDT"].astype("string")),
    ]
    parts = [p.astype({"SUBJID": "string", "DTC": "string"}) for p in parts]
    return _latest_by_subject(parts, "RFPENDTC")


def end_of_study(ds: pd.DataFrame) -> pd.DataFrame:
    """Per subject, the date of the end-of-study disposition event (raw DSSCAT STUDY) and death date.

    >>> end_of_study(pd.DataFrame({"SUBJID": ["001"], "DSSCAT": ["STUDY"], "DSSTDT": ["2025-03-01"],
    ...                            "DTHDT": [None]})).iloc[0].tolist()
    ['001', '2025-03-01', <NA>]
    """
    require(ds, ["SUBJID", "DSSCAT", "DSSTDT", "DTHDT"], "end_of_study")
    subj = pd.Series(ds["SUBJID"].astype("string").unique(), dtype="string", name="SUBJID")
    study = ds[(ds["DSSCAT"] == "STUDY").fillna(False)]
    eos = study.groupby("SUBJID", as_index=False)["DSSTDT"].max().rename(columns={"DSSTDT": "EOSDTC"})
    dth = ds[ds["DTHDT"].notna()].groupby("SUBJID", as_index=False)["DTHDT"].min().rename(columns={"DTHDT": "DTHDTC"})
    out = subj.to_frame().merge(eos.astype("string"), on="SUBJID", how="left").merge(dth.astype("string"), on="SUBJID", how="left")
    return out.astype("string")


def arm_variables(dm_raw: pd.DataFrame, ex: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """ARMCD/ARM from the assigned cohort, ACTARMCD/ACTARM from the dose given, ARMNRS.

    Screen failures (ELIGIBLE = N) get no arms and ARMNRS = SCREEN FAILURE;
    assigned subjects without an infusion keep ARM, get no ACTARM and
    ARMNRS = ASSIGNED, NOT TREATED. Actual arm: the arm whose planned dose is
    closest to the dose given (ties: the lower dose); dose missing: the
    assigned arm.
    """
    require(dm_raw, ["SUBJID", "ELIGIBLE", "COHORT"], "arm_variables (dm)")
    require(ex, ["SUBJID", "EXYN", "DOSEKG"], "arm_variables (ex)")
    arms = sorted(config.arms, key=lambda a: a.dose)
    doses = pd.Series([a.dose for a in arms], dtype="float64")
    code_by_dose = {a.dose: a.armcd for a in arms}
    name_by_code = {a.armcd: a.arm for a in arms}

    def nearest_code(dose: pd.Series) -> pd.Series:
        d = dose.to_numpy(dtype="float64")
        idx = np.abs(np.nan_to_num(d)[:, None] - doses.to_numpy()[None, :]).argmin(axis=1)
        codes = pd.Series(np.array([a.armcd for a in arms], dtype=object)[idx], index=dose.index, dtype="string")
        return codes.where(dose.notna())

    subj = dm_raw["SUBJID"].astype("string")
    eligible = (dm_raw["ELIGIBLE"] == "Y").fillna(False).to_numpy()
    cohort = pd.to_numeric(dm_raw["COHORT"], errors="coerce").astype("float64")
    armcd = cohort.map(code_by_dose).astype("string").where(eligible)
    given = ex[(ex["EXYN"] == "Y").fillna(False)]
    dose_given = pd.Series(pd.to_numeric(given["DOSEKG"], errors="coerce").astype("float64").to_numpy(),
                           index=given["SUBJID"].astype("string").to_numpy())
    dose_given = dose_given[~dose_given.index.duplicated()]
    infused = subj.isin(dose_given.index).to_numpy() & eligible
    dose = pd.Series(subj.map(dose_given).to_numpy(), index=dm_raw.index, dtype="float64")
    act = nearest_code(dose).fillna(armcd).where(infused)
    armnrs = pd.Series(pd.NA, index=dm_raw.index, dtype="string")
    armnrs = armnrs.mask(~pd.Series(eligible, index=dm_raw.index), SCREEN_FAILURE)
    armnrs = armnrs.mask(pd.Series(eligible & ~infused, index=dm_raw.index), NOT_TREATED)
    return pd.DataFrame({
        "SUBJID": subj,
        "ARMCD": armcd, "ARM": armcd.map(name_by_code).astype("string"),
        "ACTARMCD": act.astype("string"), "ACTARM": act.map(name_by_code).astype("string"),
        "ARMNRS": armnrs, "ACTARMUD": pd.Series(pd.NA, index=dm_raw.index, dtype="string"),
    })


def derive_dm(dm_raw: pd.DataFrame, ex: pd.DataFrame, sv: pd.DataFrame, ds: pd.DataFrame,
              config: StudyConfig) -> pd.DataFrame:
    """All DM variables from the raw dm, ex, sv and ds forms."""
    require(dm_raw, ["SUBJID", "SITEID", "BRTHDT", "SEX", "RACE", "ETHNIC", "CONSDT", "ELIGIBLE", "COHORT"], "derive_dm")
    base = dm_raw.reset_index(drop=True)
    base = base.assign(SUBJID=base["SUBJID"].astype("string"), SITEID=base["SITEID"].astype("string"))
    out = pd.DataFrame({
        "STUDYID": config.studyid,
        "DOMAIN": "DM",
        "USUBJID": usubjid(config.studyid, base["SITEID"], base["SUBJID"]).astype("string"),
        "SUBJID": base["SUBJID"],
        "RFICDTC": iso_date(base["CONSDT"]),
        "SITEID": base["SITEID"],
        "BRTHDTC": iso_date(base["BRTHDT"]),
        "AGE": age_in_years(base["BRTHDT"], base["CONSDT"]),
        "SEX": base["SEX"].astype("string"),
        "RACE": base["RACE"].astype("string"),
        "ETHNIC": base["ETHNIC"].astype("string"),
        "COUNTRY": config.country,
    })
    out["AGEU"] = pd.Series("YEARS", index=out.index, dtype="string").where(out["AGE"].notna())
    out = out.merge(arm_variables(base, ex, config), on="SUBJID", how="left", validate="one_to_one")
    inf = infusion_times(ex)
    out = out.merge(inf, on="SUBJID", how="left", validate="one_to_one")
    out.loc[out["ACTARMCD"].isna(), ["RFXSTDTC", "RFXENDTC"]] = pd.NA
    out["RFSTDTC"] = out["RFXSTDTC"]
    eos = end_of_study(ds)
    out = out.merge(eos, on="SUBJID", how="left", validate="one_to_one")
    out["RFENDTC"] = out["EOSDTC"].where(out["RFSTDTC"].notna())
    out = out.merge(last_contact(base, sv, ex, ds), on="SUBJID", how="left", validate="one_to_one")
    out["DTHFL"] = pd.Series("Y", index=out.index, dtype="string").where(out["DTHDTC"].notna())
    return out.drop(columns=["EOSDTC"])


def build(ctx) -> dict[str, pd.DataFrame]:
    """DM from dm.csv (+ ex, sv, ds for reference dates and arms)."""
    dm_raw, ex, sv, ds = (ctx.form(n) for n in ("dm", "ex", "sv", "ds"))
    dm = derive_dm(dm_raw, ex, sv, ds, ctx.config)
    ctx.accounting.flow("dm", "DM", len(dm_raw), len(dm))
    return {"DM": dm}
