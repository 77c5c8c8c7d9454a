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
    mac = _keyed(key).copy()  # the key's HMAC state, set up once per key
    mac.update(value.strip().encode("utf-8"))
    return mac.hexdigest()


@lru_cache(maxsize=8)
def _keyed(key: bytes) -> hmac.HMAC:
    return hmac.new(key, digestmod=hashlib.sha256)


def hash_key(raw: str | None) -> bytes:
    if not raw:
        raise MissingHashKey(
            "CCHC_HASH_KEY is not set: it keys the pseudonyms of personal data and must stay "
            "the same for the life of the warehouse"
        )
    return raw.encode("utf-8")


# Field names already folded and found not personal. Names repeat from record to record, so
# a record whose names are all known is checked by one set comparison (bounded: a source
# that invents names costs a fold each, not memory).
_NOT_PERSONAL: set[str] = set()
_CONTAINERS = frozenset((dict, list))


def _personal_name(name) -> bool:
    if name in _NOT_PERSONAL or not isinstance(name, str):
        return False
    if _fold(name) in PERSONAL_NAMES:
        return True
    if len(_NOT_PERSONAL) < 10_000:
        _NOT_PERSONAL.add(name)
    return False


def _holds_personal(value, depth: int = 0) -> bool:
    """True when a personal field sits anywhere in ``value`` (or it is too deep to tell)."""
    if depth > MAX_DEPTH:
        return True
    if value.__class__ is dict:
        if not value.keys() <= _NOT_PERSONAL and any(_personal_name(k) for k in value):
            return True
        value = value.values()
    elif value.__class__ is not list:
        return False
    if _CONTAINERS.isdisjoint(map(type, value)):  # only plain values below: nothing to walk
        return False
    # a plain loop, not any() over a generator: this runs for every record a source sends
    for child in value:
        kind = child.__class__
        if (kind is dict or (kind is list and child)) and _holds_personal(child, depth + 1):
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
    out = dict(rec)
    for name in rec.keys() - _NOT_PERSONAL:  # the few names not known as safe
        if _personal_name(name):
            del out[name]
    out = without_personal(out)
    for name, present_as in _PRESENT_AS:
        value = rec.get(name)
        out[present_as] = "1" if value.__class__ is str and value.strip() else "0"
    for name, (hash_as, len_as, digits_as) in _HASHED_AS:
        value = rec.get(name)
        value = value.strip() if value.__class__ is str else ""
        out[hash_as] = pseudonym(value, key) if value else ""
        out[len_as] = str(len(value))
        out[digits_as] = "1" if value.isdigit() else "0"
    return out


# the attributes a dropped or hashed field leaves behind (names made once, not per record)
_PRESENT_AS = tuple((name, f"{name}_present") for name in DOSSIER_DROPPED)
_HASHED_AS = tuple((name, (f"{name}_hash", f"{name}_len", f"{name}_digits")) for name in DOSSIER_HASHED)
