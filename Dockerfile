# Asylum Navigator: slim image, non-root, dependencies in their own layer, SQLite data on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p bot handlers && touch bot/__init__.py handlers/__init__.py \
 && pip install . && pip uninstall -y asylum-navigator && rm -rf bot handlers

COPY . .
# Catalogs are read from the .po files at start-up (no compile step); check them at build time anyway.
RUN pip install --no-deps -e . \
 && python -c "from bot.i18n import check_catalogs; p = check_catalogs(); assert not p, p" \
 && python -m bot content check \
 && useradd --create-home --uid 10001 navigator && mkdir -p /app/data && chown navigator /app/data

USER navigator
VOLUME ["/app/data"]
ENV DATABASE_URL=sqlite+aiosqlite:////app/data/navigator.db
CMD ["python", "-m", "bot", "run"]
