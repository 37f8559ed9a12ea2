# syntax=docker/dockerfile:1
# The marketplace image: one image for the web server (gunicorn), the Celery worker and beat.

FROM python:3.12-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1


# --- dependencies, from uv.lock exactly (no dev or local-run groups) ------------------------
FROM base AS build
RUN pip install --no-cache-dir uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.12 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-group local --no-install-project


# --- the runtime image -------------------------------------------------------------------------
FROM base
# Fonts for trade documents (names and addresses in Latin, Cyrillic, Arabic, Chinese, Japanese).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-core fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
# The code stays owned by root: the app user can read it but not change it.
COPY . .
ENV PATH="/app/.venv/bin:${PATH}" \
    DJANGO_SETTINGS_MODULE=marketplace.settings.production \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/.local/media \
    PRIVATE_MEDIA_ROOT=/app/.local/private-media \
    CELERY_BEAT_SCHEDULE_FILENAME=/app/.local/celerybeat-schedule \
    WEB_CONCURRENCY=3

# Static files are collected into the image. The settings need a secret, a database and a
# broker URL to load; these build-only values exist for this one command and are never used.
RUN DJANGO_SECRET_KEY=collectstatic-at-build-time-only \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/.local/media /app/.local/private-media \
    && chown -R app:app /app/.local

USER app
EXPOSE 8000

# /healthz answers 200 when the database and Redis answer. The request carries the first of
# DJANGO_ALLOWED_HOSTS as its Host header, so that production's host check lets it through.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request as r; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; q = r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}); sys.exit(0 if r.urlopen(q, timeout=4).status == 200 else 1)"]

# gunicorn reads its number of worker processes from WEB_CONCURRENCY.
CMD ["gunicorn", "marketplace.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]
