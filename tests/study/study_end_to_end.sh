#!/usr/bin/env bash
# `vestis study` on the exported-models fixture's data: two one-epoch experiments, the report
# with plots, tables and prediction images; a second run reuses both runs.
#   study_end_to_end.sh VESTIS_BINARY TEST_MODELS_DIR
set -euo pipefail
vestis=$1
fixture=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/base.yaml" <<YAML
data: {root: $fixture/data, workers: 1}
model: {kind: full, width: 0.125, input_size: 64, vgg_batch_norm: true}
train: {epochs: 2, batch_size: 16, val_batch_size: 16, threads: 2, log_every: 2}
YAML
cat > "$work/plan.yaml" <<'YAML'
name: Tiny study
base: base.yaml
prediction_images: 3
experiments:
  - name: full
  - name: simplified, ResNet-18
    set: [model.kind=simple, model.backbone=resnet18, model.width=1]
YAML

fail() { echo "FAIL: $*"; exit 1; }
"$vestis" study --plan "$work/plan.yaml" --runs "$work/runs" --report "$work/report" > "$work/first.log" 2>&1 || { cat "$work/first.log"; fail "the study failed"; }
html=$work/report/index.html
[[ -f $html ]] || fail "no report"
grep -q "<h1>Tiny study</h1>" "$html" || fail "no title"
grep -q "simplified, ResNet-18" "$html" || fail "an experiment is missing"
[[ $(grep -c "<polyline" "$html") -ge 6 ]] || fail "expected the validation-loss chart and one chart per experiment"
grep -q "Test split: top-3 | top-5" "$html" || fail "no metrics table"
grep -q "Landmark normalised error per landmark" "$html" || fail "no landmark table"
grep -q "mean attribute error rate" "$html" || fail "no error-rate table"
images=$(grep -o 'src="images/[^"]*"' "$html" | wc -l)
[[ $images -eq 6 ]] || fail "expected 6 prediction images, found $images"
for image in $(grep -o 'src="images/[^"]*"' "$html" | sed 's/src="//; s/"$//'); do
  [[ -s $work/report/$image ]] || fail "$image is missing or empty"
  head -c 3 "$work/report/$image" | od -An -tx1 | grep -q "ff d8 ff" || fail "$image is not a JPEG"
done
"$vestis" study --plan "$work/plan.yaml" --runs "$work/runs" --report "$work/report" > "$work/second.log" 2>&1 || fail "the second run failed"
[[ $(grep -c "reusing" "$work/second.log") -eq 2 ]] || { cat "$work/second.log"; fail "the second run did not reuse both runs"; }
echo "ok: report with $images prediction images; second run reused both experiments"
