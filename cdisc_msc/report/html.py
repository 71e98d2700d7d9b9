"""The self-contained HTML report: table of contents, one section per outcome, figures as
embedded base64 PNG, listings. No external resources, no scripts, no dates of the run.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdisc_msc.report.figures import Figure
from cdisc_msc.report.tables import Table

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:13px;margin:0 2em 3em 2em;color:#222;max-width:1500px}
h1{font-size:22px;margin-top:1em}h2{font-size:18px;border-bottom:2px solid #345;margin-top:2em;padding-bottom:3px}
h3{font-size:15px;margin:1.4em 0 .3em 0}
nav ol{columns:2;font-size:12px}nav li{margin:2px 0}
table{border-collapse:collapse;margin:.4em 0 1em 0}
th,td{border:1px solid #bbb;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#e8edf2}td.num{white-space:pre-line;font-variant-numeric:tabular-nums}
td.lab{font-weight:600;background:#f7f9fb}
p.source{font-size:12px;background:#f3f3f3;border-left:4px solid #678;padding:4px 8px;margin:.2em 0}
p.source code{white-space:pre-wrap;word-break:break-word}
p.note{font-size:12px;color:#444;margin:.2em 0}
p.registry{font-style:italic;color:#345}
figure{margin:1em 0}figcaption{font-size:12px;color:#444}
img{max-width:100%;height:auto;border:1px solid #ddd}
.unavailable{color:#a00;font-weight:600}
table.listing td{font-size:11px;white-space:nowrap}
"""


@dataclass
class Section:
    """One section of the report: an outcome (or the listings) with its tables and figures."""

    id: str
    title: str
    registry: str
    tables: list[Table]
    figures: list[Figure]
    intro: str = ""


def esc(text: object) -> str:
    """HTML-escaped text ("" for missing)."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return html.escape(str(text), quote=True)


def esc_column(values: pd.Series) -> pd.Series:
    """``esc`` of each value of a column; text values are escaped once per distinct value.

    >>> esc_column(pd.Series(["a<b", None, "a<b", 1.5])).tolist(), esc_column(pd.Series(["'&", None])).tolist()
    (['a&lt;b', '', 'a&lt;b', '1.5'], ['&#x27;&amp;', ''])
    """
    codes, uniques = pd.factorize(values)
    distinct = np.asarray(uniques, dtype=object)
    if not all(isinstance(u, str) for u in distinct):  # 1 == 1.0 == True share a code but not a text
        return values.map(esc).astype(object)
    texts = np.array([esc(u) for u in distinct] + [""], dtype=object)  # once per distinct value
    out = pd.Series(texts[codes], index=values.index, dtype=object)
    missing = codes < 0
    if missing.any():  # None, NaN -> "", other missing markers as esc gives them
        out[missing] = values[missing].map(esc).astype(object).to_numpy()
    return out


def blank_repeats(display: pd.DataFrame, label_columns: int) -> pd.DataFrame:
    """Blank a label cell equal to the one above when all labels to its left are equal too.

    >>> d = pd.DataFrame({"P": ["a", "a", "b"], "T": ["x", "x", "x"], "v": [1, 2, 3]})
    >>> blank_repeats(d, 2).values.tolist()
    [['a', 'x', 1], ['', '', 2], ['b', 'x', 3]]
    """
    out = display.copy()
    same = pd.Series(True, index=display.index)
    for col in display.columns[:label_columns]:
        same = same & display[col].eq(display[col].shift())
        out[col] = display[col].where(~same, "")
    return out


def table_html(table: Table, listing: bool = False) -> str:
    """A <table> of ``table.display``: label columns left, then one column per group."""
    if not table.available:
        return f'<p class="unavailable">{esc("; ".join(table.notes[-1:]))}</p>'
    display = blank_repeats(table.display, table.label_columns) if not listing else table.display
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in display.columns)
    klass = np.where(np.arange(len(display.columns)) < table.label_columns, "lab", "num")
    # row-major pieces: <tr>, then per column <td class>, text, </td>; then </tr>: joined once
    pieces = np.empty((len(display), 3 * len(display.columns) + 2), dtype=object)
    pieces[:, 0], pieces[:, -1] = "<tr>", "</tr>"
    for j, k in enumerate(klass):
        pieces[:, 3 * j + 1] = f'<td class="{k}">'
        pieces[:, 3 * j + 2] = esc_column(display.iloc[:, j]).to_numpy()
        pieces[:, 3 * j + 3] = "</td>"
    cls = ' class="listing"' if listing else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(pieces.ravel())}</tbody></table>"


def figure_html(fig: Figure) -> str:
    data = base64.b64encode(fig.png).decode("ascii")
    return (f'<figure id="{esc(fig.id)}"><img src="data:image/png;base64,{data}" alt="{esc(fig.title)}">'
            f'<figcaption><b>{esc(fig.title)}.</b> Source: <code>{esc(fig.source)}</code></figcaption></figure>')


def table_block(table: Table, listing: bool = False) -> str:
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in table.notes if n)
    csv = f"tables/{table.id}.csv"
    return (f'<h3 id="{esc(table.id)}">{esc(table.title)}</h3>'
            f'<p class="source">Source: <code>{esc(table.source)}</code> &middot; CSV: '
            f'<code>{esc(csv)}</code></p>{notes}{table_html(table, listing)}')


def toc(sections: list[Section]) -> str:
    items = []
    for s in sections:
        sub = "".join(f'<li><a href="#{esc(t.id)}">{esc(t.title)}</a></li>' for t in s.tables)
        sub += "".join(f'<li><a href="#{esc(f.id)}">Figure: {esc(f.title)}</a></li>' for f in s.figures)
        items.append(f'<li><a href="#{esc(s.id)}">{esc(s.title)}</a><ul>{sub}</ul></li>')
    return f'<nav id="toc"><h2>Contents</h2><ol>{"".join(items)}</ol></nav>'


def section_html(section: Section) -> str:
    listing = section.id == "listings"
    registry = (f'<p class="registry">Registry outcome: {esc(section.registry)}</p>' if section.registry else "")
    intro = f"<p>{esc(section.intro)}</p>" if section.intro else ""
    body = "".join(table_block(t, listing) for t in section.tables)
    figs = "".join(figure_html(f) for f in section.figures)
    return f'<section id="{esc(section.id)}"><h2>{esc(section.title)}</h2>{registry}{intro}{body}{figs}</section>'


def render_report(title: str, header_lines: list[str], methods: list[str], coverage: pd.DataFrame,
                  sections: list[Section]) -> str:
    """The whole page."""
    header = "".join(f"<p>{esc(line)}</p>" for line in header_lines)
    method_items = "".join(f"<li>{esc(m)}</li>" for m in methods)
    cov_rows = "".join("<tr><td>" + coverage["registry"].map(esc) + "</td><td>" + coverage["timepoints"].map(esc)
                       + '</td><td><a href="#' + coverage["section"].map(esc) + '">' + coverage["title"].map(esc)
                       + "</a></td></tr>")
    coverage_html = ('<section id="registry"><h2>Registry outcome measures</h2><table><thead><tr>'
                     '<th>Registry outcome</th><th>Time points reported</th><th>Section</th></tr></thead>'
                     f"<tbody>{cov_rows}</tbody></table></section>")
    methods_html = f'<section id="methods"><h2>Methods and conventions</h2><ul>{method_items}</ul></section>'
    contents = toc([Section("registry", "Registry outcome measures", "", [], []),
                    Section("methods", "Methods and conventions", "", [], []), *sections])
    body = "".join(section_html(s) for s in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{esc(title)}</h1>{header}</header>{contents}{coverage_html}{methods_html}{body}"
            "</body></html>\n")


__all__ = ["Section", "blank_repeats", "render_report", "table_html"]
