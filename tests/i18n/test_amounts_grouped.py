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


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_estimate_is_worded_as_the_humanize_filters_word_whole_units(language, settings):
    # The estimate skips floatformat and intcomma's parsing; what it shows is theirs.
    from decimal import Decimal

    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.template.defaultfilters import floatformat

    settings.REPORTING_CURRENCY = "EUR"
    amounts = [0, -0.4, 0.5, 1.5, 999.5, 1234567.49, -9876543.5, 10**15 + 0.5]
    amounts += ["12.5", Decimal("9999999999.99"), Decimal("-1000")]
    with translation.override(language):
        for amount in amounts:
            whole = Decimal(str(amount)).quantize(Decimal(1), "ROUND_HALF_UP")
            assert money_estimate(amount) == f"EUR {intcomma(floatformat(whole, 0))}"
        assert money_estimate(1234567.49) == "EUR 1,234,567"
        assert money_estimate(-9876543.5) == "EUR -9,876,544"  # half away from zero
        assert money_estimate(0.5, "JPY") == "JPY 1"
        assert money_estimate(float("nan")) == f"EUR {intcomma(floatformat(Decimal('NaN'), 0))}"
