from django import template

from customers.models import RiskTier

register = template.Library()


@register.filter
def tier_label(tier: int | None) -> str:
    """ "Very high" ... "Very low" for a stored tier number."""
    return RiskTier(tier).label if tier else ""
