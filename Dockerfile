# The product's image: one image for web, worker, beat and the one-shot migration
# (docker-compose.yml chooses the command). Build: docker compose build
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (annex PDFs) needs Pango and a font; nothing else is compiled.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine engine
COPY web web
COPY workers workers
COPY ipt ipt
RUN pip install ".[prod]" && rm -rf build ./*.egg-info

# Data the product reads as files (not part of the Python package): the diagrams and the demo
# directory. IPT_PROCESSES_DIR points at them, wherever the package is installed.
COPY processes processes
COPY demo demo

RUN useradd --create-home --uid 10001 ipt \
 && mkdir -p /data/documents /data/instance \
 && chown -R ipt:ipt /data
USER ipt

ENV IPT_PROCESSES_DIR=/app/processes \
    IPT_INSTANCE_DIR=/data/instance \
    IPT_STORAGE_DIR=/data/documents

EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "web:create_app()"]
