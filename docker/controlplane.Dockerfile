# kubeserve/control-plane: the API, the gateway and the web dashboard (`kubeserve server`).
# Build from the repository root:
#   docker build -f docker/controlplane.Dockerfile -t kubeserve/control-plane:0.1.0 .
# Python dependencies are exactly uv.lock's (hash-checked); test tools are not installed.
# Pin the bases by digest for reproducible builds:
#   --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:<digest>
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# --- the dashboard: Next.js static export ----------------------------------------------------
FROM ${NODE_IMAGE} AS dashboard
ENV NEXT_TELEMETRY_DISABLED=1
WORKDIR /frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# --- the Python environment --------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS python
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install uv==0.13.9
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
# A plain venv keeps pip: builds install what a model's requirements.txt adds with it.
RUN uv export --frozen --no-dev --no-emit-project --format requirements-txt -o /tmp/requirements.txt \
    && python -m venv /opt/kubeserve \
    && /opt/kubeserve/bin/pip install --require-hashes --no-deps -r /tmp/requirements.txt
COPY src ./src
RUN /opt/kubeserve/bin/pip install --no-deps --compile . \
    && /opt/kubeserve/bin/kubeserve --help >/dev/null

# --- the image -------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
# bubblewrap sandboxes builds and local replicas wherever user namespaces are allowed. Its version
# is the Debian release's (security updates replace it; an exact pin would break rebuilds).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --no-create-home --home-dir /var/lib/kubeserve --uid 10001 --user-group --shell /usr/sbin/nologin kubeserve \
    && install -d -o 10001 -g 10001 /var/lib/kubeserve
COPY --from=python /opt/kubeserve /opt/kubeserve
COPY --from=dashboard /frontend/out /opt/kubeserve/dashboard
# HOME is the data volume: the root filesystem is read-only under the chart and compose
ENV PATH=/opt/kubeserve/bin:$PATH \
    HOME=/var/lib/kubeserve \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KUBESERVE_HOST=0.0.0.0 \
    KUBESERVE_PORT=8000 \
    KUBESERVE_DATA_DIR=/var/lib/kubeserve \
    KUBESERVE_DASHBOARD_DIR=/opt/kubeserve/dashboard
USER 10001:10001
WORKDIR /var/lib/kubeserve
VOLUME /var/lib/kubeserve
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=2)"]
# Migrations run at start-up (alembic upgrade head), before the port opens.
ENTRYPOINT ["kubeserve"]
CMD ["server"]
