#!/usr/bin/env bash
# The KubeServe journey on a real Kubernetes cluster: kind + ingress-nginx, the images built
# from this checkout, the chart installed with PostgreSQL and MinIO inside the cluster, then
# register -> upload -> build -> deploy -> predict through the ingress -> scale -> roll out ->
# roll back -> delete, checking the tenant namespace's objects on the way.
#
# Needs docker, kind, kubectl, helm, curl and python3 with scikit-learn (make run's .venv has
# it). Not run in CI (no Docker engine there). Usage, from the repository root:
#   scripts/e2e-kind.sh              # creates the cluster kubeserve-e2e, deletes it at the end
#   KEEP_CLUSTER=1 scripts/e2e-kind.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=${CLUSTER:-kubeserve-e2e}
NAMESPACE=kubeserve
HOST=kubeserve.e2e.test
TAG=e2e-$(git rev-parse --short HEAD)
INGRESS_NGINX_VERSION=${INGRESS_NGINX_VERSION:-controller-v1.13.2}
PYTHON=${PYTHON:-.venv/bin/python}
WORK=$(mktemp -d)
URL="http://$HOST"

log() { printf '\n== %s\n' "$*" >&2; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local status=$?
  if [ "$status" -ne 0 ] && kubectl config get-contexts "kind-$CLUSTER" >/dev/null 2>&1; then
    log "failed: the control plane's last logs"
    kubectl -n "$NAMESPACE" logs deployment/kubeserve --tail=60 2>/dev/null || true
  fi
  rm -rf "$WORK"
  if [ "${KEEP_CLUSTER:-0}" != 1 ]; then
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

for tool in docker kind kubectl helm curl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done
"$PYTHON" -c 'import sklearn, joblib' 2>/dev/null || fail "$PYTHON needs scikit-learn and joblib (make run)"

# --- the cluster ----------------------------------------------------------------------------------
log "kind cluster $CLUSTER with ingress ports 80/443 on this machine"
if ! kind get clusters | grep -qx "$CLUSTER"; then
  kind create cluster --name "$CLUSTER" --wait 120s --config - <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    kubeadmConfigPatches:
      - |
        kind: InitConfiguration
        nodeRegistration:
          kubeletExtraArgs:
            node-labels: "ingress-ready=true"
    extraPortMappings:
      - {containerPort: 80, hostPort: 80, protocol: TCP}
      - {containerPort: 443, hostPort: 443, protocol: TCP}
EOF
fi
kubectl config use-context "kind-$CLUSTER" >/dev/null

log "ingress-nginx $INGRESS_NGINX_VERSION"
kubectl apply -f "https://raw.githubusercontent.com/kubernetes/ingress-nginx/$INGRESS_NGINX_VERSION/deploy/static/provider/kind/deploy.yaml" >/dev/null
kubectl -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout=180s

# --- images ----------------------------------------------------------------------------------------
log "images kubeserve/control-plane:$TAG and kubeserve/base:$TAG"
docker build -q -f docker/controlplane.Dockerfile -t "kubeserve/control-plane:$TAG" .
docker build -q -f docker/base.Dockerfile -t "kubeserve/base:$TAG" .
kind load docker-image --name "$CLUSTER" "kubeserve/control-plane:$TAG" "kubeserve/base:$TAG"

# --- PostgreSQL and MinIO (throwaway, for this test only) -------------------------------------------
# In the release namespace: the platform namespace, which model replicas may reach (presigned URLs).
log "PostgreSQL and MinIO in $NAMESPACE"
kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
PG_PASSWORD=$(openssl rand -hex 16)
MINIO_PASSWORD=$(openssl rand -hex 16)
kubectl -n "$NAMESPACE" create secret generic deps \
  --from-literal=pg-password="$PG_PASSWORD" --from-literal=minio-password="$MINIO_PASSWORD" \
  --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n "$NAMESPACE" apply -f - >/dev/null <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: postgres}
spec:
  selector: {matchLabels: {app: postgres}}
  template:
    metadata: {labels: {app: postgres}}
    spec:
      containers:
        - name: postgres
          image: postgres:16-bookworm
          env:
            - {name: POSTGRES_USER, value: kubeserve}
            - {name: POSTGRES_DB, value: kubeserve}
            - name: POSTGRES_PASSWORD
              valueFrom: {secretKeyRef: {name: deps, key: pg-password}}
          ports: [{containerPort: 5432}]
          readinessProbe: {exec: {command: [pg_isready, -U, kubeserve]}, periodSeconds: 2}
---
apiVersion: v1
kind: Service
metadata: {name: postgres}
spec: {selector: {app: postgres}, ports: [{port: 5432}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: minio}
spec:
  selector: {matchLabels: {app: minio}}
  template:
    metadata: {labels: {app: minio}}
    spec:
      containers:
        - name: minio
          image: quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z
          args: [server, /data]
          env:
            - {name: MINIO_ROOT_USER, value: kubeserve}
            - name: MINIO_ROOT_PASSWORD
              valueFrom: {secretKeyRef: {name: deps, key: minio-password}}
          ports: [{containerPort: 9000}]
          readinessProbe: {httpGet: {path: /minio/health/ready, port: 9000}, periodSeconds: 2}
---
apiVersion: v1
kind: Service
metadata: {name: minio}
spec: {selector: {app: minio}, ports: [{port: 9000}]}
EOF
kubectl -n "$NAMESPACE" rollout status deployment/postgres --timeout=180s
kubectl -n "$NAMESPACE" rollout status deployment/minio --timeout=180s

# --- the chart ---------------------------------------------------------------------------------------
log "helm install charts/kubeserve"
kubectl -n "$NAMESPACE" create secret generic kubeserve \
  --from-literal=database-url="postgresql://kubeserve:$PG_PASSWORD@postgres.$NAMESPACE.svc:5432/kubeserve" \
  --from-literal=secret-key="$(openssl rand -hex 32)" \
  --from-literal=s3-access-key=kubeserve --from-literal=s3-secret-key="$MINIO_PASSWORD" \
  --dry-run=client -o yaml | kubectl apply -f - >/dev/null
cat >"$WORK/values.yaml" <<EOF
image: {repository: kubeserve/control-plane, tag: "$TAG"}
database: {existingSecret: kubeserve}
auth: {existingSecret: kubeserve}
storage: {existingSecret: kubeserve, secure: false}
ingress: {enabled: true, className: nginx, host: $HOST}
runtime: {image: {repository: kubeserve/base, tag: "$TAG"}}
EOF
helm upgrade --install kubeserve charts/kubeserve -n "$NAMESPACE" -f "$WORK/values.yaml" --wait --timeout 5m
kubectl -n "$NAMESPACE" rollout status deployment/kubeserve --timeout=300s

# --- the journey, through the ingress ----------------------------------------------------------------
curl_api() {  # METHOD PATH [curl args...]: JSON on stdout, fails on an HTTP error
  local method=$1 path=$2
  shift 2
  curl -fsS --resolve "$HOST:80:127.0.0.1" -X "$method" "$URL/api/v1$path" "${AUTH[@]}" "$@"
}
json() { "$PYTHON" -c "import json, sys; print(json.load(sys.stdin)$1)"; }
wait_for() {  # PATH FIELD VALUE [SECONDS]: poll until the object's field has the value
  local path=$1 field=$2 want=$3 deadline=$((SECONDS + ${4:-300})) got=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    got=$(curl_api GET "$path" | json "['$field']")
    [ "$got" = "$want" ] && return 0
    [ "$got" = Failed ] && fail "$path is Failed: $(curl_api GET "$path")"
    sleep 2
  done
  fail "$path: $field is '$got', not '$want', after ${4:-300}s"
}

log "register, log in"
AUTH=()
EMAIL="e2e-$RANDOM@example.com"
PASSWORD=$(openssl rand -hex 12)
curl_api POST /auth/register -H 'content-type: application/json' \
  -d "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\"}" >/dev/null
TOKEN=$(curl_api POST /auth/login -H 'content-type: application/json' \
  -d "{\"email\": \"$EMAIL\", \"password\": \"$PASSWORD\"}" | json "['access_token']")
AUTH=(-H "Authorization: Bearer $TOKEN")
USER_ID=$(curl_api GET /me | json "['id']")

log "two versions of a model, uploaded and built"
(cd "$WORK" && "$PYTHON" - <<'EOF'
import joblib, sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
joblib.dump(LogisticRegression(max_iter=500).fit(X, y), "v1.joblib")
joblib.dump(LogisticRegression(max_iter=500, C=0.01).fit(X, y), "v2.joblib")
open("requirements.txt", "w").write(f"scikit-learn=={sklearn.__version__}\n")
EOF
)
MODEL_ID=$(curl_api POST /models -H 'content-type: application/json' -d '{"name": "iris"}' | json "['id']")
VERSION_IDS=()
for tag in v1 v2; do
  id=$(curl_api POST "/models/$MODEL_ID/versions" -H 'content-type: application/json' \
    -d "{\"version_tag\": \"$tag\"}" | json "['id']")
  curl_api POST "/versions/$id/upload" -F "model_file=@$WORK/$tag.joblib" \
    -F "requirements_file=@$WORK/requirements.txt" >/dev/null
  wait_for "/versions/$id" status Ready
  VERSION_IDS+=("$id")
done

log "deploy v1, predict through the ingress"
DEPLOYMENT_ID=$(curl_api POST /deployments -H 'content-type: application/json' \
  -d "{\"version_id\": ${VERSION_IDS[0]}}" | json "['id']")
wait_for "/deployments/$DEPLOYMENT_ID" status Running
PREDICT_URL=$(curl_api GET "/deployments/$DEPLOYMENT_ID" | json "['url']")
predict() {
  curl -fsS --resolve "$HOST:80:127.0.0.1" -X POST "$PREDICT_URL" "${AUTH[@]}" \
    -H 'content-type: application/json' -d '{"data": [[5.1, 3.5, 1.4, 0.2]]}'
}
[ "$(predict | json "['predictions']")" = "[0]" ] || fail "v1 predicted $(predict)"
code=$(curl -s -o /dev/null -w '%{http_code}' --resolve "$HOST:80:127.0.0.1" -X POST "$PREDICT_URL" \
  -H 'content-type: application/json' -d '{"data": [[5.1, 3.5, 1.4, 0.2]]}')
[ "$code" = 401 ] || fail "a prediction without credentials answered $code, not 401"

log "the tenant namespace holds what the runtime promises"
TENANT=user-$USER_ID
kubectl get namespace "$TENANT" >/dev/null || fail "no tenant namespace $TENANT"
[ "$(kubectl get namespace "$TENANT" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')" = restricted ] \
  || fail "$TENANT does not enforce Pod Security restricted"
kubectl -n "$TENANT" get resourcequota,limitrange,networkpolicy,deployment,service

log "scale to 2 replicas"
curl_api PATCH "/deployments/$DEPLOYMENT_ID" -H 'content-type: application/json' -d '{"replicas": 2}' >/dev/null
wait_for "/deployments/$DEPLOYMENT_ID" ready_replicas 2
kubectl -n "$TENANT" get pods -o wide

log "roll out v2, then roll back to v1"
curl_api PATCH "/deployments/$DEPLOYMENT_ID" -H 'content-type: application/json' \
  -d "{\"version_id\": ${VERSION_IDS[1]}}" >/dev/null
wait_for "/deployments/$DEPLOYMENT_ID" version_id "${VERSION_IDS[1]}"
wait_for "/deployments/$DEPLOYMENT_ID" status Running
predict >/dev/null
curl_api POST "/deployments/$DEPLOYMENT_ID/rollback" >/dev/null
wait_for "/deployments/$DEPLOYMENT_ID" version_id "${VERSION_IDS[0]}"
wait_for "/deployments/$DEPLOYMENT_ID" status Running
[ "$(predict | json "['predictions']")" = "[0]" ] || fail "after the rollback: $(predict)"

log "delete: the URL answers 404 and the deployment's objects go"
curl_api DELETE "/deployments/$DEPLOYMENT_ID" >/dev/null
deadline=$((SECONDS + 120))
until [ -z "$(kubectl -n "$TENANT" get deployments,services,horizontalpodautoscalers -o name)" ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "objects left in $TENANT: $(kubectl -n "$TENANT" get all -o name)"
  sleep 2
done
code=$(curl -s -o /dev/null -w '%{http_code}' --resolve "$HOST:80:127.0.0.1" -X POST "$PREDICT_URL" "${AUTH[@]}" \
  -H 'content-type: application/json' -d '{"data": [[5.1, 3.5, 1.4, 0.2]]}')
[ "$code" = 404 ] || fail "a deleted deployment answered $code, not 404"

log "the journey passed on kind"
