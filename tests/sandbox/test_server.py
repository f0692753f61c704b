"""Running the sandbox: port errors, the CRM-user HTML view, inspection helpers."""
from __future__ import annotations

import httpx
import pytest

from leadscore.errors import LeadscoreError
from leadscore.sandbox import SandboxPortInUseError, SandboxServer

from .conftest import sandbox_process


def test_port_in_use_is_one_clear_error(server: SandboxServer, dataset) -> None:
    with pytest.raises(SandboxPortInUseError) as caught:
        SandboxServer(dataset, port=server.port).start()
    message = str(caught.value)
    assert str(server.port) in message and "--port" in message and "\n" not in message
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, LeadscoreError)


def test_missing_dataset_is_reported(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="leadscore generate"):
        SandboxServer(tmp_path / "nothing-here").start()


def test_html_page_shows_synced_scores(sandbox: SandboxServer, hs: httpx.Client) -> None:
    hs.post("/crm/v3/properties/contacts", json={"name": "leadscore_tier", "label": "Tier", "type": "string",
                                                  "fieldType": "text", "groupName": "contactinformation"})
    hs.post("/crm/v3/objects/contacts/batch/update",
            json={"inputs": [{"id": "1001", "properties": {"leadscore_tier": "A-hot<>"}}]}).raise_for_status()
    page = httpx.get(sandbox.url + "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for column in ("lifecyclestage", "leadscore_tier", "leadscore_fit_score", "leadscore_engagement_score",
                   "leadscore_grade", "leadscore_reasons", "leadscore_conversion_probability"):
        assert column in page.text
    assert "A-hot&lt;&gt;" in page.text  # escaped
    second = httpx.get(sandbox.url + "/", params={"page": 2, "per_page": 10}).text
    assert "page 2 of" in second and "1001" not in second.split("<table>")[1].split("</tr>", 2)[1]


def test_sandbox_contact_view_includes_pipeline_writes(hs: httpx.Client, admin: httpx.Client) -> None:
    hs.post("/crm/v3/objects/contacts/batch/update",
            json={"inputs": [{"id": "1002", "properties": {"hs_lead_status": "OPEN_DEAL"}}]}).raise_for_status()
    view = admin.get("/contacts/1002").json()
    assert view["properties"]["hs_lead_status"] == "OPEN_DEAL" and view["mergedInto"] is None
    assert admin.get("/contacts/1").status_code == 404


def test_config_round_trip_hides_secrets(admin: httpx.Client) -> None:
    body = admin.post("/config", json={"index_lag_seconds": 5, "rate_limits": {"ten_secondly": 100}}).json()
    assert body["index_lag_seconds"] == 5 and body["rate_limits"]["ten_secondly"] == 100
    assert "hubspot_token" not in body and "mailchimp_key" not in body
    assert admin.post("/config", json={"faults": "bogus=1"}).status_code == 400


def test_token_is_configurable(sandbox: SandboxServer, admin: httpx.Client) -> None:
    admin.post("/config", json={"hubspot_token": "rotated"}).raise_for_status()
    try:
        assert httpx.get(sandbox.url + "/crm/v3/objects/contacts",
                         headers={"Authorization": "Bearer sandbox-hubspot-token"}).status_code == 401
        assert httpx.get(sandbox.url + "/crm/v3/objects/contacts",
                         headers={"Authorization": "Bearer rotated"}).status_code == 200
    finally:
        admin.post("/config", json={"hubspot_token": "sandbox-hubspot-token"}).raise_for_status()


def test_reset_undoes_every_kind_of_write(sandbox: SandboxServer, hs: httpx.Client, admin: httpx.Client) -> None:
    def snapshot() -> tuple:
        contacts = []
        after = None
        while True:
            body = hs.get("/crm/v3/objects/contacts", params={"limit": 100, "properties": "jobtitle,hs_merged_object_ids",
                                                               "associations": "calls", **({"after": after} if after else {})}).json()
            contacts += body["results"]
            after = body.get("paging", {}).get("next", {}).get("after")
            if not after:
                break
        props = [p["name"] for p in hs.get("/crm/v3/properties/contacts").json()["results"]]
        return contacts, props

    before = snapshot()
    primary, loser = before[0][0]["id"], before[0][1]["id"]
    hs.post("/crm/v3/objects/contacts/merge", json={"primaryObjectId": primary, "objectIdToMerge": loser}).raise_for_status()
    hs.post("/crm/v3/objects/contacts/batch/update", json={"inputs": [{"id": before[0][5]["id"],
                                                                       "properties": {"jobtitle": "x"}}]}).raise_for_status()
    hs.post("/crm/v3/properties/contacts", json={"name": "leadscore_grade", "label": "Grade", "type": "string",
                                                  "fieldType": "text", "groupName": "contactinformation"}).raise_for_status()
    admin.post("/contacts/clone", json={"count": 25}).raise_for_status()
    admin.post("/touch", json={"count": 40}).raise_for_status()
    assert snapshot() != before
    admin.post("/reset").raise_for_status()
    assert snapshot() == before


def test_command_line_serves_with_faults_and_stops_cleanly(dataset) -> None:
    import subprocess

    proc, url = sandbox_process(dataset, "--faults", "5xx=1.0", "--seed", "3", stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
    try:
        r = httpx.get(f"{url}/crm/v3/objects/contacts",
                      headers={"Authorization": "Bearer sandbox-hubspot-token"})
        assert r.status_code in (500, 502, 503)
        assert httpx.get(f"{url}/_sandbox/config").json()["faults"]["seed"] == 3
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    assert "Traceback" not in output
