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

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import factorize_column, spread
from cdisc_msc.validate.metadata import PackageMeta, read_define

PACKAGE_FOLDERS = ("sdtm", "adam")


@dataclass
class ColumnHeader:
    name: str
    label: str
    type: str
    length: int


class DatasetData:
    """One XPT file: its name, header attributes and columns (``frame`` is None when unreadable).

    Read by our reader, the columns stay as the reader gave them (numbers as float64, text as
    codes and distinct values) and the checks work from those: ``names``, ``nrows``, ``series``
    and ``take``. The ``frame`` (an object array per text column: 8 bytes per cell, most of the
    memory) is only built, once, for code that asks for it.
    """

    def __init__(self, path: Path, name: str, frame: pd.DataFrame | None = None, label: str = "",
                 columns: list[ColumnHeader] | None = None, error: str | None = None, xpt: Any = None,
                 read: dict[str, np.ndarray | tuple[np.ndarray, np.ndarray]] | None = None, nrows: int = 0) -> None:
        """``frame``: the records as a DataFrame; or ``read`` and ``nrows``: the reader's columns in file
        order, float64 values or (codes, distinct values) of text (-1: missing). Neither: unreadable."""
        self.path, self.name, self.label, self.error = path, name, label, error
        self.columns: list[ColumnHeader] = columns if columns is not None else []
        self.xpt = xpt
        """The reader's ``XptDataset`` metadata when our reader read the file (shared with the define check)."""
        self.searched: tuple[int, int] | None = None
        """Our reader's search for a second member: the records from ``[0]`` on hold no member header
        at a record start before ``[1]`` (the file's size when there is none; shared with the transport check)."""
        self._frame = frame
        self._read = frame is not None or read is not None
        read = read or {}
        self._numbers = {c: v for c, v in read.items() if not isinstance(v, tuple)}
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {c: v for c, v in read.items() if isinstance(v, tuple)}
        # column name -> whether it holds text, in file order (the frame's columns)
        self._kinds = {c: frame[c].dtype == object for c in frame.columns} if frame is not None else \
            {c: isinstance(v, tuple) for c, v in read.items()}
        self.nrows = len(frame) if frame is not None else nrows
        self._per_value: dict[tuple[str, str], Any] = {}

    def __repr__(self) -> str:
        return f"DatasetData({self.path!r}, {self.name!r}, nrows={self.nrows}, error={self.error!r})"

    @property
    def readable(self) -> bool:
        """The file was read (its columns are available)."""
        return self._read

    @property
    def frame(self) -> pd.DataFrame | None:
        """The records as a DataFrame (text: object, blank = NaN; numbers: float64); built on first use."""
        if self._frame is None and self.readable:
            self._frame = pd.DataFrame({n: self.series(n) for n in self._kinds}, index=pd.RangeIndex(self.nrows),
                                       copy=False)  # copy=False: one block per column, no consolidation copies
        return self._frame

    @property
    def names(self) -> list[str]:
        """The column names, in file order."""
        return list(self._kinds)

    def has(self, name: str) -> bool:
        """Whether the dataset has a column ``name``."""
        return name in self._kinds

    @property
    def index(self) -> pd.Index:
        """The row labels of ``frame`` (0..nrows-1 for a file read here)."""
        return self._frame.index if self._frame is not None else pd.RangeIndex(self.nrows)

    def is_text(self, name: str) -> bool:
        """Whether the column holds text (object values in ``frame``)."""
        return self._kinds[name]

    def series(self, name: str) -> pd.Series:
        """One column as in ``frame``; a text column not yet in a frame is built for this call only."""
        if self._frame is not None:
            return self._frame[name]
        if not self._kinds[name]:
            return pd.Series(self._numbers[name], index=pd.RangeIndex(self.nrows), name=name, copy=False)
        return pd.Series(self._text_values(name, slice(None)), index=pd.RangeIndex(self.nrows), name=name, dtype=object)

    def take(self, name: str, rows: np.ndarray) -> pd.Series:
        """The column's values at positions ``rows``, labelled by their row (``frame[name].iloc[rows]``)."""
        rows = np.asarray(rows, dtype=np.intp)
        if self._frame is not None:
            return self._frame[name].iloc[rows]
        index = pd.Index(rows)
        if not self._kinds[name]:
            return pd.Series(self._numbers[name][rows], index=index, name=name)
        return pd.Series(self._text_values(name, rows), index=index, name=name, dtype=object)

    def _text_values(self, name: str, rows: np.ndarray | slice) -> np.ndarray:
        """A text column's values (object; NaN where missing) at ``rows``, from its codes."""
        codes, uniques = self._codes[name]
        return spread(np.asarray(uniques, dtype=object), codes[rows], np.nan)

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def domain(self) -> str:
        """The domain of the dataset: DOMAIN's value when present, else the name (SUPPAE -> SUPPAE)."""
        if "DOMAIN" in self._kinds:
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
            found = self._codes[name] = factorize(self.series(name))
        return found

    def notna(self, name: str) -> np.ndarray:
        """Records where the column has a value (a boolean array): text through its codes, numbers
        as they are (not factorised for this).

        >>> d = DatasetData(Path("x.xpt"), "X", frame=pd.DataFrame({"A": ["b", np.nan], "N": [np.nan, 1.0]}))
        >>> d.notna("A").tolist(), d.notna("N").tolist()
        ([True, False], [False, True])
        """
        if self.is_text(name):
            return self.codes(name)[0] >= 0
        numbers = self._numbers.get(name)
        return ~np.isnan(numbers) if numbers is not None else self.series(name).notna().to_numpy()

    def per_value(self, name: str, key: str, compute: Callable[[pd.Series], Any], missing: Any,
                  dtype: Any = None) -> np.ndarray:
        """``compute`` applied to the column's distinct values once (cached under ``key``), spread to the records.

        ``compute`` gets the distinct values as a Series and returns one result per value (as
        ``dtype``, default: as returned); missing records get ``missing``.

        >>> d = DatasetData(Path("x.xpt"), "X", frame=pd.DataFrame({"A": ["ab", np.nan, "ab"]}))
        >>> d.per_value("A", "len", lambda s: s.str.len(), 0, dtype=np.int64).tolist()
        [2, 0, 2]
        """
        return spread(self.distinct_values(name, key, compute, dtype), self.codes(name)[0], missing)

    def distinct_values(self, name: str, key: str, compute: Callable[[pd.Series], Any],
                        dtype: Any = None) -> np.ndarray:
        """``compute`` applied to the column's distinct values, one result per value (cached under ``key``)."""
        cached = self._per_value.get((name, key))
        if cached is None:
            uniques = self.codes(name)[1]
            values = pd.Series(uniques, dtype=object if self.is_text(name) else self.series(name).dtype)
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


def factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``factorize_column`` as the checks use it: codes (-1 = missing, smallest integer type) and the
    distinct values, in order of first use, as a numpy array.

    >>> codes, uniques = factorize(pd.Series(["a", None, "b", "a"], dtype=object))
    >>> codes.tolist(), uniques.tolist()
    ([0, -1, 1, 0], ['a', 'b'])
    """
    factorized = factorize_column(values)
    return factorized.codes, np.asarray(factorized.uniques)


def _read_with_our_reader(path: Path, name: str) -> DatasetData:
    """Our reader, already normalised: its text codes (-1 = blank) are the codes of ``normalise``,
    so blank -> missing is a change of the distinct values only (each text column is factorised once).
    The columns are kept as read; ``DatasetData.frame`` builds the frame if something asks for it."""
    from cdisc_msc.io.xpt import TextColumn, read_xpt_columns

    read = read_xpt_columns(path)
    columns = [ColumnHeader(v.name, v.label, v.type, v.length) for v in read.meta.variables]
    values = {column_name: (column.codes, column.uniques) if isinstance(column, TextColumn)
              else column.values  # float64, every missing value NaN (special missings too)
              for column_name, column in read.columns.items()}
    data = DatasetData(path=path, name=name, label=read.meta.label, columns=columns, xpt=read.meta,
                       read=values, nrows=read.records)
    data.searched = (read.data_start, read.data_end)
    return data


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
    try:
        try:
            return _read_with_our_reader(path, name)
        except ImportError:  # pragma: no cover - the reader is part of the package
            frame, label, columns, xpt = _read_with_pyreadstat(path)
            codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
            frame = normalise(frame, columns, codes)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding, not a crash
        return DatasetData(path=path, name=name, error=f"{type(exc).__name__}: {exc}")
    data = DatasetData(path=path, name=name, frame=frame, label=label, columns=columns, xpt=xpt)
    data._codes.update(codes)
    return data


READ_THREADS = 2
"""Files read at once: the reader's work is mostly numpy copies and pandas integer hashing, which
release the GIL, so two threads use the machine's two cores."""


def read_datasets(files: list[Path], threads: int = READ_THREADS) -> list[DatasetData]:
    """``read_dataset`` of each file, in the order of ``files``; read on ``threads`` threads, the
    biggest files first (so that no big file is left to read alone at the end)."""
    if threads <= 1 or len(files) <= 1:
        return [read_dataset(f) for f in files]
    sizes = [f.stat().st_size for f in files]
    with ThreadPoolExecutor(threads) as pool:
        started = {i: pool.submit(read_dataset, files[i]) for i in sorted(range(len(files)), key=lambda i: -sizes[i])}
        return [started[i].result() for i in range(len(files))]


def _text_column(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A text column with blank (and missing) values as NaN; its codes and distinct values."""
    codes, uniques = factorize(values)
    keep = np.array([u == u and u is not None and u != "" for u in uniques], dtype=bool)  # per distinct value
    if not keep.all():  # renumber without the blank value
        new = np.full(len(uniques) + 1, -1, dtype=codes.dtype)
        new[:-1][keep] = np.arange(int(keep.sum()))
        codes, uniques = new[codes], uniques[keep]
    return spread(np.asarray(uniques, dtype=object), codes, np.nan), codes, uniques


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


def xpt_files(path: Path) -> list[Path]:
    """The ``*.xpt`` files of a folder, sorted (subfolders ignored)."""
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".xpt")


def load_folder(path: Path, kind: str | None, define: Path | None,
                read: dict[Path, DatasetData] | None = None) -> Folder:
    """Read every ``*.xpt`` of ``path`` (sorted, subfolders ignored) and its define.xml.

    ``read``: files already read (``read_datasets`` of several folders at once keeps both
    threads busy to the end), by path.
    """
    define_path = define if define is not None else (path / "define.xml" if (path / "define.xml").is_file() else None)
    folder = Folder(path=path, kind=kind or "sdtm", define_path=define_path)
    _load_define(folder)
    if kind is None:
        folder.kind = guess_kind(path, folder.meta)
    files = xpt_files(path)
    read = read or {}
    for data in read_datasets([f for f in files if f not in read]):
        read[data.path] = data
    for data in (read[f] for f in files):
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
    files = [f for kind in present for f in xpt_files(root / kind)]
    read = dict(zip(files, read_datasets(files)))
    folders = []
    for kind in PACKAGE_FOLDERS:
        if kind in present:
            folders.append(load_folder(root / kind, kind, None, read))
        else:
            folders.append(Folder(path=root / kind, kind=kind, missing=True))
    if define is not None:
        meta = read_define(define)
        target = next(f for f in folders if f.kind == ("adam" if meta.purpose == "Analysis" else "sdtm"))
        target.define_path, target.meta = Path(define), meta
    return Package(root=root, folders=folders, is_root=True)


__all__ = [
    "ColumnHeader", "DatasetData", "Folder", "Package", "factorize", "guess_kind", "load_package", "read_dataset",
    "read_datasets", "read_member_name",
]
