"""The study configuration loads and rejects inconsistent values clearly."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cdisc_msc.config import ConfigError, load_config

SPECS = Path(__file__).resolve().parents[1] / "specs"


def test_shipped_configuration():
    c = load_config(SPECS / "study.yaml")
    assert c.studyid == "MSC-SLE"
    assert c.registry_ids["NCT"] == "NCT03562065"
    assert [a.dose for a in c.arms] == [1, 2, 4]
    assert [(w.avisitn, w.start_day, w.end_day, w.target_day) for w in c.analysis_windows] == [
        (1, 2, 60, 31), (3, 61, 135, 91), (6, 136, 225, 181), (9, 226, 315, 271), (12, 316, 455, 366)]
    assert c.steroids.conversion["METHYLPREDNISOLONE"] == 1.25
    assert c.steroids.conversion["DEXAMETHASONE"] == 6.67
    assert c.sf36_norms.mean["PF"] == 83.29094 and c.sf36_norms.mcs_coef["MH"] == 0.48581
    assert len(c.comorbidities) >= 10
    assert c.creation_datetime.isoformat() == "2026-11-01T09:00:00"


def test_overlapping_windows_rejected(tmp_path):
    data = yaml.safe_load((SPECS / "study.yaml").read_text())
    data["analysis_windows"][1]["start_day"] = 50
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match="Month 1 and Month 3 overlap"):
        load_config(tmp_path / "study.yaml")


def test_missing_and_bad_fields_all_named(tmp_path):
    data = yaml.safe_load((SPECS / "study.yaml").read_text())
    del data["studyid"]
    data["sf36_norms"]["mean"].pop("PF")
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "study.yaml")
    text = str(err.value)
    assert "studyid: Field required" in text
    assert "sf36_norms" in text and "PF" in text


def test_unreadable_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read study configuration"):
        load_config(tmp_path / "nope.yaml")
