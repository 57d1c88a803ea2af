from django import template

from customers.models import RiskTier

register = template.Library()


@register.filter
def tier_label(tier: int | None) -> str:
    """ "Very high" ... "Very low" for a stored tier number."""
    return RiskTier(tier).label if tier else ""


@register.filter
def percent(probability: float | None) -> str:
    """A probability as a whole percentage; "<1%" rather than a misleading "0%"."""
    if probability is None:
        return ""
    if 0 < probability < 0.005:
        return "<1%"
    return f"{probability:.0%}"


@register.filter
def rate(value: float | None) -> str:
    """A rate with one decimal: 0.125 -> "12.5%"; empty when unknown."""
    return "" if value is None else f"{value:.1%}"


@register.simple_tag
def ratio(part: float, whole: float) -> str:
    """part / whole as a rate with one decimal; empty when the whole is zero."""
    return rate(part / whole) if whole else ""
