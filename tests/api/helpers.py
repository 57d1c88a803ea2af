"""API test helpers: a client that sends a token, and tokens for each kind of caller."""

from __future__ import annotations

from rest_framework.test import APIClient

from staff.models import ApiToken


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def integration_client(role: str = "integration") -> tuple[APIClient, ApiToken]:
    token, key = ApiToken.issue(name=f"{role} system", role=role)
    return client_with(key), token


def user_client(user) -> tuple[APIClient, ApiToken]:
    token, key = ApiToken.issue(name=f"{user.username}'s script", user=user)
    return client_with(key), token
