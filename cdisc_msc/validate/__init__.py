"""Conformance validation of an SDTM/ADaM package (ours or anyone's): ``validate_package``.

    >>> result = validate_package("out")                      # doctest: +SKIP
    >>> print(result.summary()); result.exit_code              # doctest: +SKIP

Rules are data (``cdisc_msc/data/rules/*.yaml``); checks are registered
functions (``cdisc_msc/validate/checks``). See ``engine`` for the design.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterable

from cdisc_msc.spec.ct import DEFAULT_VERSION as DEFAULT_CT
from cdisc_msc.validate.engine import Options, load_rules, run
from cdisc_msc.validate.igmeta import SHIPPED, resolve_version
from cdisc_msc.validate.metadata import PackageMeta, from_spec
from cdisc_msc.validate.model import Issue, Rule
from cdisc_msc.validate.package import Folder, Package, load_package
from cdisc_msc.validate.result import ValidationResult


def _declared_version(folder: Folder, config: Any) -> str | None:
    """The IG version the define (or spec) declares; else the study configuration's; else None."""
    if folder.meta is not None and folder.meta.ig() is not None:
        return folder.meta.ig().version
    standards = getattr(config, "standards", None)
    if standards is not None:
        return standards.adamig if folder.kind == "adam" else standards.sdtmig
    return None


def _ct_caveat(folder: Folder) -> str | None:
    """A note when the define declares a CT version other than the shipped one."""
    if folder.meta is None:
        return None
    declared = sorted({s.version for s in folder.meta.standards if s.type == "CT"
                       and (s.publishing_set or "").upper() in ("SDTM", "ADAM")})
    other = [v for v in declared if v != DEFAULT_CT]
    if not other:
        return None
    return (f"define.xml declares CDISC CT {', '.join(other)}; only CT {DEFAULT_CT} is shipped, so values of "
            f"variables without a define codelist were checked against CT {DEFAULT_CT} as warnings")


def shown_path(file: Path, root: Path, shown_as: Path | None) -> Path:
    """``file`` as the results name it: moved from under ``root`` to under ``shown_as`` when that is given
    (a package validated in a staging folder that is then renamed into place).

    >>> shown_path(Path("/t/.out.staging-1/sdtm/define.xml"), Path("/t/.out.staging-1"), Path("/t/out")).as_posix()
    '/t/out/sdtm/define.xml'
    """
    if shown_as is None or not file.is_relative_to(root):
        return file
    return shown_as / file.relative_to(root)


def _attach_specs(package: Package, specs: dict[str, Any] | None) -> None:
    """Use our spec as the metadata of folders that have no define.xml."""
    for folder in package.folders:
        spec = (specs or {}).get(folder.kind)
        if folder.meta is None and folder.define_path is None and spec is not None:
            folder.meta = spec if isinstance(spec, PackageMeta) else from_spec(spec)


def validate_package(
    path: str | Path,
    *,
    define: Path | None = None,
    config: Any = None,
    specs: dict[str, Any] | None = None,
    rules: Iterable[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    define_schema: Path | None = None,
    cap: int = 100,
    shown_as: Path | None = None,
) -> ValidationResult:
    """Validate a package root (``sdtm/``, ``adam/``) or one folder of SDTM or ADaM XPT files.

    ``define`` overrides the folder's ``define.xml``; ``config`` is the study
    configuration (its standards are the versions assumed without a define);
    ``specs`` maps ``sdtm``/``adam`` to our metadata spec, used where there is
    no define.xml; ``rules`` limits the run to some rule ids; ``params``
    overrides rule parameters (``{"TR007": {"max_bytes": 10}}``);
    ``define_schema`` is an XSD used when the define schema validator of the
    package is not installed; ``shown_as`` is the path the results name
    instead of ``path`` (for the package's files too).
    """
    started = time.perf_counter()
    package = load_package(path, define=Path(define) if define else None)
    _attach_specs(package, specs)
    facts: dict[str, Any] = {"layout": "package root" if package.is_root else "single folder"}
    for folder in package.folders:
        if folder.missing:
            facts[folder.kind] = "absent"
            continue
        folder.ig_version, folder.caveat = resolve_version(folder.ig, _declared_version(folder, config))
        folder.ct_caveat = _ct_caveat(folder)
        declared = folder.meta.ig() if folder.meta is not None else None
        define_file = shown_path(folder.define_path, package.root, shown_as) if folder.define_path else "none"
        facts[folder.kind] = (f"{len(folder.datasets)} dataset(s); define {define_file}; "
                              f"declares {declared.name + ' ' + declared.version if declared else 'no IG'}; "
                              f"checked with {folder.ig} {folder.ig_version} metadata")
    all_rules = load_rules()
    options = Options(params=params or {}, only=frozenset(rules) if rules is not None else None,
                      define_schema=Path(define_schema) if define_schema else None, cap=cap, config=config)
    log = run(package, all_rules, options)
    ran = [r for r in all_rules if options.selects(r)]
    return ValidationResult(path=shown_as if shown_as is not None else Path(path), issues=log.issues, rules=ran,
                            skipped=log.skipped, facts=facts, seconds=time.perf_counter() - started)


__all__ = ["Issue", "Rule", "SHIPPED", "ValidationResult", "load_rules", "validate_package"]
