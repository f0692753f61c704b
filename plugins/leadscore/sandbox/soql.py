"""The SOQL subset the Salesforce stand-in accepts: exactly what the extractor sends, parsed strictly.

    SELECT f1, f2, ... FROM Obj [WHERE SystemModstamp >= <dateTime> [AND SystemModstamp <= <dateTime>]]
    ORDER BY SystemModstamp, Id [LIMIT n]
    SELECT COUNT() FROM Obj [WHERE ...]

Anything else is MALFORMED_QUERY and an unknown field INVALID_FIELD, as a real org answers, so an
extractor change a real org would reject fails a test here too. dateTime literals follow the SOQL
reference: YYYY-MM-DDThh:mm:ssZ or with a +hh:mm / -hh:mm offset, unquoted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone


class SoqlError(Exception):
    """A rejected query, carrying Salesforce's errorCode (MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Query:
    obj: str
    fields: tuple[str, ...]  # empty for SELECT COUNT()
    since: datetime | None = None
    until: datetime | None = None
    ordered: bool = False
    limit: int | None = None

    @property
    def count(self) -> bool:
        return not self.fields


NAME = r"[A-Za-z][A-Za-z0-9_]*"
DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})"
SHAPE = re.compile(
    rf"SELECT\s+(?P<select>COUNT\(\)|{NAME}(?:\s*,\s*{NAME})*)\s+FROM\s+(?P<obj>{NAME})"
    rf"(?:\s+WHERE\s+SystemModstamp\s*>=\s*(?P<since>{DATETIME})"
    rf"(?:\s+AND\s+SystemModstamp\s*<=\s*(?P<until>{DATETIME}))?)?"
    rf"(?P<order>\s+ORDER\s+BY\s+SystemModstamp\s*,\s*Id)?"
    rf"(?:\s+LIMIT\s+(?P<limit>[1-9]\d{{0,8}}))?\s*",
    re.IGNORECASE)


def parse_datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError as exc:
        raise SoqlError("MALFORMED_QUERY", f"value of filter criterion for field 'SystemModstamp' must be of type "
                                           f"dateTime and should not be enclosed in quotes: {text}") from exc


def parse(text: str, catalog: dict[str, set[str]]) -> Query:
    """`catalog`: object name -> its field names (as describe lists them)."""
    m = SHAPE.fullmatch(text.strip())
    if m is None:
        raise SoqlError("MALFORMED_QUERY", f"unexpected token in query: {text.strip()[:120]}")
    obj = next((name for name in catalog if name.lower() == m["obj"].lower()), None)
    if obj is None:
        raise SoqlError("INVALID_TYPE", f"sObject type '{m['obj']}' is not supported.")
    known = {f.lower(): f for f in catalog[obj]}
    fields: tuple[str, ...] = ()
    if m["select"].upper() != "COUNT()":
        names = [n.strip() for n in m["select"].split(",")]
        missing = [n for n in names if n.lower() not in known]
        if missing:
            raise SoqlError("INVALID_FIELD", f"No such column '{missing[0]}' on entity '{obj}'.")
        fields = tuple(known[n.lower()] for n in names)
        if len(set(f.lower() for f in fields)) != len(fields):
            raise SoqlError("MALFORMED_QUERY", "duplicate field selected")
    elif m["order"] or m["limit"]:
        raise SoqlError("MALFORMED_QUERY", "COUNT() takes no ORDER BY or LIMIT here")
    if fields and not m["order"]:
        raise SoqlError("MALFORMED_QUERY", "the stand-in serves records ORDER BY SystemModstamp, Id only")
    return Query(obj, fields, parse_datetime(m["since"]) if m["since"] else None,
                 parse_datetime(m["until"]) if m["until"] else None, bool(m["order"]),
                 int(m["limit"]) if m["limit"] else None)
