"""The Data Docs of a run: one self-contained HTML page of every suite's results.

GX's own Data Docs site loads Bootstrap, jQuery and Vega from CDNs; the department's
network has no internet, where that site renders unstyled with empty lists. This page is
rendered from the same validation results with inline CSS, no script and no remote
asset, so it opens from disk anywhere. Every value from the data is escaped.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

VIETNAM = timezone(timedelta(hours=7))

CSS = """
body{font-family:"Times New Roman",Times,serif;margin:24px auto;max-width:1100px;color:#1a1a1a;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ccc;padding-bottom:3px}
p.meta{color:#555;margin:0 0 14px}table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:14px}
th,td{border:1px solid #bbb;padding:4px 7px;text-align:left;vertical-align:top}th{background:#eef2f7}
td.n{text-align:right;white-space:nowrap}.ok{color:#11693a;font-weight:bold}.bad{color:#b3261e;font-weight:bold}
.warn{color:#8a5a00;font-weight:bold}code{font-size:12.5px;word-break:break-word}
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _kwargs(expectation) -> str:
    """The expectation's parameters, short (a long value set is cut)."""
    try:
        kwargs = dict(expectation.configuration.kwargs)
    except AttributeError:
        return ""
    kwargs = {k: v for k, v in kwargs.items() if k not in ("column", "batch_id") and v is not None}
    text = json.dumps(kwargs, ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:297] + "…"


def render_data_docs(outcomes: Sequence, path: Path, key=None) -> Path:
    """Write the page for ``outcomes`` (``expectations.runner.SuiteOutcome``) to ``path``."""
    now = datetime.now(VIETNAM)
    passed = sum(1 for o in outcomes if o.passed)
    rows = []
    sections = []
    for o in outcomes:
        suite = o.suite
        kind = "chặn công bố (blocking)" if suite.blocking else "cảnh báo (warning)"
        if o.passed:
            verdict = '<span class="ok">Đạt (passed)</span>'
        elif suite.blocking:
            verdict = '<span class="bad">Không đạt (failed)</span>'
        else:
            verdict = '<span class="warn">Không đạt, cảnh báo (failed, warning)</span>'
        anchor = f"s-{_e(suite.name)}"
        rows.append(
            f'<tr><td><a href="#{anchor}">{_e(suite.name)}</a></td><td>{_e(suite.asset)}</td><td>{kind}</td>'
            f'<td class="n">{o.rows:,}</td><td class="n">{o.batches}</td><td>{verdict}</td></tr>'
        )
        lines = []
        try:
            declared = list(suite.expectations())
        except Exception:  # a suite that cannot build its expectations failed to run: said below
            declared = []
        for expectation in declared:
            cfg = getattr(expectation, "configuration", None)
            found = o.expectations.get(key(cfg)) if key and cfg is not None else None
            column = (cfg.kwargs.get("column") if cfg is not None else None) or "—"
            if found is None:
                result, count, examples = "chưa chạy (not run)", "", ""
            else:
                result = '<span class="ok">Đạt</span>' if found.success else '<span class="bad">Không đạt</span>'
                count = f"{found.unexpected_count:,}"
                examples = _e(json.dumps(found.examples[:5], ensure_ascii=False, default=str)) if found.examples else ""
            name = cfg.type if cfg is not None else type(expectation).__name__
            lines.append(
                f"<tr><td><code>{_e(name)}</code></td><td>{_e(column)}</td><td><code>{_e(_kwargs(expectation))}</code>"
                f'</td><td>{result}</td><td class="n">{count}</td><td><code>{examples}</code></td></tr>'
            )
        error = f'<p class="bad">Không chạy được (could not run): {_e(o.error)}</p>' if o.error else ""
        sections.append(
            f'<h2 id="{anchor}">{_e(suite.name)} — {verdict}</h2>'
            f'<p class="meta">{_e(suite.description)}<br>Bảng (table): {_e(suite.asset)}; {kind}; '
            f"{o.rows:,} dòng trong {o.batches} lô (rows in batches){_carried(o)}</p>{error}"
            "<table><tr><th>Kỳ vọng (expectation)</th><th>Cột (column)</th><th>Tham số (parameters)</th>"
            "<th>Kết quả</th><th>Số dòng sai (unexpected)</th><th>Ví dụ (examples)</th></tr>"
            + "".join(lines)
            + "</table>"
        )
    page = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Kiểm tra chất lượng dữ liệu — Data Docs</title>"
        f"<style>{CSS}</style></head><body>"
        "<h1>Kiểm tra chất lượng dữ liệu (Great Expectations Data Docs)</h1>"
        f'<p class="meta">Lần chạy lúc {now:%H:%M} ngày {now:%d/%m/%Y} (giờ Việt Nam): {passed}/{len(outcomes)} '
        "bộ kiểm tra đạt. Bộ kiểm tra loại <i>chặn công bố</i> không đạt thì số liệu không được công bố.</p>"
        "<table><tr><th>Bộ kiểm tra (suite)</th><th>Bảng (table)</th><th>Loại</th><th>Số dòng</th><th>Số lô</th>"
        "<th>Kết quả</th></tr>" + "".join(rows) + "</table>" + "".join(sections) + "</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _carried(outcome) -> str:
    if not outcome.carried:
        return ""
    return (
        f"; {outcome.carried:,} dòng đã đạt ở lần kiểm tra trước, không kiểm tra lại "
        "(rows that passed an earlier validation, not validated again)"
    )
