#!/usr/bin/env bash
# Start a local Chroma server for the chroma-server index tests and print its URL on stdout (everything
# else goes to stderr), so CI can do:  export ASSISTANT_TEST_CHROMA_URL="$(.ci/chroma.sh)"
# Idempotent: when a server already answers on the port, it is reused; otherwise one is started in the
# background (data and log under /tmp), and the script returns once it answers.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=127.0.0.1
PORT="${ASSISTANT_CHROMA_PORT:-8010}"
DATA=/tmp/assistant-ci-chroma
LOG="$DATA.log"
URL="http://$HOST:$PORT"

log() { echo "chroma.sh: $*" >&2; }

answers() {
  # The v2 heartbeat is what chromadb 1.x clients check; curl is not on every image, python is.
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -m 2 "$URL/api/v2/heartbeat" >/dev/null 2>&1
  else
    python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "$URL/api/v2/heartbeat" >/dev/null 2>&1
  fi
}

if answers; then
  log "a Chroma server already answers on $URL; reusing it"
  echo "$URL"
  exit 0
fi

# The project venv's CLI first: the server must match the chromadb client version the tests use.
CLI=""
for candidate in .venv/bin/chroma "$(command -v chroma 2>/dev/null || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    CLI="$candidate"
    break
  fi
done
if [ -z "$CLI" ]; then
  log "expected the chroma CLI in .venv/bin or on PATH, found neither; install the project (pip install -e .)" \
      "or chromadb, then rerun"
  exit 1
fi

if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
  log "expected port $PORT free or serving Chroma, found another program listening there;" \
      "stop it or set ASSISTANT_CHROMA_PORT to a free port"
  exit 1
fi

mkdir -p "$DATA"
log "starting $CLI run on $URL (data $DATA, log $LOG)"
# setsid + nohup: the server outlives this script and the CI step's shell.
setsid nohup "$CLI" run --path "$DATA" --host "$HOST" --port "$PORT" >"$LOG" 2>&1 < /dev/null &
echo $! > "$DATA.pid"

for _ in $(seq 1 60); do
  if answers; then
    echo "$URL"
    exit 0
  fi
  if ! kill -0 "$(cat "$DATA.pid")" 2>/dev/null; then
    break
  fi
  sleep 1
done
log "expected Chroma to answer on $URL within 60 s, it does not; the end of $LOG:"
tail -n 20 "$LOG" >&2 || true
exit 1
