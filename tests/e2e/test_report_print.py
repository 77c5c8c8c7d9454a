"""The report prints as an official would print it: LibreOffice (headless, as installed by
`make browser`) turns the workbook into a PDF; every page is A4 in the orientation the
sheet was designed for, every page of a table shows the table's header row (printed again
on each page) with its first and last columns (no column cut off onto a page of its own),
and the main sheet ends with "Nơi nhận" and the signer."""

from __future__ import annotations

import re
import shutil
import subprocess

import pypdfium2 as pdfium
import pytest

from orchestration.publish import publish

PERIOD = "2024-BC-6T"
A4 = (595, 842)  # points


@pytest.fixture(scope="module")
def pages(crafted_warehouse, tmp_path_factory):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice Calc is installed by `make browser` (part of `make test`)"
    tmp = tmp_path_factory.mktemp("print")
    settings = crafted_warehouse.with_(
        warehouse=tmp / "working.duckdb", publish_dir=tmp / "published", report_signer_name="Nguyễn Văn A"
    )
    shutil.copy(crafted_warehouse.warehouse, settings.warehouse)
    publish(settings)
    report = settings.publish_dir / "reports" / f"{PERIOD}.xlsx"
    done = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp / 'lo-profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp), str(report)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    pdf_path = tmp / f"{PERIOD}.pdf"
    assert done.returncode == 0 and pdf_path.exists(), done.stderr
    pdf = pdfium.PdfDocument(str(pdf_path))
    found = []
    for page in pdf:
        width, height = page.get_size()
        text = page.get_textpage().get_text_range()
        found.append((round(width), round(height), re.sub(r"\s+", " ", text)))
    return found


def test_every_page_is_a4_in_its_designed_orientation(pages):
    """The report and the codes' list portrait (an administrative document), the appendices'
    wide tables landscape."""
    assert len(pages) >= 5
    for width, height, _ in pages:
        assert sorted((width, height)) == sorted(A4), (width, height)
    assert pages[0][0] < pages[0][1] and "BÁO CÁO" in pages[0][2]
    appendices = [(w, h) for w, h, text in pages if "PHỤ LỤC" in text]
    assert len(appendices) >= 3 and all(w > h for w, h in appendices)
    assert all(w < h for w, h, text in pages if "Mã kỹ thuật" in text)


def test_the_report_page_reads_as_signed(pages):
    first = pages[0][2]
    for words in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BÁO CÁO", "I. KẾT QUẢ THỰC HIỆN"):
        assert words in first, words
    signed = next(text for *_, text in pages if "Nơi nhận:" in text)
    assert "GIÁM ĐỐC" in signed and "Nguyễn Văn A" in signed
    assert "kpi_code" not in " ".join(text for *_, text in pages if "Mã kỹ thuật" not in text)


@pytest.mark.parametrize(
    ("on_page", "header"),
    [
        (r"Mục KH", ("Đánh giá", "Ghi chú")),  # the plan's KPIs
        (r"Tên chỉ số", ("Nhóm chỉ số", "Ghi chú")),  # Phụ lục I: the 766 indicators
        (r"\b\d\.\d{6}\b", ("Mã TTHC", "Đang giải quyết: quá hạn")),  # Phụ lục II: a procedure's code on the page
    ],
)
def test_no_table_column_is_cut_across_pages(pages, on_page, header):
    """Every page showing a table shows its header row with the first and the last column:
    the header is printed again on each page, and no column spills onto a page of its own."""
    showing = [text for *_, text in pages if re.search(on_page, text) and "Mã kỹ thuật" not in text]
    assert showing
    for text in showing:
        for words in header:
            assert words in text, (words, text[:200])
