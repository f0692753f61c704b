"""Translate a CRM search body (filterGroups, sorts) into SQL over one object table.

Property names map to indexed columns where HubSpot has a native equivalent
(`hs_object_id` → id, the modified and created dates → epoch-ms columns), everything else to
`json_extract` on the stored properties, compared by the property's declared type.
"""
from __future__ import annotations

from typing import Any

from leadscore.sandbox.errors import HubSpotError
from leadscore.sandbox.store import CREATED_PROPS, MODIFIED_PROP, parse_ms

OPERATORS = {"EQ": "=", "NEQ": "!=", "LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}
MAX_GROUPS, MAX_PER_GROUP, MAX_FILTERS = 5, 10, 25


def _column(object_type: str, name: str, catalog: dict[str, dict]) -> tuple[str, str]:
    """(SQL expression, kind) where kind is 'int', 'ms', 'number' or 'text'."""
    if name == "hs_object_id":
        return "id", "int"
    if name == MODIFIED_PROP[object_type]:
        return "modified_ms", "ms"
    if name in CREATED_PROPS:
        return "created_ms", "ms"
    expr = f"json_extract(props, '$.\"{name.replace(chr(34), '')}\"')"
    prop_type = (catalog.get(name) or {}).get("type")
    if prop_type == "number":
        return f"CAST(NULLIF({expr}, '') AS REAL)", "number"
    if prop_type in ("datetime", "date"):
        return f"iso_ms({expr})", "ms"
    return expr, "text"


def _value(kind: str, value: Any, name: str) -> Any:
    if kind == "text":
        return str(value).lower()
    if kind == "ms":
        ms = parse_ms(value)
        if ms is None:
            raise HubSpotError(400, f"Invalid value '{value}' for date property {name}: use epoch milliseconds or ISO-8601")
        return ms
    try:
        return int(value) if kind == "int" else float(value)
    except (TypeError, ValueError):
        raise HubSpotError(400, f"Invalid numeric value '{value}' for property {name}") from None


def _filter_sql(object_type: str, f: dict, catalog: dict[str, dict]) -> tuple[str, list[Any]]:
    name = f.get("propertyName")
    op = str(f.get("operator", "EQ")).upper()
    if not name:
        raise HubSpotError(400, "Each filter needs a propertyName")
    expr, kind = _column(object_type, name, catalog)
    cmp = f"lower({expr})" if kind == "text" else expr
    if op in OPERATORS:
        if "value" not in f:
            raise HubSpotError(400, f"Filter on {name} with operator {op} needs a value")
        return f"{cmp} {OPERATORS[op]} ?", [_value(kind, f["value"], name)]
    if op == "BETWEEN":
        if "value" not in f or "highValue" not in f:
            raise HubSpotError(400, f"BETWEEN filter on {name} needs value and highValue")
        return f"{cmp} BETWEEN ? AND ?", [_value(kind, f["value"], name), _value(kind, f["highValue"], name)]
    if op in ("IN", "NOT_IN"):
        values = f.get("values") or []
        if not values:
            raise HubSpotError(400, f"{op} filter on {name} needs values")
        marks = ",".join("?" * len(values))
        sql = f"{cmp} {'NOT ' if op == 'NOT_IN' else ''}IN ({marks})"
        return sql, [_value(kind, v, name) for v in values]
    if op == "HAS_PROPERTY":
        return f"({expr} IS NOT NULL AND {expr} != '')", []
    if op == "NOT_HAS_PROPERTY":
        return f"({expr} IS NULL OR {expr} = '')", []
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(f.get("value", "")).lower().replace("*", "%")
        return f"{'NOT ' if op.startswith('NOT') else ''}(lower({expr}) LIKE ?)", [f"%{token}%"]
    raise HubSpotError(400, f"Unsupported filter operator {op}")


def compile_where(object_type: str, body: dict, catalog: dict[str, dict]) -> tuple[str, list[Any]]:
    """The WHERE fragment (without visibility rules) for filterGroups and query."""
    groups = body.get("filterGroups") or []
    total = sum(len(g.get("filters") or []) for g in groups)
    if len(groups) > MAX_GROUPS or total > MAX_FILTERS or any(len(g.get("filters") or []) > MAX_PER_GROUP for g in groups):
        raise HubSpotError(400, f"Too many filters: at most {MAX_GROUPS} filterGroups, {MAX_PER_GROUP} filters per group "
                                f"and {MAX_FILTERS} filters in total")
    clauses: list[str] = []
    params: list[Any] = []
    for group in groups:
        parts = [_filter_sql(object_type, f, catalog) for f in group.get("filters") or []]
        if parts:
            clauses.append("(" + " AND ".join(p[0] for p in parts) + ")")
            for p in parts:
                params.extend(p[1])
    where = "(" + " OR ".join(clauses) + ")" if clauses else "1"
    query = str(body.get("query") or "").strip().lower()
    if query:
        where += " AND lower(props) LIKE ?"
        params.append(f"%{query}%")
    return where, params


def compile_order(object_type: str, sorts: list, catalog: dict[str, dict]) -> str:
    """ORDER BY with id as the final tie-breaker, so equal sort keys page stably."""
    terms: list[str] = []
    for s in sorts or []:
        if isinstance(s, str):  # the spec types sorts as strings: "-createdate" or "createdate"
            s = {"propertyName": s.lstrip("-"), "direction": "DESCENDING" if s.startswith("-") else "ASCENDING"}
        expr, _ = _column(object_type, s.get("propertyName", "hs_object_id"), catalog)
        direction = "DESC" if str(s.get("direction", "ASCENDING")).upper().startswith("DESC") else "ASC"
        terms.append(f"{expr} {direction}")
    terms.append("id ASC")
    return ", ".join(terms)
