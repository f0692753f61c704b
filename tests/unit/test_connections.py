import pytest

from leadscore.connections import get_connection
from leadscore.errors import ConfigError
from leadscore.warehouse import _parse_url


def test_uri_connection_keeps_password_out_of_repr(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_HUBSPOT", "https://:pat-na1-secret@api.hubapi.com")
    conn = get_connection("hubspot")
    assert conn.password == "pat-na1-secret"
    assert conn.base_url == "https://api.hubapi.com"
    assert "secret" not in repr(conn)


def test_json_connection_with_extra(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MAILCHIMP",
                       '{"conn_type": "http", "host": "https://us21.api.mailchimp.com", "password": "k-us21",'
                       ' "extra": {"list_id": "abc123"}}')
    conn = get_connection("mailchimp")
    assert conn.base_url == "https://us21.api.mailchimp.com"
    assert conn.extra == {"list_id": "abc123"}


def test_malformed_connection_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_HUBSPOT", "{not json")
    with pytest.raises(ConfigError) as err:
        get_connection("hubspot")
    assert "AIRFLOW_CONN_HUBSPOT is not a valid Airflow connection" in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_connection_is_none(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_HUBSPOT", raising=False)
    assert get_connection("hubspot") is None


def test_warehouse_url_masks_password():
    p = _parse_url("postgresql://analyst:s3cr%40t@db.example.com:6543/dwh")
    assert (p.host, p.port, p.user, p.password, p.dbname) == ("db.example.com", 6543, "analyst", "s3cr@t", "dwh")
    assert "s3cr" not in p.safe_url and "***" in p.safe_url
    assert p.dbt_env()["LEADSCORE_PG_PORT"] == "6543"
