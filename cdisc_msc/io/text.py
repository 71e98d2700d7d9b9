"""ASCII for the transport files: accented text (French verbatim terms) is
transliterated once, before any writer runs, so XPT and Dataset-JSON carry the
same values, and every changed value is listed for the build report."""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import FrameColumns, all_str, columns_for, rows_with, text_properties
from cdisc_msc.io.xpt import transliterate_text

CHANGE_COLUMNS = ["dataset", "variable", "record", "original", "ascii"]


def _non_ascii(uniques: np.ndarray) -> np.ndarray:
    """Which distinct values are text with a non-ASCII character.

    >>> _non_ascii(np.array(["a", "é", None, 1.5], dtype=object)).tolist()
    [False, True, False, False]
    """
    props = text_properties(uniques) if all_str(uniques) else None
    if props is not None:
        return props.non_ascii
    return (~pd.Series(uniques, dtype=object).astype("string").str.isascii()).fillna(False).to_numpy(dtype=bool)


def transliterate_frame(frame: pd.DataFrame, dataset: str,
                        columns: FrameColumns | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the frame with every non-ASCII text value transliterated, and
    one row per changed value (dataset, variable, 1-based record, original, ascii).

    Only the distinct non-ASCII values are transliterated (vectorised lookup).
    ``columns``, the column cache of ``frame``, is used for the distinct values;
    ``transliterated_columns`` gives the cache of the returned frame.

    >>> f, ch = transliterate_frame(pd.DataFrame({"AETERM": ["Fièvre", "Rash"]}), "AE")
    >>> f.AETERM.tolist(), ch.ascii.tolist()
    (['Fievre', 'Rash'], ['Fievre'])
    """
    columns = columns_for(frame, columns)
    out = frame.copy(deep=False)  # copy-on-write: only a changed column is copied
    changes: dict[str, list] = {name: [] for name in CHANGE_COLUMNS[1:]}
    for col, dtype in frame.dtypes.items():  # no Series per column just to test its type
        if pd.api.types.is_numeric_dtype(dtype):
            continue
        factorized = columns.get(col)  # the ASCII test runs once per distinct value
        props = columns.text(col)
        uniques = np.asarray(factorized.uniques, dtype=object)
        distinct_non_ascii = props.non_ascii if props is not None else _non_ascii(uniques)
        if not distinct_non_ascii.any():
            continue
        ascii_uniques = uniques.copy()
        for i in np.flatnonzero(distinct_non_ascii):  # once per distinct value
            ascii_uniques[i] = transliterate_text(uniques[i])
        rows = rows_with(distinct_non_ascii, factorized.codes)
        row_codes = factorized.codes[rows]
        values = frame[col].to_numpy(dtype=object, copy=True)  # numpy, not ``loc``: a fixed cost per column less
        values[rows] = ascii_uniques[row_codes]
        # a categorical's categories do not hold the new values (they would become NaN): text instead
        kept = object if isinstance(dtype, pd.CategoricalDtype) else dtype
        out[col] = pd.Series(values, index=frame.index, dtype=kept, copy=False)
        for name, part in zip(CHANGE_COLUMNS[1:], (np.full(len(rows), col, dtype=object), rows + 1,
                                                   uniques[row_codes], ascii_uniques[row_codes])):
            changes[name].append(part)
    if not changes["record"]:
        return out, pd.DataFrame(columns=CHANGE_COLUMNS)
    return out, pd.DataFrame({"dataset": dataset, **{name: np.concatenate(parts) for name, parts in changes.items()}})


def transliterated_columns(columns: FrameColumns, frame: pd.DataFrame, changes: pd.DataFrame) -> FrameColumns:
    """The column cache of ``frame``, the frame ``transliterate_frame`` returned with ``changes``
    for the frame of ``columns``: the unchanged columns keep their factorisation."""
    changed = set(pd.unique(changes["variable"].to_numpy(dtype=object))) if len(changes) else set()
    return columns.moved_to(frame, changed)
