"""Find and load what is validated: a package root (``sdtm/`` and ``adam/``) or one folder of XPT files.

Reading goes through ``read_dataset`` (an adapter: our XPT v5 reader, else
pyreadstat) so the reader can be swapped. Character values are right-stripped
and blank values become missing (NaN), so ``notna()`` means "has a value" for
every column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def domain(self) -> str:
        """The domain of the dataset: DOMAIN's value when present, else the name (SUPPAE -> SUPPAE)."""
        if self.frame is not None and "DOMAIN" in self.frame.columns:
            values = self.frame["DOMAIN"].dropna()
            if len(values):
                return str(values.iloc[0])
        return self.name

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


def _read_with_our_reader(path: Path) -> tuple[pd.DataFrame, str, list[ColumnHeader]]:
    from cdisc_msc.io.xpt import read_xpt

    frame, meta = read_xpt(path)
    columns = [ColumnHeader(v.name, v.label, v.type, v.length) for v in meta.variables]
    return frame, meta.label, columns


def _read_with_pyreadstat(path: Path) -> tuple[pd.DataFrame, str, list[ColumnHeader]]:
    import pyreadstat

    frame, meta = pyreadstat.read_xport(str(path))
    columns = [ColumnHeader(n, meta.column_names_to_labels.get(n) or "",
                            "num" if meta.readstat_variable_types.get(n) == "double" else "char",
                            int(meta.variable_storage_width.get(n) or 8)) for n in meta.column_names]
    return frame, meta.file_label or "", columns


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
            frame, label, columns = _read_with_our_reader(path)
        except ImportError:  # pragma: no cover - the reader is part of the package
            frame, label, columns = _read_with_pyreadstat(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding, not a crash
        return DatasetData(path=path, name=name, error=f"{type(exc).__name__}: {exc}")
    return DatasetData(path=path, name=name, frame=normalise(frame, columns), label=label, columns=columns)


def normalise(frame: pd.DataFrame, columns: list[ColumnHeader]) -> pd.DataFrame:
    """Text columns: blank -> missing (readers strip trailing blanks); numeric columns float (special missings -> NaN)."""
    out = {}
    for c in columns:
        s = frame[c.name]
        if c.type == "char":
            values = s.astype(object)
            out[c.name] = values.where(values.notna() & (values != ""), np.nan)
        else:
            out[c.name] = pd.to_numeric(s, errors="coerce").astype("float64")
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


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
    "ColumnHeader", "DatasetData", "Folder", "Package", "guess_kind", "load_package", "read_dataset",
    "read_member_name",
]
