#!/usr/bin/env bash
# Installs what `make run` and `make test` need, only when it is missing or at
# the wrong version. A second run only checks, and takes seconds.
#
#   wasm32 target, clippy, rustfmt   (rustup)
#   trunk 0.21.14                    (cargo install; Trunk 0.22 needs a newer rustc)
#   wasm-bindgen-cli = Cargo.lock    (cargo install; Trunk runs offline and uses it)
#   wasm-split-cli 0.2.4             (cargo install; splits the release wasm into
#                                     the shell and one module per page)
#   chromium, chromium-driver        (apt; the only browser tests may use)
#   brotli                           (apt; build_spa writes .br twins of the bundle)
#   binaryen's wasm-opt 132          (npm ci in tools/; Debian's 108 miscompiles
#                                     the externref table of current wasm-bindgen output)
#   e2e npm packages                 (npm ci in e2e/)
set -euo pipefail

cd "$(dirname "$0")/.."
. scripts/lib.sh

TRUNK_VERSION="0.21.14"
APT_UPDATED=""

step() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }
ok() { printf '[bootstrap]   ok: %s\n' "$*"; }
fail() {
  printf '\033[31m[bootstrap] FAILED: %s\033[0m\n' "$*" >&2
  exit 1
}

apt_install() {
  command -v apt-get >/dev/null || fail "apt-get not found: install $* by hand"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "$APT_UPDATED" ]; then
    step "apt-get update"
    $sudo apt-get update -qq || fail "apt-get update (needed to install $*)"
    APT_UPDATED=1
  fi
  step "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null ||
    fail "apt-get install $* (Debian packages)"
}

step "Rust toolchain"
command -v cargo >/dev/null || fail "cargo not found: install Rust with rustup first"
ok "$(rustc --version)"

step "wasm32-unknown-unknown target"
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  ok "installed"
else
  rustup target add wasm32-unknown-unknown || fail "rustup target add wasm32-unknown-unknown"
fi

step "rustfmt and clippy"
if cargo fmt --version >/dev/null 2>&1 && cargo clippy --version >/dev/null 2>&1; then
  ok "installed"
else
  rustup component add rustfmt clippy || fail "rustup component add rustfmt clippy"
fi

step "trunk $TRUNK_VERSION"
if [ "$(trunk --version 2>/dev/null)" = "trunk $TRUNK_VERSION" ]; then
  ok "installed"
else
  step "cargo install trunk $TRUNK_VERSION (about 10 minutes on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked || fail "cargo install trunk $TRUNK_VERSION"
fi

WBG="$(wasm_bindgen_version)"
[ -n "$WBG" ] || fail "no wasm-bindgen entry in Cargo.lock (run cargo generate-lockfile)"
step "wasm-bindgen-cli $WBG (the version in Cargo.lock)"
if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $WBG" ] &&
  command -v wasm-bindgen-test-runner >/dev/null; then
  ok "installed"
else
  # --locked can fail to resolve on this toolchain; fall back to a fresh resolve.
  cargo install wasm-bindgen-cli --version "$WBG" --locked ||
    cargo install wasm-bindgen-cli --version "$WBG" ||
    fail "cargo install wasm-bindgen-cli --version $WBG"
fi

WSPLIT="0.2.4"
step "wasm-split-cli $WSPLIT (splits the bundle per page)"
if [ "$(cat "$HOME/.cargo/.viewas-wasm-split" 2>/dev/null)" = "$WSPLIT" ] && command -v wasm-split-cli >/dev/null; then
  ok "installed"
else
  cargo install --locked "wasm_split_cli_support@$WSPLIT" --features build-binary ||
    fail "cargo install wasm_split_cli_support@$WSPLIT --features build-binary"
  echo "$WSPLIT" >"$HOME/.cargo/.viewas-wasm-split"
fi

step "Debian chromium and chromium-driver"
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if [ ${#missing[@]} -eq 0 ]; then
  ok "$(chromium --version 2>/dev/null | head -1)"
else
  apt_install "${missing[@]}"
fi

step "Debian brotli (the SPA's precompressed twins)"
if command -v brotli >/dev/null; then ok "$(brotli --version 2>/dev/null | head -1)"; else apt_install brotli; fi

command -v node >/dev/null || fail "node not found: install Node.js 20 (Debian: nodejs npm)"

# npm packages of a folder, installed from its lock file; node_modules keeps
# the hash of the lock it came from, so an unchanged lock is not reinstalled.
npm_folder() {
  local dir="$1" what="$2" lock_hash
  step "$what ($dir/)"
  lock_hash="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$dir/node_modules/.viewas-lock-hash" 2>/dev/null)" = "$lock_hash" ]; then
    ok "installed"
  else
    # Browser test tools must use the system Chromium: never download a browser.
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) ||
      fail "npm ci in $dir/ (npm registry)"
    echo "$lock_hash" >"$dir/node_modules/.viewas-lock-hash"
  fi
}

npm_folder tools "wasm-opt 132 (binaryen from npm)"
npm_folder e2e "end-to-end suite packages"

# make bench only: the load generator.
if [ "${1:-}" = "--bench" ]; then
  step "wrk (benchmarks)"
  if command -v wrk >/dev/null; then ok "installed"; else apt_install wrk; fi
fi

step "ready"
