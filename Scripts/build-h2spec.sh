#!/usr/bin/env bash
# Builds h2spec, the HTTP/2 conformance suite (https://github.com/summerwind/h2spec), from its
# source with Debian's Go toolchain and Go library packages: h2spec is not packaged in Debian, and
# its source is fetched here, never committed. The binary goes to .build/h2spec/h2spec (git-ignored)
# and its path is the last line on stdout; a binary already built from the pinned commit is reused.
# Usage: Scripts/build-h2spec.sh
# Exits non-zero, saying why on stderr, if it cannot build (no apt, no source, a compile error).
#
# The source, in this order:
#   1. $H2SPEC_SOURCE: a git repository (work tree or git dir) holding the pinned commit, or a
#      plain directory of h2spec's source, used as it is;
#   2. a git mirror at /work/.mirror/summerwind+h2spec/repo or ../.mirror/summerwind+h2spec/repo
#      (relative to the repository root);
#   3. git clone --depth 1 --branch $h2spec_tag https://github.com/summerwind/h2spec.
#
# Built in GOPATH mode (GO111MODULE=off) against Debian's libraries under /usr/share/gocode
# (bookworm: golang.org/x/net 0.7.0, cobra 1.6.1, fatih/color 1.7.0), not against the versions
# h2spec's go.mod names (2016-17 snapshots); h2spec v2.6.0 compiles against them unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# v2.6.0 (2020-08-04), the last release: 146 test cases, 147 with --strict.
h2spec_tag=v2.6.0
h2spec_commit=70ac2294010887f48b18e2d64f5cccd48421fad1

out=$root/.build/h2spec
binary=$out/h2spec
stamp=$out/h2spec.commit

fail() {
    echo "build-h2spec: $*" >&2
    exit 1
}

if [[ -x $binary && "$(cat "$stamp" 2>/dev/null)" == "$h2spec_commit" ]]; then
    echo "build-h2spec: h2spec $h2spec_tag already built" >&2
    echo "$binary"
    exit 0
fi

# Debian's Go and the libraries h2spec imports (their own dependencies come with them:
# x/text, x/sys, pflag, go-colorable, go-isatty). No cgo, so no C compiler.
packages=(golang-go golang-golang-x-net-dev golang-github-spf13-cobra-dev golang-github-fatih-color-dev)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    command -v apt-get >/dev/null || fail "no apt-get to install ${missing[*]} (h2spec needs Debian's Go packages)"
    sudo=""
    if [[ "$(id -u)" -ne 0 ]]; then
        command -v sudo >/dev/null || fail "not root and no sudo: cannot install ${missing[*]}"
        sudo="sudo"
    fi
    echo "build-h2spec: installing ${missing[*]}" >&2
    $sudo apt-get update -qq || fail "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || fail "apt-get install ${missing[*]} failed"
fi
command -v go >/dev/null || fail "golang-go is installed but 'go' is not on PATH"

# A fresh GOPATH whose only package is h2spec at the pinned commit.
gopath=$out/gopath
package_dir=$gopath/src/github.com/summerwind/h2spec
rm -rf "$gopath"
mkdir -p "$package_dir"

# Exports the pinned commit from git repository $1 into the GOPATH; fails if it lacks the commit.
export_commit() {
    git --git-dir="$1" cat-file -e "$h2spec_commit^{commit}" 2>/dev/null || return 1
    git --git-dir="$1" archive "$h2spec_commit" | tar -x -C "$package_dir"
}

source_used=""
built_from=$h2spec_commit # the stamp: a plain directory's build is not reused as the pinned one
if [[ -n "${H2SPEC_SOURCE:-}" ]]; then
    [[ -d $H2SPEC_SOURCE ]] || fail "H2SPEC_SOURCE=$H2SPEC_SOURCE is not a directory"
    if git_dir=$(git -C "$H2SPEC_SOURCE" rev-parse --absolute-git-dir 2>/dev/null); then
        export_commit "$git_dir" || fail "H2SPEC_SOURCE=$H2SPEC_SOURCE has no commit $h2spec_commit ($h2spec_tag)"
        source_used="$H2SPEC_SOURCE at $h2spec_tag"
    else
        [[ -f $H2SPEC_SOURCE/cmd/h2spec/h2spec.go ]] || fail "H2SPEC_SOURCE=$H2SPEC_SOURCE holds no h2spec source (no cmd/h2spec/h2spec.go)"
        cp -R "$H2SPEC_SOURCE/." "$package_dir/"
        source_used="$H2SPEC_SOURCE as it is (not a git repository: version unchecked)"
        built_from="unchecked source $H2SPEC_SOURCE"
    fi
else
    for mirror in /work/.mirror/summerwind+h2spec/repo "$root/../.mirror/summerwind+h2spec/repo"; do
        if [[ -d $mirror ]] && export_commit "$mirror"; then
            source_used="git mirror $mirror at $h2spec_tag"
            break
        fi
    done
    if [[ -z $source_used ]]; then
        clone=$out/clone
        rm -rf "$clone"
        echo "build-h2spec: cloning https://github.com/summerwind/h2spec $h2spec_tag" >&2
        git clone --quiet --depth 1 --branch "$h2spec_tag" https://github.com/summerwind/h2spec "$clone" \
            || fail "cannot fetch h2spec's source (git clone of $h2spec_tag failed; set H2SPEC_SOURCE to a copy)"
        export_commit "$clone/.git" || fail "the clone's $h2spec_tag is not commit $h2spec_commit"
        rm -rf "$clone"
        source_used="github.com/summerwind/h2spec at $h2spec_tag"
    fi
fi
echo "build-h2spec: building h2spec from $source_used" >&2

rm -f "$binary" "$stamp"
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS="" GOPROXY=off CGO_ENABLED=0 \
    GOCACHE="$out/gocache" \
    go build -o "$binary" -ldflags "-X main.VERSION=${h2spec_tag#v} -X main.COMMIT=$h2spec_commit" \
        github.com/summerwind/h2spec/cmd/h2spec \
    || fail "go build failed (Go $(go env GOVERSION), against Debian's Go libraries in /usr/share/gocode)"
echo "$built_from" >"$stamp"
echo "build-h2spec: built $binary" >&2
echo "$binary"
