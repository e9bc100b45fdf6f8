#!/bin/sh
# npm run bench: bundles the bench (from src/, no dist needed), raises the open-file limit if it is too low, runs it.
# `sh bench/run.sh scale` (npm run bench:scale) runs bench/scale.ts instead, with the open-file limit at its hard maximum.
set -e
cd "$(dirname "$0")/.."
entry=main
need=8192
if [ "$1" = "scale" ]; then
  entry=scale
  need=$(ulimit -Hn)
fi
current=$(ulimit -n)
if [ "$current" != "unlimited" ] && [ "$need" != "unlimited" ] && [ "$current" -lt "$need" ]; then
  hard=$(ulimit -Hn)
  if [ "$hard" = "unlimited" ] || [ "$hard" -ge "$need" ]; then ulimit -n "$need"; else ulimit -n "$hard"; fi
  echo "raised the open-file limit from $current to $(ulimit -n)"
fi
npx esbuild bench/main.ts bench/scale.ts bench/server-process.ts bench/load-process.ts --bundle --platform=node --format=esm \
  --packages=external --target=node20 --outdir=bench/.out --log-level=warning
exec node "bench/.out/$entry.js"
