"""/healthz (votr_project/health.py): the database and broker checks, their failures and the
broker check's cache."""

import time
from unittest import mock

import pytest
from django.db import OperationalError
from django.urls import reverse
from kombu import Connection

from .production import free_port


@pytest.mark.django_db
def test_healthz_is_ok_with_the_database_up(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    # The test run always has a broker: the filesystem transport or CI's RabbitMQ.
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_down(client):
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("could not connect to server at db.internal")
    with mock.patch("votr_project.health.connection", broken):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "unreachable"
    assert b"db.internal" not in response.content


@pytest.mark.django_db
def test_healthz_reports_an_unreachable_broker_without_failing_or_leaking_its_url(client, caplog):
    closed_port = free_port()
    unreachable = Connection(
        f"amqp://votr:broker-password@127.0.0.1:{closed_port}//", connect_timeout=2
    )
    with mock.patch("votr_project.health.celery_app.connection_for_read", return_value=unreachable):
        started = time.monotonic()
        response = client.get(reverse("healthz"))
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "unreachable"}
    assert elapsed < 10
    assert b"broker-password" not in response.content
    assert str(closed_port).encode() not in response.content
    assert "broker-password" not in caplog.text


@pytest.mark.django_db
def test_healthz_checks_the_broker_at_most_every_ten_seconds(client, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("votr_project.health.time.monotonic", lambda: clock[0])
    closed_port = free_port()
    unreachable = Connection(f"amqp://votr:pw@127.0.0.1:{closed_port}//", connect_timeout=1)
    with mock.patch(
        "votr_project.health.celery_app.connection_for_read", return_value=unreachable
    ) as connect:
        assert client.get(reverse("healthz")).json()["broker"] == "unreachable"
        clock[0] += 9
        assert client.get(reverse("healthz")).json()["broker"] == "unreachable"
        assert connect.call_count == 1  # the cached answer
        clock[0] += 1
        client.get(reverse("healthz"))
        assert connect.call_count == 2


@pytest.mark.django_db
def test_healthz_accepts_only_get_and_head(client):
    assert client.head(reverse("healthz")).status_code == 200
    assert client.post(reverse("healthz")).status_code == 405
