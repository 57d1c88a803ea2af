from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.utils.formats import date_format, number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from customers.models import RiskTier

register = template.Library()


@register.filter
def tier_label(tier: int | None) -> str:
    """ "Very high" ... "Very low" for a stored tier number."""
    return RiskTier(tier).label if tier else ""


@register.filter
def tier_rank(tier: int | None) -> str:
    """What a tier means: a rank among today's scores, not a probability band
    ("High: top 20% of risk today"), from RISK_TIER_SHARES."""
    if not tier:
        return ""
    shares = settings.RISK_TIER_SHARES
    above, own = sum(shares[: tier - 1]), shares[tier - 1]
    label = RiskTier(tier).label
    if tier == len(shares):
        return _("%(tier)s: the lowest %(share)d%% of risk today") % {"tier": label, "share": own}
    if tier == 1:
        return _("%(tier)s: top %(share)d%% of risk today") % {"tier": label, "share": own}
    return _("%(tier)s: top %(upto)d%%, below the top %(above)d%% of risk today") % {
        "tier": label,
        "upto": above + own,
        "above": above,
    }


@register.simple_tag(takes_context=True)
def reason_text(context, reason: dict, owner_id: int | None = None) -> str:
    """A stored reason in the viewer's language (customers/scoring/wording.py); the
    owner's last day only for viewers who may see that departure."""
    from customers.scoring.wording import reason_text as worded

    return worded(reason, departure_visible=_sees_departure(context, owner_id))


@register.simple_tag(takes_context=True)
def alert_text(context, alert) -> str:
    """An alert's figures in the viewer's language."""
    from customers.scoring.wording import alert_text as worded

    owner_id = alert.customer.primary_owner_id if alert.signal == "owner_departing" else None
    return worded(alert, departure_visible=_sees_departure(context, owner_id))


@register.filter
def play_text(play: str) -> str:
    """A stored play, its default sentences in the viewer's language."""
    from customers.scoring.wording import play_text as worded

    return worded(play)


def _sees_departure(context, owner_id: int | None) -> bool:
    from staff.access import sees_departure_of

    request = context.get("request")
    return request is not None and sees_departure_of(request.user, owner_id)


@register.filter
def recommendation_text(reasons: list[str]) -> str:
    """Why a successor is recommended, in the reader's language (handover/plan_log.py)."""
    from handover.plan_log import recommendation_text as worded

    return worded(reasons)


@register.filter(is_safe=True)
def user_text(value) -> str:
    """What a person or another system typed (a name, a reason, a note), isolated from the
    page around it: inside <bdi> a right-to-left name, or a stored direction control that
    was never closed, cannot reorder the app's own words after it (retention/text_input.py
    refuses new ones at every door)."""
    if value is None or value == "":
        return ""
    return format_html("<bdi>{}</bdi>", value)


@register.filter
def money(amount, currency: str | None = None) -> str:
    """A stated amount (a contract's value, a sum of values) with its currency: the
    reporting currency unless another is named, grouped as the language groups, and never
    shown larger than it is: whole units when it has no cents ("EUR 12,300"), else to the
    cent ("JPY 9,999,999,999.99", never "JPY 10,000,000,000")."""
    if amount is None or amount == "":
        return ""
    exact = _decimal(amount).quantize(Decimal("0.01"), ROUND_HALF_UP)
    places = 0 if exact == exact.to_integral_value() else 2
    return _with_currency(exact, places, currency)


@register.filter
def money_estimate(amount, currency: str | None = None) -> str:
    """An estimate (revenue at risk, value at risk, a handover priority: a probability
    times a value) in whole units, rounded half up: its cents would be false precision."""
    if amount is None or amount == "":
        return ""
    whole = _decimal(amount).quantize(Decimal(1), ROUND_HALF_UP)
    if not whole.is_finite():  # NaN: shown as the filters show it
        return _with_currency(whole, 0, currency)
    # What intcomma(floatformat(whole, 0)) gives, without its parsing of its own output:
    # a night's digests word tens of thousands of these.
    grouped = number_format(int(whole), use_l10n=True, force_grouping=True)
    return f"{currency or settings.REPORTING_CURRENCY} {grouped}"


def _decimal(amount) -> Decimal:
    # A float by its shortest spelling (0.1 + 0.2 is 0.30000000000000004, not 0.3000...0444)
    return Decimal(repr(amount)) if isinstance(amount, float) else Decimal(str(amount))


def _with_currency(amount: Decimal, places: int, currency: str | None) -> str:
    code = currency or settings.REPORTING_CURRENCY
    return f"{code} {intcomma(floatformat(amount, places))}"


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


@register.simple_tag
def sparkline(points: list, width: int = 100, height: int = 24) -> str:
    """A customer's risk history as an inline SVG line (scaled to its own range so a
    change shows), labelled with where it started and ended for screen readers."""
    if len(points) < 2:
        return format_html('<span class="text-muted small">{}</span>', _("no history"))
    values = [probability for _, probability in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    coords = " ".join(
        f"{i * step:.1f},{height - 2 - (value - low) / span * (height - 4):.1f}"
        for i, value in enumerate(values)
    )
    label = _("Risk %(first)s on %(first_day)s, %(last)s on %(last_day)s") % {
        "first": percent(values[0]),
        "first_day": date_format(points[0][0], "MONTH_DAY_FORMAT"),
        "last": percent(values[-1]),
        "last_day": date_format(points[-1][0], "MONTH_DAY_FORMAT"),
    }
    colour = "#b02a37" if values[-1] > values[0] + 0.02 else "#495057"
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{}"><title>{}</title><polyline fill="none" stroke="{}" stroke-width="1.5" '
        'points="{}"/></svg>',
        width,
        height,
        width,
        height,
        label,
        label,
        colour,
        coords,
    )


@register.filter
def trend(change: float | None) -> str:
    """A change in churn probability in percentage points, with an arrow."""
    if change is None:
        return ""
    points = change * 100
    if abs(points) < 0.5:
        return _("→ steady")
    if points > 0:
        return _("↑ %(points)s pts") % {"points": f"{abs(points):.0f}"}
    return _("↓ %(points)s pts") % {"points": f"{abs(points):.0f}"}
