#!/usr/bin/env bash
# Regenerates the committed ts-proto code and the reflection descriptor set from proto/.
set -euo pipefail
cd "$(dirname "$0")/.."
npx buf generate
# A plain FileDescriptorSet (no buf metadata), with source comments so `grpcurl describe` shows them.
npx buf build --as-file-descriptor-set -o packages/proto/descriptors.binpb
