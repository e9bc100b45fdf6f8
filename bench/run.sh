#!/bin/sh
# npm run bench: bundles the bench (from src/, no dist needed), raises the open-file limit if it is too low, runs it.
set -e
cd "$(dirname "$0")/.."
need=8192
current=$(ulimit -n)
if [ "$current" != "unlimited" ] && [ "$current" -lt "$need" ]; then
  hard=$(ulimit -Hn)
  if [ "$hard" = "unlimited" ] || [ "$hard" -ge "$need" ]; then ulimit -n "$need"; else ulimit -n "$hard"; fi
  echo "raised the open-file limit from $current to $(ulimit -n)"
fi
npx esbuild bench/main.ts bench/server-process.ts bench/load-process.ts --bundle --platform=node --format=esm \
  --packages=external --target=node20 --outdir=bench/.out --log-level=warning
exec node bench/.out/main.js
