#!/usr/bin/env bash
# Run every fuzz target for SECONDS (default 600) and print, per target, the executions, the
# coverage reached and the crashes found. Needs the nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
#   fuzz/run.sh 600            # from the repository root; JOBS=2 runs two targets at a time
#   fuzz/run.sh 600 grammar    # only the targets named
# Seed inputs go in fuzz/corpus/TARGET/ (not kept in git); a crash is saved under
# fuzz/artifacts/TARGET/ — copy it to tests/fuzz_regressions/TARGET/ so `cargo test` replays it.
set -uo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-600}
JOBS=${JOBS:-1}
TARGETS=(checkpoint vectors_binary vectors_text grammar tokenizer cli)
if [ $# -gt 1 ]; then TARGETS=("${@:2}"); fi
cargo +nightly fuzz build -O >/dev/null 2>&1 || { echo "cargo +nightly fuzz build failed"; exit 1; }
mkdir -p logs
run() {
  local t=$1
  mkdir -p "corpus/$t"
  cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_total_time="$SECONDS_EACH" -max_len=8192 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 >"logs/$t.log" 2>&1
  local execs cov crashes
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "logs/$t.log" | tail -1 | grep -o '[0-9]*')
  crashes=$(ls "artifacts/$t" 2>/dev/null | wc -l)
  printf '%-16s %8ss %12s executions %8s coverage %3s crashes\n' "$t" "$SECONDS_EACH" "${execs:-?}" "${cov:-?}" "$crashes"
}
for t in "${TARGETS[@]}"; do
  run "$t" &
  while [ "$(jobs -r | wc -l)" -ge "$JOBS" ]; do sleep 1; done
done
wait
