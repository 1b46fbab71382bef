#!/usr/bin/env bash
# One libFuzzer target as a test: every seed, then 2,000 mutations from seed 1.
#   run_fuzz_test.sh TARGET SEED_CORPUS SCRATCH_FOLDER FINDINGS_PREFIX
set -euo pipefail
target=$1 seeds=$2 scratch=$3 findings=$4
rm -rf "$scratch"
mkdir -p "$scratch" "$(dirname "$findings")"
exec "$target" "$scratch" "$seeds" -runs=2000 -seed=1 -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$findings" -print_final_stats=1
