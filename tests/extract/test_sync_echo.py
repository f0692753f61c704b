"""Issue 19: the reverse sync's own writes come back in the next incremental read (HubSpot bumps
`lastmodifieddate` on every write); they must not land as changed contacts."""
from __future__ import annotations

from leadscore import warehouse
from leadscore.sources.connect import open_source
from leadscore.sources.extract import run_stream
from leadscore.sync.hubspot_writer import HubSpotWriter

from .conftest import sandbox_admin

HEADERS = {"Authorization": "Bearer sandbox-hubspot-token"}


def _landed() -> dict[str, tuple]:
    with warehouse.connect() as conn:
        return {r[0]: r[1:] for r in conn.execute(
            "select id, _extracted_at, _run_id, record from raw.hubspot_contacts")}


def test_contacts_written_by_the_sync_are_read_again_but_not_landed_as_changed(sandbox, clean_raw):
    run_stream("hubspot_contacts", "t-day0")
    before = _landed()
    ids = sorted((i for i, (_, _, rec) in before.items() if not rec.get("archived")), key=int)[:40]
    ours, real = ids[:30], ids[30:]
    session = open_source("hubspot")
    try:  # the sync's writer, as reverse_sync uses it
        writer = HubSpotWriter(session.client)
        writer.ensure_properties()
        results = writer.update([(i, {"leadscore_tier": "mql", "leadscore_engagement_score": "25",
                                      "leadscore_scored_at": "2026-12-05T06:00:00.000Z"}) for i in ours])
        assert all(r.ok for r in results.values()), [r.error for r in results.values()][:1]
    finally:
        session.client.close()
    with sandbox_admin(sandbox) as admin:  # a rep edits a field of some contacts, one the sync wrote too
        r = admin.post("/crm/v3/objects/contacts/batch/update", headers=HEADERS, json={"inputs": [
            {"id": i, "properties": {"jobtitle": "Head of RevOps"}} for i in [*real, ours[0]]]})
        assert r.status_code == 200, r.text[:300]

    day1 = run_stream("hubspot_contacts", "t-day1")
    after = _landed()
    # HubSpot (and the sandbox) bumped every written contact: the API returns all of them ...
    assert day1.records >= len(ours) + len(real)
    assert all(after[i][2]["properties"]["lastmodifieddate"] == before[i][2]["properties"]["lastmodifieddate"]
               for i in ours[1:])  # ... but the echoes keep their landed version
    # ... and only the contacts with a change of their own land (with the sync's values beside it)
    assert day1.updated == len(real) + 1 and day1.inserted == 0
    assert {i for i in after if after[i][1] != before[i][1]} == {*real, ours[0]}
    assert after[ours[0]][2]["properties"]["jobtitle"] == "Head of RevOps"
    assert after[ours[0]][2]["properties"]["leadscore_tier"] == "mql"

    again = run_stream("hubspot_contacts", "t-day2")  # nothing written since: nothing lands
    assert (again.inserted, again.updated) == (0, 0)


def test_a_bump_without_a_visible_change_still_lands(sandbox, clean_raw):
    """Only the sync's own properties make an echo: a new stamp alone means something changed
    that we do not read, and the contact is landed as before."""
    run_stream("hubspot_contacts", "t-base")
    with sandbox_admin(sandbox) as admin:
        r = admin.post("/_sandbox/touch", json={"object_type": "contacts", "count": 5, "modified_at": "now"})
        assert r.status_code == 200, r.text
    assert run_stream("hubspot_contacts", "t-touch").updated == 5
