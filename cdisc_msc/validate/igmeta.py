"""Implementation-guide variable metadata (SDTMIG 3.4, ADaMIG 1.3) shipped as compact tables.

``data/ig/<ig>-<version>.tsv`` holds, per dataset (SDTM domain, ``SUPPQUAL``,
or ADaM structure ``ADSL``/``BDS``), the variables in IG order with label,
type, core (Req/Exp/Perm/Cond) and CT codelist codes. The tables are facts
copied from the CDISC reference ``Variables.csv`` files by ``build_tables``.

    >>> meta = ig_variables("SDTMIG", "3.4")
    >>> meta[(meta.dataset == "DM") & (meta.variable == "SEX")].core.item()
    'Req'
"""
from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

SHIPPED: dict[str, str] = {"SDTMIG": "3.4", "ADaMIG": "1.3"}
"""The IG versions whose metadata is shipped; other versions are checked against these (with a caveat)."""
COLUMNS = ["dataset", "class", "order", "variable", "label", "type", "core", "codelists"]
ADAM_STRUCTURES = {"Subject-Level Analysis Dataset": "ADSL", "Basic Data Structure": "BDS"}


def _file_name(ig: str, version: str) -> str:
    return f"{ig.lower()}-{version}.tsv"


def build_tables(reference: str | Path, out_dir: str | Path) -> list[Path]:
    """Write the compact tables from ``<reference>/sdtmig-3.4/Variables.csv`` and ``adamig-1.3/Variables.csv``."""
    reference, out_dir = Path(reference), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    sdtm = pd.read_csv(reference / "sdtmig-3.4" / "Variables.csv", dtype=str, keep_default_na=False)
    sdtm = pd.DataFrame({
        "dataset": sdtm["Dataset Name"], "class": sdtm["Class"], "order": sdtm["Variable Order"].astype(int),
        "variable": sdtm["Variable Name"], "label": sdtm["Variable Label"], "type": sdtm["Type"],
        "core": sdtm["Core"], "codelists": sdtm["CDISC CT Codelist Code(s)"].str.replace(" ", ""),
    })
    adam = pd.read_csv(reference / "adamig-1.3" / "Variables.csv", dtype=str, keep_default_na=False)
    adam = pd.DataFrame({
        "dataset": adam["Data Structure Name"].map(ADAM_STRUCTURES), "class": adam["Variable Set"],
        "order": range(1, len(adam) + 1), "variable": adam["Variable Name"], "label": adam["Variable Label"],
        "type": adam["Type"], "core": adam["Core"],
        "codelists": adam["CDISC CT Codelist Code(s)"].str.replace(" ", ""),
    })
    for frame, ig in ((sdtm, "SDTMIG"), (adam, "ADaMIG")):
        path = out_dir / _file_name(ig, SHIPPED[ig])
        frame[COLUMNS].to_csv(path, sep="\t", index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        written.append(path)
    return written


@lru_cache(maxsize=4)
def ig_variables(ig: str, version: str) -> pd.DataFrame:
    """The shipped variable table of ``ig`` at ``version`` (KeyError when not shipped)."""
    if SHIPPED.get(ig) != version:
        raise KeyError(f"{ig} {version} metadata is not shipped")
    text = resources.files("cdisc_msc").joinpath(f"data/ig/{_file_name(ig, version)}")
    with text.open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, sep="\t", dtype=str, keep_default_na=False)
    frame["order"] = frame["order"].astype(int)
    return frame


def resolve_version(ig: str, declared: str | None) -> tuple[str, str | None]:
    """The shipped version to check against and a caveat when it differs from ``declared``.

    >>> resolve_version("SDTMIG", "3.3")[0]
    '3.4'
    """
    shipped = SHIPPED[ig]
    if declared is None:
        return shipped, f"no {ig} version declared (no define.xml): checked against {ig} {shipped} metadata"
    if declared != shipped:
        return shipped, f"define.xml declares {ig} {declared}; only {ig} {shipped} metadata is shipped"
    return shipped, None


@lru_cache(maxsize=256)
def domain_variables(ig: str, version: str, dataset: str) -> pd.DataFrame:
    """IG variables of one dataset: SUPP-- use SUPPQUAL, ADaM uses ADSL or BDS, ``--`` prefixes resolved.

    Cached (several rules ask for the same dataset): treat the frame as read-only.
    """
    table = ig_variables(ig, version)
    key = "SUPPQUAL" if dataset.startswith("SUPP") and ig == "SDTMIG" else dataset
    rows = table[table["dataset"] == key].copy()
    if ig == "SDTMIG" and key != "SUPPQUAL" and len(dataset) == 2:
        rows["variable"] = rows["variable"].str.replace("--", dataset, regex=False)
    return rows


__all__ = ["SHIPPED", "build_tables", "domain_variables", "ig_variables", "resolve_version"]
