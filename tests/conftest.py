"""Shared fixtures: the fixture study built once per test session."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def built_package(tmp_path_factory) -> Path:
    """``cdisc-msc build`` of ``fixtures/raw`` into a temporary ``out/`` (once per session)."""
    from cdisc_msc.pipeline import build

    out = tmp_path_factory.mktemp("package") / "out"
    build(ROOT / "fixtures" / "raw", ROOT / "specs", out, echo=lambda _m: None)
    return out
