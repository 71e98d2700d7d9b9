"""RS: SELENA-SLEDAI descriptors and PGA (sledai.csv) and classic BILAG system
grades (bilag.csv) as clinical classifications, one record per item.

* Test codes are sponsor defined (no CDISC QRS supplement exists for these
  instruments): SLED101..SLED124 and BILAG101..BILAG108 from
  :mod:`cdisc_msc.scoring` (one source), PGA101 from :mod:`.instruments`.
* RSORRES = RSSTRESC = the answer as collected: Y/N for a descriptor, the
  grade letter A..E for a BILAG system, the PGA value (0..3); RSSTRESN only
  for the PGA. Weights, grade scores and totals are derived in ADaM.
* Not-recorded items: RSSTAT = NOT DONE (RSREASND = the form's reason when
  the whole form was not done); RSDTC is the form date, else the SV visit date.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.sdtm.build import SdtmContext
from cdisc_msc.sdtm.instruments import PGA_TESTCD, Item, bilag_items, item_domain, sledai_items

FORMS: dict[str, list[Item]] = {"sledai": sledai_items(), "bilag": bilag_items()}
NUMERIC_TESTCDS: frozenset[str] = frozenset({PGA_TESTCD})
"""Test codes whose result is a number (RSSTRESN populated)."""


def build(ctx: SdtmContext) -> dict[str, pd.DataFrame]:
    """RS from sledai.csv and bilag.csv: identifiers and timing per form row,
    then one record per item."""
    return {"RS": item_domain(ctx, "RS", FORMS, NUMERIC_TESTCDS,
                              "{n} item records per form; not-recorded items RSSTAT=NOT DONE")}
