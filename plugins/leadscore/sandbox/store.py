"""The sandbox's state: the dataset loaded into a private, temp-file SQLite database.

SQLite with indexes serves a million contacts and tens of millions of activities without
holding them as Python objects; JSON bodies are stored as text and parsed per page. The
dataset directory is only read. Writes are undoable at row level: triggers save a row's
original the first time it changes (and note inserted rows), so `reset()` costs time in
proportion to what was written, not to the dataset (no copy of a multi-GB file).
"""
from __future__ import annotations

import json
import logging
import sqlite3
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, Iterator, TypeVar

CRM_TYPES = ("contacts", "companies", "deals", "calls", "meetings", "emails", "notes")
ENGAGEMENT_TYPES = ("calls", "meetings", "emails", "notes")
MODIFIED_PROP = {t: "lastmodifieddate" if t == "contacts" else "hs_lastmodifieddate" for t in CRM_TYPES}
CREATED_PROPS = ("createdate", "hs_createdate")
# contacts, companies and deals carry `createdate`; engagements `hs_createdate`
CREATED_PROP = {t: "hs_createdate" if t in ENGAGEMENT_TYPES else "createdate" for t in CRM_TYPES}
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal", "calls": "call", "meetings": "meeting",
            "emails": "email", "notes": "note"}
# HubSpot-defined association type ids (v4), by (from, to).
ASSOCIATION_TYPE_IDS = {("contacts", "companies"): 1, ("companies", "contacts"): 2, ("deals", "contacts"): 3,
                        ("contacts", "deals"): 4, ("calls", "contacts"): 194,
                        ("contacts", "calls"): 193, ("emails", "contacts"): 198, ("contacts", "emails"): 197,
                        ("meetings", "contacts"): 200, ("contacts", "meetings"): 199, ("notes", "contacts"): 202,
                        ("contacts", "notes"): 201}
CHUNK = 20_000
PIPELINE_STAMP = "2020-01-01T00:00:00Z"
# HubSpot's default deal stages: (id, label, probability); 1.0 is closed won, 0.0 closed lost.
DEFAULT_DEAL_STAGES = (("appointmentscheduled", "Appointment Scheduled", "0.2"),
                       ("qualifiedtobuy", "Qualified To Buy", "0.4"),
                       ("presentationscheduled", "Presentation Scheduled", "0.6"),
                       ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
                       ("contractsent", "Contract Sent", "0.9"),
                       ("closedwon", "Closed Won", "1.0"),
                       ("closedlost", "Closed Lost", "0.0"))
DEFAULT_DEAL_PIPELINE = {
    "id": "default", "label": "Sales Pipeline", "displayOrder": 0, "archived": False,
    "createdAt": PIPELINE_STAMP, "updatedAt": PIPELINE_STAMP,
    "stages": [{"id": sid, "label": label, "displayOrder": n, "archived": False,
                "metadata": {"isClosed": str(sid.startswith("closed")).lower(), "probability": probability},
                "createdAt": PIPELINE_STAMP, "updatedAt": PIPELINE_STAMP}
               for n, (sid, label, probability) in enumerate(DEFAULT_DEAL_STAGES)],
}
T = TypeVar("T")
log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS assoc (from_type TEXT, from_id INTEGER, to_type TEXT, to_id INTEGER);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, id TEXT, event_type TEXT, object_id INTEGER,
    occurred_ms INTEGER, body TEXT);
CREATE TABLE IF NOT EXISTS properties (object_type TEXT, name TEXT, body TEXT, PRIMARY KEY (object_type, name));
CREATE TABLE IF NOT EXISTS property_groups (object_type TEXT, name TEXT, body TEXT, PRIMARY KEY (object_type, name));
CREATE TABLE IF NOT EXISTS pipelines (object_type TEXT, id TEXT, display_order INTEGER, body TEXT,
    PRIMARY KEY (object_type, id));
CREATE TABLE IF NOT EXISTS mc_lists (id TEXT PRIMARY KEY, body TEXT);
CREATE TABLE IF NOT EXISTS mc_members (seq INTEGER PRIMARY KEY, id TEXT, list_id TEXT, last_changed_ms INTEGER, body TEXT);
CREATE TABLE IF NOT EXISTS mc_campaigns (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, send_ms INTEGER, body TEXT);
CREATE TABLE IF NOT EXISTS mc_activity (seq INTEGER PRIMARY KEY, campaign_id TEXT, last_ms INTEGER, body TEXT);
CREATE TABLE IF NOT EXISTS mc_unsubscribes (seq INTEGER PRIMARY KEY, campaign_id TEXT, body TEXT);
"""
OBJECT_TABLE = """
CREATE TABLE IF NOT EXISTS obj_{t} (id INTEGER PRIMARY KEY, props TEXT, created_at TEXT, updated_at TEXT,
    created_ms INTEGER, modified_ms INTEGER, archived INTEGER DEFAULT 0, archived_at TEXT, merged_into INTEGER);
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS assoc_from ON assoc (from_type, to_type, from_id);
CREATE INDEX IF NOT EXISTS events_type_time ON events (event_type, occurred_ms, id);
CREATE INDEX IF NOT EXISTS mc_members_list ON mc_members (list_id, last_changed_ms);
CREATE INDEX IF NOT EXISTS mc_activity_campaign ON mc_activity (campaign_id, last_ms);
CREATE INDEX IF NOT EXISTS mc_unsub_campaign ON mc_unsubscribes (campaign_id);
""" + "".join(f"""
CREATE INDEX IF NOT EXISTS obj_{t}_visible ON obj_{t} (archived, merged_into, id);
CREATE INDEX IF NOT EXISTS obj_{t}_modified ON obj_{t} (modified_ms, id);""" for t in CRM_TYPES)


@lru_cache(maxsize=65536)
def _day_ms(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp() * 1000)


def _utc_ms(text: str) -> int | None:
    """Fast path for the APIs' own UTC formats (…Z or …+00:00); None when it does not apply."""
    if len(text) < 19 or text[10] != "T" or text[4] != "-":
        return None
    if text.endswith("Z"):
        frac = text[19:-1]
    elif text.endswith("+00:00"):
        frac = text[19:-6]
    else:
        return None
    try:
        ms = _day_ms(text[:10]) + int(text[11:13]) * 3_600_000 + int(text[14:16]) * 60_000 + int(text[17:19]) * 1000
        if frac:
            if frac[0] != "." or not frac[1:].isdigit():
                return None
            ms += int((frac[1:] + "00")[:3])
        return ms
    except ValueError:
        return None


def undo_schema() -> str:
    """Tables and triggers that remember originals of changed rows and ids of inserted ones."""
    cols = "id, props, created_at, updated_at, created_ms, modified_ms, archived, archived_at, merged_into"
    old = ", ".join(f"OLD.{c.strip()}" for c in cols.split(","))
    parts = []
    for t in CRM_TYPES:
        parts.append(f"""
CREATE TABLE undo_obj_{t} (id INTEGER PRIMARY KEY, props TEXT, created_at TEXT, updated_at TEXT, created_ms INTEGER,
    modified_ms INTEGER, archived INTEGER, archived_at TEXT, merged_into INTEGER);
CREATE TABLE undo_new_{t} (id INTEGER PRIMARY KEY);
CREATE TRIGGER undo_upd_{t} BEFORE UPDATE ON obj_{t}
    WHEN NOT EXISTS (SELECT 1 FROM undo_new_{t} WHERE id = OLD.id)
    BEGIN INSERT OR IGNORE INTO undo_obj_{t} ({cols}) VALUES ({old}); END;
CREATE TRIGGER undo_ins_{t} AFTER INSERT ON obj_{t}
    BEGIN INSERT OR IGNORE INTO undo_new_{t} (id) VALUES (NEW.id); END;""")
    parts.append("""
CREATE TABLE undo_assoc (rid INTEGER PRIMARY KEY, from_type TEXT, from_id INTEGER, to_type TEXT, to_id INTEGER);
CREATE TRIGGER undo_upd_assoc BEFORE UPDATE ON assoc
    BEGIN INSERT OR IGNORE INTO undo_assoc VALUES (OLD.rowid, OLD.from_type, OLD.from_id, OLD.to_type, OLD.to_id); END;
CREATE TABLE pristine_properties AS SELECT * FROM properties;
CREATE TABLE pristine_property_groups AS SELECT * FROM property_groups;
""")
    return "".join(parts)


def undo_sql() -> str:
    """Put every changed row back, drop inserted rows, restore the property definitions."""
    parts = []
    for t in CRM_TYPES:
        parts.append(f"""
DELETE FROM obj_{t} WHERE id IN (SELECT id FROM undo_new_{t});
INSERT OR REPLACE INTO obj_{t} SELECT * FROM undo_obj_{t};
DELETE FROM undo_obj_{t}; DELETE FROM undo_new_{t};""")
    parts.append("""
INSERT OR REPLACE INTO assoc (rowid, from_type, from_id, to_type, to_id) SELECT * FROM undo_assoc;
DELETE FROM undo_assoc;
DELETE FROM properties; INSERT INTO properties SELECT * FROM pristine_properties;
DELETE FROM property_groups; INSERT INTO property_groups SELECT * FROM pristine_property_groups;
""")
    return "".join(parts)


def parse_ms(value: Any) -> int | None:
    """Epoch ms from HubSpot/Mailchimp strings (ISO with Z or offset) or digit strings."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    fast = _utc_ms(text)
    if fast is not None:
        return fast
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    return int(ts.timestamp() * 1000)


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


MAX_LISTED_LINES = 20


class FileProblems:
    """What one dataset file held that could not be loaded, by kind and line number; reported
    as ONE warning line so a hand-edited dataset starts with what it can (never a traceback)."""

    def __init__(self, path: Path):
        self.path = path
        self.lines: dict[str, list[int]] = {}

    def add(self, kind: str, line_no: int) -> None:
        self.lines.setdefault(kind, []).append(line_no)

    def line(self) -> str | None:
        if not self.lines:
            return None
        parts = []
        for kind, numbers in self.lines.items():
            listed = ", ".join(map(str, numbers[:MAX_LISTED_LINES]))
            more = f" and {len(numbers) - MAX_LISTED_LINES} more" if len(numbers) > MAX_LISTED_LINES else ""
            parts.append(f"{kind} at line{'s' if len(numbers) > 1 else ''} {listed}{more}")
        skipped = sum(map(len, self.lines.values()))
        return f"sandbox dataset {self.path}: skipped {skipped} record{'s' if skipped > 1 else ''} — {'; '.join(parts)}"

    def report(self) -> None:
        if text := self.line():
            log.warning(text)


def _problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    if isinstance(exc, ValueError):
        return "an id that is not a number"
    return "not a JSON object of the expected shape"


def _lines(path: Path, build: Callable[[str, Any], T], key: Callable[[T], Hashable] | None = None) -> Iterator[T]:
    """build(raw line, parsed record) for each usable line of an NDJSON file (a UTF-8 BOM is
    dropped); lines that are not JSON, that `build` cannot read, or whose `key` an earlier line
    had (the first is kept) are skipped and reported once for the file."""
    if not path.exists():
        return
    problems = FileProblems(path)
    seen: set[Hashable] = set()
    with open(path, encoding="utf-8-sig") as handle:
        for line_no, line in enumerate(handle, 1):
            line = line.rstrip("\n").lstrip("\ufeff")
            if not line.strip():
                continue
            try:
                row = build(line, json.loads(line))
            except json.JSONDecodeError:
                problems.add("not JSON", line_no)
                continue
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                problems.add(_problem(exc), line_no)
                continue
            if key is not None:
                k = key(row)
                if k in seen:
                    problems.add("a duplicate id (the first is kept)", line_no)
                    continue
                seen.add(k)
            yield row
    problems.report()


def _chunks(rows: Iterable[tuple], size: int = CHUNK) -> Iterator[list[tuple]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.create_function("iso_ms", 1, parse_ms, deterministic=True)
    return conn


class DatasetLoader:
    """Builds the pristine database from a dataset directory (hubspot/*.ndjson, mailchimp/*.ndjson)."""

    def __init__(self, dataset_dir: Path, conn: sqlite3.Connection):
        self.hubspot = dataset_dir / "hubspot"
        self.mailchimp = dataset_dir / "mailchimp"
        self.conn = conn
        if not self.hubspot.is_dir():
            raise FileNotFoundError(f"{dataset_dir} has no hubspot/ folder: generate one with `leadscore generate --out DIR`")

    def load(self) -> None:
        conn = self.conn
        conn.executescript(SCHEMA + "".join(OBJECT_TABLE.format(t=t) for t in CRM_TYPES))
        conn.execute("BEGIN")
        for object_type in CRM_TYPES:
            self._objects(object_type)
        self._insert("INSERT INTO events (id, event_type, object_id, occurred_ms, body) VALUES (?,?,?,?,?)",
                     _lines(self.hubspot / "events.ndjson", lambda line, e: (
                         e["id"], e["eventType"], int(e["objectId"]), parse_ms(e["occurredAt"]), line)))
        for table, name in (("properties", "properties"), ("property_groups", "property_groups")):
            self._insert(f"INSERT OR REPLACE INTO {table} VALUES (?,?,?)",
                         _lines(self.hubspot / f"{name}.ndjson",
                                lambda line, p: (p.pop("objectType"), p["name"], json.dumps(p, ensure_ascii=False))))
        self._pipelines()
        self._mailchimp()
        conn.execute("COMMIT")
        conn.executescript(INDEXES)
        conn.executescript(undo_schema())
        conn.execute("ANALYZE")

    def _insert(self, sql: str, rows: Iterable[tuple]) -> None:
        for chunk in _chunks(rows):
            self.conn.executemany(sql, chunk)

    def _objects(self, object_type: str) -> None:
        modified_prop = MODIFIED_PROP[object_type]
        assoc: list[tuple] = []

        def build(_line: str, rec: dict) -> tuple[tuple, list[tuple]]:
            props = rec.get("properties") or {}
            oid = int(rec["id"])
            created = props.get("createdate") or props.get("hs_createdate") or rec.get("createdAt")
            modified = props.get(modified_prop) or rec.get("updatedAt")
            links = [(to_type, int(link["id"])) for to_type, block in (rec.get("associations") or {}).items()
                     for link in block.get("results", [])]
            return (oid, json.dumps(props, ensure_ascii=False), rec.get("createdAt"), rec.get("updatedAt"),
                    parse_ms(created), parse_ms(modified), int(bool(rec.get("archived"))), rec.get("archivedAt")), links

        def rows() -> Iterator[tuple]:
            for row, links in _lines(self.hubspot / f"{object_type}.ndjson", build, key=lambda r: r[0][0]):
                oid = row[0]
                for to_type, to_id in links:
                    assoc.append((object_type, oid, to_type, to_id))
                    assoc.append((to_type, to_id, object_type, oid))
                yield row
                if len(assoc) >= CHUNK:
                    self.conn.executemany("INSERT INTO assoc VALUES (?,?,?,?)", assoc)
                    assoc.clear()

        self._insert(f"INSERT INTO obj_{object_type} (id, props, created_at, updated_at, created_ms, modified_ms, "
                     "archived, archived_at) VALUES (?,?,?,?,?,?,?,?)", rows())
        self.conn.executemany("INSERT INTO assoc VALUES (?,?,?,?)", assoc)

    def _pipelines(self) -> None:
        """Deal pipelines as GET /crm/v3/pipelines/deals returns them; without a file, HubSpot's
        default pipeline (every portal has one)."""
        path = self.hubspot / "pipelines.ndjson"
        rows = _lines(path, lambda line, p: ("deals", str(p["id"]), int(p.get("displayOrder") or 0),
                                             json.dumps({**p, "id": str(p["id"])}, ensure_ascii=False)),
                      key=lambda row: row[1])
        if not path.exists():
            rows = iter([("deals", "default", 0, json.dumps(DEFAULT_DEAL_PIPELINE))])
        self._insert("INSERT INTO pipelines VALUES (?,?,?,?)", rows)

    def _mailchimp(self) -> None:
        mc = self.mailchimp
        first = {"key": lambda row: row[0]}   # ids the tables keep unique: the first one wins
        self._insert("INSERT INTO mc_lists VALUES (?,?)",
                     _lines(mc / "lists.ndjson", lambda line, r: (str(r["id"]), line), **first))
        self._insert("INSERT INTO mc_members (id, list_id, last_changed_ms, body) VALUES (?,?,?,?)",
                     _lines(mc / "members.ndjson", lambda line, r: (r["id"], r["list_id"], parse_ms(r.get("last_changed")), line)))
        self._insert("INSERT INTO mc_campaigns (id, send_ms, body) VALUES (?,?,?)",
                     _lines(mc / "campaigns.ndjson", lambda line, r: (str(r["id"]), parse_ms(r.get("send_time")), line),
                            **first))
        self._insert("INSERT INTO mc_activity (campaign_id, last_ms, body) VALUES (?,?,?)",
                     _lines(mc / "email_activity.ndjson", lambda line, r: (
                         r["campaign_id"], max((parse_ms(a.get("timestamp")) or 0) for a in r["activity"])
                         if r["activity"] else 0, line)))
        self._insert("INSERT INTO mc_unsubscribes (campaign_id, body) VALUES (?,?)",
                     _lines(mc / "unsubscribes.ndjson", lambda line, r: (r["campaign_id"], line)))


class _Transaction:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN")

    def __exit__(self, *exc: object) -> None:
        # committed even after an error: the served database has no rollback journal, so what
        # was applied stays applied, and the kept file must say the same
        self.conn.execute("COMMIT")


class Store:
    """Owns the database file (in a private temp dir unless `workdir` is given)."""

    def __init__(self, dataset_dir: Path, workdir: Path | None = None):
        self.dataset_dir = Path(dataset_dir)
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="leadscore-sandbox-")
        self.workdir = Path(workdir) if workdir else Path(self._tmp.name)  # type: ignore[union-attr]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.path = self.workdir / "sandbox.sqlite"
        self.path.unlink(missing_ok=True)
        self.conn = connect(self.path)
        DatasetLoader(self.dataset_dir, self.conn).load()

    def reset(self, also: str = "") -> None:
        """Back to the dataset as loaded: undo every write (and run `also` in the same transaction)."""
        self.conn.executescript("BEGIN;" + undo_sql() + also + "COMMIT;")

    def transaction(self) -> "_Transaction":
        """One commit for a multi-row write: the kept file gets all of it or none of it."""
        return _Transaction(self.conn)

    def close(self) -> None:
        self.conn.close()
        if self._tmp:
            self._tmp.cleanup()

    # -- reads -------------------------------------------------------------------------------
    def query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = self.conn.execute(sql, tuple(params)).fetchone()
        return row[0] if row else None
