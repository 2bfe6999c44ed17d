# Image for every process of the portal: web (gunicorn), Celery worker and beat, and the
# one-shot `manage.py migrate`. docker-compose.yml shows how they fit together.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first, in their own layer, so a code change does not reinstall them. The
# project installs no packages of its own (`packages = []` in pyproject.toml): the code is
# used in place from /app.
COPY pyproject.toml constraints.txt /tmp/build/
RUN pip install -c /tmp/build/constraints.txt /tmp/build \
    && rm -rf /tmp/build

WORKDIR /app
COPY . .

# Static files are collected at build time; whitenoise serves them. The secret key here is a
# throwaway for this one step: it is not stored in the image's environment.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only-not-a-secret \
    python manage.py collectstatic --noinput

RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home portal \
    && mkdir -p /app/var \
    && chown portal:portal /app/var
USER portal

EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-", "--logger-class", "portal.logs.AccessLogger"]
