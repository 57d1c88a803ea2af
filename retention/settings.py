"""Settings for the retention CRM, read from the environment (see .env.example).

With nothing configured it runs on SQLite with Celery tasks executed in-process, so a
newcomer needs no servers. Set DATABASE_URL and REDIS_URL (or CELERY_BROKER_URL) to run
on PostgreSQL with real Celery workers and beat."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

from retention.env import env_bool, env_int, env_int_list, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set unless DEBUG is on.")
    SECRET_KEY = "insecure-development-key-only-used-with-debug"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# A form from an out-of-date page gets the app's own page, not Django's.
CSRF_FAILURE_VIEW = "retention.api.errors.csrf_failure"

INSTALLED_APPS = [
    "staff.apps.RetentionAdminConfig",  # django.contrib.admin, gated like the app
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "staff",
    "customers",
    "handover",
    "alerts",
    "retention.jobs",
]

MIDDLEWARE = [
    # Outermost: under /api/ every error is JSON, DEBUG's HTML pages too.
    "retention.api.middleware.ApiErrorsAsJson",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A NUL in a query string: a 400 naming the parameter, not a database error.
    "retention.nul.RefuseNulInQuery",
    # A part of a page (htmx) whose session has ended: a 401 sentence, not the sign-in page.
    "retention.partials.SignInAgainForPartials",
    # One rule for who may act now (staff/auth.py): a refused session is ended.
    "staff.auth.EndRefusedSessions",
    "staff.language.UserLanguageMiddleware",
    "staff.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Per-address limit on the API, before any authentication (retention/api/auth.py).
    "retention.api.auth.AddressRateLimit",
    # Last, as django-axes asks: it answers locked-out sign-ins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-ins while locked out
    # ModelBackend that refuses whoever may not act now (departed, past their last day).
    "staff.auth.EmployeeBackend",
]

ROOT_URLCONF = "retention.urls"
WSGI_APPLICATION = "retention.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The model page keeps its template beside its views (customers/model_page/).
        "DIRS": [BASE_DIR / "templates", BASE_DIR / "customers" / "model_page" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "staff.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2 first (Django's recommendation; about half PBKDF2's time per sign-in here, as
# strong); older hashes still verify and are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# English and Simplified Chinese: each person's choice (Employee.language), else the
# browser's Accept-Language. Catalogues in locale/, compiled at set-up; dates and numbers
# follow the language (retention/formats/ for English's one date format).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["retention.formats"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages are installed from the npm registry into static/node_modules at
# set-up (see static/package.json) and served by the app itself, so pages work offline.
_NODE = BASE_DIR / "static" / "node_modules"
STATICFILES_DIRS = [
    ("app", BASE_DIR / "static" / "app"),
    ("vendor/bootstrap", _NODE / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", _NODE / "bootstrap-icons" / "font"),
    ("vendor/htmx", _NODE / "htmx.org" / "dist"),
    ("vendor/chart.js", _NODE / "chart.js" / "dist"),
]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The largest request body read (Django's default is 2.5 MB): a bulk request of 10,000
# ordinary rows (about 350 bytes a customer, up to 1 KB an interaction with a note) fits;
# a request over it is refused naming the limit. Files go through the upload instead.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 16 * 1024 * 1024)
# The most form fields a request may send (Django's default is 1,000): the admin's
# customer page sends about 11 per contract inline, and a monthly chain the roll renews
# for ten years holds 120 contracts; 20,000 fields is a customer with 1,800.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 20_000)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "retention.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["retention.api.auth.HasRole"],
    "DEFAULT_FILTER_BACKENDS": [
        # First: a query parameter the view does not know is a 400 (retention/api/params.py).
        "retention.api.params.RefuseUnknownParameters",
        "django_filters.rest_framework.DjangoFilterBackend",
        "retention.api.paging.Ordering",
    ],
    "DEFAULT_PAGINATION_CLASS": "retention.api.paging.Cursor",
    "DEFAULT_SCHEMA_CLASS": "retention.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "retention.api.errors.handler",
    "DEFAULT_THROTTLE_CLASSES": ["retention.api.auth.PerTokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api": env_str("API_RATE_LIMIT", "600/minute"),
        "address": env_str("API_ADDRESS_RATE_LIMIT", "1200/minute"),
    },
    "DEFAULT_PARSER_CLASSES": [
        "retention.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Retention CRM API",
    # Schema words follow Accept-Language (or ?lang=); field names and codes stay English.
    "DESCRIPTION": gettext_lazy(
        "Customers, contracts, interactions, risk scores, alerts and handovers. "
        "Authenticate with `Authorization: Bearer <key>` (keys are made by admins)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed drf-spectacular-sidecar package: works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "retention.api.schema.fields_by_role",
    ],
}

# --- Celery -----------------------------------------------------------------------------
# REDIS_URL or CELERY_BROKER_URL switches on real workers; without either, tasks run
# in-process (eager) so the embedded default needs no servers.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# With Redis, the web and worker processes share a cache (a CSV import's progress);
# without it, the web process's memory, where the embedded default runs its jobs.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
# Without workers, a CSV check or import runs in a thread of the web process after the
# request returns, so its page shows the progress bar moving instead of blocking.
CSV_IMPORT_IN_THREAD = env_bool("CSV_IMPORT_IN_THREAD", CELERY_TASK_ALWAYS_EAGER)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_TIMEZONE = TIME_ZONE
# django-celery-beat's database scheduler, keeping times changed in the admin (retention/jobs/schedule.py).
CELERY_BEAT_SCHEDULER = "retention.jobs.schedule:KeepAdminSchedule"
# A publish with the broker down fails at once (the step stays queued for the watchdog)
# instead of blocking the request for its retries.
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 3)
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The one place where schedules are declared; django-celery-beat loads them into the
# database, where admins can change the times.
CELERY_INCLUDE = ["retention.nightly"]
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Contract roll, then scoring (see retention/nightly.py for the order).
    "nightly-jobs": {
        "task": "retention.nightly.run_nightly_jobs",
        "schedule": crontab(hour=env_int("NIGHTLY_HOUR", 2), minute=0),
    },
    # Re-queues steps whose worker was lost and re-sends lost messages (retention/jobs/steps.py).
    "jobs-watchdog": {
        "task": "retention.jobs.tasks.watchdog",
        "schedule": env_int("JOBS_WATCHDOG_SECONDS", 120),
    },
    # Sends webhook deliveries that are due (first tries and retries with backoff).
    "send-due-webhooks": {"task": "alerts.tasks.send_due_webhooks", "schedule": 60},
    "weekly-model-training": {
        "task": "customers.tasks.train_risk_model",
        "schedule": crontab(
            day_of_week=env_str("TRAINING_WEEKDAY", "sun"),
            hour=env_int("TRAINING_HOUR", 1),
            minute=0,
        ),
    },
}

# --- Durable nightly steps (README "Nightly jobs: what survives what") -------------------
# A running step's worker marks it alive this often; a step not marked for
# JOBS_STALE_SECONDS is re-queued by the watchdog. Database errors and lost workers are
# retried up to JOBS_MAX_ATTEMPTS times, then the step is marked failed.
JOBS_HEARTBEAT_SECONDS = env_int("JOBS_HEARTBEAT_SECONDS", 15)
JOBS_STALE_SECONDS = env_int("JOBS_STALE_SECONDS", 90)
JOBS_MAX_ATTEMPTS = env_int("JOBS_MAX_ATTEMPTS", 5)
# A mail server out of reach: the sending step is tried again after 30 s, 1, 2, 4, 8 and
# then every 15 minutes, up to this many attempts (about 75 minutes in all by default),
# as mail outages outlast a database's restart.
JOBS_MAIL_MAX_ATTEMPTS = env_int("JOBS_MAIL_MAX_ATTEMPTS", 10)
# A step queued for longer than this is sent again (its message may have been lost).
JOBS_RESEND_SECONDS = env_int("JOBS_RESEND_SECONDS", 300)
# Test-only failpoint: "step name=seconds,..." holds a claimed step that long.
JOBS_FAULT_PAUSE = env_list("JOBS_FAULT_PAUSE", [])

# --- Churn scoring (README "How scoring works") ------------------------------------------------
# Churn within this many days after a day is what the model predicts.
CHURN_HORIZON_DAYS = env_int("CHURN_HORIZON_DAYS", 90)
# Shares of active customers in the tiers very high, high, medium, low, very low (percent).
RISK_TIER_SHARES = env_int_list("RISK_TIER_SHARES", [5, 15, 25, 35, 20])
if len(RISK_TIER_SHARES) != 5 or sum(RISK_TIER_SHARES) != 100 or min(RISK_TIER_SHARES) < 0:
    raise ImproperlyConfigured(
        f"RISK_TIER_SHARES must be five non-negative percentages adding up to 100, got {RISK_TIER_SHARES}."
    )
# Below this many churned customers in the history the score is rules-based.
MIN_CHURNERS_TO_TRAIN = env_int("MIN_CHURNERS_TO_TRAIN", 30)
TRAINING_HISTORY_MONTHS = env_int("TRAINING_HISTORY_MONTHS", 24)
# What counts as churn in the training labels (stored with each model): "explicit" (the
# customer is marked churned), "contract" (marked churned, or its contracts ran out and
# no new one started within CONTRACT_RENEWAL_GRACE_DAYS), "implicit" (no interaction or
# usage for IMPLICIT_CHURN_DAYS, per segment core, important, general; DOMAIN.md 3).
CHURN_LABEL = env_str("CHURN_LABEL", "explicit")
if CHURN_LABEL not in ("explicit", "contract", "implicit"):
    raise ImproperlyConfigured(
        f"CHURN_LABEL must be explicit, contract or implicit, got {CHURN_LABEL!r}."
    )
IMPLICIT_CHURN_DAYS = env_int_list("IMPLICIT_CHURN_DAYS", [90, 90, 90])
if len(IMPLICIT_CHURN_DAYS) != 3 or min(IMPLICIT_CHURN_DAYS) < 1:
    raise ImproperlyConfigured(
        "IMPLICIT_CHURN_DAYS must be three positive day counts (core, important, general), "
        f"got {IMPLICIT_CHURN_DAYS}."
    )
CONTRACT_RENEWAL_GRACE_DAYS = env_int("CONTRACT_RENEWAL_GRACE_DAYS", 30)
# The nightly roll sets aside a contract whose catch-up needs more follow-ons than this in
# one night (one pass, a transaction, each): 400 monthly terms are over 30 years behind.
CONTRACT_ROLL_MAX_GENERATIONS = env_int("CONTRACT_ROLL_MAX_GENERATIONS", 400)
if CONTRACT_ROLL_MAX_GENERATIONS < 1:
    raise ImproperlyConfigured(
        f"CONTRACT_ROLL_MAX_GENERATIONS must be 1 or more, got {CONTRACT_ROLL_MAX_GENERATIONS}."
    )
# Days of history the features need before the first observation date.
TRAINING_WARM_UP_DAYS = env_int("TRAINING_WARM_UP_DAYS", 28)
# Monthly observation dates when the history holds at least this many; weekly otherwise.
TRAINING_MIN_MONTHLY_DATES = env_int("TRAINING_MIN_MONTHLY_DATES", 12)
# Forward-chained backtest folds (by observation date) every trained model carries.
BACKTEST_FOLDS = env_int("BACKTEST_FOLDS", 4)
# Usage features are made for this many event names (the most used ones).
USAGE_EVENTS_MAX = env_int("USAGE_EVENTS_MAX", 20)
# Larger companies are sampled (every k-th customer) down to about this many per month.
TRAINING_MAX_CUSTOMERS = env_int("TRAINING_MAX_CUSTOMERS", 50_000)
# Customers per scoring chunk (one durable step each, retention/jobs/steps.py).
SCORING_CHUNK_SIZE = env_int("SCORING_CHUNK_SIZE", 50_000)
# --- Alerts -------------------------------------------------------------------------------------
# Steps of the night that run once the day's scoring is complete (skipped when it is not,
# so they never see a half-scored day).
SCORING_FOLLOW_UP_TASKS = [
    "alerts.tasks.raise_alerts",
    "customers.tasks.compute_dashboard_figures",
]
# Alerts with at least this much revenue at risk (or a very high tier) also go to the team manager.
ALERT_MANAGER_REVENUE_AT_RISK = env_int("ALERT_MANAGER_REVENUE_AT_RISK", 10_000)

# --- Money (customers/currency.py) ------------------------------------------------------------
# Every sum, feature and figure is in this currency; other currencies need dated rates.
REPORTING_CURRENCY = env_str("REPORTING_CURRENCY", "EUR")
if (
    len(REPORTING_CURRENCY) != 3
    or not REPORTING_CURRENCY.isalpha()
    or not REPORTING_CURRENCY.isupper()
):
    raise ImproperlyConfigured("REPORTING_CURRENCY must be a three-letter ISO code, e.g. EUR.")

# --- Handovers (README "How handovers work") -------------------------------------------------
# Customers (as primary owner) an account manager can look after; successors beyond it are flagged.
SUCCESSOR_CAPACITY = env_int("SUCCESSOR_CAPACITY", 150)
# Follow-up contacts with each handed-over customer, in days after the last day.
HANDOVER_FOLLOW_UP_DAYS = env_int_list("HANDOVER_FOLLOW_UP_DAYS", [14, 30, 90])
# The knowledge-transfer note is due this many days before the last day.
KNOWLEDGE_TRANSFER_LEAD_DAYS = env_int("KNOWLEDGE_TRANSFER_LEAD_DAYS", 5)
# HR may record a departure whose last day was at most this many days ago.
DEPARTURE_GRACE_DAYS = env_int("DEPARTURE_GRACE_DAYS", 7)
# ... and at most this many days ahead: a notice period, not a date typed by mistake.
DEPARTURE_MAX_DAYS_AHEAD = env_int("DEPARTURE_MAX_DAYS_AHEAD", 730)
# Confidentiality and non-compete agreements end at most this many years from today.
AGREEMENT_MAX_YEARS = env_int("AGREEMENT_MAX_YEARS", 10)

# Threads scikit-learn may use inside one task. Parallelism comes from more workers; more
# threads per worker fight over the cores (OpenMP spin-waits) and make training slower.
ML_THREADS = env_int("ML_THREADS", 1)

# --- Shared cache: API rate limits, sign-in failures per address ------------------------------
# Redis when there is one, so every server process counts against the same limits; else
# memory (one process: the embedded default and tests without Redis).
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "retention"),
    }
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Security (production defaults; DEBUG turns the HTTPS-only parts off) ------------------
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# The container health check asks over plain http from inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
# Content-Security-Policy (django-csp): scripts and everything else only from the app
# itself; style attributes are allowed (progress bars and chart boxes set their size).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# A departing person's customer records read through the API (list rows, records opened)
# in a day beyond this need their manager's approval, like an export.
BULK_READ_DAILY_ALLOWANCE = env_int("BULK_READ_DAILY_ALLOWANCE", 200)
# Lists (customers, renewals) count their rows up to this many and then say "more than":
# counting every match of a million-row list costs more than the page itself.
LIST_EXACT_COUNT_UP_TO = 1_000
# Alerts are snoozed for at most this many days.
ALERT_SNOOZE_MAX_DAYS = env_int("ALERT_SNOOZE_MAX_DAYS", 90)
# Webhooks may not point at loopback, link-local or private addresses, except these
# networks (on-premises receivers), e.g. "10.20.0.0/16,192.168.5.7/32".
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS", [])

# Export watch: a day with more than EXPORT_WATCH_DAILY_LIMIT customer records viewed or
# exported, or more than EXPORT_WATCH_FACTOR times the person's 30-day daily average, or
# any export within EXPORT_WATCH_DEPARTURE_DAYS of their last day, is reported.
EXPORT_WATCH_DAILY_LIMIT = env_int("EXPORT_WATCH_DAILY_LIMIT", 50)
EXPORT_WATCH_FACTOR = env_int("EXPORT_WATCH_FACTOR", 3)
EXPORT_WATCH_DEPARTURE_DAYS = env_int("EXPORT_WATCH_DEPARTURE_DAYS", 30)

# Sign-in throttling (django-axes): after LOGIN_FAILURE_LIMIT failed attempts for the same
# username from the same address, that pair is locked out for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# And one address is refused for the same time after this many failed sign-ins for any
# usernames (one password tried against every username), counted in the shared cache.
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# For the file-based backend (the demo keeps its e-mails there instead of the console).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / ".demo-mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "retention@localhost")
# The mail server of the SMTP backend: STARTTLS on 587 (EMAIL_USE_TLS) or TLS from the
# start on 465 (EMAIL_USE_SSL), with a login; the password may come from a file
# (EMAIL_HOST_PASSWORD_FILE, a Docker or Kubernetes secret).
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# A mail server that stops answering fails the sending step (retried) instead of
# holding a worker for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "Set EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL (465), not both."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
