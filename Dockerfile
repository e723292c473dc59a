# Production image: gunicorn serving wsgi:app as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN useradd --create-home --uid 10001 ivr
COPY --chown=ivr:ivr . .
USER ivr

EXPOSE 8000
# Migrations are a release step: docker run --rm IMAGE flask --app ivr init-db
# The task queue's worker runs from the same image, beside the web containers:
#   docker run IMAGE flask --app ivr worker
# with REDIS_URL set in both (a shared queue), or TASKS_DB on a volume both mount (SQLite).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
