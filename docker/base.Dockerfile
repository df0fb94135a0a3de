# kubeserve/base ("kubeserve-base"): the image every model replica runs (`python -m kubeserve.inference`).
# Build from the repository root:
#   docker build -f docker/base.Dockerfile -t kubeserve/base:0.1.0 .
# Only what serving needs: pyproject.toml's `model-server` dependency group at uv.lock's versions
# (hash-checked), then KubeServe itself without its dependencies — no FastAPI, SQLAlchemy,
# asyncpg, Alembic or Typer. The ML stack is preinstalled, so most models start without
# installing anything; pip stays, for what a model's requirements.txt adds.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS python
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install uv==0.13.9
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
RUN uv export --frozen --only-group model-server --no-emit-project --format requirements-txt -o /tmp/requirements.txt \
    && python -m venv /opt/kubeserve \
    && /opt/kubeserve/bin/pip install --require-hashes --no-deps -r /tmp/requirements.txt
COPY src ./src
# --compile: imports (and so cold starts) stay fast though the replica cannot write beside them
RUN /opt/kubeserve/bin/pip install --no-deps --compile . \
    && /opt/kubeserve/bin/python -m kubeserve.inference --help >/dev/null

FROM ${PYTHON_IMAGE}
COPY --from=python /opt/kubeserve /opt/kubeserve
RUN useradd --no-create-home --home-dir /tmp --uid 10001 --user-group --shell /usr/sbin/nologin appuser \
    && install -d -o 10001 -g 10001 /work /packages
ENV PATH=/opt/kubeserve/bin:$PATH \
    HOME=/tmp \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KUBESERVE_MODEL_HOST=0.0.0.0 \
    KUBESERVE_MODEL_PORT=8080 \
    KUBESERVE_MODEL_WORK_DIR=/work \
    KUBESERVE_MODEL_PACKAGES_DIR=/packages
USER 10001:10001
WORKDIR /work
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('KUBESERVE_MODEL_PORT', '8080') + '/health', timeout=2)"]
# Flags or KUBESERVE_MODEL_* variables say which model, e.g.
#   docker run -e KUBESERVE_MODEL_ARTIFACT=https://…presigned… kubeserve/base:0.1.0
ENTRYPOINT ["python", "-m", "kubeserve.inference"]
