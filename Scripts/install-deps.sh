#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, if any is missing.
# Usage: Scripts/install-deps.sh [--tests|--bench]
#   --tests adds the tools the test suite drives (a headless browser among them); --bench adds those Scripts/bench.sh needs.
set -euo pipefail

packages=(libnghttp2-dev libprotobuf-c-dev pkg-config protobuf-c-compiler zlib1g-dev libsqlite3-dev libjemalloc-dev)
if [[ "${1:-}" == "--tests" ]]; then
    # chromium + chromium-driver: the browser tests (Tests/Browser) drive the console in them.
    # openssl: the TLS tests make their certificates with it.
    # libtcmalloc-minimal4: preloaded ahead of jemalloc, the allocator test checks what workflowd then says.
    packages+=(protobuf-compiler grpc-proto nghttp2-client python3-venv poppler-utils chromium chromium-driver openssl libtcmalloc-minimal4)
fi
if [[ "${1:-}" == "--bench" ]]; then
    packages+=(protobuf-compiler protobuf-compiler-grpc libgrpc++-dev g++ nghttp2-client python3)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ "$(id -u)" -ne 0 ]] && sudo="sudo"
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
