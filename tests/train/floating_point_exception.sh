#!/usr/bin/env bash
# A floating-point exception (oneDNN 3.6 raises one on some AMD machines) ends vestis with a
# hint naming the known cause and its workaround, and still with the signal's exit status.
# vestis gets the signal while it waits, as rank 0 of 2, for a rank that never comes.
#   floating_point_exception.sh VESTIS_BINARY DATA_DIR
set -uo pipefail
source "$(dirname "$0")/rank_scripts.sh" "$1" "$2" 1
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')
MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=2 RANK=0 LOCAL_RANK=0 VESTIS_DIST_TIMEOUT=120 \
  "$vestis" train --config "$work/config.yaml" --out "$work/run" --runs "$work/runs" > "$work/rank0.log" 2>&1 &
rank0=$!
kill_on_exit $rank0
# Waiting at the rendezvous = its store listens on the port (state 0A in /proc/net/tcp*).
listening() { grep -qi ":$(printf '%04X' "$port") [0-9A-F:]* 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null; }
for _ in $(seq 300); do listening && break; kill -0 $rank0 2>/dev/null || break; sleep 0.1; done
listening || { echo "FAIL: rank 0 never listened on $port:"; tail -c 600 "$work/rank0.log"; exit 1; }
kill -FPE $rank0
wait $rank0 2>/dev/null   # bash would report the signal itself
status=$?
[[ $status -eq $((128 + 8)) ]] || { echo "FAIL: exit status $status, expected 136 (SIGFPE)"; exit 1; }
grep -q 'floating-point exception (SIGFPE).*oneDNN' "$work/rank0.log" || { echo "FAIL: no hint:"; tail -c 600 "$work/rank0.log"; exit 1; }
grep -q 'VESTIS_ONEDNN=0' "$work/rank0.log" || { echo "FAIL: the hint names no workaround"; exit 1; }
echo "ok: status $status, $(head -c 120 "$work/rank0.log")"
