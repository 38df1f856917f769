#!/usr/bin/env bash
# Runs every fuzz target of crates/formats/fuzz by hand (never in CI), two at a time at the
# lowest priority, each for SECS seconds of wall time (default 3600), and records the CPU time
# each got in $OUT/times.log (default /tmp/skytale-fuzz). New inputs go to $OUT/corpus/<target>;
# crashes to crates/formats/fuzz/artifacts/<target>/, to be kept as regression tests.
#   scripts/fuzz.sh            # all targets, an hour each
#   SECS=300 scripts/fuzz.sh   # a quick pass
#   TARGETS="csv csv_mapping" scripts/fuzz.sh   # only these (to top up the ones run least)
set -uo pipefail
cd "$(dirname "$0")/../crates/formats"
SECS="${SECS:-3600}"
OUT="${OUT:-/tmp/skytale-fuzz}"
mkdir -p "$OUT"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
RUSTC_BOOTSTRAP=1 cargo fuzz build
lane() {
  for t in "$@"; do
    mkdir -p "$OUT/corpus/$t"
    seeds="fuzz/corpus/$t"; [ -d "$seeds" ] || seeds=
    extra= asan=
    # The CVR readers of generic CSV, Clear Ballot and ES&S files work with a helper thread in
    # std::thread::scope, which returns once the helper's closure is done, before the thread
    # has exited and freed its own bookkeeping (its boxed closure, its handle, its list of
    # thread-local destructors). A leak check in between reports those (once in about 800,000
    # inputs, or at exit, which fails the run and saves the input as a "crash"), and no
    # suppression by frame tells them from the helper's own work: no leak check for these.
    case "$t" in
      cvr_generic_csv|cvr_clear_ballot|cvr_ess) extra=-detect_leaks=0 asan=detect_leaks=0 ;;
    esac
    /usr/bin/time -f "$t cpu_user=%U cpu_sys=%S wall=%e" -a -o "$OUT/times.log" \
      env RUSTC_BOOTSTRAP=1 ASAN_OPTIONS="$asan" nice -n 19 cargo fuzz run "$t" "$OUT/corpus/$t" $seeds -- \
      -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 $extra \
      > "$OUT/$t.log" 2>&1
    echo "$t exit=$?" >> "$OUT/times.log"
  done
}
if [ -n "${TARGETS:-}" ]; then
  # The named targets, dealt to the two lanes in turn.
  read -r -a named <<< "$TARGETS"
  first=() second=()
  for i in "${!named[@]}"; do
    [ -f "fuzz/fuzz_targets/${named[$i]}.rs" ] || { echo "no fuzz target ${named[$i]}" >&2; exit 2; }
    if (( i % 2 == 0 )); then first+=("${named[$i]}"); else second+=("${named[$i]}"); fi
  done
  lane "${first[@]}" &
  [ ${#second[@]} -gt 0 ] && lane "${second[@]}" &
else
  lane csv clarity_xml nist_json cvr_cdf_json cvr_dominion cvr_generic_csv eml_510 &
  lane csv_mapping nist_xml cvr_cdf_xml cvr_clear_ballot cvr_ess cvr_hart detect &
fi
wait
cat "$OUT/times.log"
