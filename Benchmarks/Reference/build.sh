#!/usr/bin/env bash
# Builds the C++ gRPC reference server and the C++ benchmark client into OUTDIR:
#   OUTDIR/gen/                 protoc + grpc_cpp_plugin output for Protos/ (never committed)
#   OUTDIR/reference_server     Benchmarks/Reference/reference_server.cc
#   OUTDIR/bench_client         Benchmarks/Reference/bench_client.cc
#   OUTDIR/load_worker          Benchmarks/Reference/load_worker.cc (WorkerService load, remote_jobs.py)
#   OUTDIR/unary_load           Benchmarks/Reference/unary_load.cc (unary calls of differing bodies on libnghttp2)
# Each step runs only when its inputs are newer than its output, so repeated runs are quick.
# Needs: g++, protoc, grpc_cpp_plugin, pkg-config grpc++ protobuf (Debian libgrpc++-dev,
# protobuf-compiler-grpc, libprotobuf-dev, libnghttp2-dev).
# Usage: Benchmarks/Reference/build.sh OUTDIR     (e.g. .build/reference)
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 64
fi
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
PROTO=workflow/v1/workflow.proto
GEN=$OUT/gen

# True when $1 is missing or older than any of the other arguments.
stale() {
  local target=$1
  shift
  [ -e "$target" ] || return 0
  local input
  for input in "$@"; do
    [ "$input" -nt "$target" ] && return 0
  done
  return 1
}

if stale "$GEN/workflow/v1/workflow.grpc.pb.cc" "$ROOT/Protos/$PROTO"; then
  mkdir -p "$GEN"
  protoc -I "$ROOT/Protos" --cpp_out="$GEN" --grpc_out="$GEN" \
    --plugin=protoc-gen-grpc="$(command -v grpc_cpp_plugin)" "$ROOT/Protos/$PROTO"
fi

CXXFLAGS=(-O2 -DNDEBUG -std=c++17 -Wall -Wextra -Wno-unused-parameter -pthread -I "$GEN" -I "$HERE")
read -r -a PKG_CFLAGS <<<"$(pkg-config --cflags grpc++ protobuf)"
read -r -a PKG_LIBS <<<"$(pkg-config --libs grpc++ protobuf)"
GENERATED=("$GEN/workflow/v1/workflow.pb.cc" "$GEN/workflow/v1/workflow.grpc.pb.cc")

# The generated code is compiled once into objects both programs link.
for source in "${GENERATED[@]}"; do
  object="$OUT/$(basename "$source" .cc).o"
  if stale "$object" "$source"; then
    g++ "${CXXFLAGS[@]}" "${PKG_CFLAGS[@]}" -c "$source" -o "$object"
  fi
done
OBJECTS=("$OUT/workflow.pb.o" "$OUT/workflow.grpc.pb.o")

for program in reference_server bench_client load_worker; do
  if stale "$OUT/$program" "$HERE/$program.cc" "$HERE/bench_support.h" "${OBJECTS[@]}" "$HERE/build.sh"; then
    g++ "${CXXFLAGS[@]}" "${PKG_CFLAGS[@]}" "$HERE/$program.cc" "${OBJECTS[@]}" \
      "${PKG_LIBS[@]}" -lgrpc++ -o "$OUT/$program"
  fi
done

# No gRPC in it, only its header for the shared command-line helpers.
if stale "$OUT/unary_load" "$HERE/unary_load.cc" "$HERE/bench_support.h" "$HERE/build.sh"; then
  g++ "${CXXFLAGS[@]}" "${PKG_CFLAGS[@]}" "$HERE/unary_load.cc" -lnghttp2 -o "$OUT/unary_load"
fi
