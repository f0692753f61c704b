"""The embedded warehouse runs with the server settings leadscore sets for it
(docs/physical-tuning.md: server settings), checked on the running server, not on the dict
that declares them."""
from __future__ import annotations

import uuid

from psycopg import sql

from leadscore import warehouse


def test_embedded_server_runs_with_the_tuned_settings():
    wanted = warehouse.embedded_settings()
    assert 128 * 128 <= wanted["shared_buffers"][0] <= 4096 * 128  # 8kB pages: 128MB..4GB
    with warehouse.connect() as conn:
        running = dict(conn.execute("select name, setting from pg_settings where name = any(%s)",
                                    (list(wanted),)).fetchall())
        pending = conn.execute("select count(*) from pg_settings where pending_restart").fetchone()[0]
    assert running == {name: str(value) for name, (value, _) in wanted.items()}
    assert pending == 0


def test_settings_are_applied_once_per_data_directory():
    """A second start in the same process neither rewrites the config nor restarts."""
    with warehouse.connect() as conn:
        started = conn.execute("select pg_postmaster_start_time()").fetchone()[0]
    warehouse.params()
    with warehouse.connect() as conn:
        assert conn.execute("select pg_postmaster_start_time()").fetchone()[0] == started


def test_server_log_survives_the_tuning_restart():
    """The restart that applies shared_buffers keeps logging to pgdata/log, where users look."""
    marker = f"leadscore-log-check-{uuid.uuid4()}"
    with warehouse.connect() as conn:
        conn.execute(sql.SQL("do $$ begin raise log {}; end $$").format(sql.Literal(marker)))
    assert marker in (warehouse.pgdata_dir() / "log").read_text(errors="replace")


def test_database_sorts_bytewise_and_keeps_utf8_character_classes():
    """Collation "C" for fast sorts and index builds on text keys; lower() still knows Czech."""
    with warehouse.connect() as conn:
        collate, ctype = conn.execute("select datcollate, datctype from pg_database where datname = current_database()").fetchone()
        lowered = conn.execute("select lower('ŘEDITEL Ústí')").fetchone()[0]
        order = [r[0] for r in conn.execute("select x from unnest(array['b', 'Z', 'a', 'ř']) as x order by x").fetchall()]
    assert collate == "C"
    assert ctype.lower().replace("-", "").endswith("utf8"), ctype
    assert lowered == "ředitel ústí"
    assert order == ["Z", "a", "b", "ř"]
