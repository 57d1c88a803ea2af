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
