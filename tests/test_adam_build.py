"""build_adam(consume=True): the SDTM dict is emptied as the build goes, each dataset
released after its last reader, and the ADaM datasets are the same as without it."""
from __future__ import annotations

import importlib
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from cdisc_msc.adam import build as adam_build
from cdisc_msc.config import load_config

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "fixtures" / "raw"
pytestmark = pytest.mark.skipif(not (RAW / "dm.csv").exists(), reason="fixture study not present")


@pytest.fixture(scope="module")
def inputs():
    from cdisc_msc.raw.readers import load_raw
    from cdisc_msc.sdtm.build import build_sdtm
    from cdisc_msc.spec.loader import load_spec

    config = load_config(ROOT / "specs" / "study.yaml")
    sdtm, _ = build_sdtm(config, load_spec(ROOT / "specs" / "sdtm"), load_raw(RAW, config))
    return config, load_spec(ROOT / "specs" / "adam"), sdtm


def test_consume_releases_each_sdtm_dataset_after_its_last_reader_and_changes_no_output(inputs, monkeypatch):
    config, spec, sdtm = inputs
    kept = adam_build.build_adam(config, spec, dict(sdtm))
    consumed_sdtm = dict(sdtm)
    seen: dict[str, set[str]] = {}
    real_import = importlib.import_module

    def watching(name):  # record which SDTM datasets are still held when each derivation starts
        module = real_import(name)

        class Watched:
            SDTM_INPUTS = module.SDTM_INPUTS

            @staticmethod
            def build(ctx):
                seen[name.rsplit(".", 1)[1]] = set(consumed_sdtm)
                return module.build(ctx)
        return Watched

    monkeypatch.setattr(adam_build, "importlib", SimpleNamespace(import_module=watching))
    consumed = adam_build.build_adam(config, spec, consumed_sdtm, consume=True)
    assert consumed_sdtm == {}
    assert "LB" not in seen["adsl"] and {"DM", "DS", "QS", "RS"} <= seen["adsl"]
    assert "QS" in seen["adqs"] and "QS" not in seen["adrs"] and "RS" in seen["adrs"]
    assert seen["adsl_baseline"] == set()
    assert sorted(kept) == sorted(consumed)
    for name in kept:
        pd.testing.assert_frame_equal(kept[name], consumed[name])
