"""Package checks: the agency technical rejection criteria and the IG version note."""
from __future__ import annotations

import pandas as pd

from cdisc_msc.validate.checks.util import findings, iso_problems
from cdisc_msc.validate.engine import CheckContext, SkipCheck, register


@register("dataset_present")
def dataset_present(ctx: CheckContext) -> pd.DataFrame | None:
    """The folder holds ``<dataset>.xpt`` (a missing folder of a package root has none)."""
    name = ctx.params["dataset"].upper()
    files = {d.path.name.lower() for d in ctx.folder.datasets.values()}
    return None if f"{name.lower()}.xpt" in files else findings(dataset=name)


@register("define_present")
def define_present(ctx: CheckContext) -> pd.DataFrame | None:
    if ctx.folder.missing:
        raise SkipCheck(f"no {ctx.folder.kind} folder")
    return None if ctx.folder.define_path is not None else findings(detail=ctx.folder.kind.upper())


@register("ts_sstdtc")
def ts_sstdtc(ctx: CheckContext) -> pd.DataFrame | None:
    """TS has a TSPARMCD=SSTDTC record whose TSVAL is a complete, valid ISO 8601 date."""
    ts = ctx.folder.datasets.get("TS")
    if ts is None or not ts.readable:
        raise SkipCheck("no readable TS")
    frame = ts.frame
    if not {"TSPARMCD", "TSVAL"} <= set(frame.columns):
        return findings(dataset="TS", detail="TS has no TSPARMCD/TSVAL")
    rows = frame[frame["TSPARMCD"] == "SSTDTC"]
    if rows.empty:
        return findings(dataset="TS", detail="no SSTDTC record")
    values = rows["TSVAL"]
    complete = values.astype(str).str.fullmatch(r"\d{4}-\d{2}-\d{2}") & values.notna()
    valid = complete & (iso_problems(values) == "")
    if valid.any():
        return None
    return findings(rows.index, dataset="TS", variable="TSVAL", value=values.fillna("").to_numpy(),
                    detail="TSVAL is not a complete ISO 8601 date").assign(row=rows.index + 1)


@register("version_caveat")
def version_caveat(ctx: CheckContext) -> pd.DataFrame | None:
    folder = ctx.folder
    if folder.missing:
        return None
    notes = []
    if folder.caveat:
        ids = [r.id for r in ctx.rules if r.ig_metadata
               and (not r.applies_to.packages or folder.kind in r.applies_to.packages)]
        notes.append(f"{folder.caveat}; rules {', '.join(ids)} were evaluated against "
                     f"{folder.ig} {folder.ig_version} metadata")
    if folder.ct_caveat:
        notes.append(f"{folder.ct_caveat} (rules CT001, CT002)")
    return findings([float("nan")] * len(notes), detail=notes) if notes else None
