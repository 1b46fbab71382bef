#!/usr/bin/env bash
# `vestis export`, `vestis predict` and `vestis train --resume` on bad input: a non-zero exit, a message naming what is
# wrong, and nothing written half-way.
#   command_line_errors.sh VESTIS_BINARY TEST_MODELS_DIR
set -uo pipefail
vestis=$1
fixture=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0

# expect_failure "what the message must contain" command...
expect_failure() {
  local wanted=$1
  shift
  local output
  output=$("$@" 2>&1)
  local status=$?
  if [[ $status -eq 0 ]]; then
    echo "FAIL: '$*' succeeded"; failures=$((failures + 1))
  elif [[ $output != *"$wanted"* ]]; then
    echo "FAIL: '$*' said: $output (expected: $wanted)"; failures=$((failures + 1))
  else
    echo "ok: $wanted"
  fi
}

image=$(find "$fixture/data/img" -name '*.jpg' | sort | head -1)
printf 'not an image' > "$scratch/text.jpg"
: > "$scratch/empty.jpg"
expect_failure "not a decodable image" "$vestis" predict --model "$fixture/models/tiny-full" "$scratch/text.jpg"
expect_failure "empty file" "$vestis" predict --model "$fixture/models/tiny-full" "$scratch/empty.jpg"
expect_failure "no such model folder" "$vestis" predict --model "$scratch/none" "$image"
expect_failure "outside the" "$vestis" predict --model "$fixture/models/tiny-full" --bbox 0,0,99999,5 "$image"
expect_failure "--bbox: expected x1,y1,x2,y2" "$vestis" predict --model "$fixture/models/tiny-full" --bbox 1,2,3 "$image"
expect_failure "over the limit" "$vestis" predict --model "$fixture/models/tiny-full" --max-megapixels 0.01 "$image"
# A JPEG cut short decodes (grey at the bottom): predicted on with a warning naming it, refused with --strict.
head -c $(( $(stat -c %s "$image") * 2 / 3 )) "$image" > "$scratch/cut.jpg"
expect_failure "cut.jpg: the JPEG ends before its end-of-image marker" "$vestis" predict --model "$fixture/models/tiny-full" --strict "$scratch/cut.jpg"
if ! output=$("$vestis" predict --model "$fixture/models/tiny-full" "$scratch/cut.jpg" 2>&1 >/dev/null) ||
   [[ $output != *"warning: $scratch/cut.jpg: the JPEG ends before"* ]]; then
  echo "FAIL: a cut-short JPEG was not predicted on with a warning: $output"; failures=$((failures + 1))
else
  echo "ok: a cut-short JPEG warns"
fi
if "$vestis" predict --model "$fixture/models/tiny-full" "$image" 2>&1 >/dev/null | grep -q warning; then
  echo "FAIL: a whole JPEG warned"; failures=$((failures + 1))
fi
expect_failure "--weights" "$vestis" export --run "$fixture/runs/full" --weights fp8 --out "$scratch/never"

# Resuming with a change to what shaped the weights is refused, naming the key.
expect_failure "--set model.width: a resumed run keeps its configuration" \
  "$vestis" train --resume "$fixture/runs/full" --set train.epochs=2 --set model.width=0.5

# A run whose data set has gone: the export fails and leaves no model folder behind.
cp -r "$fixture/runs/full" "$scratch/run"
sed -i "s|^  root: .*|  root: $scratch/no-data|" "$scratch/run/config.yaml"
expect_failure "no-data" "$vestis" export --run "$scratch/run" --out "$scratch/models/broken"
if [[ -e $scratch/models/broken ]]; then echo "FAIL: a failed export left $scratch/models/broken"; failures=$((failures + 1)); fi

# A good export then a failed one to the same folder: the first export's files survive whole.
"$vestis" export --run "$fixture/runs/full" --out "$scratch/models/kept" --eval-images 0 >/dev/null 2>&1
before=$(sha256sum "$scratch/models/kept/model.onnx" "$scratch/models/kept/card.json")
# The card names the commit the exporting binary was built from (read at build time, not configure).
if head=$(git -C "$(dirname "$0")" rev-parse --short=12 HEAD 2>/dev/null); then
  if ! grep -Eq "\"commit\": *\"$head\"" "$scratch/models/kept/card.json" ||
     ! grep -Eq '"source_modified": *(true|false)' "$scratch/models/kept/card.json"; then
    echo "FAIL: the card does not name commit $head and whether the tree was modified"; failures=$((failures + 1))
  fi
fi
expect_failure "no-data" "$vestis" export --run "$scratch/run" --force --out "$scratch/models/kept"
after=$(sha256sum "$scratch/models/kept/model.onnx" "$scratch/models/kept/card.json")
if [[ $before != "$after" ]]; then echo "FAIL: a failed export changed an existing model"; failures=$((failures + 1)); fi
if [[ -n $(find "$scratch/models" -mindepth 1 -name '*tmp*') ]]; then echo "FAIL: temporary files left"; failures=$((failures + 1)); fi

# Over an existing model only when asked, and then whole; never over a folder of other files.
expect_failure "holds a model already; give a new --out, or --force to replace it" \
  "$vestis" export --run "$fixture/runs/full" --out "$scratch/models/kept" --eval-images 0
mkdir -p "$scratch/notes" && echo mine > "$scratch/notes/notes.txt"
expect_failure "is not a model folder" "$vestis" export --run "$fixture/runs/full" --force --out "$scratch/notes" --eval-images 0
if [[ ! -e $scratch/notes/notes.txt ]]; then echo "FAIL: export removed someone's file"; failures=$((failures + 1)); fi
if "$vestis" export --run "$fixture/runs/resnet18" --force --out "$scratch/models/kept" --eval-images 0 >/dev/null 2>&1 &&
   grep -Eq '"backbone": *"resnet18"' "$scratch/models/kept/card.json" && [[ -s $scratch/models/kept/model.onnx ]] &&
   [[ -z $(find "$scratch/models" -mindepth 1 -name '*export-*') ]]; then
  echo "ok: --force replaced the model whole"
else
  echo "FAIL: export --force did not replace the model whole"; failures=$((failures + 1))
fi
# An export cut off with the old model moved aside (where a system without an atomic exchange
# keeps it for a moment): the next export puts it back and asks for --force, as over any model.
mv "$scratch/models/kept" "$scratch/models/.kept.export-old"
expect_failure "holds a model already; give a new --out, or --force to replace it" \
  "$vestis" export --run "$fixture/runs/full" --out "$scratch/models/kept" --eval-images 0
if ! grep -Eq '"backbone": *"resnet18"' "$scratch/models/kept/card.json" || [[ -e $scratch/models/.kept.export-old ]]; then
  echo "FAIL: the model moved aside was not put back"; failures=$((failures + 1))
fi
# The same with an empty folder made in its place since: the old model is still the one to keep.
mv "$scratch/models/kept" "$scratch/models/.kept.export-old" && mkdir "$scratch/models/kept"
expect_failure "holds a model already; give a new --out, or --force to replace it" \
  "$vestis" export --run "$fixture/runs/full" --out "$scratch/models/kept" --eval-images 0
if ! grep -Eq '"backbone": *"resnet18"' "$scratch/models/kept/card.json" || [[ -e $scratch/models/.kept.export-old ]]; then
  echo "FAIL: the model moved aside was lost to an empty folder"; failures=$((failures + 1))
fi
# One cut off after the new model moved in left the old one aside, stale: the next export
# removes it, so that it cannot come back. The folder given with a trailing slash is the same.
cp -r "$scratch/models/kept" "$scratch/models/.kept.export-old"
if "$vestis" export --run "$fixture/runs/full" --force --out "$scratch/models/kept/" --eval-images 0 >/dev/null 2>&1 &&
   grep -Eq '"backbone": *"vgg16"' "$scratch/models/kept/card.json" &&
   [[ -z $(find "$scratch/models" -mindepth 1 -name '*export-*') ]]; then
  echo "ok: a stale model left aside went, and --out kept/ replaced kept"
else
  echo "FAIL: a stale model left aside stayed, or --out with a trailing slash failed"; failures=$((failures + 1))
fi

exit $((failures > 0))
