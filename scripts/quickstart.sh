#!/usr/bin/env bash
# The main job on embedded defaults: installs what is missing, builds inferd,
# trains the small Fashion-MNIST demo model once (cached), runs it with
# inferd's engine on all 10,000 test images, then registers it (once) in a
# local registry and serves it over the Open Inference Protocol, showing a
# real request and response made with curl.
#   scripts/quickstart.sh            stop the server after the demo request
#   scripts/quickstart.sh --serve    keep serving until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
KEEP_SERVING=0
if [ "${1:-}" = "--serve" ]; then KEEP_SERVING=1; shift; fi
scripts/setup.sh
scripts/build.sh
BUILD_DIR=${INFERD_BUILD_DIR:-build}
DEMO_DIR="$BUILD_DIR/examples/fashion_mnist"
REGISTRY=${INFERD_REGISTRY:-$BUILD_DIR/quickstart-registry}
INFERD="$BUILD_DIR/inferd"
mkdir -p "$DEMO_DIR"
/usr/bin/python3 examples/fashion_mnist/train.py "$DEMO_DIR"
"$BUILD_DIR/fashion_demo" --model-dir "$DEMO_DIR" --data /usr/share/datasets/fashion-mnist "$@"

echo
echo "== serving: registry $REGISTRY"
if ! "$INFERD" model --registry "$REGISTRY" show fashion@production >/dev/null 2>&1; then
  "$INFERD" model --registry "$REGISTRY" push fashion "$DEMO_DIR/fashion_mnist.onnx" --alias production \
    --dataset fashion-mnist --note "quickstart demo model"
fi
PORT_FILE=$(mktemp)
rm -f "$PORT_FILE"
"$INFERD" serve --registry "$REGISTRY" --http-port "${INFERD_HTTP_PORT:-0}" --port-file "$PORT_FILE" &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -f "$PORT_FILE"' EXIT
for _ in $(seq 1 600); do [ -s "$PORT_FILE" ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat "$PORT_FILE")"
for _ in $(seq 1 600); do curl -sf "$URL/v2/health/ready" >/dev/null && break; sleep 0.05; done

# One test image (raw 0..255 pixels; the model normalises) as a KServe v2 JSON request.
REQUEST="$BUILD_DIR/quickstart-request.json"
/usr/bin/python3 - "$DEMO_DIR/samples.npy" "$REQUEST" <<'PY'
import json, sys
import numpy as np
image = np.load(sys.argv[1])[:1].astype(np.float32)
json.dump({"id": "quickstart-1", "inputs": [{"name": "image", "datatype": "FP32",
           "shape": list(image.shape), "data": image.reshape(-1).tolist()}]}, open(sys.argv[2], "w"))
PY
echo "\$ curl -s $URL/v2/models/fashion"
curl -s "$URL/v2/models/fashion"
echo
echo "\$ curl -s -H 'Content-Type: application/json' -d @$REQUEST $URL/v2/models/fashion/versions/production/infer"
RESPONSE=$(curl -s -H 'Content-Type: application/json' -d @"$REQUEST" "$URL/v2/models/fashion/versions/production/infer")
echo "$RESPONSE"
/usr/bin/python3 - "$RESPONSE" "$DEMO_DIR/labels.txt" "$DEMO_DIR/samples.labels.npy" <<'PY'
import json, sys
import numpy as np
out = json.loads(sys.argv[1])["outputs"][0]
labels = open(sys.argv[2]).read().split("\n")
truth = int(np.load(sys.argv[3])[0])
best = int(np.argmax(out["data"]))
print(f"predicted: {labels[best]}  (true label: {labels[truth]})")
PY
if [ "$KEEP_SERVING" = 1 ]; then
  echo "serving on $URL (Ctrl-C to stop)"
  wait $SERVER
fi
