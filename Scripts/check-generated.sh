#!/usr/bin/env bash
# Regenerates the generated code (protoc-c's C, the Swift messages, the descriptor set, the
# embedded console) and fails if it differs from what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/generate-protos.sh
Scripts/embed-console.sh
generated=(Sources/ConsoleAssets Sources/CWorkflowProtos Sources/CGRPCHealth Sources/CGRPCReflection Sources/WorkflowService/ServiceDescriptors.swift
           Sources/WorkflowMessages/Generated Sources/GRPCHealth/Generated Sources/GRPCReflection/Generated)
if ! git diff --exit-code -- "${generated[@]}"; then
    echo "Generated code is stale: run Scripts/generate-protos.sh and Scripts/embed-console.sh and commit the result." >&2
    exit 1
fi
if [[ -n "$(git status --porcelain -- "${generated[@]}")" ]]; then
    echo "Scripts/generate-protos.sh produced files that are not committed." >&2
    git status --porcelain -- "${generated[@]}" >&2
    exit 1
fi
