#!/usr/bin/env bash
# A rank that cannot start its process group says why at once, instead of waiting out the
# timeout and blaming the other ranks: rank 0's port is taken by another program.
#   rendezvous_errors.sh VESTIS_BINARY DATA_DIR
set -uo pipefail
source "$(dirname "$0")/rank_scripts.sh" "$1" "$2" 1
# Another program holds the port; it prints the port once it listens.
python3 -u -c 'import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen()
print(s.getsockname()[1]); time.sleep(600)' > "$work/port" &
occupant=$!
kill_on_exit $occupant
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.1; done
port=$(cat "$work/port")
[[ -n $port ]] || { echo "FAIL: the port holder did not start"; exit 1; }

MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=2 RANK=0 LOCAL_RANK=0 VESTIS_DIST_TIMEOUT=120 \
  "$vestis" train --config "$work/config.yaml" --out "$work/run" --runs "$work/runs" > "$work/rank0.log" 2>&1
status=$?
[[ $status -ne 0 ]] || { echo "FAIL: rank 0 exited 0 on a taken port"; exit 1; }
expected="rank 0 of 2: starting the process group at 127.0.0.1:$port failed:"
grep -qF "$expected" "$work/rank0.log" || { echo "FAIL: expected '$expected', got:"; tail -c 600 "$work/rank0.log"; exit 1; }
grep -q 'no rendezvous' "$work/rank0.log" && { echo "FAIL: blamed a missing rank:"; tail -c 600 "$work/rank0.log"; exit 1; }
echo "ok: status $status: $(grep -F "$expected" "$work/rank0.log" | head -1 | cut -c1-200)"
