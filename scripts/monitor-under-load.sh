#!/usr/bin/env bash
# Drill, run by hand (not in CI): `skytale monitor` follows a `skytale bench ingest` wave at
# full speed, from the first statement to the last, and must raise no alarm. With APPROVAL=1
# the wave goes in under an embargo and is then approved: the monitor must stay quiet through
# the embargo and the lift, and the bench reports the lift's delay.
#
#   scripts/monitor-under-load.sh [path/to/skytale] [stations] [port]
set -euo pipefail
bin=${1:-target/release/skytale}
stations=${2:-20000}
port=${3:-8091}
url="http://127.0.0.1:$port"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
extra=()
[ "${APPROVAL:-0}" = 1 ] && extra+=(--approval)

"$bin" bench ingest --stations "$stations" --port "$port" --linger 900 "${extra[@]}" \
  > "$work/bench.txt" 2> "$work/bench.err" &
bench=$!
for _ in $(seq 1 600); do
  curl -sf "$url/api/v1/elections/bench" > /dev/null && break
  sleep 0.1
done
"$bin" monitor "$url" --election bench --interval "${INTERVAL:-2}" --rounds 100000 --json \
  > "$work/monitor.json" 2> "$work/monitor.err" &
monitor=$!
# After the wave the monitor follows the lingering server until it has verified the log's
# final size (a round reads every artefact of the site, tens of seconds on a shared machine;
# it prints a report only for a new size), then both stop: the monitor first (a server gone
# mid-round would be an alarm of the drill's making).
until grep -q "the wave is over" "$work/bench.err"; do
  kill -0 "$bench" 2>/dev/null || { cat "$work/bench.err"; exit 1; }
  sleep 1
done
final=$(curl -s "$url/log/bench/checkpoint" | sed -n 2p)
echo "the wave is over at log size $final; waiting for the monitor to verify it"
for _ in $(seq 1 900); do
  grep -Eq "\"tree_size\": *$final([^0-9]|\$)" "$work/monitor.json" && break
  kill -0 "$monitor" 2>/dev/null || break
  sleep 1
done
kill "$monitor" 2>/dev/null || true
kill -INT "$bench" 2>/dev/null || true
wait "$bench" || { cat "$work/bench.err"; exit 1; }
cat "$work/bench.txt"
reports=$(grep -c '"ok": true' "$work/monitor.json" || true)
alarms=$(grep -c '"ok": false' "$work/monitor.json" || true)
echo "monitor: $reports reports of a new size, $alarms alarms"
grep -E '"summary"' "$work/monitor.json" | tail -3 | sed 's/^/    /' || true
[ "$reports" -gt 0 ] || { echo "the monitor reported nothing:"; tail -20 "$work/monitor.err"; exit 1; }
if [ "$alarms" != 0 ]; then grep -B2 -A20 '"ok": false' "$work/monitor.json" | head -60; fi
[ "$alarms" = 0 ]
