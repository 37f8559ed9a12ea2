"""Settings for `make run`: one machine, debug on, emails to the console."""

import os
from pathlib import Path

# Without DATABASE_URL / REDIS_URL, `manage.py` talks to the embedded services that `make run`
# keeps under .local/ (the same addresses marketplace.devstack gives them).
_LOCAL = Path(__file__).resolve().parent.parent.parent / ".local"
os.environ.setdefault(
    "DATABASE_URL", f"postgres://postgres@/marketplace?host={_LOCAL / 'postgres'}"
)
_redis_port = _LOCAL / "redis" / "port"
os.environ.setdefault(
    "REDIS_URL",
    f"redis://127.0.0.1:{_redis_port.read_text().strip()}/0"
    if _redis_port.exists()
    else "redis://127.0.0.1:6379/0",
)

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "local-only-insecure-key-not-for-production-use-0123456789"
)
os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
os.environ.setdefault("DJANGO_DEBUG", "true")
# No Stripe key: the offline sandbox takes payments (labelled on every page).
if not os.environ.get("STRIPE_SECRET_KEY"):
    os.environ.setdefault("PAYMENTS_SANDBOX", "true")

from .base import *  # noqa: E402, F403
from .base import STORAGES, env  # noqa: E402

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The seeded demo admin alone signs in to /admin/ without a second factor, locally only
# (the `make run` banner says so; a system check refuses this with DEBUG off).
OTP_EXEMPT_EMAILS = ["admin@demo.test"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
