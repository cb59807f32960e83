#!/usr/bin/env bash
# Fails when the committed generated code differs from a fresh generation of proto/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/generate.sh
if ! git diff --quiet -- packages/proto || [ -n "$(git status --porcelain -- packages/proto)" ]; then
  echo "generated code is out of date with proto/: run 'npm run generate' and commit" >&2
  git status --short -- packages/proto >&2
  exit 1
fi
echo "generated code matches proto/"
