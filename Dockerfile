# The mailcheck image: `mailcheck bot` by default; compose.yaml runs the workers from it too.
# Base pinned to a full version tag (Python 3.11, Debian 12); move it on purpose, with constraints.txt.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Dependencies first, from the lock file, so that a code change does not reinstall them.
COPY constraints.txt pyproject.toml README.md ./
COPY bot ./bot
COPY workers ./workers
RUN pip install -c constraints.txt . \
 && useradd --system --uid 10001 --user-group mailcheck

USER mailcheck
EXPOSE 3000
# The bot's GET /healthz on $PORT (default 3000). A worker container overrides this with
# `mailcheck healthcheck worker` (compose.yaml does).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["mailcheck", "healthcheck", "bot"]
ENTRYPOINT ["mailcheck"]
CMD ["bot"]
