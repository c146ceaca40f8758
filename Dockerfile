# monitor: the scheduler (and, with another command, the lobbykalender) in a container.
#
#   docker build -t monitor .
#   mkdir data && sudo chown 10001:10001 data        # or build with --build-arg MONITOR_UID=$(id -u)
#   docker run --rm -v "$PWD/data:/data" monitor init             # starter sources.yaml and rules.yaml in ./data
#   docker run -d --name monitor -v "$PWD/data:/data" --env-file secrets.env --restart unless-stopped monitor
#
# /data holds sources.yaml, rules.yaml and monitor.db (with monitor.db-wal, -shm and monitor.db.lock next
# to it), so it must be writable by the user monitor. compose.yaml does all of this; see the README.
# Secrets (MONITOR_SMTP_PASSWORD) come from the environment at run time, never from the image.
FROM python:3.11-slim

LABEL org.opencontainers.image.title="monitor" \
      org.opencontainers.image.description="Watches the Tweede Kamer and the vakpers for municipal public-affairs teams" \
      org.opencontainers.image.licenses="MIT"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed, unprivileged uid/gid, so the owner of a bind-mounted ./data is predictable.
ARG MONITOR_UID=10001
RUN groupadd --system --gid "${MONITOR_UID}" monitor \
 && useradd --system --uid "${MONITOR_UID}" --gid monitor --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin monitor \
 && mkdir -p /data \
 && chown monitor:monitor /data

# The project only: no test extras. .dockerignore keeps .venv, .git, databases and secrets out.
WORKDIR /usr/src/monitor
COPY . .
RUN pip install . \
 && cd / && rm -rf /usr/src/monitor

# Config and database on the volume; the CLI reads these as the defaults of --config and --db.
ENV MONITOR_CONFIG=/data \
    MONITOR_DB=/data/monitor.db
VOLUME /data
WORKDIR /data
USER monitor

# Healthy = every source fetched recently (exit 0); exit 3 = a source fails, is stale or never worked.
# The first Kamer sync can take a while, hence the long start period. Not meant for the calendar
# container: compose.yaml gives that one its own check.
HEALTHCHECK --interval=5m --timeout=60s --start-period=30m --retries=3 \
  CMD ["monitor", "sources", "--check", "-q"]

# `docker run IMAGE` runs the scheduler; `docker run IMAGE <command>` any other monitor command
# (init, run, sources, digest --send, calendar --serve --host 0.0.0.0 --port 8080, ...).
# The scheduler stops on SIGTERM after running jobs finish: give it time (docker stop -t 300).
ENTRYPOINT ["monitor"]
CMD ["schedule"]
