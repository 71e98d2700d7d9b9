"""The command line: every subcommand explains itself, and the spec commands work end to end."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cdisc_msc.cli import main
from cdisc_msc.spec.loader import load_spec

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", ["build", "simulate", "validate", "define", "report", "spec"])
def test_help_explains_each_command(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert f"usage: cdisc-msc {command}" in capsys.readouterr().out


def test_spec_check_passes_on_the_shipped_specs(capsys):
    assert main(["spec", "check", "--specs", str(ROOT / "specs")]) == 0
    out = capsys.readouterr().out
    assert "sdtm: 20 datasets; 0 error(s), 0 warning(s)" in out
    assert "adam: 6 datasets; 0 error(s), 0 warning(s)" in out


def test_spec_workbook_export_then_import_is_lossless(tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    book = tmp_path / "adam.xlsx"
    assert main(["spec", "export", "--package", "adam", "--specs", str(specs), "--out", str(book)]) == 0
    # refuses to overwrite silently, then imports with --overwrite
    assert main(["spec", "import", str(book), "--package", "adam", "--specs", str(specs)]) == 1
    assert main(["spec", "import", str(book), "--package", "adam", "--specs", str(specs), "--overwrite"]) == 0
    assert load_spec(specs / "adam", "adam") == load_spec(ROOT / "specs" / "adam", "adam")


def test_simulate_writes_every_form(tmp_path):
    assert main(["simulate", "--subjects", "5", "--seed", "3", "--out", str(tmp_path / "raw"),
                 "--specs", str(ROOT / "specs")]) == 0
    from cdisc_msc.raw.forms import FORMS

    assert sorted(p.stem for p in (tmp_path / "raw").glob("*.csv")) == sorted(FORMS)
