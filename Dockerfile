# WardBoard: `docker build -t wardboard .` then
# `docker run -e WARDBOARD_TOKEN=... -v wardboard-data:/data wardboard`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY boards boards
COPY bot bot
COPY storage storage
RUN pip install . && useradd --create-home --uid 10001 wardboard \
    && mkdir /data && chown 10001 /data

# Numeric, so a host (or Kubernetes' runAsNonRoot) can tell it is not root (hadolint DL3066).
USER 10001
WORKDIR /data
# SQLite in the volume by default; set a postgresql+asyncpg:// URL for PostgreSQL.
ENV WARDBOARD_DATABASE_URL=sqlite+aiosqlite:////data/wardboard.db
# The web server: station screens, the Mini App, the webhook (WARDBOARD_WEBHOOK_URL) and
# /healthz, which the health check below asks.
ENV WARDBOARD_HTTP_LISTEN=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
VOLUME ["/data"]
# `run` migrates the database before it starts polling.
CMD ["wardboard", "run"]
