# syntax=docker/dockerfile:1
# Production image for the retention CRM: gunicorn serves the web app, and the same image
# runs the Celery worker and beat (see docker-compose.yml).

# --- Front-end packages ----------------------------------------------------------------------
# node/npm come from Debian and are needed only to install static/node_modules; they stay in
# this stage and never reach the final image.
FROM python:3.11-slim AS assets
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY static/package.json static/package-lock.json static/
RUN npm ci --prefix static --no-audit --no-fund

# --- Application -----------------------------------------------------------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. The project itself declares no
# packages ([tool.setuptools] packages = []): this installs only its dependencies, and the
# code runs from /app.
COPY pyproject.toml ./
RUN pip install .

COPY . .
COPY --from=assets /build/static/node_modules static/node_modules

# Settings refuse to load without SECRET_KEY; this throwaway value exists only for this
# command and is not baked into the image.
RUN SECRET_KEY=build-time-collectstatic-only python manage.py collectstatic --noinput \
    && pybabel -q compile -d locale -D django

# The code stays owned by root and read-only to the user the processes run as; uploads
# go to MEDIA_ROOT, a volume shared by web and worker, created owned by that user.
RUN mkdir -p /var/lib/retention/media && chown app:app /var/lib/retention/media
USER app

EXPOSE 8000
CMD ["gunicorn", "retention.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
