#!/usr/bin/env bash
# End-to-end on a kind cluster, for machines with Docker (not run in CI, which has no Docker):
# builds the image, loads it into kind, installs the chart, runs the Bedrock emulator in the
# cluster, declares an account + model + api key, and calls the gateway Service through the
# official OpenAI wire format. Needs: docker, kind, kubectl, helm (or test/kube/tools/build.sh helm).
# Usage: test/kube/tools/e2e-kind.sh [--keep]   (--keep leaves the cluster running)
set -euo pipefail
cd "$(dirname "$0")/../../.."

CLUSTER="${KIND_CLUSTER:-aigateway-e2e}"
IMAGE="${IMAGE:-aigateway:e2e}"
NS=aigateway-system
HELM="${HELM:-$(command -v helm || ls "$HOME"/.cache/aigateway/bin/helm-*/helm 2>/dev/null | tail -1)}"
for tool in docker kind kubectl; do command -v "$tool" >/dev/null || { echo "e2e-kind: $tool is required" >&2; exit 1; }; done
[[ -x "$HELM" ]] || { echo "e2e-kind: helm is required (test/kube/tools/build.sh helm)" >&2; exit 1; }

cleanup() { [[ "${1:-}" == "--keep" ]] || kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true; }
trap 'cleanup "${1:-}"' EXIT

kind get clusters | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --wait 120s
docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"

"$HELM" upgrade --install aigateway charts/aigateway --namespace "$NS" --create-namespace \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" --set image.pullPolicy=Never \
  --set gateway.autoscaling.enabled=false --set gateway.replicas=1 --set operator.replicas=1 --wait=false

kubectl -n "$NS" apply -f - <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: { name: emulator }
spec:
  selector: { matchLabels: { app: emulator } }
  template:
    metadata: { labels: { app: emulator } }
    spec:
      containers:
        - name: emulator
          image: ${IMAGE}
          imagePullPolicy: Never
          args: [emulator, --host, 0.0.0.0, --port, "4566"]
          ports: [{ containerPort: 4566 }]
---
apiVersion: v1
kind: Service
metadata: { name: emulator }
spec: { selector: { app: emulator }, ports: [{ port: 4566, targetPort: 4566 }] }
---
apiVersion: v1
kind: Secret
metadata: { name: aws-keys }
stringData: { AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE, AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY }
---
apiVersion: v1
kind: Secret
type: aigateway.dev/api-key
metadata: { name: e2e-key }
stringData: { token: sk-aigw-e2e-0000000000000000, subject: "user:e2e@example.com" }
---
apiVersion: aigateway.dev/v1alpha1
kind: ProviderAccount
metadata: { name: bedrock }
spec:
  region: us-east-1
  endpoint: http://emulator.${NS}.svc:4566
  controlPlaneEndpoint: http://emulator.${NS}.svc:4566
  stsEndpoint: http://emulator.${NS}.svc:4566
  auth: { type: accessKey, accessKey: { secretRef: { name: aws-keys } } }
  collaborators: [ { subject: "user:e2e@example.com", role: User } ]
---
apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: nova-lite }
spec: { account: bedrock, modelId: "amazon.nova-lite-v1:0" }
YAML

kubectl -n "$NS" rollout status deploy/emulator --timeout=180s
kubectl -n "$NS" rollout status deploy/aigateway-operator --timeout=180s
kubectl -n "$NS" rollout status deploy/aigateway-gateway --timeout=180s
kubectl -n "$NS" wait --for=condition=Ready model/nova-lite --timeout=60s

kubectl -n "$NS" port-forward svc/aigateway-gateway 18080:80 >/dev/null 2>&1 &
pf=$!
trap 'kill $pf 2>/dev/null; cleanup "${1:-}"' EXIT
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:18080/v1/models -H 'Authorization: Bearer sk-aigw-e2e-0000000000000000' >/dev/null && break; sleep 0.2; done
curl -sf http://127.0.0.1:18080/v1/chat/completions \
  -H 'Authorization: Bearer sk-aigw-e2e-0000000000000000' -H 'Content-Type: application/json' \
  -d '{"model":"bedrock/nova-lite","messages":[{"role":"user","content":"Say hi"}]}' | tee /dev/stderr | grep -q '"choices"'
echo "e2e-kind: OK"
