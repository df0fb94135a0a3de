# kubeserve-base: the image every model replica runs (`kubeserve serve-model`).
# Build from the repository root:
#   docker build -f docker/base.Dockerfile -t kubeserve-base .
# The ML stack is preinstalled and pinned to the versions the project tests with
# (uv.lock), so most models start without installing anything.

FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --disable-pip-version-check --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KUBESERVE_MODEL_HOST=0.0.0.0 \
    KUBESERVE_MODEL_PORT=8080 \
    KUBESERVE_MODEL_WORK_DIR=/home/appuser/work \
    KUBESERVE_MODEL_PACKAGES_DIR=/home/appuser/packages

# pip compiles bytecode while installing: imports (and so cold starts) stay fast even though
# appuser cannot write next to the packages.
RUN pip install \
        numpy==2.4.6 scipy==1.17.1 pandas==3.1.1 scikit-learn==1.9.1 joblib==1.6.0 \
        fastapi==0.165.0 "uvicorn[standard]==0.54.0" uvloop==0.23.0 httptools==0.9.0 \
        orjson==3.13.0 pydantic==2.14.4 pydantic-settings==2.16.3 typer==0.29.2 \
        prometheus-client==0.26.0 packaging==26.4 minio==7.2.20
COPY --from=wheel /wheels /tmp/wheels
RUN pip install /tmp/wheels/*.whl && rm -rf /tmp/wheels

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin appuser \
    && install -d -o appuser -g appuser /home/appuser/work /home/appuser/packages
USER 10001
WORKDIR /home/appuser
EXPOSE 8080

HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('KUBESERVE_MODEL_PORT', '8080') + '/health', timeout=2)"]

# Flags or KUBESERVE_MODEL_* variables say which model: e.g.
#   docker run -e KUBESERVE_MODEL_ARTIFACT=s3://models/u/m/v1/model.joblib kubeserve-base
ENTRYPOINT ["kubeserve", "serve-model"]
