"""Find and load what is validated: a package root (``sdtm/`` and ``adam/``) or one folder of XPT files.

Reading goes through ``read_dataset`` (an adapter: our XPT v5 reader, else
pyreadstat) so the reader can be swapped. Character values are right-stripped
and blank values become missing (NaN), so ``notna()`` means "has a value" for
every column.

Checks share per-column work through ``DatasetData``: each column is
factorised once (``codes``: codes, -1 for missing, and the distinct values),
and anything computed per distinct value (display text, dates, ISO 8601
reasons) is computed once per dataset and spread to the records by code.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from cdisc_msc.validate.metadata import PackageMeta, read_define

PACKAGE_FOLDERS = ("sdtm", "adam")


@dataclass
class ColumnHeader:
    name: str
    label: str
    type: str
    length: int


@dataclass
class DatasetData:
    """One XPT file: its name, the frame (None when unreadable) and the header attributes."""

    path: Path
    name: str
    frame: pd.DataFrame | None = None
    label: str = ""
    columns: list[ColumnHeader] = field(default_factory=list)
    error: str | None = None
    xpt: Any = None
    """The reader's ``XptDataset`` metadata when our reader read the file (shared with the define check)."""
    _codes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False, compare=False)
    _per_value: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def domain(self) -> str:
        """The domain of the dataset: DOMAIN's value when present, else the name (SUPPAE -> SUPPAE)."""
        if self.frame is not None and "DOMAIN" in self.frame.columns:
            uniques = self.codes("DOMAIN")[1]  # in order of first use: the first non-missing value
            if len(uniques):
                return str(uniques[0])
        return self.name

    def codes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Codes (-1 = missing) and distinct values (in order of first use) of a column, computed once.

        >>> d = DatasetData(Path("x.xpt"), "X", frame=pd.DataFrame({"A": ["b", np.nan, "b"]}))
        >>> codes, uniques = d.codes("A")
        >>> codes.tolist(), uniques.tolist()
        ([0, -1, 0], ['b'])
        """
        found = self._codes.get(name)
        if found is None:
            found = self._codes[name] = factorize(self.frame[name])
        return found

    def notna(self, name: str) -> np.ndarray:
        """Records where the column has a value (a boolean array)."""
        return self.codes(name)[0] >= 0

    def per_value(self, name: str, key: str, compute: Callable[[pd.Series], Any], missing: Any,
                  dtype: Any = None) -> np.ndarray:
        """``compute`` applied to the column's distinct values once (cached under ``key``), spread to the records.

        ``compute`` gets the distinct values as a Series and returns one result per value (as
        ``dtype``, default: as returned); missing records get ``missing``.

        >>> d = DatasetData(Path("x.xpt"), "X", frame=pd.DataFrame({"A": ["ab", np.nan, "ab"]}))
        >>> d.per_value("A", "len", lambda s: s.str.len(), 0, dtype=np.int64).tolist()
        [2, 0, 2]
        """
        table = self.distinct_values(name, key, compute, dtype)
        full = np.empty(len(table) + 1, dtype=table.dtype)
        full[:-1] = table
        full[-1] = missing
        return full[self.codes(name)[0]]  # code -1 takes the last slot

    def distinct_values(self, name: str, key: str, compute: Callable[[pd.Series], Any],
                        dtype: Any = None) -> np.ndarray:
        """``compute`` applied to the column's distinct values, one result per value (cached under ``key``)."""
        cached = self._per_value.get((name, key))
        if cached is None:
            uniques = self.codes(name)[1]
            column = self.frame[name]
            values = pd.Series(uniques, dtype=column.dtype if column.dtype != object else object)
            result = compute(values)
            result = result.to_numpy() if isinstance(result, pd.Series) else result
            cached = self._per_value[(name, key)] = np.asarray(result, dtype=dtype)
        return cached

    @property
    def prefix(self) -> str:
        """Variable prefix (``AE`` for AE, the domain for split datasets)."""
        return self.domain[:2] if not self.name.startswith(("SUPP", "AD")) else ""

    def column(self, name: str) -> ColumnHeader | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Folder:
    """One set of datasets validated together, with its define.xml metadata if any."""

    path: Path
    kind: str
    datasets: dict[str, DatasetData] = field(default_factory=dict)
    define_path: Path | None = None
    meta: PackageMeta | None = None
    define_error: str | None = None
    missing: bool = False
    ig_version: str = ""
    caveat: str | None = None
    ct_caveat: str | None = None

    @property
    def ig(self) -> str:
        return "ADaMIG" if self.kind == "adam" else "SDTMIG"


@dataclass
class Package:
    root: Path
    folders: list[Folder]
    is_root: bool

    def folder(self, kind: str) -> Folder | None:
        return next((f for f in self.folders if f.kind == kind and not f.missing), None)


def _addresses(objects: np.ndarray) -> np.ndarray:
    """The object pointers of a contiguous object array as uint64 (a view, no copy)."""
    start = objects.__array_interface__["data"][0]
    return np.ctypeslib.as_array((ctypes.c_uint64 * len(objects)).from_address(start))


def factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 = missing) and distinct values in order of first use, like ``pd.factorize``.

    Text columns whose repeated values share one string object (what the XPT
    reader returns) are grouped by pointer first, an integer hash, and then by
    value over the few distinct objects.

    >>> codes, uniques = factorize(pd.Series(["a", None, "b", "a"], dtype=object))
    >>> codes.tolist(), uniques.tolist()
    ([0, -1, 1, 0], ['a', 'b'])
    """
    if values.dtype != object or len(values) == 0:
        codes, uniques = pd.factorize(values.to_numpy(), use_na_sentinel=True)
        return _compact(codes), np.asarray(uniques)
    objects = np.ascontiguousarray(values.to_numpy(dtype=object))
    by_object, pointers = pd.factorize(_addresses(objects))  # distinct objects in order of first use
    first = np.empty(len(pointers), dtype=np.intp)
    first[by_object[::-1]] = np.arange(len(objects) - 1, -1, -1, dtype=np.intp)
    codes, uniques = pd.factorize(objects[first], use_na_sentinel=True)
    return _compact(codes)[by_object], np.asarray(uniques, dtype=object)


def _compact(codes: np.ndarray) -> np.ndarray:
    """Codes as int32 (half the memory of the default) when they fit."""
    return codes.astype(np.int32) if len(codes) < 2 ** 31 - 1 else np.asarray(codes, dtype=np.intp)


def _read_with_our_reader(
    path: Path, codes: dict[str, tuple[np.ndarray, np.ndarray]],
) -> tuple[pd.DataFrame, str, list[ColumnHeader], Any]:
    """Our reader, already normalised: its text codes (-1 = blank) are the codes of ``normalise``,
    so blank -> missing is a change of the distinct values only (each text column is factorised once)."""
    from cdisc_msc.io.xpt import TextColumn, read_xpt_columns

    read = read_xpt_columns(path)
    columns = [ColumnHeader(v.name, v.label, v.type, v.length) for v in read.meta.variables]
    values = {}
    for name, column in read.columns.items():
        if isinstance(column, TextColumn):
            values[name] = pd.Series(column.values(blank=np.nan), dtype=object, copy=False)
            codes[name] = (column.codes, column.uniques)
        else:  # float64, every missing value NaN (special missings too)
            values[name] = pd.Series(column.values, dtype=np.float64, copy=False)
    frame = pd.DataFrame(values, index=pd.RangeIndex(read.records), copy=False)  # no consolidation copies
    return frame, read.meta.label, columns, read.meta


def _read_with_pyreadstat(path: Path) -> tuple[pd.DataFrame, str, list[ColumnHeader], Any]:
    import pyreadstat

    frame, meta = pyreadstat.read_xport(str(path))
    columns = [ColumnHeader(n, meta.column_names_to_labels.get(n) or "",
                            "num" if meta.readstat_variable_types.get(n) == "double" else "char",
                            int(meta.variable_storage_width.get(n) or 8)) for n in meta.column_names]
    return frame, meta.file_label or "", columns, None


def read_member_name(path: Path) -> str:
    """The dataset name in the member header of an XPT v5 file ('' when there is none)."""
    with open(path, "rb") as handle:
        head = handle.read(6 * 80)
    return head[5 * 80 + 8:5 * 80 + 16].decode("latin-1").strip() if len(head) == 6 * 80 else ""


def read_dataset(path: Path) -> DatasetData:
    """Read one XPT file; a file that cannot be read is kept with ``error`` set (the transport rule reports it).

    The dataset is named by its member header (the file name when that is unreadable).
    """
    name = read_member_name(path).upper() or path.stem.upper()
    codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    try:
        try:
            frame, label, columns, xpt = _read_with_our_reader(path, codes)
        except ImportError:  # pragma: no cover - the reader is part of the package
            frame, label, columns, xpt = _read_with_pyreadstat(path)
            frame = normalise(frame, columns, codes)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding, not a crash
        return DatasetData(path=path, name=name, error=f"{type(exc).__name__}: {exc}")
    data = DatasetData(path=path, name=name, frame=frame, label=label, columns=columns, xpt=xpt)
    data._codes.update(codes)
    return data


def _text_column(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A text column with blank (and missing) values as NaN; its codes and distinct values."""
    codes, uniques = factorize(values)
    keep = np.array([u == u and u is not None and u != "" for u in uniques], dtype=bool)  # per distinct value
    if not keep.all():  # renumber without the blank value
        new = np.full(len(uniques) + 1, -1, dtype=codes.dtype)
        new[:-1][keep] = np.arange(int(keep.sum()))
        codes, uniques = new[codes], uniques[keep]
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = uniques
    table[-1] = np.nan
    return table[codes], codes, uniques


def normalise(frame: pd.DataFrame, columns: list[ColumnHeader],
              codes: dict[str, tuple[np.ndarray, np.ndarray]] | None = None) -> pd.DataFrame:
    """Text columns: blank -> missing (readers strip trailing blanks); numeric columns float (special missings -> NaN).

    The codes of each text column, computed on the way, go to ``codes`` when given.
    """
    out = {}
    for c in columns:
        s = frame[c.name]
        if c.type == "char":
            values, column_codes, uniques = _text_column(s.astype(object))
            out[c.name] = pd.Series(values, dtype=object)
            if codes is not None:
                codes[c.name] = (column_codes, uniques)
        else:
            out[c.name] = pd.to_numeric(s, errors="coerce").astype("float64")
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)), copy=False)


def guess_kind(path: Path, meta: PackageMeta | None) -> str:
    """``adam`` when the define says Analysis or the folder holds ADSL/AD* files and no DM; else ``sdtm``."""
    if meta is not None and meta.purpose:
        return "adam" if meta.purpose == "Analysis" else "sdtm"
    names = {p.stem.lower() for p in path.glob("*.xpt")}
    if "dm" in names:
        return "sdtm"
    return "adam" if "adsl" in names or (names and all(n.startswith("ad") for n in names)) else "sdtm"


def _load_define(folder: Folder) -> None:
    if folder.define_path is None:
        return
    try:
        folder.meta = read_define(folder.define_path)
    except Exception as exc:  # noqa: BLE001 - reported by the define rules
        folder.define_error = f"{type(exc).__name__}: {exc}"


def load_folder(path: Path, kind: str | None, define: Path | None) -> Folder:
    """Read every ``*.xpt`` of ``path`` (sorted, subfolders ignored) and its define.xml."""
    define_path = define if define is not None else (path / "define.xml" if (path / "define.xml").is_file() else None)
    folder = Folder(path=path, kind=kind or "sdtm", define_path=define_path)
    _load_define(folder)
    if kind is None:
        folder.kind = guess_kind(path, folder.meta)
    for file in sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".xpt"):
        data = read_dataset(file)
        key = data.name
        while key in folder.datasets:  # two files claiming one name: keep both, the transport rules report it
            key += "_"
        folder.datasets[key] = data
    return folder


def load_package(path: str | Path, define: Path | None = None) -> Package:
    """A package root (``sdtm/``, ``adam/``) or a single folder of XPT files."""
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a folder")
    present = [k for k in PACKAGE_FOLDERS if (root / k).is_dir()]
    if not present:
        return Package(root=root, folders=[load_folder(root, None, define)], is_root=False)
    folders = []
    for kind in PACKAGE_FOLDERS:
        if kind in present:
            folders.append(load_folder(root / kind, kind, None))
        else:
            folders.append(Folder(path=root / kind, kind=kind, missing=True))
    if define is not None:
        meta = read_define(define)
        target = next(f for f in folders if f.kind == ("adam" if meta.purpose == "Analysis" else "sdtm"))
        target.define_path, target.meta = Path(define), meta
    return Package(root=root, folders=folders, is_root=True)


__all__ = [
    "ColumnHeader", "DatasetData", "Folder", "Package", "factorize", "guess_kind", "load_package", "read_dataset",
    "read_member_name",
]
