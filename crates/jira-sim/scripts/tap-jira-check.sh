#!/usr/bin/env bash
# Runs the third-party Singer connector `tap-jira` (PyPI, version 2.6.0) in
# discovery and sync mode against the simulator with basic auth, and reports
# how many records each stream produced.
#
# Usage: crates/jira-sim/scripts/tap-jira-check.sh   (from anywhere in the repo)
# Environment: ISSUES (default 2000), SEED (default 7), START_DATE (default
# 400 days ago, so every generated issue is in the window).
#
# Everything it creates lives under target/tap-jira/ (venv, certificate,
# catalog, output). It needs python3 with venv and openssl.
#
# Why a TLS proxy: tap-jira's basic-auth client rewrites every base URL to
# `https://` (http.py `Client.url`), and the simulator serves plain HTTP on
# loopback. A small Python TLS-terminating proxy with a self-signed
# certificate (added to the venv's certifi bundle) sits in front of it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
work="$root/target/tap-jira"
mkdir -p "$work"
cd "$root"

issues="${ISSUES:-2000}"
seed="${SEED:-7}"
email="tap@example.com"
token="tap-token"
start_date="${START_DATE:-$(python3 -c 'import datetime as d; print((d.datetime.now(d.timezone.utc)-d.timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ"))')}"

echo "== building jira-sim" >&2
cargo build -q -p jira-sim --bin jira-sim

if [[ ! -x "$work/venv/bin/tap-jira" ]]; then
  echo "== installing tap-jira==2.6.0 into $work/venv" >&2
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q "tap-jira==2.6.0"
fi

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

echo "== starting jira-sim with $issues issues" >&2
rm -f "$work/sim.out"
target/debug/jira-sim --addr 127.0.0.1:0 --issues "$issues" --seed "$seed" \
  --email "$email" --api-token "$token" >"$work/sim.out" 2>"$work/sim.err" &
pids+=($!)
for _ in $(seq 100); do [[ -s "$work/sim.out" ]] && break; sleep 0.1; done
base="$(head -n1 "$work/sim.out")"
[[ "$base" == http://* ]] || { echo "jira-sim did not print its URL" >&2; exit 1; }
echo "   simulator at $base" >&2

if [[ ! -f "$work/cert.pem" ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
fi

cat >"$work/tls_proxy.py" <<'PY'
"""TLS-terminating reverse proxy: https://127.0.0.1:<port> -> the simulator."""
import http.client, http.server, ssl, sys, urllib.parse

upstream = urllib.parse.urlparse(sys.argv[1])
cert, key, port_file = sys.argv[2], sys.argv[3], sys.argv[4]

class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()
    do_GET = do_POST = do_PUT = do_DELETE = _forward

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(port_file, "w") as f:
    f.write(str(srv.server_address[1]))
srv.serve_forever()
PY
rm -f "$work/proxy.port"
"$work/venv/bin/python" "$work/tls_proxy.py" "$base" "$work/cert.pem" "$work/key.pem" "$work/proxy.port" &
pids+=($!)
for _ in $(seq 100); do [[ -s "$work/proxy.port" ]] && break; sleep 0.1; done
https_base="https://127.0.0.1:$(cat "$work/proxy.port")"
echo "   TLS proxy at $https_base" >&2
# tap-jira sends through `Session.send`, which ignores REQUESTS_CA_BUNDLE,
# so the certificate is added to the venv's own certifi bundle instead.
bundle="$("$work/venv/bin/python" -c 'import certifi; print(certifi.where())')"
if ! grep -q "$(sed -n 2p "$work/cert.pem")" "$bundle"; then
  cat "$work/cert.pem" >>"$bundle"
fi

cat >"$work/config.json" <<JSON
{"start_date": "$start_date", "username": "$email", "password": "$token",
 "base_url": "$https_base", "user_agent": "jira-ingest tap-jira check", "request_timeout": 60}
JSON

echo "== discovery" >&2
"$work/venv/bin/tap-jira" --config "$work/config.json" --discover >"$work/catalog.json" 2>"$work/discover.log" \
  || { echo "discovery failed:" >&2; tail -20 "$work/discover.log" >&2; exit 1; }

# Select every stream (Singer catalogs come with nothing selected). tap-jira
# 2.6.0 reads the catalog from the legacy `--properties` flag, not `--catalog`.
"$work/venv/bin/python" - "$work/catalog.json" <<'PY'
import json, sys
path = sys.argv[1]
cat = json.load(open(path))
for s in cat["streams"]:
    for m in s["metadata"]:
        if m["breadcrumb"] == []:
            m["metadata"]["selected"] = True
json.dump(cat, open(path, "w"))
print("   streams:", ", ".join(s["tap_stream_id"] for s in cat["streams"]), file=sys.stderr)
PY

echo "== sync" >&2
status=0
"$work/venv/bin/tap-jira" --config "$work/config.json" --properties "$work/catalog.json" \
  >"$work/records.jsonl" 2>"$work/sync.log" || status=$?

# Ground truth from the simulator itself, to compare with what the tap wrote:
# issues in the window and the real comment and changelog totals (tap-jira
# keeps only the lists embedded in each issue, which Jira truncates).
"$work/venv/bin/python" - "$work/records.jsonl" "$status" "$base" "$email" "$token" "$start_date" <<'PY'
import base64, collections, json, sys, urllib.request
records, status, base, email, token, start = sys.argv[1:7]
auth = "Basic " + base64.b64encode(f"{email}:{token}".encode()).decode()
def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": auth, "Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
jql = f'updated >= "{start[:10]}"'
truth = {"issues": post("/rest/api/3/search/approximate-count", {"jql": jql})["count"], "comments": 0, "changelogs": 0}
token_ = None
while True:
    body = {"jql": jql, "fields": ["comment"], "expand": "changelog", "maxResults": 100}
    if token_:
        body["nextPageToken"] = token_
    page = post("/rest/api/3/search/jql", body)
    for i in page["issues"]:
        truth["comments"] += i["fields"]["comment"]["total"]
        truth["changelogs"] += i["changelog"]["total"]
    token_ = page.get("nextPageToken")
    if not token_:
        break
counts = collections.Counter()
for line in open(records):
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("type") == "RECORD":
        counts[msg["stream"]] += 1
print("tap-jira exit status:", status)
print(f"{'stream':20} {'records':>8} {'simulator holds':>16}")
for stream, n in sorted(counts.items()):
    want = {"issues": truth["issues"], "issue_comments": truth["comments"], "changelogs": truth["changelogs"]}.get(stream)
    print(f"{stream:20} {n:>8} {'' if want is None else want:>16}")
PY
if [[ "$status" != 0 ]]; then
  echo "== tap-jira failed; last lines of its log:" >&2
  tail -25 "$work/sync.log" >&2
fi
exit "$status"
