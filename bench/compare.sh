#!/bin/sh
# Before/after in one run: the bench of this work tree against the same bench on the src/ of REF
# (default main), alternately, ROUNDS times (default 2), so both see the same machine load.
#   BENCH_ONLY=pushwire-websocket,ws BENCH_SCENARIOS=rate sh bench/compare.sh main
# Prints each round's results side by side (bench/compare-report.ts); writes no docs.
set -e
cd "$(dirname "$0")/.."
ref=${1:-main}
rounds=${ROUNDS:-2}
before=$(mktemp -d /tmp/pushwire-bench-before.XXXXXX)
git archive "$ref" src | tar -x -C "$before"
cp -r bench package.json tsconfig.json mangle.config.ts "$before"/
ln -s "$(pwd)/node_modules" "$before/node_modules"
rm -rf "$before/bench/.out" bench/.out/compare
mkdir -p bench/.out/compare
i=1
while [ "$i" -le "$rounds" ]; do
  echo "round $i: before ($ref)"
  (cd "$before" && sh bench/run.sh > /dev/null) && cp "$before/bench/.out/results.json" "bench/.out/compare/before-$i.json"
  echo "round $i: after (work tree)"
  sh bench/run.sh > /dev/null && cp bench/.out/results.json "bench/.out/compare/after-$i.json"
  i=$((i + 1))
done
rm -rf "$before"
npx esbuild bench/compare-report.ts --bundle --platform=node --format=esm --packages=external --target=node20 \
  --outfile=bench/.out/compare-report.js --log-level=warning
node bench/.out/compare-report.js bench/.out/compare
