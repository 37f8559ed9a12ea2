"""Settings shared by every environment. Values come from the environment (django-environ)."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# True only in production.py: system checks refuse what must never run there (the sandbox).
PRODUCTION = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
PLATFORM_NAME = "Open Trade Marketplace"

INSTALLED_APPS = [
    # Django's admin on the two-factor site (marketplace.accounts.admin_site).
    "marketplace.accounts.admin_config.MarketplaceAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "django_countries",
    "rest_framework",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "django_ratelimit",
    "marketplace.core",
    "marketplace.trade",
    "marketplace.accounts",
    "listings",
    "orders",
    "orders.documents",
    "payments",
    "payments.ledger",
    "marketplace.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "marketplace.accounts.middleware.ActiveCompanyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "marketplace.core.middleware.PermissionsPolicyMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
ASGI_APPLICATION = "marketplace.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.accounts.context_processors.active_company",
                "payments.context_processors.payments",
                "orders.conversations.context_processors.unread_messages",
            ],
            # orders.quotes is a package of the orders app, not an app: name its tag library.
            "libraries": {"quote_tags": "orders.quotes.templatetags.quote_tags"},
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="mkt"),
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in while its email and client address are locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / ".local" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / ".local" / "media")))
# Verification documents and trade PDFs: a folder apart from MEDIA_ROOT that is never served
# under a URL; they are downloaded only through views that check access.
PRIVATE_MEDIA_ROOT = Path(
    env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / ".local" / "private-media"))
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "marketplace.core.storage.PrivateFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Listing photos are decoded by the Celery worker (never in a request) with this pixel limit;
# an image over it (a decompression bomb) is refused and marked failed.
LISTING_IMAGE_MAX_PIXELS = env.int("LISTING_IMAGE_MAX_PIXELS", default=40_000_000)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# The HS 2022 table shipped in the repository (ODC-PDDL-1.0; see its SOURCE.md).
HS_CODES_CSV = env(
    "HS_CODES_CSV",
    default=str(BASE_DIR / "marketplace" / "trade" / "data" / "hs2022" / "harmonized-system.csv"),
)

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_URL = env.email_url("EMAIL_URL", default="smtp://localhost:25")
EMAIL_HOST = EMAIL_URL["EMAIL_HOST"]
EMAIL_PORT = EMAIL_URL["EMAIL_PORT"]
EMAIL_HOST_USER = EMAIL_URL["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = EMAIL_URL["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = EMAIL_URL.get("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Open Trade Marketplace <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Abuse limits. The client address every limit keys on (marketplace/core/client_address.py):
# X-Forwarded-For is believed only from this many reverse proxies in front of the app (0: the
# header is ignored and the client is the connection's peer).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# django-axes: after AXES_FAILURE_LIMIT failed sign-ins for one email from one client address
# (HTML, admin and API sign-in alike) that pair is locked out for AXES_COOLOFF_MINUTES.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A try during the lockout does not prolong it: the Retry-After we answer stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 403
# Both sign-in forms and the API pass the email as authenticate(username=...).
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "marketplace.accounts.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "marketplace.core.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "marketplace.accounts.lockout.lockout_response"
# django-ratelimit: sign-up per client address, password reset per address and per email.
RATELIMIT_IP_META_KEY = "marketplace.core.client_address.client_address"
# django-ratelimit lists only memcached as "supported"; Django's RedisCache is shared and its
# add (SET NX) and incr (INCRBY) are atomic, which is what the counters need.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
SIGNUP_RATE = env("SIGNUP_RATE", default="10/h")
PASSWORD_RESET_RATE = env("PASSWORD_RESET_RATE", default="5/h")
# A new account confirms its email before it may order, list or message: how long the mailed
# link stays valid, and how often a user may ask for a new one.
EMAIL_CONFIRMATION_HOURS = env.int("EMAIL_CONFIRMATION_HOURS", default=72)
EMAIL_CONFIRMATION_RESEND_RATE = env("EMAIL_CONFIRMATION_RESEND_RATE", default="5/h")

# Django REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "marketplace.core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "marketplace.core.api.schema.AutoSchema",
    # The API takes JSON; the views that upload a file take multipart (and say so).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "marketplace.accounts.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "auth_token": env("THROTTLE_AUTH_TOKEN", default="10/min"),
        "document_verify": env("THROTTLE_DOCUMENT_VERIFY", default="30/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# API tokens (django-rest-knox): only a SHA-512 digest is stored; each expires after
# API_TOKEN_TTL_DAYS; sent as `Authorization: Token <key>`.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 - a model label
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# Staff two-factor authentication (django-otp, TOTP). OTP_EXEMPT_EMAILS lists staff accounts
# that sign in without a code: only the local demo sets it; a system check refuses it when
# DEBUG is off, and production settings force it empty.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default=PLATFORM_NAME)
OTP_EXEMPT_EMAILS: list[str] = []
# The admin never shows a device's secret or QR code again (enrolment prints it once).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

SPECTACULAR_SETTINGS = {
    "TITLE": "Open Trade Marketplace API",
    "DESCRIPTION": "B2B cross-border marketplace: companies, listings, orders, payments, "
    "trade documents. Authenticate with `Authorization: Token <key>`; pick the acting "
    "company with the `X-Company` header.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operation ids without the version: `orders_create`, not `v1_orders_create`.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "ENUM_NAME_OVERRIDES": {
        "TradePartyEnum": "marketplace.trade.incoterms.PARTY_CHOICES",
        "IncotermEnum": "marketplace.trade.incoterms.INCOTERM_CHOICES",
        "CountryEnum": "marketplace.core.api.schema.COUNTRY_CHOICES",
        "OrderRoleEnum": "orders.api.serializers.ORDER_ROLE_CHOICES",
        "OrderStatusEnum": "orders.enums.OrderStatus",
        "CurrencyEnum": "marketplace.trade.currencies.CURRENCY_CHOICES",
        "TradeDocumentKindEnum": "orders.documents.enums.DocumentKind",
        "TradeDocumentStatusEnum": "orders.documents.enums.DocumentStatus",
        "TradeDocumentStandingEnum": "orders.documents.api.serializers.STANDING_CHOICES",
        "QuoteStatusEnum": "orders.quotes.models.QuoteStatus",
    },
}

# Celery
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# One queue per kind of work, each on its own direct exchange so a message lands in one queue.
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("default", "payments", "documents")
]
CELERY_TASK_DEFAULT_EXCHANGE = "default"
CELERY_TASK_DEFAULT_ROUTING_KEY = "default"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / ".local" / "celerybeat-schedule")
)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "relay-outbox": {
        "task": "marketplace.core.tasks.outbox_relay_task",
        "schedule": 30.0,
    },
    "refresh-fx-rates": {
        "task": "marketplace.trade.tasks.fx_rates_refresh_task",
        "schedule": crontab(minute=15, hour=6),
    },
    "refresh-search-terms": {
        "task": "listings.tasks.search_terms_refresh_task",
        "schedule": crontab(minute=40, hour=3),
    },
    "resume-pending-listing-images": {
        "task": "listings.tasks.listing_images_pending_resume_task",
        "schedule": 300.0,
    },
    "resume-settlements": {"task": "payments.tasks.settlements_resume_task", "schedule": 900.0},
    "retry-failed-stripe-events": {
        "task": "payments.tasks.stripe_events_retry_task",
        "schedule": 300.0,
    },
    "reconcile-payments": {
        "task": "payments.tasks.reconcile_task",
        "schedule": crontab(minute=30, hour=4),
    },
    "expire-unpaid-orders": {"task": "orders.tasks.orders_expire_unpaid_task", "schedule": 3600.0},
    "complete-inspected-orders": {
        "task": "orders.tasks.orders_complete_after_inspection_task",
        "schedule": 3600.0,
    },
    "expire-quotes": {"task": "orders.quotes.tasks.quotes_expire_task", "schedule": 3600.0},
    "close-due-rfqs": {"task": "orders.rfqs.tasks.rfqs_close_due_task", "schedule": 600.0},
    "send-rfq-digests": {
        "task": "orders.rfqs.tasks.rfqs_digest_send_task",
        "schedule": crontab(minute=0, hour=7),
    },
    "email-conversation-digests": {
        "task": "orders.conversations.tasks.conversation_emails_send_task",
        "schedule": 300.0,
    },
}
# Conversations: a new message is emailed (in one digest per recipient) once it is this many
# minutes old and still unread, so that a member who is on the site is not mailed.
CONVERSATION_EMAIL_DELAY_MINUTES = env.int("CONVERSATION_EMAIL_DELAY_MINUTES", default=5)

# Orders: the platform's fee in basis points of the goods, how long an unpaid order stays open,
# and how long a buyer has to inspect delivered goods before the order completes by itself.
PLATFORM_FEE_BPS = env.int("PLATFORM_FEE_BPS", default=300)
ORDER_PAYMENT_WINDOW_DAYS = env.int("ORDER_PAYMENT_WINDOW_DAYS", default=7)
# At most this many unpaid orders (placed or confirmed) per buying company, so that no buyer
# can lock up sellers' stock with orders it does not pay.
MAX_UNPAID_ORDERS_PER_BUYER = env.int("MAX_UNPAID_ORDERS_PER_BUYER", default=50)
INSPECTION_WINDOW_DAYS = env.int("INSPECTION_WINDOW_DAYS", default=14)

# Where FX rates are refreshed from: a CSV file (path or http(s) URL) in the import format.
FX_RATES_SOURCE = env("FX_RATES_SOURCE", default="")

# Landed cost: the cargo insurance premium (basis points of the insured value, 110 % of CIF)
# estimated under CIF and CIP when the seller has not given the insurance amount.
INSURANCE_PREMIUM_BPS = env.int("INSURANCE_PREMIUM_BPS", default=30)

# Payments. With STRIPE_SECRET_KEY set the platform talks to Stripe (STRIPE_API_BASE may point
# the SDK elsewhere, e.g. at a stand-in); without one, PAYMENTS_SANDBOX turns on the offline
# sandbox (local run and demo). The sandbox is never on while a Stripe key is set.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=20)
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
PAYMENTS_SANDBOX = env.bool("PAYMENTS_SANDBOX", default=False) and not STRIPE_SECRET_KEY
# Where Stripe Connect can pay sellers (ISO countries); sellers elsewhere are paid by bank.
STRIPE_CONNECT_COUNTRIES = env.list(
    "STRIPE_CONNECT_COUNTRIES",
    default=[
        "AT",
        "AU",
        "BE",
        "BG",
        "CA",
        "CH",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GB",
        "GI",
        "GR",
        "HK",
        "HR",
        "HU",
        "IE",
        "IT",
        "JP",
        "LI",
        "LT",
        "LU",
        "LV",
        "MT",
        "MX",
        "NL",
        "NO",
        "NZ",
        "PL",
        "PT",
        "RO",
        "SE",
        "SG",
        "SI",
        "SK",
        "TH",
        "US",
        "AE",
        "BR",
        "IN",
        "MY",
    ],
)
# Settlement: how often a failing transfer is retried (with exponential backoff) before the
# settlement is marked failed for an admin.
SETTLEMENT_MAX_RETRIES = env.int("SETTLEMENT_MAX_RETRIES", default=6)

# Content Security Policy (django-csp): scripts, styles, images, fonts and requests only from
# this site; no inline script or style, no plugins, no framing, forms post only here. With a
# Stripe publishable key the pay page may load Stripe.js and its frames (Stripe requires them
# from js.stripe.com); with a secret key, the "Connect with Stripe" form may redirect to
# Stripe's onboarding (Chrome applies form-action to a form's redirects).
_STRIPE_JS = ["https://js.stripe.com", "https://*.js.stripe.com"] if STRIPE_PUBLISHABLE_KEY else []
_STRIPE_FRAMES = [*_STRIPE_JS, "https://hooks.stripe.com"] if STRIPE_PUBLISHABLE_KEY else []
_STRIPE_API = ["https://api.stripe.com"] if STRIPE_PUBLISHABLE_KEY else []
_STRIPE_ONBOARDING = ["https://connect.stripe.com"] if STRIPE_SECRET_KEY else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", *_STRIPE_JS],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *_STRIPE_API],
        "frame-src": _STRIPE_FRAMES or ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *_STRIPE_ONBOARDING],
        "report-uri": env.list("CSP_REPORT_URI", default=[]) or None,
    },
}
# Permissions-Policy (marketplace.core.middleware): browser features no page uses are off for
# the site and every frame in it; the Payment Request API only for Stripe's Payment Element.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "encrypted-media": [],
    "fullscreen": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": ["self", '"https://js.stripe.com"'] if STRIPE_PUBLISHABLE_KEY else [],
    "publickey-credentials-get": [],
    "screen-wake-lock": [],
    "usb": [],
    "xr-spatial-tracking": [],
}

# Mounts the bare views that bench/detail compares against (never in production).
BENCH_VIEWS = env.bool("BENCH_VIEWS", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # Security events: one JSON object per line, for log shippers and alerting.
        "json": {"()": "marketplace.core.log_format.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "security": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "marketplace.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
    },
}
