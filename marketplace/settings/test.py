"""Settings for pytest: real PostgreSQL and Redis, fast hashing, in-memory email."""

import os

os.environ.setdefault(
    "DJANGO_SECRET_KEY", "test-only-insecure-key-not-for-production-use-0123456789"
)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marketplace")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
# Tests run the offline sandbox unless they point the Stripe SDK at the local stand-in.
os.environ.setdefault("PAYMENTS_SANDBOX", "true")

from .base import *  # noqa: F403
from .base import BASE_DIR, STORAGES, env

DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = BASE_DIR / ".local" / "test-media"
PRIVATE_MEDIA_ROOT = BASE_DIR / ".local" / "test-private-media"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_URL"),
        "KEY_PREFIX": f"test-{os.getpid()}",
    }
}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".local" / "test-celerybeat-schedule")
