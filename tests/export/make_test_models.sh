#!/usr/bin/env bash
# Test fixture: a small synthetic data set, two briefly trained runs and their exports, made
# with the real `vestis` commands (data synth, train, export). Used by the export, predict,
# onnxruntime and browser tests through ctest's fixture `exported_models`.
#   make_test_models.sh VESTIS_BINARY OUT_DIR
# OUT_DIR/models/{tiny-full,tiny-full-int8,tiny-resnet18}/ each hold model.onnx + card.json.
set -euo pipefail
vestis=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
"$vestis" data synth --out "$out/data" --images 96 --seed 5 >/dev/null 2>&1
common=(--set data.root="$out/data" --set data.workers=1 --set train.epochs=1 --set train.batch_size=16
        --set train.val_batch_size=16 --set train.threads=2 --runs "$out/runs" --force)
"$vestis" train --config /dev/null "${common[@]}" --set model.kind=full --set model.width=0.125 \
  --set model.input_size=64 --set model.vgg_batch_norm=true --out "$out/runs/full" >/dev/null 2>&1
"$vestis" train --config /dev/null "${common[@]}" --set model.kind=simple --set model.backbone=resnet18 \
  --set model.input_size=64 --out "$out/runs/resnet18" >/dev/null 2>&1
"$vestis" export --run "$out/runs/full" --out "$out/models/tiny-full" >/dev/null 2>&1
"$vestis" export --run "$out/runs/full" --weights int8 --out "$out/models/tiny-full-int8" >/dev/null 2>&1
"$vestis" export --run "$out/runs/resnet18" --out "$out/models/tiny-resnet18" >/dev/null 2>&1
echo "test models in $out/models"
