"""CRM writes that outlive the sandbox process: `<LEADSCORE_HOME>/sandbox/<dataset>/crm_state.sqlite`.

The served database is rebuilt from the dataset at every start, so without this file a
restarted sandbox forgot what the reverse sync wrote while the warehouse's sync state still
said it was sent. The file holds the latest version of every record, association and
property definition the API changed; at start it is replayed over the freshly loaded dataset.

SQLite in WAL mode rather than an append-only NDJSON journal: a write is one transaction
(a batch update commits its rows together), so a process killed mid-write leaves the
previous consistent file (a torn WAL frame is discarded by SQLite's checksums, never half
a record); the file grows with the records written, not with how often they were written;
and replay is a few set-based statements. The file is ATTACHed to the served database and
filled by TEMP triggers on its CRM tables, so every write path (batch update, PATCH,
create, archive, merge, new properties and groups, the test helpers) is kept with no
code of its own. A file that cannot be read is moved aside with a warning, not a crash.
"""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from leadscore.sandbox.store import CRM_TYPES

log = logging.getLogger(__name__)

ALIAS = "crm_state"
FILENAME = "crm_state.sqlite"
OBJ_COLS = ("id", "props", "created_at", "updated_at", "created_ms", "modified_ms", "archived", "archived_at",
            "merged_into")
ASSOC_COLS = ("rid", "from_type", "from_id", "to_type", "to_id")
DEF_COLS = ("object_type", "name", "body")
# kept table → (columns, the served table, how a row is written there)
KEPT = {
    **{f"kept_obj_{t}": (OBJ_COLS, f"obj_{t}", "id INTEGER PRIMARY KEY, props TEXT, created_at TEXT, "
                         "updated_at TEXT, created_ms INTEGER, modified_ms INTEGER, archived INTEGER, "
                         "archived_at TEXT, merged_into INTEGER") for t in CRM_TYPES},
    "kept_assoc": (ASSOC_COLS, "assoc", "rid INTEGER PRIMARY KEY, from_type TEXT, from_id INTEGER, to_type TEXT, "
                   "to_id INTEGER"),
    "kept_properties": (DEF_COLS, "properties", "object_type TEXT, name TEXT, body TEXT, "
                        "PRIMARY KEY (object_type, name)"),
    "kept_property_groups": (DEF_COLS, "property_groups", "object_type TEXT, name TEXT, body TEXT, "
                             "PRIMARY KEY (object_type, name)"),
}


def state_path(home: Path, dataset_dir: Path) -> Path:
    return Path(home) / "sandbox" / Path(dataset_dir).resolve().name / FILENAME


def _new_values(cols: tuple[str, ...]) -> str:
    return ", ".join("NEW.rowid" if c == "rid" else f"NEW.{c}" for c in cols)


class KeptState:
    """Attach, replay, keep and forget the CRM writes of one served database."""

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn, self.path = conn, Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._attach()
        except sqlite3.DatabaseError as exc:
            self._detach()
            aside = self.path.with_name(self.path.name + ".unreadable")
            log.warning("sandbox CRM state %s is unreadable (%s): moved to %s; starting from the dataset",
                        self.path, exc, aside)
            for suffix in ("", "-wal", "-shm"):
                src = Path(f"{self.path}{suffix}")
                if src.exists():
                    src.replace(f"{aside}{suffix}")
            self._attach()

    def _attach(self) -> None:
        conn = self.conn
        conn.execute(f"ATTACH DATABASE ? AS {ALIAS}", (str(self.path),))
        conn.execute(f"PRAGMA {ALIAS}.journal_mode=WAL")
        conn.execute(f"PRAGMA {ALIAS}.synchronous=NORMAL")  # WAL + NORMAL: durable across a process kill
        for table, (_, _, columns) in KEPT.items():
            conn.execute(f"CREATE TABLE IF NOT EXISTS {ALIAS}.{table} ({columns})")
        conn.execute(f"SELECT COUNT(*) FROM {ALIAS}.kept_obj_contacts").fetchone()  # reads a page: fails if damaged

    def _detach(self) -> None:
        try:
            self.conn.execute(f"DETACH DATABASE {ALIAS}")
        except sqlite3.OperationalError:
            pass

    def replay(self) -> dict[str, int]:
        """Put the kept writes over the dataset as loaded (through the undo triggers, so a
        reset still gets back to the dataset); returns the rows replayed per kept table."""
        conn = self.conn
        counts = {}
        conn.execute("BEGIN")
        for table, (cols, served, _) in KEPT.items():
            counts[table] = conn.execute(f"SELECT COUNT(*) FROM {ALIAS}.{table}").fetchone()[0]
            if not counts[table]:
                continue
            if served in ("properties", "property_groups"):
                conn.execute(f"INSERT OR REPLACE INTO main.{served} SELECT * FROM {ALIAS}.{table}")
                continue
            key, served_key = ("rid", "rowid") if served == "assoc" else ("id", "id")
            values = [c for c in cols if c != key]
            sets = ", ".join(f"{c} = k.{c}" for c in values)
            conn.execute(f"UPDATE main.{served} SET {sets} FROM {ALIAS}.{table} AS k "
                         f"WHERE main.{served}.{served_key} = k.{key}")
            if served != "assoc":  # records the API created
                conn.execute(f"INSERT INTO main.{served} ({', '.join(cols)}) SELECT {', '.join(cols)} "
                             f"FROM {ALIAS}.{table} AS k WHERE k.id NOT IN (SELECT id FROM main.{served})")
        conn.execute("COMMIT")
        return {t: n for t, n in counts.items() if n}

    def keep(self) -> None:
        """From now on, every change to the served CRM tables is written to the file too."""
        parts = []
        for table, (cols, served, _) in KEPT.items():
            target = ", ".join(cols)
            for event in ("INSERT", "UPDATE"):
                parts.append(f"CREATE TEMP TRIGGER IF NOT EXISTS keep_{event.lower()}_{served} AFTER {event} "
                             f"ON main.{served} BEGIN INSERT OR REPLACE INTO {table} ({target}) "
                             f"VALUES ({_new_values(cols)}); END;")
        self.conn.executescript("".join(parts))

    @staticmethod
    def forget_sql() -> str:
        """Empties the file; run it in the transaction that undoes the served database's writes."""
        return "".join(f"DELETE FROM {ALIAS}.{table};" for table in KEPT)

    def summary(self) -> dict:
        counts = {table.removeprefix("kept_").removeprefix("obj_"):
                  self.conn.execute(f"SELECT COUNT(*) FROM {ALIAS}.{table}").fetchone()[0] for table in KEPT}
        return {"path": str(self.path), "kept": {k: n for k, n in counts.items() if n}}
