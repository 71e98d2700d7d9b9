"""Integer codes for join and group keys (speed of the BDS derivations).

A pandas merge or group-by on text keys (USUBJID, PARAMCD) hashes every
string again and, for a merge, copies every column of the left frame. Here
each key column is hashed once into integer codes; joins become an integer
index lookup plus a take of the wanted columns only, and group-bys run on one
int64 column. Missing key values equal each other, as in a pandas merge.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdisc_msc.io.columns import combined_key
from cdisc_msc.spec.apply import sorted_codes


def key_codes(frames: Sequence[pd.DataFrame], by: Sequence[str], sort: bool = False) -> list[np.ndarray]:
    """One int64 code per row of each frame; two rows (of any of the frames)
    get the same code exactly when their ``by`` values are equal.

    With ``sort`` the codes ascend with the key tuples (each column sorted,
    missing values last), so ordering by code orders by the keys. The frames'
    rows are coded together (``io.columns.combined_key``, renumbered only
    where the key would overflow), then split back per frame.

    >>> a = pd.DataFrame({"U": ["S2", "S1", "S2"], "V": [1.0, 1.0, 2.0]})
    >>> [c.tolist() for c in key_codes([a, a.iloc[:1]], ["U", "V"], sort=True)]
    [[2, 0, 3], [2]]
    """
    lengths = [len(f) for f in frames]
    # codes in value order, missing last, whether or not ``sort`` asks for it: text is factorised
    # by object identity first (a pointer hash; no string hashed), then its few distinct values sorted
    columns = [sorted_codes(_stacked(frames, col), na_first=False) for col in by]
    key = combined_key([codes for codes, _ in columns], [n for _, n in columns], sum(lengths), missing=False,
                       refactorize="sorted" if sort else True)
    return np.split(key, np.cumsum(lengths)[:-1])


def _stacked(frames: Sequence[pd.DataFrame], col: str) -> pd.Series:
    """Column ``col`` of the frames one after the other (the frame's own column when there is one).

    >>> _stacked([pd.DataFrame({"U": ["a"]}), pd.DataFrame({"U": ["b", "c"]})], "U").tolist()
    ['a', 'b', 'c']
    """
    return frames[0][col] if len(frames) == 1 else pd.concat([f[col] for f in frames], ignore_index=True)


def lookup_rows(left: pd.DataFrame, right: pd.DataFrame, by: Sequence[str]) -> np.ndarray:
    """For each row of ``left``, the position of the ``right`` row with the same
    ``by`` values (``right`` unique by ``by``), -1 where there is none.

    >>> lookup_rows(pd.DataFrame({"U": ["S2", "S9", "S1"]}), pd.DataFrame({"U": ["S1", "S2"]}), ["U"]).tolist()
    [1, -1, 0]
    """
    if len(by) == 1:  # one key: a hash table of the (few) right values, probed by each left row
        return pd.Index(right[by[0]]).get_indexer(left[by[0]])
    left_codes, right_codes = key_codes([left, right], by)
    return pd.Index(right_codes).get_indexer(left_codes)


def take_rows(values: pd.Series, rows: np.ndarray, index: pd.Index) -> pd.Series:
    """``values`` at positions ``rows`` (-1 -> missing), on ``index``: what a left
    merge gives (an integer or boolean column widens only where a row is missing).

    >>> take_rows(pd.Series([10, 20]), np.array([1, -1]), pd.RangeIndex(2)).tolist()
    [20.0, nan]
    """
    taken = values.array.take(rows, allow_fill=True)
    if isinstance(values.dtype, np.dtype):
        taken = np.asarray(taken)  # plain numpy; dtype given so pandas 3 does not infer str for objects
    return pd.Series(taken, index=index, name=values.name, dtype=taken.dtype)
