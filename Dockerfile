# Slim, non-root image for the web server, the Celery worker and beat.
# web:    docker run IMAGE            (gunicorn on :8000)
# worker: docker run IMAGE celery -A workers.worker worker -I moderation.worker_metrics --pool prefork --concurrency 2
# The HEALTHCHECK below is the web server's; give other processes their own or disable it.
FROM python:3.11-slim

# The image is for deployments: it refuses to start on development defaults (secrets,
# SQLite, Redis on localhost; README, "Configuration") unless MODERATION_ENV says otherwise.
ENV MODERATION_ENV=production \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt requirements-tier2.txt ./
RUN pip install -r requirements.txt
# Optional second tier (about 1 GB with CPU torch): docker build --build-arg TIER2=1 .
# then run the worker with MODERATION_TIER2=latest.
ARG TIER2=0
RUN if [ "$TIER2" = "1" ]; then \
      pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
      && pip install -r requirements-tier2.txt; fi

COPY moderation ./moderation
COPY workers ./workers
COPY models ./models
COPY migrations ./migrations
COPY alembic.ini pyproject.toml ./

# var/exports exists in the image owned by the service user, so a named volume mounted
# there (docker-compose.yml) starts out writable by it.
RUN useradd --create-home --uid 10001 moderation && mkdir -p /app/var/exports \
    && chown -R moderation /app/var && chmod 700 /app/var /app/var/exports
USER moderation

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["gunicorn", "--workers", "2", "--worker-class", "gthread", "--threads", "8", "--bind", "0.0.0.0:8000", "--graceful-timeout", "20", "--access-logfile", "-", "moderation.wsgi:app"]
