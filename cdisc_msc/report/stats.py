"""Summary statistics of the report: exact binomial CIs and descriptive statistics.

Proportions: n/N, percentage and the exact Clopper-Pearson 95% CI (beta
quantiles; lower bound 0 when n = 0, upper bound 1 when n = N; undefined when
N = 0). Continuous values: n, mean, SD (N-1 divisor), median, quartiles, min,
max over the non-missing values; quartiles by :data:`QUARTILE_DEFINITION`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaincinv  # the beta quantile (scipy.stats.beta.ppf), without importing scipy.stats

CI_LEVEL = 0.95
QUARTILE_DEFINITION = (
    "Quartiles (Q1, Q3) and median by linear interpolation between order statistics: position 1 + (n - 1) x p "
    "in the sorted values (numpy/pandas 'linear', Hyndman-Fan type 7, R's default; not SAS QNTLDEF=5)."
)
SD_DEFINITION = "SD with divisor n - 1 (missing when n = 1)."
CI_DEFINITION = "Exact (Clopper-Pearson) two-sided 95% confidence interval of the proportion."
DESCRIBE_COLUMNS = ("n", "mean", "sd", "median", "q1", "q3", "min", "max")


def clopper_pearson(n: np.ndarray | int, total: np.ndarray | int,
                    level: float = CI_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Exact two-sided CI of n/total, vectorised; NaN where total = 0.

    >>> lo, hi = clopper_pearson(5, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.1871, 0.8129)
    """
    n = np.asarray(n, dtype="float64")
    total = np.asarray(total, dtype="float64")
    alpha = 1.0 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(n > 0, betaincinv(np.maximum(n, 1e-300), total - n + 1, alpha / 2), 0.0)
        hi = np.where(n < total, betaincinv(n + 1, np.maximum(total - n, 1e-300), 1 - alpha / 2), 1.0)
    empty = total <= 0
    return np.where(empty, np.nan, lo), np.where(empty, np.nan, hi)


def proportions(counts: pd.DataFrame, n: str = "n", total: str = "N") -> pd.DataFrame:
    """``counts`` with pct (0-100), ci_low and ci_high (0-100) added.

    >>> proportions(pd.DataFrame({"n": [0], "N": [10]}))[["pct", "ci_low", "ci_high"]].round(2).values.tolist()
    [[0.0, 0.0, 30.85]]
    """
    out = counts.copy()
    x = out[n].to_numpy(dtype="float64")
    t = out[total].to_numpy(dtype="float64")
    lo, hi = clopper_pearson(x, t)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["pct"] = np.where(t > 0, 100.0 * x / np.where(t > 0, t, 1.0), np.nan)
    out["ci_low"], out["ci_high"] = 100.0 * lo, 100.0 * hi
    return out


def describe(frame: pd.DataFrame, value: str, by: list[str]) -> pd.DataFrame:
    """n, mean, sd, median, q1, q3, min, max of ``value`` (non-missing) per ``by`` group.

    >>> d = pd.DataFrame({"g": ["a"] * 4, "v": [1.0, 2.0, 4.0, None]})
    >>> describe(d, "v", ["g"])[["n", "median", "q1", "q3"]].values.tolist()
    [[3.0, 2.0, 1.5, 3.0]]
    """
    values = frame[by].copy()
    values["_v"] = pd.to_numeric(frame[value], errors="coerce").astype("float64")
    values = values[values["_v"].notna()]
    grouped = values.groupby(by, sort=False, dropna=False)["_v"]
    out = pd.DataFrame({
        "n": grouped.count().astype("float64"),
        "mean": grouped.mean(),
        "sd": grouped.std(ddof=1),
        "median": grouped.median(),
        "q1": grouped.quantile(0.25, interpolation="linear"),
        "q3": grouped.quantile(0.75, interpolation="linear"),
        "min": grouped.min(),
        "max": grouped.max(),
    })
    return out.reset_index()


__all__ = ["CI_DEFINITION", "CI_LEVEL", "DESCRIBE_COLUMNS", "QUARTILE_DEFINITION", "SD_DEFINITION",
           "clopper_pearson", "describe", "proportions"]
