"""API test helpers: a client that sends a token, and tokens for each kind of caller."""

from __future__ import annotations

import threading

from django.db import connections, transaction
from rest_framework.test import APIClient

from staff.models import ApiToken


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def integration_client(role: str = "integration") -> tuple[APIClient, ApiToken]:
    token, key = ApiToken.issue(name=f"{role} system", role=role)
    return client_with(key), token


def refused(api, kind: str, rows: list[dict]) -> list[tuple]:
    """A bulk post the API refuses: its row problems as (index, field, message)."""
    response = api.post(f"/api/v1/{kind}/bulk/", {"rows": rows}, format="json")
    assert response.status_code == 400, response.json()
    return [(e["index"], e["field"], e["message"]) for e in response.json()["error"]["rows"]]


def user_client(user) -> tuple[APIClient, ApiToken]:
    token, key = ApiToken.issue(name=f"{user.username}'s script", user=user)
    return client_with(key), token


def race(first_write, second_write, *, hold: float = 1.0) -> dict:
    """Two clients on their own connections: the first runs `first_write()` in a
    transaction it holds open for `hold` seconds; the second, started once the first has
    written, runs `second_write()` (it reads before the first commits, and its writes
    wait for it). Returns {"first": ..., "second": ...}, what each returned; an exception
    in either fails the test."""
    written, outcomes, failures = threading.Event(), {}, []

    def first_client():
        try:
            with transaction.atomic():
                outcomes["first"] = first_write()
                written.set()
                threading.Event().wait(hold)
        except Exception as error:  # noqa: BLE001 - the test reports it
            failures.append(error)
        finally:
            written.set()
            connections.close_all()

    def second_client():
        try:
            written.wait(10)
            outcomes["second"] = second_write()
        except Exception as error:  # noqa: BLE001 - the test reports it
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first_client), threading.Thread(target=second_client)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    return outcomes
