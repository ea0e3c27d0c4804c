FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY workers ./workers
RUN pip install --no-cache-dir . && useradd --system --uid 10001 mailcheck
USER mailcheck
ENTRYPOINT ["mailcheck"]
CMD ["bot"]
