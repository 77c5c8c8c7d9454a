"""Personal data (DOMAIN.md section 6): pseudonymised or dropped before anything lands.

Identity numbers (and, later, student codes) become a keyed hash (HMAC-SHA256 with the key
from ``CCHC_HASH_KEY``); names, phones, e-mails and addresses are dropped. What data
quality still needs to know about a dropped value (is a phone present? does the identity
number have a valid length?) is kept as a non-personal attribute beside it.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from functools import lru_cache

DOSSIER_DROPPED = ("ChuHoSo", "SoDienThoai", "Email", "DiaChi")
DOSSIER_HASHED = ("SoGiayToChuHoSo",)
# A personal field is removed wherever it appears in what a source sends: nested in another
# object, inside a list, under another letter case. Deeper than this, a structure is cut.
MAX_DEPTH = 32


@lru_cache(maxsize=4096)
def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().casefold()


PERSONAL_NAMES = frozenset(_fold(n) for n in (*DOSSIER_DROPPED, *DOSSIER_HASHED))


class MissingHashKey(RuntimeError):
    pass


def pseudonym(value: str, key: bytes) -> str:
    """Keyed hash of a personal identifier; stable for the life of the key."""
    return hmac.new(key, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def hash_key(raw: str | None) -> bytes:
    if not raw:
        raise MissingHashKey(
            "CCHC_HASH_KEY is not set: it keys the pseudonyms of personal data and must stay "
            "the same for the life of the warehouse"
        )
    return raw.encode("utf-8")


_IS_PERSONAL: dict[str, bool] = {}  # field name -> personal? (names repeat: fold each once)


def _personal_name(name) -> bool:
    known = _IS_PERSONAL.get(name)
    if known is None:
        known = isinstance(name, str) and _fold(name) in PERSONAL_NAMES
        if len(_IS_PERSONAL) < 10_000:
            _IS_PERSONAL[name] = known
    return known


def _holds_personal(value, depth: int = 0) -> bool:
    """True when a personal field sits anywhere in ``value`` (or it is too deep to tell)."""
    if depth > MAX_DEPTH:
        return True
    if value.__class__ is dict:
        cache = _IS_PERSONAL
        for k, v in value.items():
            personal = cache.get(k)
            if personal is None:
                personal = _personal_name(k)
            if personal or ((v.__class__ is dict or v.__class__ is list) and _holds_personal(v, depth + 1)):
                return True
        return False
    if value.__class__ is list:
        for v in value:
            if (v.__class__ is dict or v.__class__ is list) and _holds_personal(v, depth + 1):
                return True
    return False


def without_personal(value, depth: int = 0):
    """``value`` with every personal field removed, at any depth: the value itself when it
    holds none (the common case costs a look, not a copy), else a cleaned copy."""
    if not _holds_personal(value, depth):
        return value
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {k: without_personal(v, depth + 1) for k, v in value.items() if not _personal_name(k)}
    return [without_personal(v, depth + 1) for v in value]


def scrub_dossier(rec, key: bytes):
    """A copy of a dossier record with no personal value left in it. A record that is not
    an object (it will be quarantined by shape) is walked all the same."""
    if not isinstance(rec, dict):
        return without_personal(rec)
    out = without_personal({k: v for k, v in rec.items() if not _personal_name(k)})
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
