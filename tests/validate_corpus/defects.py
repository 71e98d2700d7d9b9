"""The broken-package corpus: one function per rule, each putting exactly one defect into the clean package.

A defect either changes the corpus before it is written (``Corpus`` ->
``Corpus``) or changes the written files (``after(root)``). ``DEFECTS`` maps a
rule id to ``Defect(before, after, params)``; ``params`` are rule parameter
overrides for the run (TR007 lowers the size limit instead of writing 5 GB).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from validate_corpus.base import Corpus


@dataclass
class Defect:
    before: Callable[[Corpus], None] | None = None
    after: Callable[[Path], None] | None = None
    params: Callable[[Path], dict] | None = None


def frame(c: Corpus, kind: str, name: str) -> pd.DataFrame:
    return c.frames[kind][name]


def set_value(c: Corpus, kind: str, name: str, row: int, column: str, value) -> None:
    """Set one cell (row is 0-based) in the data only."""
    f = frame(c, kind, name).copy()
    f[column] = f[column].astype(object) if isinstance(value, str) or value is None else f[column]
    f.loc[row, column] = value
    c.frames[kind][name] = f


def drop_variable(c: Corpus, kind: str, name: str, variable: str) -> None:
    """Remove a variable from the data and the spec (so the define agrees)."""
    c.frames[kind][name] = frame(c, kind, name).drop(columns=[variable])
    ds = c.specs[kind].dataset(name)
    ds.variables = [v for v in ds.variables if v.name != variable]


def drop_dataset(c: Corpus, kind: str, name: str) -> None:
    del c.frames[kind][name]
    c.specs[kind].datasets = [d for d in c.specs[kind].datasets if d.name != name]


def drop_codelist(c: Corpus, kind: str, name: str, variable: str) -> None:
    c.specs[kind].dataset(name).variable(variable).codelist = None


def patch(path: Path, old: bytes, new: bytes, count: int = -1) -> None:
    data = path.read_bytes()
    assert old in data, f"{old!r} not in {path}"
    path.write_bytes(data.replace(old, new, count) if count > 0 else data.replace(old, new))


def write_raw(c: Corpus, kind: str, name: str, root: Path) -> None:
    """Write one XPT without the writer's refusal checks (for transport defects): the project's
    header bytes, then records packed here (text blank padded in latin-1, numbers as IBM doubles)."""
    from cdisc_msc.io.ibm import ieee_to_ibm
    from cdisc_msc.io.meta import from_spec
    from cdisc_msc.io.xpt import header_bytes

    spec, f = c.specs[kind].dataset(name), frame(c, kind, name)
    meta = from_spec(spec, f)
    columns = []
    for v in meta.variables:
        if v.is_numeric:
            words = ieee_to_ibm(f[v.name].to_numpy(dtype=np.float64, na_value=np.nan))
            columns.append([w.tobytes() for w in words.reshape(len(f), -1)])
        else:
            columns.append([("" if pd.isna(x) else str(x)).encode("latin-1").ljust(v.length, b" ")
                            for x in f[v.name]])
    body = b"".join(b"".join(parts) for parts in zip(*columns))
    (root / kind / meta.file_name).write_bytes(header_bytes(meta) + body + b" " * (-len(body) % 80))


def namestr_offset(path: Path, variable: str) -> int:
    """Byte offset of a variable's NAMESTR record."""
    data = path.read_bytes()
    nvars = int(data[7 * 80 + 54:7 * 80 + 58])
    for i in range(nvars):
        at = 8 * 80 + i * 140
        if data[at + 8:at + 16].rstrip() == variable.encode():
            return at
    raise KeyError(variable)


# --------------------------------------------------------------------------- transport


def tr001(root: Path) -> None:
    path = root / "sdtm" / "ae.xpt"
    data = bytearray(path.read_bytes())
    data[7 * 80:7 * 80 + 20] = b"BROKEN RECORD*******"
    path.write_bytes(bytes(data))


def tr002(root: Path) -> None:
    """AESTDY renamed to lower case, in the file and in the define (so only the name is wrong)."""
    path = root / "sdtm" / "ae.xpt"
    at = namestr_offset(path, "AESTDY")
    data = bytearray(path.read_bytes())
    data[at + 8:at + 16] = b"aestdy  "
    path.write_bytes(bytes(data))
    patch(root / "sdtm" / "define.xml", b'Name="AESTDY"', b'Name="aestdy"')


def tr003(root: Path) -> None:
    """Dataset label blanked in the member header."""
    path = root / "sdtm" / "ae.xpt"
    data = bytearray(path.read_bytes())
    data[6 * 80 + 32:6 * 80 + 72] = b" " * 40
    path.write_bytes(bytes(data))


def tr004_before(c: Corpus) -> None:
    set_value(c, "sdtm", "AE", 0, "AETERM", "HEADACHE " + "X" * 200)


def tr005_before(c: Corpus) -> None:
    set_value(c, "sdtm", "AE", 0, "AETERM", "C\u00c9PHAL\u00c9E")


def tr006(root: Path) -> None:
    (root / "sdtm" / "ae.xpt").rename(root / "sdtm" / "aex.xpt")
    patch(root / "sdtm" / "define.xml", b'xlink:href="ae.xpt"', b'xlink:href="aex.xpt"')


def tr007_params(root: Path) -> dict:
    largest = max(p.stat().st_size for p in root.rglob("*.xpt"))
    return {"TR007": {"max_bytes": largest - 1}}


# --------------------------------------------------------------------------- build the table

DEFECTS: dict[str, Defect] = {
    "TR001": Defect(after=tr001),
    "TR002": Defect(after=tr002),
    "TR003": Defect(after=tr003),
    "TR004": Defect(before=tr004_before, after=lambda r: None),
    "TR005": Defect(before=tr005_before, after=lambda r: None),
    "TR006": Defect(after=tr006),
    "TR007": Defect(params=tr007_params),
    "PK001": Defect(before=lambda c: drop_dataset(c, "sdtm", "TS")),
    "PK002": Defect(before=lambda c: set_value(c, "sdtm", "TS", 0, "TSVAL", "2019-13-10")),
    "PK003": Defect(before=lambda c: drop_dataset(c, "sdtm", "DM")),
    "PK004": Defect(before=lambda c: drop_dataset(c, "adam", "ADSL")),
    "PK005": Defect(after=lambda r: (r / "sdtm" / "define.xml").unlink()),
    "ST001": Defect(before=lambda c: drop_variable(c, "sdtm", "AE", "AETERM")),
    "ST002": Defect(before=lambda c: set_value(c, "sdtm", "AE", 1, "AEDECOD", None)),
    "ST003": Defect(before=lambda c: drop_variable(c, "sdtm", "AE", "AESER")),
    "ST006": Defect(before=lambda c: set_value(c, "sdtm", "LB", 1, "VISITNUM", 1.0)),
    "ST007": Defect(before=lambda c: set_value(c, "sdtm", "AE", 1, "AESEQ", 1.0)),
    "ST008": Defect(before=lambda c: set_value(c, "sdtm", "AE", 2, "DOMAIN", "XX")),
    "CT001": Defect(before=lambda c: set_value(c, "sdtm", "DM", 2, "SEX", "X")),
    "DT001": Defect(before=lambda c: set_value(c, "sdtm", "AE", 2, "AESTDTC", "2019-02-30")),
    "DT002": Defect(before=lambda c: set_value(c, "sdtm", "AE", 0, "AEENDTC", "2019-02-02")),
    "DT003": Defect(before=lambda c: set_value(c, "sdtm", "AE", 0, "AESTDY", 4.0)),
    "DT004": Defect(before=lambda c: set_value(c, "sdtm", "LB", 1, "EPOCH", "SCREENING")),
    "XD001": Defect(before=lambda c: set_value(c, "sdtm", "AE", 2, "USUBJID", "MSC-SLE-01-009")),
    "AD001": Defect(before=lambda c: set_value(c, "adam", "ADLB", 1, "ABLFL", "Y")),
    "AD002": Defect(before=lambda c: set_value(c, "adam", "ADLB", 1, "CHG", 9.9)),
    "AD003": Defect(before=lambda c: set_value(c, "adam", "ADLB", 1, "PCHG", 5.0)),
    "AD004": Defect(before=lambda c: set_value(c, "adam", "ADLB", 0, "CRIT1", None)),
    "AD006": Defect(before=lambda c: set_value(c, "adam", "ADLB", 3, "AVALC", "11")),
    "AD007": Defect(before=lambda c: set_value(c, "adam", "ADLB", 1, "SRCSEQ", 99.0)),
    "DF001": Defect(after=lambda r: patch(r / "sdtm" / "define.xml", b'Name="SDTMIG"', b'Name="STDTMIG"')),
}


def _xd002(c: Corpus) -> None:
    set_value(c, "sdtm", "EX", 0, "EXSTDTC", "2019-02-02")
    set_value(c, "sdtm", "EX", 0, "EXENDTC", "2019-02-02")


def _xd003(c: Corpus) -> None:
    """A second ADSL record for subject 1 (keys made to differ, so only the one-per-subject rule fires)."""
    adsl = c.frames["adam"]["ADSL"]
    extra = adsl.iloc[[0]].assign(SITEID="02")
    c.frames["adam"]["ADSL"] = pd.concat([adsl, extra], ignore_index=True)
    c.specs["adam"].dataset("ADSL").keys = ["STUDYID", "USUBJID", "SITEID"]


def _st004(c: Corpus) -> None:
    """AE written with AETERM before AESEQ; the define keeps the spec order."""
    import copy
    c.define_specs = copy.deepcopy(c.specs)
    ds = c.specs["sdtm"].dataset("AE")
    names = ds.names
    i, j = names.index("AESEQ"), names.index("AETERM")
    ds.variables[i], ds.variables[j] = ds.variables[j], ds.variables[i]
    c.frames["sdtm"]["AE"] = c.frames["sdtm"]["AE"][ds.names]


def _st005(c: Corpus) -> None:
    import copy
    c.define_specs = copy.deepcopy(c.specs)
    c.specs["sdtm"].dataset("AE").variable("AETERM").label = "Reported Term"


def _ct002(c: Corpus) -> None:
    """LBTESTCD (extensible CT) without a define codelist, holding a sponsor code."""
    drop_codelist(c, "sdtm", "LB", "LBTESTCD")
    c.frames["sdtm"]["LB"] = c.frames["sdtm"]["LB"].assign(LBTESTCD="HGBX")
    c.specs["sdtm"].dataset("LB").variable("LBORRES").value_level[0].where[0].values = ["HGBX"]


def _ct003(c: Corpus) -> None:
    drop_codelist(c, "sdtm", "LB", "LBTEST")
    set_value(c, "sdtm", "LB", 1, "LBTEST", "Hemoglobin Level")


def _ad005(c: Corpus) -> None:
    drop_codelist(c, "adam", "ADLB", "PARAM")
    set_value(c, "adam", "ADLB", 1, "PARAM", "Hemoglobin")


def _df002(c: Corpus) -> None:
    """AE gets a variable (AESEV) that its define.xml does not describe."""
    import copy
    from cdisc_msc.spec.model import Variable
    c.define_specs = copy.deepcopy(c.specs)
    ds = c.specs["sdtm"].dataset("AE")
    ds.variables.append(Variable(name="AESEV", label="Severity/Intensity", data_type="text", length="data",
                                 origin={"type": "Collected", "source": "Investigator"}))
    c.frames["sdtm"]["AE"] = c.frames["sdtm"]["AE"].assign(AESEV="MILD")


DEFECTS.update({
    "XD002": Defect(before=_xd002), "XD003": Defect(before=_xd003), "ST004": Defect(before=_st004),
    "ST005": Defect(before=_st005), "CT002": Defect(before=_ct002), "CT003": Defect(before=_ct003),
    "AD005": Defect(before=_ad005), "DF002": Defect(before=_df002),
})
RAW_WRITTEN = {"TR004": ("sdtm", "AE"), "TR005": ("sdtm", "AE")}
"""Defects whose dataset the XPT writer would refuse: written with ``write_raw`` after the package."""
