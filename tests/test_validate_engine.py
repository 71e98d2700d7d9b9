"""Validator engine, helpers, reports, the CDISC pilot package and our own built package."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from cdisc_msc.validate import load_rules, validate_package
from cdisc_msc.validate.checks.dates import study_day_of
from cdisc_msc.validate.checks.util import iso_problems, one_to_one
from cdisc_msc.validate.engine import CHECKS
from cdisc_msc.validate.igmeta import domain_variables, resolve_version
from cdisc_msc.validate.model import Issue
from cdisc_msc.validate.package import DatasetData
from cdisc_msc.validate.result import ValidationResult

ROOT = Path(__file__).resolve().parents[1]
PILOT = Path("/work/shared/reference/cdiscpilot01-sdtm")


def test_rules_are_data_with_registered_checks():
    import cdisc_msc.validate.checks  # noqa: F401

    rules = load_rules()
    assert len({r.id for r in rules}) == len(rules)
    assert {r.check for r in rules} <= set(CHECKS)
    assert all(r.rationale and r.message for r in rules)
    wanted = {"TR001", "TR002", "TR003", "TR004", "TR005", "TR006", "TR007", "PK001", "PK002", "PK003", "PK004",
              "PK005", "ST001", "ST002", "ST003", "ST004", "ST005", "ST006", "ST007", "CT001", "CT003", "DT001",
              "DT002", "DT003", "DT004", "XD001", "XD002", "XD003", "AD001", "AD002", "AD003", "AD004", "AD005",
              "AD006", "AD007", "DF001", "DF002"}
    assert wanted <= {r.id for r in rules}


def test_iso8601_reasons():
    values = pd.Series(["2021-02-28", "2021-02-29", "2020-02-29", "2021-13-01", "2003---15", "2021-01-01T24:00",
                        "2021-01-01T10:61", "21-01-01", "2021-01-01/2021-01-32", None, "2021-06-15T08:30:15.5"])
    assert iso_problems(values).tolist() == [
        "", "impossible date", "", "month out of range", "", "hour out of range", "minute out of range",
        "not ISO 8601", "day out of range", "", "",
    ]


def test_study_day_has_no_day_zero():
    ref = pd.Series([pd.Timestamp("2019-02-01")] * 4)
    dates = pd.to_datetime(pd.Series(["2019-02-01", "2019-02-02", "2019-01-31", "2019-03-03"]))
    assert study_day_of(dates, ref).tolist() == [1.0, 2.0, -1.0, 31.0]


def test_one_to_one_flags_both_directions():
    frame = pd.DataFrame({"C": ["A", "A", "B", "D"], "N": ["x", "y", "z", "z"]})
    found = one_to_one(DatasetData(Path("x.xpt"), "X", frame=frame), "C", "N")
    assert sorted(zip(found["variable"], found["row"].astype(int))) == [("C", 0), ("C", 1), ("N", 2), ("N", 3)]


def test_ig_metadata_and_version_caveat():
    dm = domain_variables("SDTMIG", "3.4", "DM").set_index("variable")["core"]
    assert dm["SEX"] == "Req" and dm["RFSTDTC"] == "Exp"
    ae = domain_variables("SDTMIG", "3.4", "AE")
    assert "AETERM" in set(ae["variable"])
    assert resolve_version("SDTMIG", "3.4") == ("3.4", None)
    version, caveat = resolve_version("SDTMIG", "3.3")
    assert version == "3.4" and "3.3" in caveat


def test_reports_and_exit_code(tmp_path):
    rules = load_rules()
    issues = [Issue(rule="CT001", severity="error", dataset="DM", record=3, keys={"USUBJID": "S-1"},
                    variable="SEX", value="<X>", message="DM: SEX value <X> is not in codelist CL.SEX")]
    result = ValidationResult(path=tmp_path, issues=issues, rules=rules)
    assert result.exit_code == 1
    data = json.loads(result.to_json())
    assert data["counts"]["error"] == 1 and data["issues"][0]["record"] == 3
    page = result.to_html()
    assert "&lt;X&gt;" in page and "CT001" in page and "USUBJID=S-1" in page
    assert "CT001" in result.summary()
    json_path, html_path = result.write(tmp_path)
    assert json_path.exists() and html_path.exists()
    warning_only = ValidationResult(path=tmp_path, rules=rules, issues=[
        Issue(rule="ST003", severity="warning", dataset="AE", variable="AESER")])
    assert warning_only.exit_code == 0


@pytest.mark.skipif(not PILOT.is_dir(), reason="CDISC pilot package not available")
def test_pilot_package_runs_and_reports_the_standard_name_defect():
    started = time.perf_counter()
    result = validate_package(PILOT)
    seconds = time.perf_counter() - started
    print(f"pilot validated in {seconds:.1f} s: {dict(result.counts)}")
    schema = [i for i in result.issues if i.rule == "DF001"]
    assert any("STDTMIG" in i.message for i in schema), [i.message for i in schema]
    caveat = [i for i in result.issues if i.rule == "VC001"]
    assert caveat and "SDTMIG 3.3" in caveat[0].message and "3.4" in caveat[0].message
    assert result.exit_code == 1
    assert "issues" in json.loads(result.to_json())


def test_our_fixture_package_validates_clean(built_package):
    result = validate_package(built_package)
    assert [str(i) for i in result.blocking] == []


def test_chg_may_stay_empty_on_the_baseline_record_only():
    """AD002/AD003: an empty CHG/PCHG is fine on ABLFL='Y', an error after baseline."""
    from pathlib import Path

    import pandas as pd

    from cdisc_msc.validate.checks.adam import chg_consistent, pchg_consistent
    from cdisc_msc.validate.package import DatasetData

    class Ctx:
        params = {"tolerance": 1e-6}
        frame = pd.DataFrame({"AVAL": [10.0, 6.0, 8.0], "BASE": [10.0, 10.0, 10.0],
                              "CHG": [None, -4.0, None], "PCHG": [None, -40.0, None],
                              "ABLFL": ["Y", None, None]})
        ds = DatasetData(Path("adqs.xpt"), "ADQS", frame=frame)

    assert chg_consistent(Ctx)["row"].tolist() == [2]
    assert pchg_consistent(Ctx)["row"].tolist() == [2]


def test_duplicated_records_matches_pandas_sorted_or_not():
    """The linear path (records in key order) and the hashing path give DataFrame.duplicated's answer."""
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from cdisc_msc.validate.checks.util import duplicated_records
    from cdisc_msc.validate.package import DatasetData

    frame = pd.DataFrame({"USUBJID": ["A", "A", "A", None, None, "B", "B"],
                          "SEQ": [1.0, 1.0, 2.0, np.nan, np.nan, 1.0, 3.0]})
    for order in ([0, 1, 2, 3, 4, 5, 6], [3, 4, 0, 1, 2, 5, 6], [6, 0, 3, 1, 5, 4, 2]):
        part = frame.iloc[order].reset_index(drop=True)
        found = duplicated_records(DatasetData(Path("x.xpt"), "X", frame=part), ["USUBJID", "SEQ"])
        assert found.tolist() == part.duplicated(["USUBJID", "SEQ"], keep="first").tolist()


def test_iso_problems_common_shapes_still_checked():
    """Complete dates and date/times take the quick path only when they are real dates and clock times."""
    import pandas as pd

    from cdisc_msc.validate.checks.util import iso_problems

    values = pd.Series(["2024-02-29", "2023-02-29", "2023-04-31", "2023-01-01T23:59", "2023-01-01T24:00",
                        "2023-01-01T10:60", "2023-01-01T10:00:60", "2023-01-01T10:00:59", "2023-13-01", None])
    assert iso_problems(values).tolist() == ["", "impossible date", "impossible date", "", "hour out of range",
                                             "minute out of range", "", "", "month out of range", ""]
    # "10:00:60" passes as before this quick path (the full analysis lets a 60th second through)


def test_member_count_uses_the_readers_search(tmp_path):
    """xpt_structure skips the records our reader searched for a member header, and finds the same members."""
    import datetime as dt
    import mmap

    from cdisc_msc.io.meta import XptDataset, XptVariable
    from cdisc_msc.io.xpt import write_xpt
    from cdisc_msc.validate.checks.transport import header_problems
    from cdisc_msc.validate.package import read_dataset

    meta = XptDataset(name="TT", label="Test", variables=[XptVariable(name="A", label="A", type="char", length=8)],
                      created=dt.datetime(2025, 1, 2, 3, 4, 5))
    one = write_xpt(pd.DataFrame({"A": pd.Series(["x", "y"] * 50, dtype=object)}), meta, tmp_path).path
    two = tmp_path / "two.xpt"
    two.write_bytes(one.read_bytes() + one.read_bytes()[80 * 3:])  # a second member after the first
    for path, members in ((one, 1), (two, 2)):
        data = read_dataset(path)
        assert data.searched is not None and data.searched[1] == (path.stat().st_size if members == 1 else
                                                                   one.stat().st_size)
        with open(path, "rb") as handle:
            raw = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            assert header_problems(raw, data.searched) == header_problems(raw)
            assert any("2 datasets" in p for p in header_problems(raw)) == (members == 2)


def test_factorize_gives_numpy_distinct_values_in_order_of_first_use():
    import numpy as np

    from cdisc_msc.validate.package import factorize

    codes, uniques = factorize(pd.Series([2.0, np.nan, 1.0, 2.0]))
    assert codes.tolist() == [0, -1, 1, 0] and isinstance(uniques, np.ndarray) and uniques.tolist() == [2.0, 1.0]
    codes, uniques = factorize(pd.Series([None, np.nan], dtype=object))
    assert codes.tolist() == [-1, -1] and len(uniques) == 0
    codes, uniques = factorize(pd.Series([], dtype=object))
    assert len(codes) == 0 and len(uniques) == 0


def test_results_name_the_path_shown_instead_of_the_one_validated(built_package):
    shown = Path("/elsewhere/out")
    result = validate_package(built_package, rules=[], shown_as=shown)  # no rules: the facts only
    assert result.path == shown
    assert f"define {shown / 'sdtm' / 'define.xml'};" in result.facts["sdtm"]
    assert f"define {shown / 'adam' / 'define.xml'};" in result.facts["adam"]
    assert str(built_package) not in result.to_json() and str(built_package) not in result.to_html()
    plain = validate_package(built_package, rules=[])
    assert plain.path == built_package and f"define {built_package / 'sdtm' / 'define.xml'};" in plain.facts["sdtm"]
