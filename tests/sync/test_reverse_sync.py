"""Reverse sync against the sandbox over real HTTP: diffing, lifecycle, errors, guard, crashes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from leadscore import warehouse
from leadscore.errors import SyncBlockedError, SyncFailedError
from leadscore.sync.hubspot_writer import HubSpotWriter
from leadscore.sync.mapping import PROPERTY_NAMES, SCORED_AT, map_lead

def assert_crm_matches(crm, rows: list[dict], *, scored_at: bool = False) -> None:
    """Every lead's contact shows exactly the mapped leadscore values.

    scored_at only moves when something else changes, so it is compared only when asked.
    """
    wrong = []
    for row in rows:
        if not row["crm_id"]:
            continue
        expected = {k: v for k, v in map_lead(row).properties.items() if scored_at or k != SCORED_AT}
        actual = crm.contact(row["crm_id"])
        diff = {k: (actual.get(k), v) for k, v in expected.items() if actual.get(k) != v}
        if diff:
            wrong.append((row["lead_id"], diff))
    assert not wrong, wrong[:5]


def sql(query: str, params: tuple = ()) -> list[tuple]:
    with warehouse.connect() as conn:
        return conn.execute(query, params).fetchall()


def test_first_sync_writes_every_lead_then_an_unchanged_warehouse_makes_no_write_call(crm, leads, run_sync):
    rows = leads.fetch()
    first = run_sync("run-1")
    assert (first.sent, first.failed, first.skipped, first.unchanged) == (len(rows), 0, 0, 0)
    assert crm.batch_updates() == -(-len(rows) // 100)
    assert {f"create property {name}" for name in PROPERTY_NAMES} <= set(first.properties)
    assert_crm_matches(crm, rows, scored_at=True)
    assert sql("select count(*) from sync.crm_sync_state where last_status = 'success'")[0][0] == len(rows)

    crm.clear_requests()
    leads.update([])  # a daily rescore that changes nothing but scored_at
    second = run_sync("run-2")
    assert (second.sent, second.unchanged, second.write_calls) == (0, len(rows), 0)
    assert crm.write_requests() == 0
    runs = sql("select run_id, status, sent, unchanged, write_calls from sync.crm_sync_runs order by id")
    assert runs[-1] == ("run-2", "success", 0, len(rows), 0)
    assert "sent 0, unchanged" in second.line()


def test_a_changed_score_sends_exactly_the_affected_leads_with_a_fresh_scored_at(crm, leads, run_sync):
    run_sync("run-1")
    changed = [r["lead_id"] for r in leads.fetch()[10:17]]
    untouched = leads.fetch()[30]
    leads.update(changed, fit_score=99)
    crm.clear_requests()
    summary = run_sync("run-2")
    assert (summary.sent, summary.write_calls) == (7, 1)
    assert crm.batch_updates() == 1
    rows = leads.fetch()
    assert_crm_matches(crm, [r for r in rows if r["lead_id"] in changed], scored_at=True)
    # scored_at is written with the rest of a change, and only then
    assert crm.contact(rows[10]["crm_id"])["leadscore_scored_at"] == map_lead(rows[10]).properties["leadscore_scored_at"]
    assert crm.contact(untouched["crm_id"])["leadscore_scored_at"] == map_lead(untouched).properties["leadscore_scored_at"]
    logged = sql("select lead_id from sync.crm_sync_log where run_id = 'run-2' and status = 'success'")
    assert sorted(r[0] for r in logged) == sorted(changed)


def test_conversion_probability_is_written_in_percent_and_cleared_when_the_model_goes(crm, leads, run_sync):
    """A number property beside the rules' scores: created with the others, written only for leads
    whose probability changed, and cleared with HubSpot's empty string (not 0) when no model scores
    the lead any more."""
    prop_name = "leadscore_conversion_probability"
    rows = leads.fetch()
    assert run_sync("run-1").sent == len(rows)  # no model yet: nothing to show, nothing invented
    prop = crm.http.get(f"/crm/v3/properties/contacts/{prop_name}",
                        headers={"Authorization": "Bearer sandbox-hubspot-token"}).json()
    assert (prop["type"], prop["fieldType"], prop["groupName"]) == ("number", "number", "leadscore")
    assert all(not crm.contact(r["crm_id"]).get(prop_name) for r in rows[:20])

    scored = [r["lead_id"] for r in rows[:6]]
    leads.update(scored, conversion_probability=0.12345, predicted_score=12.3)
    crm.clear_requests()
    second = run_sync("run-2")
    assert (second.sent, second.unchanged, crm.batch_updates()) == (6, len(rows) - 6, 1)
    assert [crm.contact(r["crm_id"])[prop_name] for r in rows[:6]] == ["12.3"] * 6
    assert crm.contact(rows[6]["crm_id"]).get(prop_name) in (None, "")

    leads.update(scored[:2], conversion_probability=None, predicted_score=None)  # the model was dropped
    third = run_sync("run-3")
    assert third.sent == 2
    assert [crm.contact(r["crm_id"])[prop_name] for r in rows[:3]] == ["", "", "12.3"]
    sent = sql("select sent_values ->> %s from sync.crm_sync_state where lead_id = %s", (prop_name, scored[0]))
    assert sent == [("",)]


def test_lifecycle_moves_forward_only_and_sales_fields_are_untouched(crm, leads, run_sync):
    rows = leads.fetch()
    customer, fresh, dropping, already_sql = (rows[i] for i in (0, 1, 10, 12))  # tiers sql, sql, sql, mql
    crm.set_stage(customer["crm_id"], "customer")
    crm.set_stage(fresh["crm_id"], "lead")
    crm.set_stage(dropping["crm_id"], "lead")
    crm.set_stage(already_sql["crm_id"], "salesqualifiedlead")
    stages = {customer["lead_id"]: "customer", fresh["lead_id"]: "lead", dropping["lead_id"]: "lead",
              already_sql["lead_id"]: "salesqualifiedlead"}
    for lead_id, stage in stages.items():  # what the extraction would have read
        leads.update([lead_id], lifecyclestage=stage)
    lead_status = {r["crm_id"]: crm.contact(r["crm_id"]).get("hs_lead_status") for r in rows}

    run_sync("run-1")
    assert crm.contact(customer["crm_id"])["lifecyclestage"] == "customer"
    assert crm.contact(fresh["crm_id"])["lifecyclestage"] == "salesqualifiedlead"
    assert crm.contact(dropping["crm_id"])["lifecyclestage"] == "salesqualifiedlead"
    assert crm.contact(already_sql["crm_id"])["lifecyclestage"] == "salesqualifiedlead"  # mql never demotes
    sent = sql("select sent_values from sync.crm_sync_state where lead_id = %s", (customer["lead_id"],))[0][0]
    assert "lifecyclestage" not in sent and "hs_lead_status" not in sent

    leads.update([dropping["lead_id"]], tier="nurture", lifecyclestage="salesqualifiedlead")
    summary = run_sync("run-2")
    assert summary.sent == 1
    after = crm.contact(dropping["crm_id"])
    assert (after["leadscore_tier"], after["lifecyclestage"]) == ("nurture", "salesqualifiedlead")
    assert {r["crm_id"]: crm.contact(r["crm_id"]).get("hs_lead_status") for r in rows} == lead_status


def test_a_stale_warehouse_stage_never_demotes_even_where_the_api_would_let_it(crm, leads, run_sync):
    crm.configure(lifecycle_forward_only=False)  # the reading of v3 where any write lands
    rows = leads.fetch()
    promoted, fresh = rows[0], rows[1]  # both sql; the warehouse still says "lead" for both
    leads.update([promoted["lead_id"], fresh["lead_id"]], lifecyclestage="lead")
    crm.set_stage(promoted["crm_id"], "opportunity")  # a rep moved it after the extraction
    crm.set_stage(fresh["crm_id"], "lead")
    run_sync("run-1")
    assert crm.contact(promoted["crm_id"])["lifecyclestage"] == "opportunity"
    assert crm.contact(fresh["crm_id"])["lifecyclestage"] == "salesqualifiedlead"
    logged = sql("select sent_values ? 'lifecyclestage' from sync.crm_sync_state where lead_id = %s",
                 (promoted["lead_id"],))
    assert logged == [(False,)]

    # the next day the stage we wrote is not re-sent although the warehouse copy is still stale
    leads.update([fresh["lead_id"]], fit_score=98)
    run_sync("run-2")
    sent = sql("select sent_values from sync.crm_sync_state where lead_id = %s", (fresh["lead_id"],))[0][0]
    assert sent["leadscore_fit_score"] == "98" and "lifecyclestage" not in sent


def test_row_errors_are_recorded_and_retried_next_run(crm, leads, run_sync):
    rows = leads.fetch()
    ghost, bad_enum = rows[3]["lead_id"], rows[4]["lead_id"]
    leads.update([ghost], crm_id="999999999")
    leads.update([bad_enum], tier="lukewarm")
    first = run_sync("run-1")
    assert (first.sent, first.failed) == (len(rows) - 2, 2)
    log = dict(((r[0]), r[1:]) for r in sql(
        "select lead_id, status, http_status, error_message from sync.crm_sync_log "
        "where run_id = 'run-1' and status = 'failed'"))
    assert log[ghost][:2] == ("failed", 207) and "not exist" in log[ghost][2]
    assert log[bad_enum][:2] == ("failed", 207) and "lukewarm" in log[bad_enum][2]
    state = dict(sql("select lead_id, last_status from sync.crm_sync_state where lead_id = any(%s)", ([ghost, bad_enum],)))
    assert state == {ghost: "failed", bad_enum: "failed"}

    crm.clear_requests()
    second = run_sync("run-2")  # unchanged, but failed last time: tried again
    assert (second.sent, second.failed, second.unchanged, crm.batch_updates()) == (0, 2, len(rows) - 2, 1)

    leads.update([ghost], crm_id=rows[3]["crm_id"])
    leads.update([bad_enum], tier="mql")
    third = run_sync("run-3")
    assert (third.sent, third.failed) == (2, 0)
    assert_crm_matches(crm, leads.fetch())
    assert run_sync("run-4").write_calls == 0


def test_a_sync_hubspot_rejects_every_row_of_fails_with_the_first_error(crm, leads, run_sync):
    """207 with VALIDATION_ERROR on every row must not read as success: the run (and so the
    DAG's reverse_sync task) fails with one line that carries HubSpot's first error."""
    rows = leads.fetch()
    leads.update([r["lead_id"] for r in rows], tier="lukewarm")
    with pytest.raises(SyncFailedError) as caught:
        run_sync("run-rejected")
    message = str(caught.value)
    assert "\n" not in message
    assert (f"HubSpot rejected {len(rows)} of {len(rows)} leads sent, so 0% of {len(rows)} leads are current in the CRM "
            "(minimum 50%); first error: Property values were not valid") in message
    assert "lukewarm" in message and "sync.crm_sync_log" in message
    assert sql("select status, message like '%%rejected%%' from sync.crm_sync_runs where run_id = 'run-rejected'") \
        == [("failed", True)]
    assert sql("select status, count(*) from sync.crm_sync_log where run_id = 'run-rejected' group by 1") == [("failed", len(rows))]


def test_the_minimum_current_share_is_configurable(crm, leads, run_sync, monkeypatch):
    rows = leads.fetch()
    bad = [r["lead_id"] for r in rows[: len(rows) * 2 // 3]]
    leads.update(bad, tier="lukewarm")
    with pytest.raises(SyncFailedError, match=r"so 33% of \d+ leads are current in the CRM \(minimum 50%\)"):
        run_sync("run-1")
    with warehouse.connect() as conn:   # a first sync again
        conn.execute("drop table sync.crm_sync_state, sync.crm_sync_log, sync.crm_sync_runs")
    monkeypatch.setenv("LEADSCORE_SYNC_MIN_SUCCESS_SHARE", "0.2")
    summary = run_sync("run-2")
    assert (summary.sent, summary.failed) == (len(rows) - len(bad), len(bad))
    assert sql("select status from sync.crm_sync_runs where run_id = 'run-2'") == [("partial",)]


def test_leads_without_crm_id_are_skipped_and_logged(crm, leads, run_sync):
    rows = leads.fetch()
    leads.update([rows[0]["lead_id"]], crm_id=None)
    leads.update([rows[1]["lead_id"]], crm_id=rows[2]["crm_id"])  # two leads on one contact
    summary = run_sync("run-1")
    assert (summary.skipped, summary.sent) == (2, len(rows) - 2)
    assert sorted(sql("select lead_id, status, operation from sync.crm_sync_log where status = 'skipped'")) == \
        sorted([(rows[0]["lead_id"], "skipped", "skip"), (rows[2]["lead_id"], "skipped", "skip")])


def test_faults_at_twenty_percent_converge_to_the_right_crm_state(crm, leads, run_sync, fast_session):
    crm.configure(faults={"429": 0.04, "5xx": 0.06, "timeout": 0.03, "drop": 0.04, "malformed": 0.03, "partial": 0.2},
                  seed=18)  # faults are a pure function of (seed, request number); this seed meets every
    # kind (429, 5xx, timeout, dropped body, malformed JSON, 207 rows) within these runs
    rows = leads.fetch()
    first = run_sync("run-1", session=fast_session)
    assert first.sent + first.failed == len(rows)
    for day in range(3):  # three daily rescores, each changing another slice of leads
        time.sleep(1.1)  # let requests that timed out client-side land before the next run writes them again
        leads.update([r["lead_id"] for r in rows[day::7]], engagement_score=70 + day)
        run_sync(f"day-{day}", session=fast_session)
    for attempt in range(3):  # rows that failed for good in a run are retried by the next ones
        if run_sync(f"retry-{attempt}", session=fast_session).write_calls == 0:
            break
    injected = {f["fault"] for f in crm.http.get("/_sandbox/faults").json()["faults"]}
    assert injected == {"429", "5xx", "timeout", "drop", "malformed", "partial"}
    crm.configure(faults={})
    assert_crm_matches(crm, leads.fetch())
    assert sql("select count(*) from sync.crm_sync_state where last_status <> 'success'")[0][0] == 0
    crm.clear_requests()
    assert run_sync("run-final").write_calls == 0 and crm.write_requests() == 0


def test_dry_run_logs_what_would_be_sent_and_writes_nothing(crm, leads, run_sync):
    rows = leads.fetch()
    summary = run_sync("dry-1", dry_run=True)
    assert summary.dry_run and summary.sent == len(rows) and summary.write_calls == 0
    assert crm.write_requests() == 0
    assert len(summary.samples) == 5 and summary.samples[0]["properties"]["leadscore_tier"] in ("sql", "mql", "nurture", "disqualified")
    assert any("create property leadscore_tier" == p for p in summary.properties)
    assert sql("select count(*), min(status), max(status) from sync.crm_sync_log where run_id = 'dry-1'")[0] == \
        (len(rows), "dry_run", "dry_run")
    assert sql("select count(*) from sync.crm_sync_state")[0][0] == 0
    assert "leadscore_tier" not in crm.contact(rows[0]["crm_id"])
    assert "would send" in summary.line()

    run_sync("run-1")
    leads.update([rows[5]["lead_id"]], grade="Z9")
    crm.clear_requests()
    again = run_sync("dry-2", dry_run=True)
    assert (again.sent, crm.write_requests()) == (1, 0)
    assert again.samples[0]["properties"]["leadscore_grade"] == "Z9"
    assert crm.contact(rows[5]["crm_id"])["leadscore_grade"] != "Z9"


def test_blast_radius_guard_blocks_until_forced(crm, leads, run_sync):
    rows = leads.fetch()
    run_sync("run-1")
    flipped = [r["lead_id"] for r in rows if r["tier"] == "nurture"]  # 30% of leads
    leads.update(flipped, tier="mql")
    crm.clear_requests()
    with pytest.raises(SyncBlockedError) as blocked:
        run_sync("run-2")
    message = str(blocked.value)
    assert f"{len(flipped)} of {len(rows)}" in message and "20%" in message and "force_sync" in message
    assert crm.write_requests() == 0
    assert sql("select status from sync.crm_sync_runs where run_id = 'run-2'")[0][0] == "blocked"
    assert run_sync("dry-2", dry_run=True).blocked  # a dry run reports the guard instead of stopping

    assert run_sync("run-3", max_tier_change_share=0.5).sent == len(flipped)  # a looser threshold passes
    leads.update(flipped, tier="nurture")
    forced = run_sync("run-4", force=True)
    assert forced.sent == len(flipped) and forced.forced
    assert_crm_matches(crm, leads.fetch())


def test_a_crash_mid_sync_resumes_without_resending_what_succeeded(crm, leads, run_sync, monkeypatch):
    rows = leads.fetch()
    real_update = HubSpotWriter.update
    calls = {"n": 0}

    def crash_after_two_batches(self, inputs):
        calls["n"] += 1
        if calls["n"] > 2:
            raise KeyboardInterrupt("killed")
        return real_update(self, inputs)

    monkeypatch.setattr(HubSpotWriter, "update", crash_after_two_batches)
    with pytest.raises(KeyboardInterrupt):
        run_sync("run-1")
    monkeypatch.setattr(HubSpotWriter, "update", real_update)
    done = {r[0] for r in sql("select lead_id from sync.crm_sync_state where last_status = 'success'")}
    assert len(done) == 200
    assert sql("select status from sync.crm_sync_runs where run_id = 'run-1'")[0][0] == "failed"

    crm.clear_requests()
    rerun = run_sync("run-1")  # Airflow retries with the same run_id
    assert rerun.sent == len(rows) - 200 and crm.batch_updates() == 1
    resent = {r[0] for r in sql("select lead_id from sync.crm_sync_log where run_id = 'run-1' and status = 'success'"
                                " group by lead_id having count(*) > 1")}
    assert not resent & done
    assert_crm_matches(crm, rows)


def test_a_killed_sync_process_resumes_without_resending_what_succeeded(crm, leads, run_sync):
    rows = leads.fetch()
    run_sync("fill")
    leads.update([r["lead_id"] for r in rows], fit_score=55)  # every lead changes, no tier does
    slow = {"conn_type": "http", "host": crm.url, "password": "sandbox-hubspot-token", "extra": {"rate_limit": "1/0.5"}}
    code = f"from leadscore.sync import reverse_sync; reverse_sync('killed', source_relation={leads.source!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "AIRFLOW_CONN_HUBSPOT": json.dumps(slow)})
    committed = "select lead_id from sync.crm_sync_log where run_id = 'killed' and status = 'success'"
    deadline = time.monotonic() + 60
    try:
        while not sql(committed):
            assert proc.poll() is None and time.monotonic() < deadline, "the sync did not get to its first batch"
            time.sleep(0.02)
    finally:
        proc.kill()
        proc.wait()
    done = {r[0] for r in sql(committed)}
    assert 100 <= len(done) < len(rows)

    crm.clear_requests()
    rerun = run_sync("killed")
    assert rerun.sent == len(rows) - len(done)
    twice = sql(committed + " group by lead_id having count(*) > 1")
    assert not twice
    assert [r[0] for r in sql("select status from sync.crm_sync_runs where run_id = 'killed' order by id")] == \
        ["interrupted", "success"]
    assert_crm_matches(crm, leads.fetch())


KILL_AFTER_BATCHES = """
import os, signal, sys
from leadscore.sync import reverse_sync
from leadscore.sync.hubspot_writer import HubSpotWriter

real_update, batches = HubSpotWriter.update, []

def update_then_die(self, inputs):
    if len(batches) == int(sys.argv[1]):  # the k batches before this one are sent and committed
        os.kill(os.getpid(), signal.SIGKILL)
    batches.append(len(inputs))
    return real_update(self, inputs)

HubSpotWriter.update = update_then_die
reverse_sync("killed", source_relation=sys.argv[2])
"""


def test_a_killed_sync_run_records_the_writes_it_made(crm, leads, run_sync):
    rows = leads.fetch()
    proc = subprocess.run([sys.executable, "-c", KILL_AFTER_BATCHES, "2", leads.source], timeout=120)
    assert proc.returncode == -9
    crm_written = sum(1 for r in rows if crm.contact(r["crm_id"]).get("leadscore_tier"))
    assert crm_written == 200 and crm.batch_updates() == 2
    crm_write_calls = crm.write_requests()  # the two batches and the property definitions it created
    run_sync("next")  # takes the lock and closes the killed run's row
    killed = sql("select status, sent, failed, write_calls from sync.crm_sync_runs where run_id = 'killed'")
    assert killed == [("interrupted", crm_written, 0, crm_write_calls)]


def test_one_sync_at_a_time_and_a_missing_source_is_one_clear_line(crm, leads, run_sync):
    from leadscore.errors import ConfigError, LeadscoreError
    from leadscore.sync.state import LOCK_KEY
    from leadscore.sync import reverse_sync

    with warehouse.connect() as other:
        other.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))
        with pytest.raises(LeadscoreError, match="another reverse sync is running"):
            run_sync("run-1")
        other.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))
    assert crm.write_requests() == 0
    with pytest.raises(ConfigError, match="no_such.lead_scores does not exist"):
        reverse_sync("run-2", source_relation="no_such.lead_scores")
    assert run_sync("run-3").failed == 0


def test_a_rejected_token_fails_the_sync_task_without_retry_and_writes_nothing(crm, leads, run_sync, monkeypatch):
    """A revoked private-app token heals on no retry: the Airflow task fails at once
    (`AirflowFailException`, so its retries are skipped) with one line that names the 401
    and never the token, and the CRM receives no write."""
    from functools import partial

    from airflow.sdk.exceptions import AirflowFailException

    import leadscore.sync
    from leadscore import pipeline

    monkeypatch.setenv("AIRFLOW_CONN_HUBSPOT", json.dumps(
        {"conn_type": "http", "host": crm.url, "password": "revoked-token"}))
    monkeypatch.setattr(leadscore.sync, "reverse_sync", partial(leadscore.sync.reverse_sync, source_relation=leads.source))
    with pytest.raises(AirflowFailException) as caught:
        pipeline.reverse_sync("run-revoked")
    message = str(caught.value)
    assert "401" in message and "hubspot" in message.lower() and "\n" not in message
    assert "revoked-token" not in message
    assert crm.write_requests() == 0
