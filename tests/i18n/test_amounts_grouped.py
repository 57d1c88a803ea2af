"""Amounts are grouped by thousands in every language the product speaks: a Chinese
reader sees "EUR 9,455,709", never "EUR 9455709"."""

import pytest
from django.utils import translation

from customers.templatetags.risk import money, money_estimate


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_money_is_grouped_by_thousands(language, settings):
    settings.REPORTING_CURRENCY = "EUR"
    with translation.override(language):
        assert money(9455709) == "EUR 9,455,709"
        assert money(104028.4) == "EUR 104,028.40"
        assert money_estimate(104028.4) == "EUR 104,028"
        assert money(999, "JPY") == "JPY 999"
