#!/usr/bin/env bash
# Fails when the committed generated code differs from a fresh generation of proto/.
set -euo pipefail
cd "$(dirname "$0")/.."
GENERATED=(packages/proto clients/python/src/booru_client/gen)
bash scripts/generate.sh
if ! git diff --quiet -- "${GENERATED[@]}" || [ -n "$(git status --porcelain -- "${GENERATED[@]}")" ]; then
  echo "generated code is out of date with proto/: run 'npm run generate' and commit" >&2
  git status --short -- "${GENERATED[@]}" >&2
  exit 1
fi
echo "generated code matches proto/"
