# A small image: Python slim, the app installed into a venv, run as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
# Pango and Cairo for the PDF report (WeasyPrint) and the PNG chart (CairoSVG).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libcairo2 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 kaartspel && mkdir /data && chown kaartspel /data
COPY --from=build /venv /venv
WORKDIR /srv
COPY alembic.ini ./
COPY migrations ./migrations
COPY cards ./cards
COPY app ./app
ENV PATH=/venv/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_URL=sqlite:////data/kaartspel.db \
    PYTHONUNBUFFERED=1
USER kaartspel
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD python -c "import urllib.request,os;urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz',timeout=2)"
CMD ["python", "-m", "app"]
