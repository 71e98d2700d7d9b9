"""How the shipped fixtures were made (kept so they can be re-made and reviewed).

``fixtures/raw/``  = ``make_fixture(...)``: 12 screened, 2 screen failures, 10
infused (cohorts 3/3/4), seed :data:`FIXTURE_SEED` (chosen because it shows
every feature pinned in ``tests/test_raw_fixture.py``).

``fixtures/bad/<name>/`` = a byte copy of ``fixtures/raw`` with exactly one
defect (:data:`BAD_SETS`): one cell changed or one column removed.
"""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from cdisc_msc.config import StudyConfig
from cdisc_msc.simulate.study import simulate_study

FIXTURE_SEED = 16
FIXTURE_SUBJECTS = 12
FIXTURE_SCREEN_FAIL = 2

# name -> (file, 1-based data row, column, new value or None to drop the column)
BAD_SETS: dict[str, tuple[str, int, str, str | None]] = {
    "unparseable_date": ("ae.csv", 1, "AESTDT", "08/02/2023"),
    "impossible_date": ("sv.csv", 3, "VISDT", "2024-02-30"),
    "codelist": ("dm.csv", 4, "SEX", "Female"),
    "subject_not_in_dm": ("ae.csv", 5, "SUBJID", "099"),
    "duplicate_record": ("ae.csv", 2, "AESPID", "1"),
    "out_of_range": ("sledai.csv", 2, "PGA", "4.5"),
    "missing_column": ("dm.csv", 0, "SEX", None),
    "non_numeric_dose": ("gc.csv", 1, "GCDOSE", "10 mg"),
}


def make_fixture(out_dir: str | Path, config: StudyConfig) -> dict[str, int]:
    return simulate_study(FIXTURE_SUBJECTS, FIXTURE_SEED, out_dir, config,
                          n_screen_fail=FIXTURE_SCREEN_FAIL, n_not_infused=0)


def _edit(text: str, row: int, column: str, value: str | None) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    j = header.index(column)
    if value is None:
        rows = [r[:j] + r[j + 1:] for r in rows]
    else:
        rows[row][j] = value
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def make_bad_sets(raw_dir: str | Path, bad_dir: str | Path) -> None:
    raw_dir, bad_dir = Path(raw_dir), Path(bad_dir)
    for name, (fname, row, column, value) in BAD_SETS.items():
        d = bad_dir / name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        for p in sorted(raw_dir.glob("*.csv")):
            shutil.copyfile(p, d / p.name)
        target = d / fname
        target.write_text(_edit(target.read_text(encoding="utf-8"), row, column, value), encoding="utf-8")
