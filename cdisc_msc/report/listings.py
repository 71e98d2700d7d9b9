"""By-subject listings (with ten subjects, reviewers read them): adverse events, disease activity,
quality of life, comorbidities and steroid doses over time.

Each listing is a :class:`~cdisc_msc.report.tables.Table` whose ``data`` (CSV)
and ``display`` (HTML) are the same rows; ``source`` names the dataset and filter.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc_msc.report import outcomes as om
from cdisc_msc.report.data import sas_date_text
from cdisc_msc.report.query import conjoin, select
from cdisc_msc.report.tables import Table, fixed
from cdisc_msc.scoring import require_columns

IMPUTED_MARK = "*"


@dataclass(frozen=True)
class ListingSpec:
    """A by-subject, by-visit listing of some parameters of one BDS dataset."""

    id: str
    title: str
    dataset: str
    params: tuple[om.Param, ...]
    responder: frozenset[str] = frozenset()
    """PARAMCDs shown as AVALC (Y/N/NE, * = imputed non-response) instead of AVAL (CHG)."""
    note: str = ""


def listing_specs() -> list[ListingSpec]:
    """The BDS listings of the report (the AE listing has its own builder)."""
    return [
        ListingSpec("listing_disease_activity", "Disease activity and responses by subject over time", "ADRS",
                    (om.Param(om.SLEDAI, "SELENA-SLEDAI"), om.Param(om.BILAG, "BILAG total"),
                     om.Param(om.PGA, "PGA", decimals=1), om.Param(om.SRI4, "SRI-4"), om.Param(om.MCR, "MCR"),
                     om.Param(om.PCR, "PCR")),
                    frozenset({om.SRI4, om.MCR, om.PCR}),
                    "Value (change from baseline). Responses: Y/N; * = non-response imputed for missing data "
                    "(DTYPE=\"WC\")."),
        ListingSpec("listing_steroids", "Prednisone-equivalent average daily dose by subject over time", "ADSTER",
                    (om.Param(om.STEROID_DOSE, "Average daily dose (mg/day)", decimals=2),
                     om.Param(om.STEROID_RESPONDER, "Reduced >= 25%")),
                    frozenset({om.STEROID_RESPONDER}),
                    "Average daily dose over the 28 days ending on the assessment day (change from baseline). "
                    "Responder: Y/N, NE = not evaluable (baseline 0 mg/day); * = imputed non-response."),
        ListingSpec("listing_qol", "Quality of life by subject over time", "ADQS",
                    (om.Param(om.SF36_PCS, "SF-36 PCS", decimals=1), om.Param(om.SF36_MCS, "SF-36 MCS", decimals=1),
                     om.Param(om.EQ5D_LSS, "EQ-5D level sum"), om.Param(om.EQ5D_INDEX, "EQ-5D index", decimals=3),
                     om.Param(om.EQ5D_VAS, "EQ VAS")),
                    note="Value (change from baseline)."),
        ListingSpec("listing_comorbidity", "Comorbidities by subject over time", "ADCOMO",
                    (om.Param(om.COMORBIDITY_ANY, "Any comorbidity"),),
                    frozenset({om.COMORBIDITY_ANY}), "Y = at least one checklist comorbidity present."),
    ]


def _subject_frame(adsl: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ("USUBJID", "SUBJID", "TRT01AN", "TRT01A") if c in adsl.columns]
    return select(adsl, om.POPULATION)[cols]


def visit_listing(spec: ListingSpec, ds: pd.DataFrame, adsl: pd.DataFrame, visits: list[str]) -> Table:
    """Rows subject x parameter, columns Baseline and the analysis visits; analysed records only."""
    require_columns(ds, ["USUBJID", "PARAMCD", "AVAL", "AVISIT", "ABLFL", "ANL01FL"], f"{spec.id} ({spec.dataset})")
    codes = [p.paramcd for p in spec.params]
    where = conjoin(om.POPULATION, "PARAMCD in (" + ", ".join(f'"{c}"' for c in codes) + ")")
    recs = select(ds, where)
    recs = recs[((recs["ABLFL"] == "Y") | ((recs["ANL01FL"] == "Y") & (recs["AVISIT"] != ""))).to_numpy(dtype=bool)]
    recs = recs.assign(TP=np.where(recs["ABLFL"] == "Y", "Baseline", recs["AVISIT"]))
    cells = pd.Series("", index=recs.index, dtype=object)
    for p in spec.params:
        rows = (recs["PARAMCD"] == p.paramcd).to_numpy(dtype=bool)
        part = recs[rows]
        if p.paramcd in spec.responder:
            imputed = part["DTYPE"] == "WC" if "DTYPE" in part.columns else pd.Series(False, index=part.index)
            text = part["AVALC"].astype(str) + np.where(imputed, IMPUTED_MARK, "")
        else:
            value = fixed(part["AVAL"], p.decimals)
            chg = part["CHG"] if "CHG" in part.columns else pd.Series(np.nan, index=part.index)
            change = fixed(chg, p.decimals, signed=True)
            text = value + np.where(chg.notna() & (part["TP"] != "Baseline"), " (" + change + ")", "")
        cells[rows] = text.to_numpy()
    recs = recs.assign(cell=cells, ORDER=recs["PARAMCD"].map({c: i for i, c in enumerate(codes)}),
                       Parameter=recs["PARAMCD"].map({p.paramcd: p.label for p in spec.params}))
    subjects = _subject_frame(adsl)
    merged = recs.merge(subjects, on="USUBJID", how="inner", suffixes=("_ds", ""))
    index = [c for c in ("TRT01AN", "TRT01A", "USUBJID", "ORDER", "Parameter") if c in merged.columns]
    wide = merged.pivot_table(index=index, columns="TP", values="cell", aggfunc="first")
    wide = wide.reindex(columns=["Baseline", *visits]).astype(object).fillna("").reset_index().sort_values(index)
    wide = wide.drop(columns=[c for c in ("TRT01AN", "ORDER") if c in wide.columns])
    wide.columns.name = None
    wide = wide.rename(columns={"TRT01A": "Cohort", "USUBJID": "Subject"}).reset_index(drop=True)
    source = f"{spec.dataset} where {where} and (ABLFL=\"Y\" or ANL01FL=\"Y\")"
    return Table(spec.id, "listings", spec.title, source, wide.assign(table=spec.id), wide, 3, notes=(spec.note,))


AE_COLUMNS = {
    "TRT01A": "Cohort", "USUBJID": "Subject", "AESEQ": "Seq", "AEBODSYS": "System organ class",
    "AEDECOD": "Preferred term", "AETERM": "Reported term", "START": "Start", "ASTDY": "Start day",
    "END": "End", "AENDY": "End day", "GRADE": "Grade", "REL": "Relationship", "AESER": "Serious",
    "TRTEMFL": "TEAE", "TOXFL": "Toxicity", "ACUTEFL": "D1-D10", "AEOUT": "Outcome",
}


def ae_listing(adae: pd.DataFrame) -> Table:
    """Every adverse event of the infused subjects, by cohort, subject and start date.

    Imputed values are marked ``*``: start/end dates (ASTDTF/AENDTF), grade
    (GRIMPFL), relationship (RELIMPFL).
    """
    require_columns(adae, ["USUBJID", "AESEQ", "AEBODSYS", "AEDECOD", "ASTDT", "ASTDY", "ATOXGR", "AREL",
                           "TRTEMFL", "TOXFL"], "AE listing (ADAE)")
    recs = select(adae, om.POPULATION).copy()

    def flagged(values: pd.Series, flag: str) -> pd.Series:
        marks = recs[flag] if flag in recs.columns else pd.Series("", index=recs.index)
        return values.astype(str) + np.where(marks.ne("") & marks.ne("N"), IMPUTED_MARK, "")

    recs["START"] = flagged(sas_date_text(recs["ASTDT"]), "ASTDTF")
    end = sas_date_text(recs["AENDT"]) if "AENDT" in recs.columns else pd.Series("", index=recs.index)
    recs["END"] = flagged(end, "AENDTF")
    recs["GRADE"] = flagged(recs["ATOXGR"], "GRIMPFL")
    recs["REL"] = flagged(recs["AREL"], "RELIMPFL")
    for col in ("ASTDY", "AENDY", "AESEQ"):
        if col in recs.columns:
            recs[col] = fixed(recs[col], 0).replace("-", "")
    order = [c for c in ("TRT01AN", "USUBJID", "ASTDT", "AESEQ") if c in recs.columns]
    recs = recs.assign(ASTDT=pd.to_numeric(recs["ASTDT"]), AESEQN=pd.to_numeric(recs["AESEQ"], errors="coerce"))
    recs = recs.sort_values([c if c != "AESEQ" else "AESEQN" for c in order], kind="mergesort")
    cols = [c for c in AE_COLUMNS if c in recs.columns]
    listing = recs[cols].rename(columns=AE_COLUMNS).reset_index(drop=True)
    note = ("* = imputed: start/end date partially imputed (ASTDTF/AENDTF), grade missing analysed as 3 (GRIMPFL), "
            "relationship missing analysed as related (RELIMPFL). Study day 1 = infusion day.")
    return Table("listing_ae", "listings", "Adverse events by subject", f"ADAE where {om.POPULATION}",
                 listing.assign(table="listing_ae"), listing, 2, notes=(note,))


VARIABLES = frozenset({"USUBJID", "SUBJID", "SAFFL", "TRT01AN", "TRT01A", "PARAMCD", "AVAL", "AVALC", "AVISIT",
                       "ABLFL", "ANL01FL", "DTYPE", "CHG", "ASTDT", "ASTDTF", "AENDT", "AENDTF", "ATOXGR",
                       "GRIMPFL", "AREL", "RELIMPFL", *(set(AE_COLUMNS) - {"START", "END", "GRADE", "REL"})})
"""ADaM variables the listings read (of AE_COLUMNS: all but the four the AE listing derives)."""


def build_listings(datasets: dict[str, pd.DataFrame], visits: list[str]) -> list[Table]:
    """The AE listing and the by-visit listings of the datasets present."""
    adsl = datasets["ADSL"]
    tables = [ae_listing(datasets["ADAE"])] if "ADAE" in datasets else []
    for spec in listing_specs():
        if spec.dataset in datasets:
            tables.append(visit_listing(spec, datasets[spec.dataset], adsl, visits))
    return tables


__all__ = ["ListingSpec", "ae_listing", "build_listings", "listing_specs", "visit_listing"]
