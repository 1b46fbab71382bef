#!/usr/bin/env bash
# Test fixture: a small synthetic data set, two briefly trained runs and their exports, made
# with the real `vestis` commands (data synth, train, export). Used by the export, predict,
# onnxruntime and browser tests through ctest's fixture `exported_models`.
#   make_test_models.sh VESTIS_BINARY OUT_DIR
# OUT_DIR/models/{tiny-full,tiny-full-int8,tiny-resnet18,tiny-tags}/ each hold model.onnx +
# card.json. tiny-tags is a tagger without categories, trained on OUT_DIR/data/tags.csv: the
# synthetic photos with their attributes as tags, and tag_kinds.csv naming a kind for each; it
# trains as the shipped street tagger does, with the asymmetric loss and each tag's peak score.
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
# A multi-label photo CSV over the same photos (tags separated by ';', as some hold spaces).
awk 'NR > 2 { name = $1; for (i = 2; i < NF; ++i) name = name " " $i; tag[NR - 2] = name; kind[NR - 2] = $NF }
     END { split("pattern material silhouette detail look", kinds, " "); print "tag,kind";
           for (i = 1; i in tag; ++i) print tag[i] "," kinds[kind[i]] }' \
  "$out/data/Anno/list_attr_cloth.txt" >"$out/data/tag_kinds.csv"
awk -v names="$out/data/tag_kinds.csv" 'BEGIN { FS = ","; while ((getline line < names) > 0) { split(line, f, ","); if (n++) tag[n - 1] = f[1] }
                                               FS = " "; print "photo,tags" }
     NR > 2 { tags = ""; for (i = 2; i <= NF; ++i) if ($i == 1) tags = tags (tags == "" ? "" : ";") tag[i - 1]; print $1 "," tags }' \
  "$out/data/Anno/list_attr_img.txt" >"$out/data/tags.csv"
"$vestis" train --config /dev/null "${common[@]}" --set data.root="$out/data/tags.csv" --set model.kind=simple \
  --set model.backbone=mobilenet_v2 --set model.width=0.35 --set model.input_size=64 --set train.epochs=2 \
  --set model.residual_attention=0.5 --set loss.attribute_loss=asl --out "$out/runs/tags" >/dev/null 2>&1
"$vestis" export --run "$out/runs/full" --out "$out/models/tiny-full" >/dev/null 2>&1
"$vestis" export --run "$out/runs/full" --weights int8 --out "$out/models/tiny-full-int8" >/dev/null 2>&1
"$vestis" export --run "$out/runs/resnet18" --out "$out/models/tiny-resnet18" >/dev/null 2>&1
"$vestis" export --run "$out/runs/tags" --out "$out/models/tiny-tags" >/dev/null 2>&1
echo "test models in $out/models"
