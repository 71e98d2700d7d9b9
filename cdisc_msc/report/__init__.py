"""``cdisc-msc report``: the registry's outcome results from the ADaM datasets only.

Reads ``<adam_dir>/*.xpt`` (and the study configuration for time points,
windows and cohort labels) and writes into ``out_dir``::

    report.html          self-contained (figures embedded), table of contents,
                         one section per registry outcome, listings
    tables/<id>.csv      every table and listing (long format, one row per
                         number block with the where clause that selects it)
    tables_index.csv     each table: title, section, registry outcome, source/filter, file
    figures/<id>.png     the figures embedded in the HTML

>>> from pathlib import Path                                   # doctest: +SKIP
>>> write_report(Path("out/adam"), Path("out/report"), config)  # doctest: +SKIP
PosixPath('out/report/report.html')

Where the names come from: :mod:`cdisc_msc.report.outcomes` (the outcome map).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from cdisc_msc.config import StudyConfig
from cdisc_msc.report import background
from cdisc_msc.report import outcomes as om
from cdisc_msc.report.data import VARIABLES as POPULATION_VARIABLES
from cdisc_msc.report.data import group_labels, group_sizes, membership, population, read_adam
from cdisc_msc.report.figures import VARIABLES as FIGURE_VARIABLES
from cdisc_msc.report.figures import Figure, ae_timeline_figure, response_figure, trajectory_figure
from cdisc_msc.report.html import Section, render_report
from cdisc_msc.report.listings import VARIABLES as LISTING_VARIABLES
from cdisc_msc.report.listings import build_listings
from cdisc_msc.report.stats import CI_DEFINITION, QUARTILE_DEFINITION, SD_DEFINITION
from cdisc_msc.report.tables import VARIABLES as TABLE_VARIABLES
from cdisc_msc.report.tables import Context, Table, build_tables

REPORT_FILE = "report.html"
INDEX_FILE = "tables_index.csv"
TABLES_DIR = "tables"
FIGURES_DIR = "figures"
INDEX_COLUMNS = ("table", "title", "section", "registry", "source", "file", "rows", "available", "notes")

TRAJECTORIES: tuple[tuple[str, str, str], ...] = (
    ("sledai", "ADRS", om.SLEDAI), ("bilag", "ADRS", om.BILAG), ("pga", "ADRS", om.PGA),
    ("sf36", "ADQS", om.SF36_PCS), ("sf36", "ADQS", om.SF36_MCS),
    ("eq5d", "ADQS", om.EQ5D_LSS), ("eq5d", "ADQS", om.EQ5D_INDEX), ("eq5d", "ADQS", om.EQ5D_VAS),
)
"""(section, dataset, PARAMCD) of the individual/mean trajectory figures."""
RESPONSE_FIGURE_TABLES = ("sri4", "response", "steroid_resp")
RESPONSE_FIGURE_FLAGS = ("AVALC",)
"""Responder rows drawn in the response-rate figure: the AVALC responders of these tables (not SRI-4 components)."""


def methods_text(config: StudyConfig | None) -> list[str]:
    """The conventions printed in the report (denominators, statistics, windows)."""
    lines = [
        'Population and denominators (SAP 5): infused subjects, ADSL SAFFL="Y", overall and by dose cohort '
        "(ADSL TRT01AN). Response endpoints (SRI-4, MCR, PCR, steroid reduction) use non-responder imputation "
        "already in ADRS/ADSTER; toxicity counts every infused subject; comorbidities and continuous values are "
        "observed cases, with n shown.",
        "Proportions: n/N (%) and, in brackets, the " + CI_DEFINITION,
        "Continuous values and changes from baseline (CHG): n; mean (SD); median [Q1; Q3]; min; max. " + SD_DEFINITION
        + " " + QUARTILE_DEFINITION,
        'Time points: baseline = ABLFL="Y"; post-baseline = the analysed record (ANL01FL="Y") of the analysis '
        "window (AVISITN). Toxicity is cumulative from the infusion to the window's target day (ADAE CUMMxFL) and "
        "the acute window is study days 1-10 (ACUTEFL).",
        "Traceability: the grey 'Source' line above each table is the executed filter; each CSV row carries the "
        "exact where clause of its number (tables/<id>.csv, index in tables_index.csv).",
    ]
    if config is not None:
        windows = "; ".join(f"{w.avisit}: days {w.start_day}-{w.end_day} (target {w.target_day})"
                            for w in config.analysis_windows)
        lines.append(f"Analysis windows (study configuration): {windows}.")
    return lines


def dataset_figures(ctx: Context, config: StudyConfig | None) -> tuple[list[Figure], list[Figure]]:
    """The figures drawn from the datasets alone (not from the tables): the trajectories and the AE timeline."""
    datasets, groups = ctx.datasets, ctx.groups
    labels = {0: "BL", **{m: f"M{m}" for m in om.FOLLOW_UP_MONTHS}}
    params = {p.paramcd: p for o in om.outcome_map(config) for p in o.params if p.paramcd}
    trajectories = [trajectory_figure(ctx.param_records(dataset, paramcd), dataset, params[paramcd], groups,
                                      om.FOLLOW_UP_MONTHS, labels, section)
                    for section, dataset, paramcd in TRAJECTORIES if dataset in datasets]
    timeline = []
    if "ADAE" in datasets:
        days = (10, *(config.window(m).target_day for m in om.TOXICITY_MONTHS)) if config else (10, 31, 91, 181, 366)
        timeline.append(ae_timeline_figure(datasets["ADAE"], datasets["ADSL"], "toxicity", days))
    return trajectories, timeline


def build_figures(ctx: Context, tables: list[Table], drawn: tuple[list[Figure], list[Figure]]) -> list[Figure]:
    """Trajectories, response rates and the AE timeline for the datasets present.

    ``drawn``: what :func:`dataset_figures` drew (the trajectories and the AE timeline).
    """
    trajectories, timeline = drawn
    figures = list(trajectories)
    responders = [t for t in tables if t.id in RESPONSE_FIGURE_TABLES and t.available]
    if responders:
        long = pd.concat([t.data for t in responders], ignore_index=True)
        long = long[long["flag"].isin(RESPONSE_FIGURE_FLAGS)]
        source = "; ".join(f"table {t.id} ({t.source.split(';')[0]})" for t in responders)
        figures.append(response_figure(long, ctx.groups, "response", source))
    return figures + timeline


def build_sections(tables: list[Table], listings: list[Table], figures: list[Figure],
                   config: StudyConfig | None) -> list[Section]:
    """One section per outcome of the map (its tables and figures), then the listings."""
    sections = []
    for outcome in om.outcome_map(config):
        sections.append(Section(outcome.key, outcome.title, outcome.registry,
                                [t for t in tables if t.outcome == outcome.key],
                                [f for f in figures if f.section == outcome.key]))
    sections.append(Section("listings", "Listings by subject", "", listings, [],
                            "Infused subjects (SAFFL=\"Y\"), by dose cohort and subject."))
    return sections


def registry_coverage(tables: list[Table], config: StudyConfig | None) -> pd.DataFrame:
    """Per registry outcome: the time points with numbers and the section answering it."""
    rows = []
    for outcome in om.outcome_map(config):
        if not outcome.registry:
            continue
        reported = [t for t in tables if t.outcome == outcome.key and t.available and "timepoint" in t.data]
        points = pd.concat([t.data["timepoint"] for t in reported]).drop_duplicates().tolist() if reported else []
        rows.append({"registry": outcome.registry, "timepoints": "; ".join(points) or "not available",
                     "section": outcome.key, "title": outcome.title})
    return pd.DataFrame(rows, columns=["registry", "timepoints", "section", "title"])


def write_tables(tables: list[Table], out_dir: Path) -> Path:
    """tables/<id>.csv for each table and the index CSV; stale CSVs of an earlier run are removed."""
    folder = out_dir / TABLES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.csv"):
        old.unlink()
    index = []
    for t in tables:
        path = folder / f"{t.id}.csv"
        t.data.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")
        index.append({"table": t.id, "title": t.title, "section": t.outcome,
                      "registry": t.registry, "source": t.source, "file": f"{TABLES_DIR}/{path.name}",
                      "rows": len(t.data), "available": "Y" if t.available else "N", "notes": " ".join(t.notes)})
    index_path = out_dir / INDEX_FILE
    pd.DataFrame(index, columns=list(INDEX_COLUMNS)).to_csv(index_path, index=False, lineterminator="\n")
    return index_path


def write_figures(figures: list[Figure], out_dir: Path) -> None:
    folder = out_dir / FIGURES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    for f in figures:
        (folder / f"{f.id}.png").write_bytes(f.png)


def report_variables(outcomes: list[om.Outcome]) -> set[str]:
    """Every ADaM variable the report reads: the outcome map's filters and flags, and those its tables,
    listings, figures and population use (the other variables are not kept in memory)."""
    return (om.outcome_variables(outcomes) | POPULATION_VARIABLES | TABLE_VARIABLES | LISTING_VARIABLES
            | FIGURE_VARIABLES)


def write_report(adam_dir: str | Path, out_dir: str | Path, config: StudyConfig | None) -> Path:
    """Compute every outcome table, listing and figure from ``adam_dir`` and write the report; returns the HTML path."""
    adam_dir, out_dir = Path(adam_dir), Path(out_dir)
    outcomes = om.outcome_map(config)
    datasets = read_adam(adam_dir, report_variables(outcomes))
    pop = population(datasets["ADSL"])
    groups = group_labels(config, pop)
    members = membership(pop, groups)
    ctx = Context(datasets, members, groups)
    visits = [w.avisit for w in config.analysis_windows if w.avisitn in om.FOLLOW_UP_MONTHS] if config else \
        [f"Month {m}" for m in om.FOLLOW_UP_MONTHS]
    # the dataset figures (matplotlib) and the listings are made by a forked child, on the other core,
    # while the tables are built here: they read the datasets only
    made_aside = background.start(lambda: (dataset_figures(ctx, config), build_listings(datasets, visits)))
    try:
        tables = build_tables(outcomes, ctx)
    finally:  # the child is always collected, even when the tables fail
        drawn, listings = made_aside()
    figures = build_figures(ctx, tables, drawn)
    sections = build_sections(tables, listings, figures, config)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_tables(tables + listings, out_dir)
    write_figures(figures, out_dir)
    sizes = group_sizes(members, groups)
    title = f"{config.studyid} outcome results" if config else "Outcome results"
    header = []
    if config is not None:
        ids = ", ".join(v if v.startswith(k) else f"{k} {v}" for k, v in config.registry_ids.items())
        header += [config.title, f"Registry: {ids}. Sponsor: {config.sponsor}. Data cut-off: {config.data_cutoff}."]
    header.append("Analysis population (SAFFL=\"Y\"): " + "; ".join(f"{g}: N={n}" for g, n in sizes.items()) + ".")
    header.append(f"Source: the ADaM datasets {', '.join(sorted(datasets))} ({adam_dir.name}/*.xpt) only.")
    page = render_report(title, header, methods_text(config), registry_coverage(tables, config), sections)
    path = out_dir / REPORT_FILE
    path.write_text(page, encoding="utf-8")
    return path


__all__ = ["write_report", "REPORT_FILE", "INDEX_FILE", "TABLES_DIR"]
