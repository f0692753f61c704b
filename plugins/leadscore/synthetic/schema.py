"""The portal's property definitions, in the Properties API's own shape.

A real portal's property set is data, not code, so the generator writes it to
`hubspot/properties.ndjson` and the sandbox serves whatever it finds there.
"""
from __future__ import annotations

from typing import Iterator

from leadscore.synthetic import vocab

STAMP = "2020-01-01T00:00:00Z"
READ_ONLY = {"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate", "hs_createdate",
             "hs_merged_object_ids", "hs_is_closed_won", "hs_is_closed"}

# stages whose "Became a ... date" HubSpot keeps (and the generator fills)
LIFECYCLE_DATED = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist")
STAGE_LABEL = {"lead": "Lead", "marketingqualifiedlead": "Marketing Qualified Lead",
               "salesqualifiedlead": "Sales Qualified Lead", "opportunity": "Opportunity", "customer": "Customer",
               "evangelist": "Evangelist"}

_FIELD_TYPE = {"string": "text", "number": "number", "datetime": "date", "enumeration": "select",
               "phone_number": "phonenumber", "bool": "booleancheckbox"}


def prop(object_type: str, name: str, label: str, type_: str = "string", group: str | None = None,
         options: list[str] | None = None, description: str = "", custom: bool = False) -> dict:
    """One property definition; `options` makes it an enumeration."""
    if options is not None:
        type_ = "enumeration"
    read_only = name in READ_ONLY or (name.startswith("hs_lifecyclestage_") and name.endswith("_date"))
    return {
        "objectType": object_type,
        "name": name, "label": label, "type": type_, "fieldType": _FIELD_TYPE[type_],
        "groupName": group or f"{object_type[:-1]}information", "description": description,
        "options": [{"label": o, "value": o, "displayOrder": i, "hidden": False} for i, o in enumerate(options or [])],
        "displayOrder": -1, "calculated": False, "externalOptions": False, "hasUniqueValue": name == "hs_object_id",
        "hidden": False, "formField": not read_only, "archived": False,
        "createdAt": STAMP, "updatedAt": STAMP,
        "hubspotDefined": not custom,
        "modificationMetadata": {"archivable": custom, "readOnlyDefinition": not custom, "readOnlyValue": read_only},
    }


def _common(object_type: str, modified: str) -> list[dict]:
    return [prop(object_type, "hs_object_id", "Record ID", "number"),
            prop(object_type, "createdate" if object_type in ("contacts", "companies", "deals") else "hs_createdate",
                 "Create date", "datetime"),
            prop(object_type, modified, "Last modified date", "datetime")]


def property_definitions() -> Iterator[dict]:
    """Every property of every object type the sandbox serves."""
    c = "contacts"
    yield from _common(c, "lastmodifieddate")
    for name, label in [("email", "Email"), ("firstname", "First name"), ("lastname", "Last name"),
                        ("jobtitle", "Job title"), ("company", "Company name"), ("country", "Country/Region"),
                        ("hs_merged_object_ids", "Merged record IDs")]:
        yield prop(c, name, label)
    yield prop(c, "phone", "Phone number", "phone_number")
    yield prop(c, "associatedcompanyid", "Primary associated company ID", "number")
    yield prop(c, "lifecyclestage", "Lifecycle stage", options=vocab.LIFECYCLE_STAGES)
    yield prop(c, "hs_lead_status", "Lead status", options=vocab.LEAD_STATUSES)
    for stage in LIFECYCLE_DATED:
        yield prop(c, f"hs_lifecyclestage_{stage}_date", f"Became a {STAGE_LABEL[stage]} date", "datetime")
    yield prop(c, "closedate", "Close date", "datetime")
    for name in vocab.MEDDIC_SAMPLES:
        yield prop(c, name, name.replace("_", " ").title().replace("Meddic", "MEDDIC"), group="meddic", custom=True)

    co = "companies"
    yield from _common(co, "hs_lastmodifieddate")
    for name, label in [("name", "Company name"), ("domain", "Company domain name"), ("country", "Country/Region")]:
        yield prop(co, name, label)
    yield prop(co, "industry", "Industry", options=[i for i, _ in vocab.INDUSTRIES])
    yield prop(co, "numberofemployees", "Number of employees", "number")
    yield prop(co, "annualrevenue", "Annual revenue", "number")

    d = "deals"
    yield from _common(d, "hs_lastmodifieddate")
    yield prop(d, "dealname", "Deal name")
    yield prop(d, "pipeline", "Pipeline", options=["default"])
    yield prop(d, "dealstage", "Deal stage", options=[sid for sid, _, _ in vocab.DEAL_STAGES])
    yield prop(d, "amount", "Amount", "number")
    yield prop(d, "closedate", "Close date", "datetime")
    for name, label in (("hs_is_closed_won", "Is closed won"), ("hs_is_closed", "Is deal closed?")):
        yield prop(d, name, label, "bool")  # calculated by HubSpot; values "true"/"false"
    for sid, label, _ in vocab.DEAL_STAGES:
        yield prop(d, f"hs_date_entered_{sid}", f"Date entered '{label} (Sales Pipeline)'", "datetime")

    engagement_props: dict[str, list[tuple[str, str, str]]] = {
        "calls": [("hs_call_direction", "Call direction", "string"), ("hs_call_duration", "Call duration", "number"),
                  ("hs_call_disposition", "Call outcome", "string"), ("hs_call_title", "Call title", "string")],
        "meetings": [("hs_meeting_title", "Meeting name", "string"), ("hs_meeting_outcome", "Meeting outcome", "string"),
                     ("hs_meeting_start_time", "Meeting start time", "datetime")],
        "emails": [("hs_email_direction", "Email direction", "string"), ("hs_email_subject", "Email subject", "string")],
        "notes": [("hs_note_body", "Note body", "string")],
    }
    for object_type, extra in engagement_props.items():
        yield from _common(object_type, "hs_lastmodifieddate")
        yield prop(object_type, "hs_timestamp", "Activity date", "datetime")
        for name, label, type_ in extra:
            yield prop(object_type, name, label, type_)


def property_groups() -> Iterator[dict]:
    """Groups referenced by the definitions, per object type."""
    seen: set[tuple[str, str]] = set()
    for p in property_definitions():
        key = (p["objectType"], p["groupName"])
        if key not in seen:
            seen.add(key)
            yield {"objectType": key[0], "name": key[1], "label": key[1].replace("information", " information").title(),
                   "displayOrder": len(seen), "archived": False}
