"""How reports write numbers, percentages and dates the Vietnamese way, and the
department as the document header names it (from configuration)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ReportHeader:
    department: str
    parent_body: str
    signatory: str
    place: str
    number: str
    signer_name: str = ""
    recipients: tuple[str, ...] = ()


# The statuses of a unit's report form (marts.form_submissions, DOMAIN.md 7) as printed.
# In the order the office chases them: what needs a call first.
STATUS_VI = {
    "missing": "Chưa gửi (quá hạn)",
    "rejected": "Bị loại",
    "late": "Muộn",
    "not_due": "Chưa đến hạn",
    "on_time": "Đúng hạn",
}


def status_label_sql(column: str = "status") -> str:
    """A form status as printed (STATUS_VI), in SQL."""
    return f"case {column} " + " ".join(f"when '{k}' then '{v}'" for k, v in STATUS_VI.items()) + " end"


def status_order_sql(column: str = "status") -> str:
    """A form status's place in the chase order (STATUS_VI), in SQL."""
    return f"case {column} " + " ".join(f"when '{k}' then {i}" for i, k in enumerate(STATUS_VI)) + " end"


def vn_number(value: float | int | None, decimals: int = 0) -> str:
    """1234567.5 -> '1.234.567,5' (Vietnamese separators)."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def vn_percent(value: float | None) -> str:
    return "–" if value is None else vn_number(100 * value, 2) + "%"


def vn_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def header_from(settings) -> ReportHeader:
    return ReportHeader(
        department=settings.department_name,
        parent_body=settings.parent_body,
        signatory=settings.report_signatory,
        place=settings.report_place,
        number=settings.report_number,
        signer_name=settings.report_signer_name,
        recipients=tuple(r.strip() for r in settings.report_recipients.split(";") if r.strip()),
    )


# The portal's endpoints as reports name them (the file sources name themselves: their
# layout's description, connectors.exports.LAYOUTS)
PORTAL_SOURCES_VI = {
    "portal.ho-so": "Hồ sơ TTHC (Hệ thống giải quyết TTHC)",
    "portal.danh-gia": "Đánh giá mức độ hài lòng",
    "portal.thu-tuc": "Danh mục TTHC",
    "files": "Tệp nhận không đọc được",
}


def source_label(source: str | None) -> str:
    """A source's Vietnamese name (``portal.ho-so`` -> "Hồ sơ TTHC (…)"); its code when unknown."""
    from connectors.exports import LAYOUTS

    if source in PORTAL_SOURCES_VI:
        return PORTAL_SOURCES_VI[source]
    for layout in LAYOUTS:
        if layout.source == source and layout.description:
            return layout.description.split(":")[0].strip()
    return source or ""


def vietnamese_only(note: str | None) -> str | None:
    """A bilingual note of the marts ("Số liệu … bị tạm giữ (unit withheld: …)") as an
    official reads it: without its trailing English gloss."""
    if not note:
        return note
    head, sep, tail = note.rpartition(" (")
    return head if sep and tail.endswith(")") and tail.isascii() else note
