#!/usr/bin/env bash
# One stage before and after a change, back to back on this machine: explain@<method> run as
# dvc.yaml runs it (outside DVC, outputs to /tmp) from a worktree of the baseline commit and from
# this checkout, on the same inputs (copied from this checkout's last `dvc repro`). Prints
# "<method> <base|main> <seconds>"; benchmarks/results/bench_stage_ratio.json records a run.
#   git worktree add /work/base <baseline>; copy data/ and models/ inputs there; then:
#   bash benchmarks/bench_stage_ratio.sh /work/base mpm lime
set -euo pipefail
base=$1; shift
main=$(cd "$(dirname "$0")/.." && pwd)
for method in "$@"; do
  for side in "$base" "$main"; do
    out=$(mktemp -d)
    start=$(date +%s.%N)
    (cd "$side" && DVC_STAGE=explain@$method CI=true PYTHONPATH="$side/src" "$main/.venv/bin/python" stages/explain.py \
      --manifest data/manifest_kept.csv --images data/images.csv --splits data/splits.csv --features data/features \
      --pretrained models/pretrained --heads models/heads --pruning data/pruning --out "$out/explanations" \
      --metrics "$out/metrics" > "$out/log" 2>&1)
    echo "$method $([ "$side" = "$main" ] && echo main || echo base) $(echo "$(date +%s.%N) - $start" | bc)"
  done
done
