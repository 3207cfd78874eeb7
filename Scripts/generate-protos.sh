#!/usr/bin/env bash
# Regenerates the protobuf-c code under Sources/CWorkflowProtos from Protos/.
# The output is committed; CI runs this script and fails on any difference.
# Needs Debian's protobuf-c-compiler (protoc-c).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/Sources/CWorkflowProtos"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

protoc-c --proto_path="$root/Protos" --c_out="$work" workflow/v1/workflow.proto

# Sources at the target's root, headers in include/ where SwiftPM exports them.
mkdir -p "$out/include/workflow/v1"
cp "$work/workflow/v1/workflow.pb-c.c" "$out/workflow.pb-c.c"
cp "$work/workflow/v1/workflow.pb-c.h" "$out/include/workflow/v1/workflow.pb-c.h"
