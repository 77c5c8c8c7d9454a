"""Personal data (DOMAIN.md section 6): pseudonymised or dropped before anything lands.

Identity numbers (and, later, student codes) become a keyed hash (HMAC-SHA256 with the key
from ``CCHC_HASH_KEY``); names, phones, e-mails and addresses are dropped. What data
quality still needs to know about a dropped value (is a phone present? does the identity
number have a valid length?) is kept as a non-personal attribute beside it.
"""

from __future__ import annotations

import hashlib
import hmac

DOSSIER_DROPPED = ("ChuHoSo", "SoDienThoai", "Email", "DiaChi")
DOSSIER_HASHED = ("SoGiayToChuHoSo",)


class MissingHashKey(RuntimeError):
    pass


def pseudonym(value: str, key: bytes) -> str:
    """Keyed hash of a personal identifier; stable for the life of the key."""
    return hmac.new(key, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def hash_key(raw: str | None) -> bytes:
    if not raw:
        raise MissingHashKey(
            "CCHC_HASH_KEY is not set: it keys the pseudonyms of personal data and must stay "
            "the same for the life of the warehouse")
    return raw.encode("utf-8")


def scrub_dossier(rec: dict, key: bytes) -> dict:
    """A copy of a dossier record with no personal value left in it."""
    out = {k: v for k, v in rec.items() if k not in DOSSIER_DROPPED and k not in DOSSIER_HASHED}
    for name in DOSSIER_DROPPED:
        value = rec.get(name)
        out[f"{name}_present"] = "1" if isinstance(value, str) and value.strip() else "0"
    for name in DOSSIER_HASHED:
        value = rec.get(name)
        present = isinstance(value, str) and bool(value.strip())
        out[f"{name}_hash"] = pseudonym(value, key) if present else ""
        out[f"{name}_len"] = str(len(value.strip())) if present else "0"
        out[f"{name}_digits"] = "1" if present and value.strip().isdigit() else "0"
    return out
