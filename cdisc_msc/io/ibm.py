"""IEEE 754 double -> IBM System/370 double (the numeric format of SAS transport v5); the reader
decodes them in ``cdisc_msc.io.xpt`` (``_read_numeric``).

An IBM double is 1 sign bit, a 7-bit base-16 exponent in excess 64 and a
56-bit fraction ``0.f``: value = (-1)^s * f * 16^(e - 64). Every finite
IEEE double with 5.4e-79 <= |x| < 7.2e75 (2^-260 .. 2^252) converts exactly:
its 53-bit significand fits in the 56-bit fraction with up to 3 leading
zero bits. SAS missing values are the byte ``.`` (0x2E), ``A``-``Z`` or
``_`` followed by seven zero bytes.

All functions are vectorised over numpy arrays.
"""
from __future__ import annotations

import numpy as np

IBM_MIN = 2.0 ** -260
"""Smallest magnitude an IBM double holds (about 5.4e-79)."""
IBM_MAX_EXCLUSIVE = 2.0 ** 252
"""Magnitudes from here up (about 7.2e75) overflow the IBM exponent."""

MISSING_CODES = "." + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "_"
"""SAS missing value letters: ordinary ``.``, then special ``.A``-``.Z`` and ``._``."""

_EXP_SHIFT = 763
"""IEEE biased exponent e maps to IBM exponent (e - 763) // 4, fraction shift (e - 763) % 4."""
FRACTION_MASK = np.uint64((1 << 56) - 1)
"""The 56-bit fraction of an IBM double (its low bits)."""
_MANTISSA_MASK = np.uint64((1 << 52) - 1)
_HIDDEN_BIT = np.uint64(1 << 52)


def ibm_representable(values: np.ndarray) -> np.ndarray:
    """Boolean mask: zero, NaN or a finite magnitude within the IBM range."""
    values = np.asarray(values, dtype=np.float64)
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore"):
        in_range = (magnitude >= IBM_MIN) & (magnitude < IBM_MAX_EXCLUSIVE)
    return in_range | (values == 0) | np.isnan(values)


def ieee_to_ibm(values: np.ndarray, missing_codes: np.ndarray | None = None) -> np.ndarray:
    """Convert float64 values to IBM doubles as big-endian 8-byte words (uint64, '>u8').

    NaN becomes the SAS missing value: ``.`` or, where ``missing_codes``
    (uint8 ASCII codes, 0 for none) says so, the special missing letter.
    Zero and -0.0 become eight zero bytes. Values outside the IBM range must be
    rejected beforehand (see ``ibm_representable``); they are not detected here.
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    bits = values.view(np.uint64)
    sign = bits & np.uint64(1 << 63)
    biased = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - _EXP_SHIFT
    exponent = (biased >> 2).astype(np.uint64)
    shift = (biased & 3).astype(np.uint64)
    fraction = ((bits & _MANTISSA_MASK) | _HIDDEN_BIT) << shift
    words = sign | (exponent << np.uint64(56)) | (fraction & FRACTION_MASK)
    words[values == 0] = 0
    nan = np.isnan(values)
    if nan.any():
        codes = np.full(values.shape, ord("."), dtype=np.uint64)
        if missing_codes is not None:
            given = np.asarray(missing_codes, dtype=np.uint64)
            codes = np.where(given != 0, given, codes)
        words[nan] = codes[nan] << np.uint64(56)
    return words.astype(">u8")

