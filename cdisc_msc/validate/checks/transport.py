"""Transport checks: the raw XPT v5 bytes and header (read here, independently of any reader)."""
from __future__ import annotations

import mmap
import re

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import rows_with
from cdisc_msc.validate.checks.util import findings
from cdisc_msc.validate.engine import CheckContext, register
from cdisc_msc.validate.package import read_member_name

RECORD = 80
LIBRARY = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
MEMBER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
DSCRPTR = b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!"
NAMESTR = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"
OBS = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
V8_LIBRARY = b"HEADER RECORD*******LIBV8   HEADER RECORD!!!!!!!"
NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,7}$")


def header_problems(raw: bytes | mmap.mmap, searched: tuple[int, int] | None = None) -> list[str]:
    """What is wrong with the header records of a v5 transport file (empty when sound).

    Checks the library, member, descriptor, NAMESTR and OBS header records, the
    NAMESTR size, the record alignment and that the file holds one member.
    ``searched``: a range ``(start, end)`` of the file known to hold no member header
    at a record start (what our reader searched), not searched again.
    """
    size = len(raw)
    if size < 8 * RECORD:
        return [f"file has {size} bytes, shorter than the v5 headers"]
    if raw[:48] == V8_LIBRARY[:48]:
        return ["SAS transport version 8 (LIBV8) header; version 5 is required"]
    problems = []
    if raw[:RECORD] != LIBRARY:
        return ["first record is not the v5 LIBRARY header record"]
    if raw[RECORD:RECORD + 24] != b"SAS     SAS     SASLIB  ":
        problems.append("second library record does not start with SAS/SAS/SASLIB")
    if raw[3 * RECORD:3 * RECORD + 48] != MEMBER:
        problems.append("fourth record is not the MEMBER header record")
    if raw[4 * RECORD:4 * RECORD + 48] != DSCRPTR:
        problems.append("fifth record is not the DSCRPTR header record")
    if raw[7 * RECORD:7 * RECORD + 48] != NAMESTR:
        problems.append("eighth record is not the NAMESTR header record")
        return problems
    namestr_size = raw[3 * RECORD + 74:3 * RECORD + 78]
    if namestr_size not in (b"0140", b"0136"):
        problems.append(f"NAMESTR size {namestr_size!r} is neither 140 nor 136")
        return problems
    try:
        nvars = int(raw[7 * RECORD + 54:7 * RECORD + 58])
    except ValueError:
        return problems + ["variable count in the NAMESTR header is not a number"]
    obs_at = 8 * RECORD + -(-nvars * int(namestr_size) // RECORD) * RECORD
    if raw[obs_at:obs_at + 48] != OBS:
        problems.append("no OBS header record after the NAMESTR records")
    if size % RECORD:
        problems.append(f"file size {size} is not a multiple of 80 bytes")
    members = sum(_members(raw, start, end) for start, end in _unsearched(size, searched))
    if members > 1:
        problems.append(f"file holds {members} datasets; one dataset per file is required")
    return problems


def _unsearched(size: int, searched: tuple[int, int] | None) -> list[tuple[int, int]]:
    """The parts of a file of ``size`` bytes outside ``searched`` (record aligned: a header in one part
    ends there)."""
    if searched is None or searched[0] % RECORD or not 0 <= searched[0] <= searched[1] <= size:
        return [(0, size)]
    return [(0, searched[0]), (searched[1], size)]


def _members(raw: bytes | mmap.mmap, start: int, end: int) -> int:
    """Member header records (at record starts) within ``raw[start:end]``."""
    members = 0
    at = raw.find(MEMBER, start, end)
    while at != -1:
        members += at % RECORD == 0
        at = raw.find(MEMBER, at + 1, end)
    return members


@register("xpt_structure")
def xpt_structure(ctx: CheckContext) -> pd.DataFrame:
    ds = ctx.ds
    with open(ds.path, "rb") as handle:
        try:
            raw = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # empty file
            raw = b""
        try:
            problems = header_problems(raw, ds.searched)
        finally:
            if isinstance(raw, mmap.mmap):
                raw.close()  # now, not at collection (a map left open blocks renaming the folder on Windows)
    if not problems and ds.error:
        problems = [ds.error]
    return findings([np.nan] * len(problems), detail=problems)


@register("xpt_names")
def xpt_names(ctx: CheckContext) -> pd.DataFrame:
    ds = ctx.ds
    names = pd.Series([c.name for c in ds.columns], dtype=object)
    bad = ~names.str.match(NAME_RE.pattern) if len(names) else names.astype(bool)
    out = [findings(names.index[bad], variable=names[bad].to_numpy(), value=names[bad].to_numpy(),
                    detail="variable name " + names[bad] + " is not a SAS v5 name").assign(row=np.nan)]
    dup = names[names.duplicated()]
    out.append(findings([np.nan] * len(dup), variable=dup.to_numpy(), detail="duplicate variable name " + dup))
    if not NAME_RE.match(ds.name.rstrip("_")):
        out.append(findings(value=ds.name, detail=f"dataset name {ds.name} is not a SAS v5 name"))
    return pd.concat(out)


@register("xpt_labels")
def xpt_labels(ctx: CheckContext) -> pd.DataFrame:
    ds = ctx.ds
    labels = pd.Series([ds.label] + [c.label for c in ds.columns], dtype=object)
    where = pd.Series([""] + [c.name for c in ds.columns], dtype=object)
    what = np.where(where == "", "dataset label", "label of " + where)
    too_long = labels.str.len() > 40
    non_ascii = ~labels.map(str.isascii).astype(bool)
    out = [
        findings([np.nan] * int(too_long.sum()), variable=where[too_long].to_numpy(), value=labels[too_long].to_numpy(),
                 detail=pd.Series(what[too_long]) + " is longer than 40 characters"),
        findings([np.nan] * int(non_ascii.sum()), variable=where[non_ascii].to_numpy(),
                 value=labels[non_ascii].to_numpy(), detail=pd.Series(what[non_ascii]) + " is not ASCII"),
    ]
    if not ds.label.strip():
        out.append(findings(detail="dataset label is missing"))
    return pd.concat(out)


@register("xpt_lengths")
def xpt_lengths(ctx: CheckContext) -> pd.DataFrame:
    cols = ctx.ds.columns
    names = [c.name for c in cols]
    length = np.array([c.length for c in cols])
    char = np.array([c.type == "char" for c in cols])
    bad_char = char & ((length < 1) | (length > 200))
    bad_num = ~char & ((length < 3) | (length > 8))
    out = []
    for mask, detail in ((bad_char, "character lengths are 1 to 200"), (bad_num, "numeric lengths are 3 to 8")):
        idx = np.flatnonzero(mask)
        out.append(findings([np.nan] * len(idx), variable=[names[i] for i in idx],
                            value=[str(length[i]) for i in idx], detail=detail))
    return pd.concat(out)


@register("xpt_ascii")
def xpt_ascii(ctx: CheckContext) -> pd.DataFrame:
    out = []
    for c in ctx.ds.columns:
        if c.type != "char":
            continue
        codes, uniques = ctx.ds.codes(c.name)
        ascii_ = np.fromiter(map(str.isascii, map(str, uniques)), dtype=bool, count=len(uniques))  # per distinct value
        if ascii_.all():
            continue
        rows = rows_with(~ascii_, codes)
        out.append(findings(rows, variable=c.name, value=uniques[codes[rows]]))
    return pd.concat(out) if out else None


@register("xpt_file_name")
def xpt_file_name(ctx: CheckContext) -> pd.DataFrame | None:
    ds = ctx.ds
    if ds.error:
        return None
    member = read_member_name(ds.path)
    expected = f"{member.lower()}.xpt"
    if ds.path.name == expected:
        return None
    return findings(value=ds.path.name, detail=f"{member}; expected {expected}")


@register("xpt_size")
def xpt_size(ctx: CheckContext) -> pd.DataFrame | None:
    size = ctx.ds.path.stat().st_size
    return findings(value=str(size)) if size > int(ctx.params["max_bytes"]) else None


@register("xpt_length_fit")
def xpt_length_fit(ctx: CheckContext) -> pd.DataFrame | None:
    out = []
    for c in ctx.ds.columns:
        if c.type != "char" or c.length > 200:
            continue
        distinct = ctx.ds.codes(c.name)[1]  # per distinct value, not per row
        # latin-1 with errors="replace" writes one byte per character: the length in bytes is len()
        longest = max(map(len, map(str, distinct)), default=1)
        if c.length > max(longest, 1):
            out.append({"variable": c.name, "value": str(c.length), "detail": str(longest)})
    return out
