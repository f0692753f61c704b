"""The gate's time-relative rules measure from the run's `as_of`, not from the wall clock."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

from leadscore import warehouse
from leadscore.errors import ConfigError, QualityGateError
from leadscore.quality import validate_inputs

from . import factory as f
from .conftest import load, reset

STREAMS = ["hubspot_contacts", "hubspot_emails"]
AS_OF = f.NOW  # the factory's data is dated relative to it


@pytest.fixture
def edge(wh):
    """Contacts and emails dated on both sides of AS_OF's future cut-off (as_of + 10 min clock skew)."""
    with warehouse.connect() as conn:
        reset(conn)
        data = f.baseline(100)
        load(conn, {s: data[s] for s in STREAMS})
        load(conn, {"hubspot_contacts": [f.contact("in-skew", createdate=f.iso(AS_OF + timedelta(minutes=5))),
                                         f.contact("ahead", createdate=f.iso(AS_OF + timedelta(hours=3)))],
                    "hubspot_emails": [f.engagement("em-ahead", ["1"], hs_timestamp=f.iso(AS_OF + timedelta(hours=3)))]})


def _quarantine(run_id: str) -> set[tuple[str, str, str]]:
    with warehouse.connect() as conn:
        return set(conn.execute("select stream, record_id, expectation from quality.quarantine where run_id = %s",
                                (run_id,)).fetchall())


def test_same_data_and_as_of_quarantine_the_same_rows_at_any_wall_clock(edge):
    validate_inputs("as-of-1", streams=STREAMS, as_of=AS_OF)
    time.sleep(1.5)  # a later wall clock; the ISO text form of the same as_of
    validate_inputs("as-of-2", streams=STREAMS, as_of=f.iso(AS_OF))
    assert _quarantine("as-of-1") == _quarantine("as-of-2") == {
        ("hubspot_contacts", "ahead", "created_at_valid"), ("hubspot_emails", "em-ahead", "occurred_at_valid")}
    # an as_of past them lets them through although the wall clock has not got there: the cut-off is as_of's
    validate_inputs("as-of-3", streams=STREAMS, as_of=AS_OF + timedelta(hours=4))
    assert _quarantine("as-of-3") == set()


def test_freshness_is_measured_from_as_of(edge):
    later = f.NOW + timedelta(days=10)
    with pytest.raises(QualityGateError, match="hubspot_contacts: freshness observed"):
        validate_inputs("as-of-stale", streams=STREAMS, as_of=later.isoformat())


def test_a_bad_as_of_is_one_line(wh):
    with pytest.raises(ConfigError, match="as_of 'yesterday' is not an ISO 8601 timestamp"):
        validate_inputs("as-of-bad", streams=STREAMS, as_of="yesterday")


def test_what_changed_after_a_past_as_of_but_before_the_newest_extraction_is_not_future(edge):
    """A rerun scored at an earlier as_of reads records changed since (our own sync writes to
    contacts): they were read after they changed, so they are not from the future."""
    with warehouse.connect() as conn:
        conn.execute("insert into raw._extraction_runs (run_id, stream, started_at, finished_at, status) "
                     "values ('read-later', 'hubspot_contacts', %s, %s, 'success')",
                     (AS_OF + timedelta(hours=4), AS_OF + timedelta(hours=4, minutes=1)))
    try:
        validate_inputs("as-of-read-later", streams=STREAMS, as_of=AS_OF)
        assert _quarantine("as-of-read-later") == set()
    finally:
        with warehouse.connect() as conn:
            conn.execute("delete from raw._extraction_runs where run_id = 'read-later'")
