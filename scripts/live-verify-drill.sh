#!/usr/bin/env bash
# Drill, run by hand (not in CI): `skytale verify` and `skytale monitor` against a live demo
# night. Starts `skytale demo` on a fresh data directory, runs verify again and again while it
# feeds results, follows it with a monitor, and prints every verdict. Every verdict must be
# VERIFIED; any other is a false alarm (or a real fault).
#
#   scripts/live-verify-drill.sh [path/to/skytale] [port] [verify runs]
set -euo pipefail
bin=${1:-target/release/skytale}
port=${2:-8090}
runs=${3:-3}
url="http://127.0.0.1:$port"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" demo --data-dir "$work/data" --listen "127.0.0.1:$port" > "$work/demo.log" 2>&1 &
for _ in $(seq 1 300); do
  curl -sf "$url/api/v1/elections/demo/results" > /dev/null && break
  sleep 0.2
done
echo "demo up at $url"
"$bin" monitor "$url" --election demo --interval 5 --rounds 1000 --json > "$work/monitor.json" 2> "$work/monitor.err" &
monitor=$!
for i in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  size=$(curl -s "$url/api/v1/elections/demo/snapshot" | sed -n 's/.*"tree_size": *\([0-9]*\).*/\1/p' | head -1)
  if "$bin" verify "$url" --election demo > "$work/verify-$i.txt" 2>&1; then v=VERIFIED; else v="NOT VERIFIED"; fi
  end=$(date +%s.%N)
  echo "verify run $i (results at tree size $size when it began): $v in $(echo "$end - $start" | bc) s"
  grep -E "^\[|VERIF" "$work/verify-$i.txt" | sed 's/^/    /'
done
# The night is over when the log stops growing for 15 s; the monitor then gets a last round.
last=-1; still=0
while [ "$still" -lt 15 ]; do
  size=$(curl -s "$url/log/demo/checkpoint" | sed -n 2p)
  if [ "$size" = "$last" ]; then still=$((still + 1)); else still=0; last=$size; fi
  kill -0 "$monitor" 2>/dev/null || break
  sleep 1
done
sleep 20
if kill -0 "$monitor" 2>/dev/null; then kill "$monitor"; status="still following"; else status="stopped"; fi
reports=$(grep -c '"ok": true' "$work/monitor.json" || true)
alarms=$(grep -c '"ok": false' "$work/monitor.json" || true)
echo "log at size $last; monitor $status after $reports reports of a new size, $alarms alarms"
grep -E '"summary"' "$work/monitor.json" | tail -4 | sed 's/^/    /'
[ "$alarms" = 0 ]
