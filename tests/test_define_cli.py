"""`cdisc-msc define` regenerates define.xml from the specs and existing XPT
files; a label change in the spec changes exactly that label."""
from __future__ import annotations

import difflib
import shutil
from pathlib import Path

from cdisc_msc.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_label_change_changes_exactly_that_label(built_package, tmp_path):
    package = tmp_path / "out"
    shutil.copytree(built_package, package)
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    before = (package / "sdtm" / "define.xml").read_text(encoding="utf-8").splitlines()

    ae = specs / "sdtm" / "datasets" / "ae.yaml"
    text = ae.read_text(encoding="utf-8")
    assert text.count("label: Reported Term for the Adverse Event,") == 1
    ae.write_text(text.replace("label: Reported Term for the Adverse Event,",
                               "label: Verbatim Adverse Event Term,"), encoding="utf-8")

    assert main(["define", "--package", str(package), "--specs", str(specs)]) == 0
    after = (package / "sdtm" / "define.xml").read_text(encoding="utf-8").splitlines()
    changed = [line for line in difflib.unified_diff(before, after, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changed) == 2
    assert "Reported Term for the Adverse Event" in changed[0] and changed[0].startswith("-")
    assert changed[1] == changed[0].replace("-", "+", 1).replace(
        "Reported Term for the Adverse Event", "Verbatim Adverse Event Term")
    # the ADaM define is regenerated too, unchanged
    assert (package / "adam" / "define.xml").read_bytes() == (built_package / "adam" / "define.xml").read_bytes()


def test_define_regenerated_without_changes_is_identical(built_package, tmp_path):
    package = tmp_path / "out"
    shutil.copytree(built_package, package)
    assert main(["define", "--package", str(package), "--specs", str(ROOT / "specs")]) == 0
    for pkg in ("sdtm", "adam"):
        for name in ("define.xml", "define.html"):
            assert (package / pkg / name).read_bytes() == (built_package / pkg / name).read_bytes()
