#!/usr/bin/env bash
# Regenerates the committed ts-proto code and the reflection descriptor set from proto/.
set -euo pipefail
cd "$(dirname "$0")/.."
npx buf generate
npx buf build -o packages/proto/descriptors.binpb
