"""Personal data is pseudonymised or dropped before anything lands (DOMAIN.md 6)."""

from __future__ import annotations

import json

import pytest

from connectors.personal import MissingHashKey, hash_key, pseudonym, scrub_dossier

RECORD = {
    "MaHoSo": "000.00.20.H12-240301-0000001",
    "ChuHoSo": "Nguyễn Văn An",
    "SoGiayToChuHoSo": "079123456789",
    "SoDienThoai": "0912345678",
    "Email": "an@example.vn",
    "DiaChi": "Phường 5, TP Cà Mau",
    "KenhThucHien": "2",
}


def test_scrub_drops_and_hashes_every_personal_field():
    out = scrub_dossier(RECORD, b"k1")
    text = json.dumps(out, ensure_ascii=False)
    for name in ("ChuHoSo", "SoGiayToChuHoSo", "SoDienThoai", "Email", "DiaChi"):
        assert name not in out
        assert RECORD[name] not in text
    assert out["SoGiayToChuHoSo_hash"] == pseudonym("079123456789", b"k1")
    assert out["SoGiayToChuHoSo_len"] == "12" and out["SoGiayToChuHoSo_digits"] == "1"
    assert out["SoDienThoai_present"] == "1" and out["MaHoSo"] == RECORD["MaHoSo"]


def test_pseudonym_is_keyed_and_stable():
    assert pseudonym("079123456789", b"k1") == pseudonym(" 079123456789 ", b"k1")
    assert pseudonym("079123456789", b"k1") != pseudonym("079123456789", b"k2")
    assert len(pseudonym("079123456789", b"k1")) == 64


def test_missing_values_are_marked_absent_not_hashed():
    out = scrub_dossier({**RECORD, "SoGiayToChuHoSo": "", "SoDienThoai": None}, b"k")
    assert out["SoGiayToChuHoSo_hash"] == "" and out["SoGiayToChuHoSo_len"] == "0"
    assert out["SoDienThoai_present"] == "0"


def test_no_key_no_landing():
    with pytest.raises(MissingHashKey, match="CCHC_HASH_KEY"):
        hash_key("")


def test_personal_fields_are_removed_wherever_they_sit():
    from connectors.personal import MAX_DEPTH, without_personal

    wrapped = {"HoSo": {**RECORD, "email": "x@y.vn"}, "list": [[{"DIACHI": "Cà Mau", "ok": "1"}]]}
    out = scrub_dossier(wrapped, b"k")
    text = repr(out)
    for value in ("079123456789", "0912345678", "x@y.vn", "Cà Mau"):
        assert value not in text
    assert out["list"] == [[{"ok": "1"}]]
    assert scrub_dossier([RECORD], b"k") == [without_personal(RECORD)]
    assert "ChuHoSo" not in repr(scrub_dossier([RECORD], b"k"))
    deep = value = {}
    for _ in range(MAX_DEPTH + 5):
        value["n"] = {}
        value = value["n"]
    value["ChuHoSo"] = "Trần Thị Bình"
    assert "Trần" not in repr(without_personal(deep))
    honest = {"MaHoSo": "A", "TaiLieuNop": [{"MaThanhPhanHoSo": "TP"}]}
    assert without_personal(honest) is honest  # nothing to remove: no copy
