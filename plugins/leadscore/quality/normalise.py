"""The one definition of how CRM text, emails and locale-formatted numbers are cleaned.

The typed layer (typed.py) applies it to every value that is not already in normal form and
stores what it changed in `quality.normalised_values`, which dbt staging reads before its own
parsing: the warehouse never re-implements this in SQL, so GX and dbt cannot disagree.
A value that cannot be normalised comes back with a `problem` (the quarantine reason).

`FAST_PATH` holds, per kind, a regular expression (valid in Python and Postgres) for values
that are already normal — `clean(kind, v) == v` for them (a test checks it), so the database
skips them and only odd values travel through Python.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Callable

try:  # IDNA 2008 with UTS 46 mapping when the package is there (it is, through httpx)
    import idna as _idna
except ImportError:  # pragma: no cover - the standard library's IDNA 2003 codec
    _idna = None

# Invisible characters that CRMs and spreadsheets leave in values: BOM, zero-width space /
# non-joiner / joiner, word joiner, soft hyphen. Removed wherever they are.
INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"))
# Space characters that are not ASCII spaces (NBSP, narrow NBSP, thin, figure, ideographic).
ODD_SPACES = {ord(c): " " for c in "\u00a0\u202f\u2009\u2007\u3000"}

FAST_PATH = {
    "text": r"^[!-~]([ -~]*[!-~])?$",
    "email": r"^[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$",
    "count": r"^[1-9][0-9]{0,14}$|^0$",
    "amount": r"^([1-9][0-9]{0,14}|0)(\.[0-9]{1,2})?$",
}

# What an address must look like after normalisation: a dot-atom local part (RFC 5322's
# specials, spaces and controls excluded; RFC 6531 allows Unicode letters), an ASCII
# (punycode) domain with a letter or punycode TLD.
VALID_EMAIL = re.compile(r'^(?!\.)(?!.*\.\.)[^\s@<>()\[\]\\,;:"\x00-\x1f\x7f]{1,64}(?<!\.)'
                         r"@(?=.{1,253}$)[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*\.(xn--[a-z0-9-]+|[a-z]{2,63})$")


@dataclass(frozen=True)
class Clean:
    """A normalised value (None when there is none) or the reason it could not be normalised."""

    value: str | None
    problem: str | None = None


def text(raw: str | None) -> str | None:
    """Invisible characters removed, odd spaces made plain, trimmed, NFC; '' becomes None."""
    if raw is None:
        return None
    cleaned = unicodedata.normalize("NFC", raw.translate(INVISIBLE).translate(ODD_SPACES).strip())
    return cleaned or None


def _domain(domain: str) -> str:
    if domain.isascii():
        return domain
    if _idna is not None:
        return _idna.encode(domain, uts46=True).decode("ascii")
    return domain.encode("idna").decode("ascii")


def email(raw: str | None) -> Clean:
    """Trimmed of invisible characters and spaces, NFC, IDN domain → punycode, lower-cased."""
    value = text(raw)
    if value is None:
        return Clean(None)
    value = value.lower()
    if any(c.isspace() for c in value):
        return Clean(None, "email address contains a space")
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        return Clean(None, "email address has no local part and domain around an @")
    try:
        domain = _domain(domain.rstrip("."))
    except (UnicodeError, ValueError) as exc:  # idna.IDNAError is a UnicodeError
        return Clean(None, f"email domain is not a valid internationalised domain name ({exc})")
    value = f"{local}@{domain}"
    if len(value) > 254:
        return Clean(None, "email address is longer than 254 characters")
    if not VALID_EMAIL.match(value):
        return Clean(None, "email address is malformed")
    return Clean(value)


# ---- numbers -------------------------------------------------------------------------------------

MULTIPLIERS = {"k": 10**3, "thousand": 10**3, "tis": 10**3, "m": 10**6, "mn": 10**6, "mio": 10**6, "mil": 10**6,
               "million": 10**6, "millions": 10**6, "b": 10**9, "bn": 10**9, "mld": 10**9, "billion": 10**9,
               "billions": 10**9}
# A currency before or after the amount: an ISO 4217 code or a common symbol.
CURRENCY = re.compile(r"^(?:[A-Z]{3}|[€$£¥₹₽₩₺₴]|zł|Kč)\s*|\s*(?:[A-Z]{3}|[€$£¥₹₽₩₺₴]|zł|Kč)$")
SUFFIX = re.compile(r"^(.*?\d)\s*([a-zA-Z]+)\.?$")
GROUPED = re.compile(r"^[1-9]\d{0,2}([ '_]\d{3})+$")


def _digits(body: str, has_multiplier: bool) -> Decimal | None:
    """Digits with locale separators → Decimal, or None when the separators are not deliberate.

    Spaces, apostrophes, underscores only ever group thousands; with both '.' and ',' the last
    is the decimal mark; a lone '.' or ',' followed by exactly three digits groups thousands
    (`1.200`, `1,200` → 1200) unless a multiplier follows (`1.200k` is 1.2 thousand); any other
    lone mark is the decimal one (`1,2` → 1.2, `12.5` → 12.5).
    """
    if re.fullmatch(r"\d+", body):
        return Decimal(body)
    if GROUPED.fullmatch(body):
        return Decimal(re.sub(r"[ '_]", "", body))
    m = re.fullmatch(r"(\d[\d ']*?)([.,])(\d+)", body)  # one mark
    if m and body.count(".") + body.count(",") == 1:
        whole, mark, frac = m.groups()
        whole_ok = re.fullmatch(r"\d+", whole) or GROUPED.fullmatch(whole)
        if not whole_ok:
            return None
        whole = re.sub(r"[ '_]", "", whole)
        if len(frac) == 3 and not has_multiplier and not whole.startswith("0") and len(whole) <= 3:
            return Decimal(whole + frac)
        return Decimal(f"{whole}.{frac}")
    for thousands, decimal in ((",", "."), (".", ",")):  # "1,200.50", "1.200,50", "1,200,000"
        m = re.fullmatch(rf"([1-9]\d{{0,2}}(?:{re.escape(thousands)}\d{{3}})+)(?:{re.escape(decimal)}(\d+))?", body)
        if m:
            whole = m.group(1).replace(thousands, "")
            return Decimal(f"{whole}.{m.group(2)}" if m.group(2) else whole)
    return None


def number(raw: str | None, *, integer: bool = False, money: bool = False) -> Clean:
    """Locale-formatted number → canonical text (`€1,2 M` → '1200000'); `integer` for head counts."""
    value = text(raw)
    if value is None:
        return Clean(None)
    what = "a head count" if integer else "an amount"
    body = value
    if money:
        body = CURRENCY.sub("", body).strip()
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-").strip()
    multiplier = 1
    m = SUFFIX.match(body)
    if m:
        factor = MULTIPLIERS.get(m.group(2).lower())
        if factor is None:
            return Clean(None, f"{value!r} is not {what}: unknown suffix {m.group(2)!r}")
        body, multiplier = m.group(1).strip(), factor
    try:
        parsed = _digits(body, multiplier != 1)
    except InvalidOperation:
        parsed = None
    if parsed is None:
        return Clean(None, f"{value!r} is not {what} (digits and separators do not form a number)")
    result = sign * parsed * multiplier
    if integer and result != result.to_integral_value():
        return Clean(None, f"{value!r} is not a whole number: a head count is an integer")
    result = result.normalize()
    return Clean(format(result.quantize(Decimal(1)) if result == result.to_integral_value() else result, "f"))


def count(raw: str | None) -> Clean:
    return number(raw, integer=True)


def amount(raw: str | None) -> Clean:
    return number(raw, money=True)


def text_clean(raw: str | None) -> Clean:
    return Clean(text(raw))


CLEANERS: dict[str, Callable[[str | None], Clean]] = {
    "text": text_clean, "email": email, "count": count, "amount": amount,
}


def clean(kind: str, raw: str | None) -> Clean:
    return CLEANERS[kind](raw)
