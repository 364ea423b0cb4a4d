# WardBoard: `docker build -t wardboard .` then
# `docker run -e WARDBOARD_TOKEN=... -v wardboard-data:/data wardboard`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY boards boards
COPY bot bot
COPY storage storage
RUN pip install . && useradd --create-home wardboard && mkdir /data && chown wardboard /data

USER wardboard
WORKDIR /data
# SQLite in the volume by default; set a postgresql+asyncpg:// URL for PostgreSQL.
ENV WARDBOARD_DATABASE_URL=sqlite+aiosqlite:////data/wardboard.db
VOLUME ["/data"]
# `run` migrates the database before it starts polling.
CMD ["wardboard", "run"]
