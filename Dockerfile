# Hindsight: a Slack bot that runs blameless postmortems in chat.
# Build: docker build -t hindsight .
# Run:   docker run -e SLACK_BOT_TOKEN=xoxb-… -e SLACK_SIGNING_SECRET=… \
#          -p 3000:3000 -v hindsight-data:/data hindsight
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system hindsight \
    && useradd --system --gid hindsight --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin hindsight \
    && mkdir -p /data \
    && chown hindsight:hindsight /data

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY bot/ bot/
COPY handlers/ handlers/
COPY models/ models/
COPY migrations/ migrations/
RUN pip install --no-cache-dir .

# The SQLite database lives in /data; mount a volume there to keep it.
WORKDIR /data
VOLUME ["/data"]
USER hindsight

ENV DATABASE_URL=sqlite:////data/hindsight.db \
    HOST=0.0.0.0 \
    PORT=3000
EXPOSE 3000

# Shell form so ${PORT} is expanded when the check runs; slim has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT}/healthz', timeout=4)" || exit 1

CMD ["hindsight", "serve"]
