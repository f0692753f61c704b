"""The writer against HubSpot's documented shapes (207 errors[], whole-batch 400), no sandbox.

These pin the response parsing to the contract in the reference doc §1.7, independent of how
the sandbox words its errors; the sandbox tests cover the same paths over real HTTP.
"""
from __future__ import annotations

import json

import httpx

from leadscore.sources.http import ApiClient
from leadscore.sync.hubspot_writer import HubSpotWriter


def writer_for(handler) -> tuple[HubSpotWriter, list[list[str]]]:
    calls: list[list[str]] = []

    def record(request: httpx.Request) -> httpx.Response:
        ids = [i["id"] for i in json.loads(request.content)["inputs"]]
        calls.append(ids)
        return handler(ids)

    client = ApiClient(conn_id="hubspot", base_url="http://hubspot.test", sleep=lambda s: None)
    client._http = httpx.Client(base_url="http://hubspot.test", transport=httpx.MockTransport(record))
    return HubSpotWriter(client), calls


def test_207_errors_are_attributed_per_row():
    def handler(ids):
        return httpx.Response(207, json={
            "status": "COMPLETE", "numErrors": 1,
            "results": [{"id": i, "properties": {}} for i in ids if i != "2"],
            "errors": [{"status": "error", "category": "OBJECT_NOT_FOUND", "message": "Could not get some CONTACT objects",
                        "context": {"ids": ["2"]}}]})

    writer, calls = writer_for(handler)
    out = writer.update([("1", {}), ("2", {}), ("3", {})])
    assert [out[i].ok for i in "123"] == [True, False, True]
    assert out["2"].http_status == 207 and "Could not get" in out["2"].error
    assert len(calls) == 1


def test_whole_batch_400_is_split_until_bad_rows_stand_alone():
    bad = {"7", "42"}

    def handler(ids):
        if bad & set(ids):
            return httpx.Response(400, json={"status": "error", "category": "VALIDATION_ERROR",
                                             "message": "Property values were not valid"})
        return httpx.Response(200, json={"status": "COMPLETE", "results": [{"id": i} for i in ids]})

    writer, calls = writer_for(handler)
    ids = [str(i) for i in range(100)]
    out = writer.update([(i, {}) for i in ids])
    assert {i for i, r in out.items() if not r.ok} == bad
    assert all(out[i].http_status == 400 and "not valid" in out[i].error for i in bad)
    assert len(calls) < 30  # ~2·log2(100) splits per bad row, not one call per row


def test_row_missing_from_results_counts_as_failed():
    writer, _ = writer_for(lambda ids: httpx.Response(200, json={"results": [{"id": ids[0]}]}))
    out = writer.update([("1", {}), ("2", {})])
    assert out["1"].ok and not out["2"].ok
