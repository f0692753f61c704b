"""Per-stream bookmarks in `raw._stream_state`, written in the same transaction as the data.

A page of records and the bookmark that covers it commit together, so a crash at any point
followed by a rerun neither loses nor duplicates anything.
"""
from __future__ import annotations

import json

import psycopg


def load(conn: psycopg.Connection, stream: str) -> dict:
    row = conn.execute("select bookmark from raw._stream_state where stream = %s", (stream,)).fetchone()
    return dict(row[0]) if row else {}


def save(conn: psycopg.Connection, stream: str, bookmark: dict) -> None:
    conn.execute(
        """
        insert into raw._stream_state (stream, bookmark, updated_at) values (%s, %s, now())
        on conflict (stream) do update set bookmark = excluded.bookmark, updated_at = excluded.updated_at
        """,
        (stream, json.dumps(bookmark)),
    )


def reset(conn: psycopg.Connection, stream: str) -> None:
    conn.execute("delete from raw._stream_state where stream = %s", (stream,))
