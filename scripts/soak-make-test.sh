#!/usr/bin/env bash
# Run `make test` N times in a row from a clean clone of this repository's HEAD, and say how
# each run ended. Run 1 starts from a fresh `git clone` (it builds .venv and installs any
# missing services); every later run first removes everything git does not track except
# .venv (`git clean -xdf -e .venv`: databases, exports, caches, logs), so only the
# virtualenv is reused. Stops at the first failure and keeps that run's log.
#
#   bash scripts/soak-make-test.sh [N=10] [WORKDIR=/tmp/moderation-soak]
set -uo pipefail
n=${1:-10}
work=${2:-/tmp/moderation-soak}
src=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
commit=$(git -C "$src" rev-parse HEAD)
rm -rf "$work" && mkdir -p "$work"
git clone -q "$src" "$work/clone" && git -C "$work/clone" checkout -q "$commit"
# the training data sits next to the checkout, as in CI
[ -e "$work/shared" ] || ln -s "$(cd "$src/.." && pwd)/shared" "$work/shared"
summary="$work/summary.txt"
echo "commit $commit, $n runs, started $(date -u +%FT%TZ)" | tee "$summary"
for i in $(seq 1 "$n"); do
  if [ "$i" -gt 1 ]; then git -C "$work/clone" clean -qxdf -e .venv; fi
  start=$(date +%s)
  (cd "$work/clone" && make test PYTEST_ARGS="${PYTEST_ARGS:---durations=25}") >"$work/run-$i.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  tailline=$(grep -E '^(=+ .*(passed|failed|error).* =+)$' "$work/run-$i.log" | tail -1)
  echo "run $i: exit $rc in ${secs}s: ${tailline:-no pytest summary}" | tee -a "$summary"
  [ "$rc" -eq 0 ] || { echo "stopped at the first failure; log: $work/run-$i.log" | tee -a "$summary"; exit 1; }
done
echo "all $n runs passed, finished $(date -u +%FT%TZ)" | tee -a "$summary"
