# Sourced by the rank scripts of tests/train (dead_rank.sh, rendezvous_errors.sh,
# floating_point_exception.sh): their arguments, a scratch folder removed on exit, and the
# small network's config, trained for EPOCHS epochs.
#   source rank_scripts.sh VESTIS_BINARY DATA_DIR EPOCHS
#   -> $vestis, $work, $work/config.yaml; kill_on_exit PID... adds processes the exit stops
vestis=$1
data=$2
work=$(mktemp -d)
pids_to_kill=()
kill_on_exit() { pids_to_kill+=("$@"); }
trap 'kill -9 "${pids_to_kill[@]}" 2>/dev/null; wait "${pids_to_kill[@]}" 2>/dev/null; rm -rf "$work"' EXIT
cat > "$work/config.yaml" <<YAML
data: {root: $data, workers: 1}
model: {kind: simple, backbone: resnet18, input_size: 32, landmark_branch: false}
train: {epochs: $3, batch_size: 2, log_every: 1, threads: 1}
YAML
