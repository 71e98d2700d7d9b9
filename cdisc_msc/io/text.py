"""ASCII for the transport files: accented text (French verbatim terms) is
transliterated once, before any writer runs, so XPT and Dataset-JSON carry the
same values, and every changed value is listed for the build report."""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdisc_msc.io.xpt import transliterate_text

CHANGE_COLUMNS = ["dataset", "variable", "record", "original", "ascii"]


def transliterate_frame(frame: pd.DataFrame, dataset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the frame with every non-ASCII text value transliterated, and
    one row per changed value (dataset, variable, 1-based record, original, ascii).

    Only the distinct non-ASCII values are transliterated (vectorised lookup).

    >>> f, ch = transliterate_frame(pd.DataFrame({"AETERM": ["Fièvre", "Rash"]}), "AE")
    >>> f.AETERM.tolist(), ch.ascii.tolist()
    (['Fievre', 'Rash'], ['Fievre'])
    """
    out = frame.copy(deep=False)  # copy-on-write: only a changed column is copied
    changes = []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s):
            continue
        codes, uniques = pd.factorize(s)  # the ASCII test runs once per distinct value
        distinct_non_ascii = (~pd.Series(uniques, dtype=object).astype("string").str.isascii()).fillna(False)
        if not distinct_non_ascii.any():
            continue
        text = s.astype("string")
        non_ascii = np.append(distinct_non_ascii.to_numpy(dtype=bool), False)[np.asarray(codes)]
        originals = text[non_ascii]
        mapping = {v: transliterate_text(v) for v in pd.unique(originals.to_numpy(dtype=object))}
        new = originals.map(mapping)
        out.loc[non_ascii, col] = new.to_numpy(dtype=object)
        changes.append(pd.DataFrame({
            "dataset": dataset, "variable": col,
            "record": (non_ascii.nonzero()[0] + 1),
            "original": originals.to_numpy(dtype=object), "ascii": new.to_numpy(dtype=object),
        }))
    if not changes:
        return out, pd.DataFrame(columns=CHANGE_COLUMNS)
    return out, pd.concat(changes, ignore_index=True)
