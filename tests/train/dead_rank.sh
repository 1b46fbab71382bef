#!/usr/bin/env bash
# A rank that dies mid-run ends the other with a clear message, not a hang: two ranks started
# by hand (the launcher would stop the survivor itself), rank 1 killed with SIGKILL.
#   dead_rank.sh VESTIS_BINARY DATA_DIR
set -uo pipefail
source "$(dirname "$0")/rank_scripts.sh" "$1" "$2" 1000
export MASTER_ADDR=127.0.0.1 MASTER_PORT=29633 WORLD_SIZE=2 VESTIS_DIST_TIMEOUT=30
RANK=0 LOCAL_RANK=0 "$vestis" train --config "$work/config.yaml" --out "$work/run" --runs "$work/runs" > "$work/rank0.log" 2>&1 &
rank0=$!
kill_on_exit $rank0
RANK=1 LOCAL_RANK=1 "$vestis" train --config "$work/config.yaml" --out "$work/run" --runs "$work/runs" > "$work/rank1.log" 2>&1 &
rank1=$!
kill_on_exit $rank1
for _ in $(seq 120); do
  grep -q '"kind":"step"' "$work/run/metrics.jsonl" 2>/dev/null && break
  sleep 0.5
done
grep -q '"kind":"step"' "$work/run/metrics.jsonl" || { echo "FAIL: the ranks never trained"; cat "$work/rank0.log"; exit 1; }
kill -9 $rank1
started=$SECONDS
for _ in $(seq 90); do kill -0 $rank0 2>/dev/null || break; sleep 0.5; done
if kill -0 $rank0 2>/dev/null; then echo "FAIL: rank 0 still runs 45 s after rank 1 died"; exit 1; fi
wait $rank0
status=$?
[[ $status -ne 0 ]] || { echo "FAIL: rank 0 exited 0"; exit 1; }
grep -q "rank 0 of 2: .* failed: another rank exited or did not answer" "$work/rank0.log" || { echo "FAIL: no clear message:"; tail -c 600 "$work/rank0.log"; exit 1; }
ls "$work/run" | grep -q '\.tmp$' && { echo "FAIL: a half-written file was left"; exit 1; }
echo "ok: rank 0 stopped $((SECONDS - started)) s after rank 1 died, status $status: $(grep -o 'rank 0 of 2: [^:]*' "$work/rank0.log" | head -1)"
