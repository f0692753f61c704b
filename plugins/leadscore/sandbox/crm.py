"""HubSpot CRM object semantics shared by every object type: read, page, search, write, merge.

One implementation serves contacts, companies and the four engagement types; the routes
only parse HTTP. Visibility rules live here: merged-away records are gone everywhere,
archived ones only appear with `archived=true`, and search also hides archived records and
(optionally) those modified within the index lag.
"""
from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timezone
from typing import Any

from leadscore.sandbox.config import SandboxConfig
from leadscore.sandbox.errors import HubSpotError, row_error
from leadscore.sandbox.search import compile_order, compile_where
from leadscore.sandbox.store import (ASSOCIATION_TYPE_IDS, CREATED_PROP, CRM_TYPES, MODIFIED_PROP, SINGULAR, Store,
                                     iso_ms, parse_ms)

LIFECYCLE_ORDER = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
                   "evangelist"]
DEFAULT_PROPERTIES = {
    "contacts": ["createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"],
    "companies": ["createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"],
    "deals": ["amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", "hs_object_id",
              "pipeline"],
}
ALWAYS = ("hs_object_id",)
READ_ONLY = {"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate", "hs_createdate",
             "hs_merged_object_ids"}
LIST_MAX, SEARCH_MAX, BATCH_MAX, SEARCH_CAP = 100, 200, 100, 10_000
# Search `total` is exact up to this many matches and capped above it: counting every match
# on every page would make keyset paging over a million records quadratic. Paging decisions
# are unaffected, since no request may reach past 10,000 anyway.
TOTAL_CAP = 100_000
COLS = "id, props, created_at, updated_at, archived, archived_at"


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(after: str | None) -> int:
    if not after:
        return 0
    try:
        text = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id":
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise HubSpotError(400, f"Invalid paging cursor 'after={after}'") from None


def now_ms() -> int:
    return int(time.time() * 1000)


def check_type(object_type: str) -> None:
    if object_type not in CRM_TYPES:
        raise HubSpotError(400, f"Unable to infer object type from: {object_type}")


def lifecycle_allowed(current: str | None, new: str) -> bool:
    """HubSpot's lifecycle stage only moves forward unless it was cleared first."""
    if new == "" or not current or current == "other" or new == "other":
        return True
    if current not in LIFECYCLE_ORDER or new not in LIFECYCLE_ORDER:
        return True
    return LIFECYCLE_ORDER.index(new) >= LIFECYCLE_ORDER.index(current)


class Crm:
    def __init__(self, store: Store, config: SandboxConfig):
        self.store = store
        self.config = config
        self._catalogs: dict[str, dict[str, dict]] = {}

    # -- catalog -------------------------------------------------------------------------------
    def catalog(self, object_type: str) -> dict[str, dict]:
        if object_type not in self._catalogs:
            rows = self.store.query("SELECT name, body FROM properties WHERE object_type = ?", (object_type,))
            self._catalogs[object_type] = {name: json.loads(body) for name, body in rows}
        return self._catalogs[object_type]

    def forget_catalogs(self) -> None:
        self._catalogs.clear()

    def wanted(self, object_type: str, properties: list[str] | None) -> list[str]:
        if not properties:
            names = DEFAULT_PROPERTIES.get(object_type, ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"])
            return list(names)
        catalog = self.catalog(object_type)
        chosen = [p for p in dict.fromkeys(properties) if p in catalog]
        for p in (*ALWAYS, CREATED_PROP[object_type], MODIFIED_PROP[object_type]):
            if p not in chosen:
                chosen.append(p)
        return chosen

    # -- shaping -------------------------------------------------------------------------------
    def to_api(self, row: tuple, wanted: list[str] | None) -> dict[str, Any]:
        oid, props_text, created_at, updated_at, archived, archived_at = row[:6]
        props = json.loads(props_text)
        shown = props if wanted is None else {name: props.get(name) for name in wanted}
        obj: dict[str, Any] = {"id": str(oid), "properties": shown, "createdAt": created_at, "updatedAt": updated_at,
                               "archived": bool(archived)}
        if archived:
            obj["archivedAt"] = archived_at
        return obj

    def visible(self, archived: bool = False) -> str:
        return f"merged_into IS NULL AND archived = {1 if archived else 0}"

    def attach_associations(self, object_type: str, objects: list[dict], to_types: list[str]) -> None:
        ids = [int(o["id"]) for o in objects]
        for to_type in to_types:
            if to_type not in CRM_TYPES:
                continue
            links = self.linked(object_type, to_type, ids)
            label = f"{SINGULAR[object_type]}_to_{SINGULAR[to_type]}"
            for obj in objects:
                targets = links.get(int(obj["id"]))
                if targets:
                    obj.setdefault("associations", {})[to_type] = {
                        "results": [{"id": str(t), "type": label} for t in targets]}

    def linked(self, from_type: str, to_type: str, ids: list[int]) -> dict[int, list[int]]:
        """Associated ids per source id, skipping targets that were merged away or archived."""
        found: dict[int, list[int]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.store.query(
                f"SELECT a.from_id, a.to_id FROM assoc a JOIN obj_{to_type} o ON o.id = a.to_id "
                f"WHERE a.from_type = ? AND a.to_type = ? AND a.from_id IN ({marks}) AND o.merged_into IS NULL "
                f"AND o.archived = 0 ORDER BY a.from_id, a.to_id", (from_type, to_type, *chunk))
            for from_id, to_id in rows:
                targets = found.setdefault(from_id, [])
                if to_id not in targets:
                    targets.append(to_id)
        return found

    # -- reads ---------------------------------------------------------------------------------
    def list(self, object_type: str, limit: int, after: str | None, properties: list[str] | None,
             associations: list[str], archived: bool) -> dict[str, Any]:
        check_type(object_type)
        if limit < 1 or limit > LIST_MAX:
            raise HubSpotError(400, f"limit must be between 1 and {LIST_MAX}, got {limit}")
        last_id = decode_cursor(after)
        rows = self.store.query(f"SELECT {COLS} FROM obj_{object_type} WHERE {self.visible(archived)} AND id > ? "
                                f"ORDER BY id LIMIT ?", (last_id, limit + 1))
        wanted = self.wanted(object_type, properties)
        results = [self.to_api(r, wanted) for r in rows[:limit]]
        if associations:
            self.attach_associations(object_type, results, associations)
        body: dict[str, Any] = {"results": results}
        if len(rows) > limit:
            cursor = encode_cursor(int(rows[limit - 1][0]))
            body["paging"] = {"next": {"after": cursor, "link": f"?after={cursor}"}}
        return body

    def row(self, object_type: str, oid: int, archived: bool = False) -> tuple | None:
        rows = self.store.query(f"SELECT {COLS} FROM obj_{object_type} WHERE id = ? AND {self.visible(archived)}", (oid,))
        return rows[0] if rows else None

    def get(self, object_type: str, oid: str, properties: list[str] | None, associations: list[str],
            archived: bool) -> dict[str, Any]:
        check_type(object_type)
        row = self.row(object_type, int(oid), archived) if oid.isdigit() else None
        if row is None:
            raise HubSpotError(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND")
        obj = self.to_api(row, self.wanted(object_type, properties))
        if associations:
            self.attach_associations(object_type, [obj], associations)
        return obj

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        check_type(object_type)
        limit = int(body.get("limit") or 10)
        try:
            offset = int(body.get("after") or 0)
        except ValueError:
            raise HubSpotError(400, f"Invalid after value {body.get('after')!r}") from None
        if limit < 1 or limit > SEARCH_MAX:
            raise HubSpotError(400, f"limit must be between 1 and {SEARCH_MAX}, got {limit}")
        if offset + limit > SEARCH_CAP:
            raise HubSpotError(400, "The search endpoint cannot return more than 10,000 results for a query: "
                                    f"after ({offset}) + limit ({limit}) must be at most {SEARCH_CAP}. "
                                    "Narrow the query with filters (for example on hs_object_id) instead of paging further.")
        catalog = self.catalog(object_type)
        where, params = compile_where(object_type, body, catalog)
        where = f"{self.visible()} AND {where}"
        lag = self.config.index_lag_seconds
        if lag > 0:
            where += " AND modified_ms <= ?"
            params.append(now_ms() - int(lag * 1000))
        total = self.store.scalar(f"SELECT COUNT(*) FROM (SELECT 1 FROM obj_{object_type} WHERE {where} LIMIT ?)",
                                  (*params, TOTAL_CAP))
        order = compile_order(object_type, body.get("sorts") or [], catalog)
        rows = self.store.query(f"SELECT {COLS} FROM obj_{object_type} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                                (*params, limit, offset))
        wanted = self.wanted(object_type, body.get("properties"))
        out: dict[str, Any] = {"total": total, "results": [self.to_api(r, wanted) for r in rows]}
        if offset + limit < total:
            out["paging"] = {"next": {"after": str(offset + limit), "link": f"?after={offset + limit}"}}
        return out

    def batch_read(self, object_type: str, body: dict[str, Any], archived: bool) -> tuple[list[dict], list[dict]]:
        check_type(object_type)
        inputs = self.inputs(body)
        wanted = self.wanted(object_type, body.get("properties"))
        results, missing = [], []
        for item in inputs:
            oid = str(item.get("id", ""))
            row = self.row(object_type, int(oid), archived) if oid.isdigit() else None
            if row is None:
                missing.append(oid)
            else:
                results.append(self.to_api(row, wanted))
        return results, [self.not_found(object_type, missing)] if missing else []

    # -- writes --------------------------------------------------------------------------------
    @staticmethod
    def inputs(body: dict[str, Any]) -> list[dict]:
        inputs = body.get("inputs")
        if not isinstance(inputs, list):
            raise HubSpotError(400, "Invalid input JSON: 'inputs' must be a list")
        if len(inputs) > BATCH_MAX:
            raise HubSpotError(400, "The maximum number of inputs supported in a batch is 100. Please reduce the "
                                    "number of items and try again")
        return inputs

    @staticmethod
    def not_found(object_type: str, ids: list[str]) -> dict:
        return row_error("OBJECT_NOT_FOUND", f"Could not get some {SINGULAR[object_type].upper()} objects, they may be "
                         "deleted or not exist. Check that ids are valid.", "OBJECT_NOT_FOUND", {"ids": ids})

    def invalid(self, object_type: str, name: str, value: Any) -> dict | None:
        """A row error for one property write, or None when the write is acceptable."""
        definition = self.catalog(object_type).get(name)
        if definition is None:
            return row_error("VALIDATION_ERROR", f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST",
                             {"propertyName": [name]})
        if name in READ_ONLY or (definition.get("modificationMetadata") or {}).get("readOnlyValue"):
            return row_error("VALIDATION_ERROR", f'Property "{name}" is read-only', "READ_ONLY_VALUE",
                             {"propertyName": [name]})
        text = "" if value is None else str(value)
        if text == "":
            return None
        if definition.get("type") == "enumeration":
            allowed = [o["value"] for o in definition.get("options") or []]
            if text not in allowed:
                detail = {"isValid": False, "message": f"{text} was not one of the allowed options: {allowed}",
                          "error": "INVALID_OPTION", "name": name}
                return row_error("VALIDATION_ERROR", f"Property values were not valid: {json.dumps([detail])}",
                                 "INVALID_OPTION", {"propertyName": [name]})
        if definition.get("type") == "number":
            try:
                float(text)
            except ValueError:
                return row_error("VALIDATION_ERROR", f'Property values were not valid: "{text}" is not a number for {name}',
                                 "INVALID_DECIMAL", {"propertyName": [name]})
        return None

    def batch_update(self, object_type: str, body: dict[str, Any], fail_rows: set[int] | None = None
                     ) -> tuple[list[dict], list[dict]]:
        """Apply valid rows, report the others; `fail_rows` are row indexes a fault marks as failed."""
        check_type(object_type)
        inputs = self.inputs(body)
        ids = [str(i.get("id", "")) for i in inputs]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise HubSpotError(400, f"Duplicate IDs found in batch input: {duplicates}. IDs must be unique")
        rows = {oid: self.row(object_type, int(oid)) for oid in ids if oid.isdigit()}
        before = {oid: json.loads(r[1]).get("lifecyclestage") for oid, r in rows.items() if r}
        results, errors, missing = [], [], []
        stamp = now_ms()
        with self.store.transaction():
            self._apply_rows(object_type, inputs, ids, rows, before, fail_rows, stamp, results, errors, missing)
        if missing:
            errors.insert(0, self.not_found(object_type, missing))
        return results, errors

    def _apply_rows(self, object_type: str, inputs: list[dict], ids: list[str], rows: dict, before: dict,
                    fail_rows: set[int] | None, stamp: int, results: list, errors: list, missing: list) -> None:
        for index, item in enumerate(inputs):
            oid = ids[index]
            row = rows.get(oid)
            if row is None:
                missing.append(oid)
                continue
            props_in = item.get("properties") or {}
            problems = [e for e in (self.invalid(object_type, k, v) for k, v in props_in.items()) if e]
            if fail_rows and index in fail_rows:
                problems.append(row_error("INTERNAL_ERROR", "An internal error occurred while updating this record; "
                                          "retry the request", "INTERNAL_ERROR", {"ids": [oid]}))
            if problems:
                errors.extend(problems)
                continue
            results.append(self.apply(object_type, row, props_in, before.get(oid), stamp))

    def apply(self, object_type: str, row: tuple, props_in: dict[str, Any], stage_before: str | None,
              stamp: int) -> dict[str, Any]:
        props = json.loads(row[1])
        changed = False
        for name, value in props_in.items():
            text = "" if value is None else str(value)
            if (name == "lifecyclestage" and self.config.lifecycle_forward_only
                    and not lifecycle_allowed(stage_before, text)):
                continue  # HubSpot ignores a backward move silently
            if props.get(name) != text:
                props[name] = text
                changed = True
        updated_at = row[3]
        if changed:
            updated_at = iso_ms(stamp)
            props[MODIFIED_PROP[object_type]] = updated_at
            self.store.conn.execute(f"UPDATE obj_{object_type} SET props = ?, updated_at = ?, modified_ms = ? WHERE id = ?",
                                    (json.dumps(props, ensure_ascii=False), updated_at, stamp, row[0]))
        shown = [*props_in, *self.wanted(object_type, None)]
        return self.to_api((row[0], json.dumps(props), row[2], updated_at, 0, None), list(dict.fromkeys(shown)))

    def create(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST /crm/v3/objects/{type}: validate every property as a write, then insert."""
        check_type(object_type)
        props_in = body.get("properties") or {}
        if not isinstance(props_in, dict):
            raise HubSpotError(400, "properties must be an object of property name to value")
        for name, value in props_in.items():
            error = self.invalid(object_type, name, value)
            if error:
                raise HubSpotError(400, error["message"], error["category"])
        stamp = now_ms()
        stamp_iso = iso_ms(stamp)
        oid = int(self.store.scalar(f"SELECT COALESCE(MAX(id), 0) FROM obj_{object_type}")) + 1
        props = {name: "" if v is None else str(v) for name, v in props_in.items()}
        props.update({"hs_object_id": str(oid), "createdate": stamp_iso, MODIFIED_PROP[object_type]: stamp_iso})
        self.store.conn.execute(
            f"INSERT INTO obj_{object_type} (id, props, created_at, updated_at, created_ms, modified_ms) "
            "VALUES (?,?,?,?,?,?)", (oid, json.dumps(props, ensure_ascii=False), stamp_iso, stamp_iso, stamp, stamp))
        return self.to_api((oid, json.dumps(props), stamp_iso, stamp_iso, 0, None),
                           list(dict.fromkeys([*props_in, *self.wanted(object_type, None)])))

    def archive(self, object_type: str, oid: str) -> None:
        """DELETE /crm/v3/objects/{type}/{id}: HubSpot archives (soft-deletes); archiving twice is a no-op."""
        check_type(object_type)
        row = self.row(object_type, int(oid)) if str(oid).isdigit() else None
        if row is None:
            if str(oid).isdigit() and self.row(object_type, int(oid), archived=True) is not None:
                return
            raise HubSpotError(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND")
        stamp = now_ms()
        self.store.conn.execute(f"UPDATE obj_{object_type} SET archived = 1, archived_at = ? WHERE id = ?",
                                (iso_ms(stamp), int(oid)))

    def merge(self, primary: str, loser: str) -> dict[str, Any]:
        if str(primary) == str(loser):
            raise HubSpotError(400, "Cannot merge an object with itself")
        rows = {oid: self.row("contacts", int(oid)) if str(oid).isdigit() else None for oid in (str(primary), str(loser))}
        if None in rows.values():
            raise HubSpotError(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND")
        survivor = json.loads(rows[str(primary)][1])
        lost = json.loads(rows[str(loser)][1])
        merged = [i for i in (survivor.get("hs_merged_object_ids") or "").split(";") if i]
        merged += [str(loser)] + [i for i in (lost.get("hs_merged_object_ids") or "").split(";") if i]
        stamp = now_ms()
        conn = self.store.conn
        with self.store.transaction():
            conn.execute("UPDATE obj_contacts SET merged_into = ? WHERE id = ?", (int(primary), int(loser)))
            conn.execute("UPDATE obj_contacts SET merged_into = ? WHERE merged_into = ?", (int(primary), int(loser)))
            conn.execute("UPDATE assoc SET from_id = ? WHERE from_type = 'contacts' AND from_id = ?",
                         (int(primary), int(loser)))
            conn.execute("UPDATE assoc SET to_id = ? WHERE to_type = 'contacts' AND to_id = ?", (int(primary), int(loser)))
            row = self.row("contacts", int(primary))
            assert row is not None
            return self._force_merge_ids(row, merged, stamp)

    def _force_merge_ids(self, row: tuple, merged: list[str], stamp: int) -> dict[str, Any]:
        """Write the read-only hs_merged_object_ids (only the merge itself may) and bump the dates."""
        props = json.loads(row[1])
        props["hs_merged_object_ids"] = ";".join(dict.fromkeys(merged))
        props["lastmodifieddate"] = iso_ms(stamp)
        self.store.conn.execute("UPDATE obj_contacts SET props = ?, updated_at = ?, modified_ms = ? WHERE id = ?",
                                (json.dumps(props, ensure_ascii=False), props["lastmodifieddate"], stamp, row[0]))
        return self.to_api((row[0], json.dumps(props), row[2], props["lastmodifieddate"], 0, None),
                           [*self.wanted("contacts", None), "hs_merged_object_ids"])

    def touch(self, object_type: str, count: int, timestamp: Any, ids: list[str] | None = None) -> list[str]:
        """Test helper: set the modified date of `ids` (or the first `count` visible records)."""
        check_type(object_type)
        stamp = parse_ms(timestamp) if timestamp not in (None, "") else now_ms()
        if stamp is None:
            raise HubSpotError(400, f"Invalid timestamp {timestamp!r}")
        if ids is None:
            ids = [str(r[0]) for r in self.store.query(
                f"SELECT id FROM obj_{object_type} WHERE {self.visible()} ORDER BY id LIMIT ?", (count,))]
        modified = MODIFIED_PROP[object_type]
        stamp_iso = iso_ms(stamp)
        self.store.conn.execute("BEGIN")
        for oid in ids:
            self.store.conn.execute(
                f"UPDATE obj_{object_type} SET props = json_set(props, '$.{modified}', ?), updated_at = ?, "
                f"modified_ms = ? WHERE id = ?", (stamp_iso, stamp_iso, stamp, int(oid)))
        self.store.conn.execute("COMMIT")
        return ids

    def clone_contacts(self, count: int, timestamp: Any = None) -> list[str]:
        """Test helper: add `count` contacts copied from existing ones (new ids and emails)."""
        stamp = parse_ms(timestamp) if timestamp not in (None, "") else now_ms()
        stamp_iso = iso_ms(stamp)
        templates = self.store.query(f"SELECT props FROM obj_contacts WHERE {self.visible()} ORDER BY id LIMIT 50")
        if not templates:
            raise HubSpotError(400, "The dataset has no contacts to clone")
        start = int(self.store.scalar("SELECT COALESCE(MAX(id), 0) FROM obj_contacts")) + 1
        rows = []
        for n in range(count):
            oid = start + n
            props = json.loads(templates[n % len(templates)][0])
            props.update({"email": f"clone{oid}@sandbox.example", "hs_object_id": str(oid), "createdate": stamp_iso,
                          "lastmodifieddate": stamp_iso, "hs_merged_object_ids": ""})
            rows.append((oid, json.dumps(props, ensure_ascii=False), stamp_iso, stamp_iso, stamp, stamp))
        conn = self.store.conn
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO obj_contacts (id, props, created_at, updated_at, created_ms, modified_ms) "
                         "VALUES (?,?,?,?,?,?)", rows)
        conn.execute("COMMIT")
        return [str(start), str(start + count - 1)] if count else []

    # -- associations v4 -----------------------------------------------------------------------
    def associations_v4(self, from_type: str, to_type: str, body: dict[str, Any]) -> tuple[list[dict], list[dict]]:
        """One result per input id with at most `association_page_size` targets; a longer list
        carries `paging.next.after`, which the client re-sends as `{"id", "after"}` for the rest
        (absent on the last page). Ids with no (live) association are 207 error rows."""
        check_type(from_type)
        check_type(to_type)
        inputs = self.inputs(body)
        ids = [str(i.get("id", "")) for i in inputs]
        numeric = [int(i) for i in ids if i.isdigit()]
        links = self.linked(from_type, to_type, numeric)
        type_id = ASSOCIATION_TYPE_IDS.get((from_type, to_type), 0)
        size = max(1, int(self.config.association_page_size))
        results, errors = [], []
        for item, oid in zip(inputs, ids):
            targets = links.get(int(oid)) if oid.isdigit() else None
            if not targets:
                errors.append(row_error("OBJECT_NOT_FOUND", f"No {to_type} is associated with {SINGULAR[from_type]} {oid}.",
                                        "NO_ASSOCIATIONS_FOUND", {"fromObjectId": [oid]}))
                continue
            after = decode_cursor(item.get("after"))
            rest = [t for t in targets if t > after]
            row: dict[str, Any] = {"from": {"id": oid}, "to": [
                {"toObjectId": t, "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]}
                for t in rest[:size]]}
            if len(rest) > size:
                cursor = encode_cursor(rest[size - 1])
                row["paging"] = {"next": {"after": cursor, "link": None}}
            results.append(row)
        return results, errors


def batch_envelope(results: list[dict], errors: list[dict], started: datetime) -> tuple[int, dict[str, Any]]:
    """(status code, body) of a batch response: 200 when clean, 207 with errors[] otherwise."""
    body: dict[str, Any] = {"status": "COMPLETE", "results": results,
                            "startedAt": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                            "completedAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
        return 207, body
    return 200, body
