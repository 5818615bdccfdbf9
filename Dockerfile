# The portal's image: web (the default command), Celery worker and beat (compose sets their commands).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=prm_portal.settings.production
WORKDIR /app
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/portal portal
# The lock alone first: the dependency layer is rebuilt only when the lock changes. Every package is checked
# against its hash, dependencies included.
COPY requirements/base.txt requirements/base.txt
RUN pip install --require-hashes -r requirements/base.txt
COPY . .
# Static files for whitenoise, with the manifest production's storage needs. The key only exists for this step.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" ALLOWED_HOSTS=build \
      python manage.py collectstatic --noinput \
    && rm -rf var && mkdir -p var/media var/cache && chown -R portal:portal var
USER portal
EXPOSE 8000
# Liveness only (no database): curl is not in the image, Python is.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["gunicorn", "prm_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", \
     "--access-logfile", "-", \
     "--access-logformat", "%(h)s \"%(r)s\" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s"]
