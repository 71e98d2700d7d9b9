"""QS: SF-36 v2 (sf36.csv) and EQ-5D-5L (eq5d.csv) items, one record per item
per questionnaire.

* QSTESTCD/QSTEST/QSCAT from CDISC CT (see :mod:`.instruments`).
* QSORRES = QSSTRESC = the answer as collected (the category number, e.g.
  ``"3"``; the EQ VAS value); QSSTRESN = the same number. Response texts are
  the decodes of the value-level codelists in the QS spec. Recoded scores
  are derived in ADaM, never here.
* An item not answered is a record with QSSTAT = NOT DONE. A questionnaire not
  done (QSND given) gives a NOT DONE record for each of its items with
  QSREASND = the reason (no QSALL record, so every QSTESTCD stays in the
  non-extensible CT codelists). QSDTC is the questionnaire date, else the
  SV visit date.
"""
from __future__ import annotations

import pandas as pd

from cdisc_msc.sdtm.build import SdtmContext
from cdisc_msc.sdtm.instruments import Item, eq5d_items, item_domain, sf36_items

FORMS: dict[str, list[Item]] = {"sf36": sf36_items(), "eq5d": eq5d_items()}


def build(ctx: SdtmContext) -> dict[str, pd.DataFrame]:
    """QS from sf36.csv and eq5d.csv: identifiers and timing per questionnaire
    (form row), then one record per item."""
    return {"QS": item_domain(ctx, "QS", FORMS, True,
                              "{n} item records per questionnaire; unanswered items QSSTAT=NOT DONE")}
