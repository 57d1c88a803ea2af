"""Sign-in throttling: five wrong passwords lock that username out from that address."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"  # the factory's


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_out_even_with_the_right_one(client):
    UserFactory(username="ann")
    for _ in range(4):
        assert sign_in(client, "ann", "wrong").status_code == 200  # the form again
    locked = sign_in(client, "ann", "wrong")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    right = sign_in(client, "ann", PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session


def test_a_right_password_before_the_limit_signs_in_and_resets_the_count(client):
    UserFactory(username="bob")
    for _ in range(4):
        sign_in(client, "bob", "wrong")
    assert sign_in(client, "bob", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "bob", "wrong").status_code == 200


def test_the_lockout_is_per_username(client):
    UserFactory(username="cy")
    UserFactory(username="di")
    for _ in range(5):
        sign_in(client, "cy", "wrong")
    assert sign_in(client, "di", PASSWORD).status_code == 302
