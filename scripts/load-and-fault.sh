#!/usr/bin/env bash
# The load-and-fault drill, run by hand on a release build (never in CI): its figures go in the
# closing notes. Every part reports against a baseline measured in the same run, since the
# machine is shared and noisy.
#
#   scripts/load-and-fault.sh [path/to/skytale]      (default: target/release/skytale)
#
# 1. Crash: SIGKILL under load at random moments, ≥ 200 times; every receipt checked against
#    the store after every kill, no size signed with two roots, no statement entered twice.
# 2. Floods: the valid reporter's throughput and p99 with each bad-input class sent from
#    another address (127.0.0.2) beside it, against the same reporter alone.
# 3. Readers: new visitors reading random pages during the full upload wave (pages/s, p99).
# 4. Faults: the server under strace with write or fdatasync failing (EIO); it must stop
#    rather than diverge, and the data directory must then pass fsck and start again.
set -euo pipefail
bin="${1:-target/release/skytale}"
stations="${STATIONS:-20000}"
out="$(mktemp -d)"
echo "drill output in $out"

section() { printf '\n== %s\n' "$*"; }

section "crash: ${KILLS:-200} kills"
"$bin" bench crash --stations "$stations" --versions 20 --kills "${KILLS:-200}" \
  --serve-arg=--address-rate --serve-arg=0 --serve-arg=--key-rate --serve-arg=0

section "reporter alone, then with readers"
"$bin" bench ingest --stations "$stations" 2>/dev/null
"$bin" bench ingest --stations "$stations" --readers "${READERS:-64}" 2>/dev/null

section "floods beside the reporter"
# The bench lifts the rate limits (its reporter sends everything from one address): the
# flood gets the server's full attention, the worst case for the reporter.
for class in bad-signature garbage oversize slowloris idle; do
  echo "-- $class"
  "$bin" bench ingest --stations "$stations" --flood "$class" --flood-connections "${FLOOD:-200}" \
    2>/dev/null
done

section "syscall faults: fdatasync or a database write fails"
for fault in fdatasync:error=EIO:when=200 pwrite64:error=ENOSPC:when=2000; do
  dir="$out/fault-${fault%%:*}"
  echo "-- $fault"
  "$bin" bench ingest --stations "$stations" --data-dir "$dir" \
    --serve-wrapper=strace --serve-wrapper=-f --serve-wrapper=-qq --serve-wrapper=-o \
    --serve-wrapper=/dev/null --serve-wrapper=-e --serve-wrapper="inject=$fault" 2>&1 | tail -12 || true
  echo "fsck after the fault:"
  "$bin" fsck --data-dir "$dir" | tail -3
done
