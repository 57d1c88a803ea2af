"""The documented batch, 10,000 rows a request, fits in one request body for ordinary
rows; a body over the limit is refused naming the limit in bytes."""

import json

import pytest
from django.conf import settings

from tests.api.helpers import integration_client

pytestmark = pytest.mark.django_db


def test_ten_thousand_customers_with_their_usual_fields_fit_in_one_request():
    rows = [
        {
            "external_id": f"CRM-{i:08d}",
            "name": f"Nordwind Handelsgesellschaft mbH & Co. KG Niederlassung {i}",
            "segment": "important",
            "industry": "Wholesale trade",
            "customer_since": "2019-04-01",
            "primary_owner": "ben.berg@example.com",
            "secondary_owner": None,
            "status": "active",
            "churned_on": None,
            "churn_reason": "",
        }
        for i in range(10_000)
    ]
    body = json.dumps({"rows": rows, "dry_run": True})
    assert len(body) > 2_621_440  # more than Django's default limit of 2.5 MB
    response = integration_client()[0].post(
        "/api/v1/customers/bulk/", body, content_type="application/json"
    )
    # Read and checked: the one problem is the owner, who does not exist here.
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] != "parse_error"
    assert {row["field"] for row in error["rows"]} == {"primary_owner"}


def test_a_body_over_the_limit_is_refused_naming_it():
    body = json.dumps(
        {"rows": [{"name": "x" * 1000}] * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1000)}
    )
    response = integration_client()[0].post(
        "/api/v1/customers/bulk/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    limit = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}"
    assert response.json()["error"]["message"] == (
        f"The request body is larger than the {limit} bytes one request may carry; "
        "send fewer rows per request."
    )
