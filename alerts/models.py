"""Early-warning alerts: one live alert per customer and warning sign, raised nightly
from the signals the scoring run found, routed to the owner (and the team manager when
much is at stake), and closed when acted on or when the condition clears."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from customers.models import Customer, RiskTier, Segment
from customers.scoring.signals import SIGNALS
from retention.text_limits import LimitedTextField
from staff.models import Employee

# Signs raised from the score history rather than from the day's features.
HISTORY_SIGNALS = [("tier_jump", _("Risk tier jumped 2 or more tiers in a week"))]
SIGNAL_CHOICES = [(s.code, s.label) for s in SIGNALS] + HISTORY_SIGNALS
SIGNAL_DEFAULTS = {s.code: s.defaults for s in SIGNALS}

# Signs that explain a score but are too common to alert on by default (admins can
# switch them on).
OFF_BY_DEFAULT = {"single_threaded", "owner_changed"}

# The play DOMAIN.md section 5 suggests for each sign; admins can edit them per rule.
DEFAULT_PLAYS = {
    "engagement_drop": gettext_noop(
        "Call them this week: find out what changed and agree next steps."
    ),
    "no_recent_contact": gettext_noop("Get in touch: a call or visit, not a newsletter."),
    "contract_ending_90": gettext_noop("Start the renewal talk now; bring a renewal offer."),
    "contract_ending_180": gettext_noop(
        "Book the renewal conversation (3-6 months before the end)."
    ),
    "complaint": gettext_noop(
        "Service-sensitive: respond fast, fix the cause, follow up in person."
    ),
    "support_escalation": gettext_noop("Review the tickets with support and call with a plan."),
    "discount_request": gettext_noop(
        "Price-sensitive: offer tiered pricing or a longer contract with a discount."
    ),
    "low_satisfaction": gettext_noop("Ask what would make it a 9, and act on it."),
    "satisfaction_drop": gettext_noop("Ask what changed since the last rating."),
    "usage_drop": gettext_noop(
        "Feature-driven: share the roadmap, offer training, invite to betas."
    ),
    "decision_maker_left": gettext_noop("Meet the new decision-maker; re-sell the value."),
    "owner_departing": gettext_noop("Introduce the successor jointly before the last day."),
    "owner_departed": gettext_noop(
        "Successor: contact them more often than usual, over several channels."
    ),
    "owner_changed": gettext_noop("New owner: introduce yourself and check satisfaction."),
    "single_threaded": gettext_noop(
        "Add a second person from our side and a second contact on theirs."
    ),
    "tier_jump": gettext_noop("Something changed fast: call today and find out what."),
}


class SignalRule(models.Model):
    code = models.CharField(max_length=32, unique=True, choices=SIGNAL_CHOICES)
    enabled = models.BooleanField(default=True)
    thresholds = models.JSONField(
        default=dict,
        blank=True,
        help_text='Overrides of the sign\'s default thresholds, e.g. {"below_ratio": 0.4}; '
        "they apply to scores' reasons and alerts from the next scoring run.",
    )
    play = LimitedTextField(
        blank=True, max_length=2000, help_text=_("The suggested play shown with each alert.")
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.get_code_display()} ({'on' if self.enabled else 'off'})"

    def clean(self) -> None:
        defaults = SIGNAL_DEFAULTS.get(self.code, {"tiers": 2})
        if not isinstance(self.thresholds, dict):
            raise ValidationError(
                {"thresholds": "Give the thresholds as an object of name: number."}
            )
        for name, value in self.thresholds.items():
            if name not in defaults:
                known = ", ".join(defaults) or "none"
                raise ValidationError(
                    {"thresholds": f"{name!r} is not a threshold of this sign (it has: {known})."}
                )
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValidationError(
                    {"thresholds": f"{name} must be a number of at least 0, got {value!r}."}
                )

    @classmethod
    def ensure_defaults(cls) -> dict[str, SignalRule]:
        cls.objects.bulk_create(
            [
                cls(code=code, play=DEFAULT_PLAYS.get(code, ""), enabled=code not in OFF_BY_DEFAULT)
                for code, _ in SIGNAL_CHOICES
            ],
            ignore_conflicts=True,
        )
        return {rule.code: rule for rule in cls.objects.all()}


class Alert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        SNOOZED = "snoozed", _("Snoozed")
        RESOLVED = "resolved", _("Resolved")
        CLEARED = "cleared", _("Closed: the condition cleared")

    LIVE = (Status.OPEN, Status.ACKNOWLEDGED, Status.SNOOZED)

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="alerts")
    signal = models.CharField(max_length=32, choices=SIGNAL_CHOICES)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN)
    text = models.CharField(
        max_length=300, help_text=_("The figures that triggered it, in English.")
    )
    params = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The figures by name, so the text is worded in each reader's language."),
    )
    play = LimitedTextField(blank=True, max_length=2000)
    tier = models.PositiveSmallIntegerField(choices=RiskTier.choices, null=True, blank=True)
    annual_value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    probability = models.FloatField(default=0)
    revenue_at_risk = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # No index of their own: alert_owner_status and alert_manager_status lead with them,
    # and every index is written again for each of the night's inserts and updates.
    owner = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
        db_index=False,
    )
    manager = models.ForeignKey(
        Employee,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_alerts",
        db_index=False,
        help_text=_("Also routed to the team manager when much is at stake."),
    )
    opened_on = models.DateField()
    figures_on = models.DateField(
        help_text=_(
            "The day of the figures: when it was raised, or when the customer's risk "
            "tier, value or routing last changed while it stayed live."
        )
    )
    snoozed_until = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    note = LimitedTextField(
        blank=True,
        max_length=5000,
        help_text=_(
            "What was done, in the words of whoever resolved it; empty when the nightly run "
            "closed it (the page words that in the reader's language)."
        ),
    )

    class Meta:
        ordering = ["-revenue_at_risk"]
        indexes = [
            models.Index(fields=["owner", "status"], name="alert_owner_status"),
            models.Index(fields=["manager", "status"], name="alert_manager_status"),
            # The daily digests: each person's riskiest open alerts, read from the top of
            # their own entries, however many open alerts the company holds.
            models.Index(
                fields=["owner", "-revenue_at_risk", "id"],
                condition=Q(status="open"),
                name="alert_open_owner_risk",
            ),
            models.Index(
                fields=["manager", "-revenue_at_risk", "id"],
                condition=Q(status="open"),
                name="alert_open_manager_risk",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "signal"],
                condition=Q(status__in=["open", "acknowledged", "snoozed"]),
                name="one_live_alert_per_customer_signal",
                violation_error_message=_("This customer already has a live alert for this sign."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_signal_display()}: {self.customer}"

    @property
    def note_text(self) -> str:
        """The closing note in the active language: a person's words as they wrote them,
        the nightly run's automatic close worded from its day."""
        if self.status == self.Status.CLEARED and not self.note and self.closed_on:
            from django.utils.formats import date_format
            from django.utils.translation import gettext

            return gettext(
                "Closed automatically on %(day)s: the warning sign no longer applies."
            ) % {"day": date_format(self.closed_on)}
        return self.note


class DigestSent(models.Model):
    """One daily alert digest per person and day, so a re-run sends no second e-mail.
    Recorded before the e-mail goes out (`handed_over` False: claimed by the run sending
    it) and marked once the mail server took it; a run killed in between leaves the
    unmarked ones for the step's re-run, which sends them (alerts/digests.py)."""

    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    alerts = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)
    handed_over = models.BooleanField(default=True, help_text=_("The mail server took the digest."))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["employee", "day"], name="one_digest_per_person_day")
        ]

    def __str__(self) -> str:
        return f"Digest for {self.employee} on {self.day}"


class AlertPass(models.Model):
    """One pass of the nightly alert run over a day: the next night looks only at the
    customers whose score or alerts changed since (alerts/services.py), unless the rules
    it ran with changed, or a scoring run finished since for a day it had covered."""

    day = models.DateField(unique=True)
    rules = models.CharField(
        max_length=64, help_text=_("Fingerprint of the enabled signs, thresholds and routing.")
    )
    whole_company = models.BooleanField(
        default=True, help_text=_("Looked at every customer, not only the changed ones.")
    )
    customers = models.PositiveIntegerField(default=0, help_text=_("Customers looked at."))
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["-day"]
        get_latest_by = "day"

    def __str__(self) -> str:
        return f"Alerts for {self.day}"


def _new_secret() -> str:
    import secrets

    return secrets.token_hex(32)


class Webhook(models.Model):
    """An integration that wants alert changes pushed to it, signed with its secret."""

    EVENTS = ["alerts.opened", "alerts.cleared"]

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=64,
        default=_new_secret,
        help_text=_("Shared secret for the HMAC-SHA256 signature."),
    )
    events = models.JSONField(default=list, help_text=f"Any of {EVENTS}; empty means all.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        return self.active and (not self.events or event in self.events)

    def clean(self) -> None:
        problem = webhook_url_problem(self.url) if self.url else None
        if problem:
            raise ValidationError({"url": problem})


def webhook_url_problem(url: str) -> str | None:
    """Why alerts may not be pushed to `url`, or None. Receivers are public addresses:
    not loopback, link-local (cloud metadata), private, multicast or reserved ones,
    whatever the host name resolves to, unless its network is in WEBHOOK_ALLOWED_NETWORKS
    (on-premises). Checked when a webhook is saved and again before every delivery."""
    return webhook_target(url)[1]


def _embedded_ipv4(address) -> list:
    """The IPv4 addresses an IPv6 address reaches through: IPv4-mapped (::ffff:a.b.c.d),
    6to4 (2002::/16), Teredo (2001::/32, the client), NAT64 (64:ff9b::/96 and the local-use
    64:ff9b:1::/48) and IPv4-compatible (::a.b.c.d)."""
    import ipaddress

    if address.version != 6:
        return []
    found = [address.ipv4_mapped, address.sixtofour, address.teredo and address.teredo[1]]
    low = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    nat64 = ("64:ff9b::/96", "64:ff9b:1::/48")
    if any(address in ipaddress.ip_network(n) for n in nat64):
        found.append(low)
    if int(address) >> 32 == 0 and int(address) > 1:
        found.append(low)  # IPv4-compatible (deprecated, still routed by some stacks)
    return [a for a in found if a]


def webhook_target(url: str) -> tuple[list[str], str | None]:
    """The addresses `url`'s host resolves to now, and why alerts may not be pushed to
    them (None when every one is allowed). Delivery connects to one of these addresses,
    so a name that resolves differently a moment later cannot redirect it."""
    import ipaddress
    import socket
    from urllib.parse import urlsplit

    from django.conf import settings

    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return [], "This is not a valid address."
    if parts.scheme not in ("http", "https") or not host:
        return [], "Use an http:// or https:// address with a host."
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return [], f"The host {host} could not be resolved."
    allowed = [ipaddress.ip_network(n, strict=False) for n in settings.WEBHOOK_ALLOWED_NETWORKS]
    addresses = []
    for info in infos:
        resolved = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        addresses.append(str(info[4][0]))
        # An IPv6 form that carries an IPv4 address reaches that address: it must be
        # allowed too (and is named in the message when it is not).
        refused = [
            address
            for address in [resolved, *_embedded_ipv4(resolved)]
            if not any(address in network for network in allowed)
            and not (address.is_global and not address.is_multicast and not address.is_reserved)
        ]
        if not refused:
            continue
        address = refused[-1]
        kind = (
            "loopback"
            if address.is_loopback
            else "link-local"
            if address.is_link_local
            else "multicast"
            if address.is_multicast
            else "reserved"
            if address.is_reserved or address.is_unspecified
            else "private"
            if address.is_private
            else "non-public"
        )
        return addresses, (
            f"{host} is {address}, a {kind} address: webhooks go to public receivers "
            "(an on-premises receiver's network can be allowed in WEBHOOK_ALLOWED_NETWORKS)."
        )
    return addresses, None


class WebhookDelivery(models.Model):
    """One event sent to one webhook, with every attempt's outcome (the delivery log)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_status_next")]

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook} ({self.get_status_display()})"


class RetentionAction(models.Model):
    """Something done to keep a customer, and whether it worked. The signal, tier, team
    and owner are kept as they were on the day, so save rates can be compared by them."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        VISIT = "visit", _("Visit")
        OFFER = "offer", _("Tailored offer")
        DISCOUNT = "discount", _("Discount")
        EXECUTIVE_SPONSOR = "executive_sponsor", _("Executive sponsor")
        PLAN_CHANGE = "plan_change", _("Plan change")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        SAVED = "saved", _("Saved")
        LOST = "lost", _("Lost")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="retention_actions"
    )
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    play = LimitedTextField(blank=True, max_length=2000)
    signal = models.CharField(max_length=32, blank=True, choices=SIGNAL_CHOICES)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    team = models.ForeignKey(
        "staff.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = models.ForeignKey(
        Employee, null=True, blank=True, on_delete=models.SET_NULL, related_name="retention_actions"
    )
    notes = LimitedTextField(blank=True, max_length=10_000)
    taken_on = models.DateField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_on = models.DateField(null=True, blank=True)
    outcome_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-taken_on"]
        indexes = [models.Index(fields=["outcome", "taken_on"], name="action_outcome_taken")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.customer} on {self.taken_on}"


class TierPlay(models.Model):
    """How personal the intervention is, by risk tier (and optionally segment): DOMAIN.md
    section 5. Put in front of the sign's play on each alert; admins edit them."""

    tier = models.PositiveSmallIntegerField(choices=RiskTier.choices)
    segment = models.CharField(
        max_length=12, choices=Segment.choices, blank=True, help_text=_("Empty: every segment.")
    )
    text = LimitedTextField(max_length=2000)

    DEFAULTS = {
        RiskTier.VERY_HIGH: gettext_noop(
            "One-to-one: a named person follows up this week (visit, tailored offer or plan change)."
        ),
        RiskTier.HIGH: gettext_noop(
            "One-to-one: a named person follows up (visit, tailored offer or plan change)."
        ),
        RiskTier.MEDIUM: gettext_noop("Account manager call or a targeted offer."),
        RiskTier.LOW: gettext_noop("Standard care: survey and regular newsletter."),
        RiskTier.VERY_LOW: gettext_noop("Standard care: survey and regular newsletter."),
    }

    class Meta:
        ordering = ["tier", "segment"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "segment"], name="one_play_per_tier_segment")
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.segment or 'any segment'}"

    @classmethod
    def lookup(cls) -> dict[tuple[int, str], str]:
        """(tier, segment) -> text, with the defaults for tiers nobody edited."""
        cls.objects.bulk_create(
            [cls(tier=tier, segment="", text=text) for tier, text in cls.DEFAULTS.items()],
            ignore_conflicts=True,
        )
        return {(p.tier, p.segment): p.text for p in cls.objects.all()}


class AlertTally(models.Model):
    """Live alerts counted by state and day opened, kept by the database itself: every
    statement that writes alerts, whatever makes it (the nightly run, a person, the admin,
    the API), adds the change it made here through a trigger (migration 0014), in its own
    transaction, so the counts are as live as the alerts. Rows are only added (no row is
    a lock two writers wait on); the nightly alert run folds them into one a state and day
    (alerts/tallies.py). The dashboard of every team sums a few hundred rows instead of
    counting every live alert of the company."""

    status = models.CharField(max_length=14, choices=Alert.Status.choices)
    opened_on = models.DateField()
    alerts = models.IntegerField(help_text=_("A change: negative when alerts left the state."))

    def __str__(self) -> str:
        return f"{self.alerts:+} {self.status} opened on {self.opened_on}"


class ActionTally(models.Model):
    """Retention actions counted by day taken and outcome, kept as AlertTally is (a
    trigger on every write of actions, folded nightly): the save rate of every team sums
    a year of days instead of counting a year of actions."""

    outcome = models.CharField(max_length=8, choices=RetentionAction.Outcome.choices)
    taken_on = models.DateField()
    actions = models.IntegerField(help_text=_("A change: negative when actions left it."))

    def __str__(self) -> str:
        return f"{self.actions:+} {self.outcome} taken on {self.taken_on}"
