"""What a nurse reads before confirming an import: the plan in words, errors by row and column."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from boards.census.plan import CensusPlan, CensusResult
from boards.census.rows import RowError
from boards.i18n import Texts

__all__ = ["error_lines", "result_text", "summary_text"]

# A summary is one Telegram message (4096 characters): long lists are cut, and counted.
_SHOWN = 25
_FIELD_KEYS = {
    "bed": "census.field_bed",
    "name": "census.field_name",
    "sex": "census.field_sex",
    "age": "census.field_age",
    "diagnosis": "census.field_diagnosis",
    "level": "census.field_level",
    "admitted_at": "census.field_admitted_at",
    "admission_no": "census.field_admission_no",
    "visit_no": "census.field_visit_no",
}

Escape = Callable[[str], str]


def _plain(text: str) -> str:
    return text


def _cut(lines: Sequence[str], t: Texts) -> list[str]:
    if len(lines) <= _SHOWN:
        return list(lines)
    return [*lines[:_SHOWN], t("census.more", n=len(lines) - _SHOWN)]


def error_lines(
    errors: Sequence[RowError], t: Texts, *, escape: Escape = html.escape
) -> list[str]:
    """`第7行 年龄「五十」无法识别`, one line per error."""
    out = []
    for error in errors:
        params = {k: escape(v) if isinstance(v, str) else v for k, v in error.params.items()}
        fields = params.pop("fields", None)
        if isinstance(fields, tuple):
            params["columns"] = "、".join(t(f"census.field_{f}") for f in fields)
        if "bed" in params and isinstance(error.params.get("bed"), str):
            params["bed"] = t.bed(str(error.params["bed"]))
        out.append(t("census.row", row=error.row, text=t(error.key, **params)))
    return _cut(out, t)


def summary_text(
    plan: CensusPlan,
    t: Texts,
    *,
    source: str,
    escape: Escape = html.escape,
    html_bold: bool = True,
) -> str:
    """The preview: to admit, to update, unchanged, not listed, ignored columns; or the errors."""
    b: Escape = (lambda s: f"<b>{s}</b>") if html_bold else _plain
    lines = [b(t("census.title", file=escape(source)))]
    if plan.errors:
        lines.append(t("census.errors", n=len(plan.errors)))
        lines += error_lines(plan.errors, t, escape=escape)
        return "\n".join(lines)
    lines.append(t("census.to_admit", n=len(plan.admit)))
    lines += _cut([f"  {t.bed(r.bed)} {escape(r.name)}" for r in plan.admit], t)
    lines.append(t("census.to_update", n=len(plan.update)))
    updates = []
    for u in plan.update:
        what = "、".join(t(_FIELD_KEYS[f]) for f in u.fields)
        bed = t.bed(u.stay.bed) + (f"→{t.bed(u.row.bed)}" if "bed" in u.fields else "")
        updates.append(f"  {bed} {escape(u.row.name)}（{what}）")
    lines += _cut(updates, t)
    lines.append(t("census.unchanged", n=len(plan.unchanged)))
    if plan.missing:
        lines.append(b(t("census.missing", n=len(plan.missing))))
        lines += _cut([f"  {t.bed(s.bed)} {escape(s.name)}" for s in plan.missing], t)
    if plan.ignored:
        lines.append(t("census.ignored", columns=escape("、".join(plan.ignored))))
    lines.append(t("census.confirm") if plan.changes else t("census.nothing"))
    return "\n".join(lines)


def result_text(result: CensusResult, t: Texts) -> str:
    plan = result.plan
    text = t("census.done", admitted=len(result.admitted), updated=len(result.updated))
    if plan.missing:
        text += "\n" + t("census.done_missing", n=len(plan.missing))
    return text
