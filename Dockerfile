# Hindsight: a Slack bot that runs blameless postmortems in chat.
# Build: docker build -t hindsight .
# Run:   docker run -e SLACK_BOT_TOKEN=xoxb-… -e SLACK_SIGNING_SECRET=… \
#          -p 3000:3000 -v hindsight-data:/data hindsight
#
# The base is pinned: an exact release (Python 3.11.13 on Debian 12) and its digest, so a
# rebuild gets the same interpreter and OS until this line changes. To move it (for Debian's
# security fixes too), take the tag's current digest from the registry:
#   docker buildx imagetools inspect python:3.11.13-slim-bookworm
FROM python:3.11.13-slim-bookworm@sha256:86adf8dbadc3d6e82ee5dd2c74bec2e1c2467cdad47886280501df722372d2e1

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

# No secret here: SLACK_* tokens and secrets come from the environment at `docker run`.
ENV DATABASE_URL=sqlite:////data/hindsight.db \
    HOST=0.0.0.0 \
    PORT=3000 \
    METRICS_PORT=9090
# 3000: Slack's requests, /healthz and /metrics (HTTP mode); 9090: /healthz and /metrics in
# Socket Mode, which takes no requests.
EXPOSE 3000 9090

# Slim has no curl: Python's urllib asks /healthz on PORT, or on METRICS_PORT in Socket Mode
# (SLACK_APP_TOKEN set). Any failure (refused, timeout, not 200) raises: exit 1, unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ['METRICS_PORT'] if os.environ.get('SLACK_APP_TOKEN') else os.environ['PORT']; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]

CMD ["hindsight", "serve"]
