"""The validation result and its reports: console summary, JSON and a self-contained HTML page."""
from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdisc_msc.validate.model import BLOCKING, SEVERITY_ORDER, Issue, Rule


@dataclass
class ValidationResult:
    """Issues of one run, the rules that ran, what was skipped and a few facts about the package."""

    path: Path
    issues: list[Issue]
    rules: list[Rule]
    skipped: list[dict[str, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def counts(self) -> Counter:
        return Counter(i.severity for i in self.issues)

    @property
    def blocking(self) -> list[Issue]:
        """Rejects and errors: the package is not submission-ready while any remains."""
        return [i for i in self.issues if i.severity in BLOCKING]

    @property
    def exit_code(self) -> int:
        return 1 if self.blocking else 0

    def by_rule(self, severities: frozenset[str] | None = None) -> Counter:
        """Issue count per rule id (``count`` of summary issues included)."""
        c: Counter = Counter()
        for i in self.issues:
            if severities is None or i.severity in severities:
                c[i.rule] += i.count
        return c

    def summary(self, limit: int = 20) -> str:
        """A console summary: counts by severity and rule, then the first blocking issues."""
        c = self.counts
        head = (f"validate {self.path}: {c.get('reject', 0)} reject, {c.get('error', 0)} error, "
                f"{c.get('warning', 0)} warning, {c.get('info', 0)} info ({self.seconds:.1f} s)")
        rules = {r.id: r for r in self.rules}
        lines = [head]
        for rule_id, n in sorted(self.by_rule().items(), key=lambda kv: (SEVERITY_ORDER[rules[kv[0]].severity]
                                                                        if kv[0] in rules else 9, kv[0])):
            sev = rules[rule_id].severity if rule_id in rules else "?"
            lines.append(f"  {rule_id} {sev:7} {n:6}  {rules[rule_id].rationale[:90] if rule_id in rules else ''}")
        ordered = sorted(self.issues, key=lambda i: SEVERITY_ORDER[i.severity])
        shown = [i for i in ordered if i.severity != "info"][:limit]
        if shown:
            lines.append("first issues:")
            lines += [f"  {i}" for i in shown]
        lines += [f"  note: {i}" for i in self.issues if i.severity == "info"][:limit]
        if self.skipped:
            lines.append(f"{len(self.skipped)} rule evaluation(s) skipped (see the JSON report)")
        lines.append("NOT submission-ready: rejects/errors remain" if self.exit_code else "no reject or error")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "package": str(self.path),
            "seconds": round(self.seconds, 3),
            "exit_code": self.exit_code,
            "counts": {s: self.counts.get(s, 0) for s in SEVERITY_ORDER},
            "facts": self.facts,
            "rules": [r.model_dump(mode="json", exclude_defaults=True) for r in self.rules],
            "skipped": self.skipped,
            "issues": [i.model_dump(mode="json") for i in self.issues],
        }

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_html(self) -> str:
        """One page: the counts, a table per rule (with its rationale) of its issues."""
        e = html.escape
        rules = {r.id: r for r in self.rules}
        c = self.counts
        parts = [
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>Validation report - {e(str(self.path))}</title>",
            "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1.5em}"
            "td,th{border:1px solid #bbb;padding:2px 6px;font-size:90%;vertical-align:top}th{background:#eee}"
            ".reject{color:#fff;background:#900}.error{color:#900}.warning{color:#a60}.info{color:#555}"
            "p.rationale{font-style:italic;margin:.2em 0}</style></head><body>",
            f"<h1>Validation report</h1><p>Package <code>{e(str(self.path))}</code>; "
            f"{c.get('reject', 0)} reject, {c.get('error', 0)} error, {c.get('warning', 0)} warning, "
            f"{c.get('info', 0)} info; {self.seconds:.1f} s. "
            + ("<strong>Not submission-ready.</strong>" if self.exit_code else "No reject or error.") + "</p>",
        ]
        if self.facts:
            parts.append("<table>" + "".join(f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>"
                                             for k, v in self.facts.items()) + "</table>")
        grouped: dict[str, list[Issue]] = {}
        for i in self.issues:
            grouped.setdefault(i.rule, []).append(i)
        for rule_id in sorted(grouped, key=lambda r: (SEVERITY_ORDER[grouped[r][0].severity], r)):
            rule = rules.get(rule_id)
            parts.append(f"<h2 id='{e(rule_id)}'>{e(rule_id)} <span class='{e(rule.severity if rule else '')}'>"
                         f"{e(rule.severity if rule else '')}</span></h2>")
            if rule:
                parts.append(f"<p class='rationale'>{e(rule.rationale)}</p>")
            parts.append("<table><tr><th>severity</th><th>dataset</th><th>record</th><th>keys</th>"
                         "<th>variable</th><th>value</th><th>message</th></tr>")
            for i in grouped[rule_id]:
                keys = "; ".join(f"{k}={v}" for k, v in i.keys.items())
                parts.append(
                    f"<tr><td class='{e(i.severity)}'>{e(i.severity)}</td><td>{e(i.dataset)}</td>"
                    f"<td>{'' if i.record is None else i.record}</td><td>{e(keys)}</td><td>{e(i.variable)}</td>"
                    f"<td>{e(i.value)}</td><td>{e(i.message)}</td></tr>")
            parts.append("</table>")
        if self.skipped:
            parts.append("<h2>Skipped rule evaluations</h2><table><tr><th>rule</th><th>where</th><th>reason</th></tr>")
            parts += [f"<tr><td>{e(s['rule'])}</td><td>{e(s['where'])}</td><td>{e(s['reason'])}</td></tr>"
                      for s in self.skipped]
            parts.append("</table>")
        parts.append("</body></html>")
        return "\n".join(parts)

    def write(self, folder: str | Path, stem: str = "validation") -> tuple[Path, Path]:
        """Write ``<stem>.json`` and ``<stem>.html`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        json_path, html_path = folder / f"{stem}.json", folder / f"{stem}.html"
        json_path.write_text(self.to_json() + "\n", encoding="utf-8")
        html_path.write_text(self.to_html(), encoding="utf-8")
        return json_path, html_path
