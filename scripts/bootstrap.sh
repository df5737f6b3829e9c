#!/usr/bin/env bash
# Installs what `make run` and `make test` need, only when it is missing or at
# the wrong version. A second run only checks, and takes seconds.
#
#   wasm32 target, clippy, rustfmt   (rustup)
#   trunk 0.21.14                    (cargo install; Trunk 0.22 needs a newer rustc)
#   wasm-bindgen-cli = Cargo.lock    (cargo install; Trunk runs offline and uses it)
#   chromium, chromium-driver,       (apt; the only browser tests may use)
#   binaryen (wasm-opt)
#   e2e npm packages                 (npm ci in e2e/)
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TRUNK_VERSION="0.21.14"
APT_UPDATED=""

step() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }
ok() { printf '[bootstrap]   ok: %s\n' "$*"; }
fail() {
  printf '\033[31m[bootstrap] FAILED: %s\033[0m\n' "$*" >&2
  exit 1
}

# The wasm-bindgen crate version in Cargo.lock: the CLI must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
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

step "Debian chromium, chromium-driver, binaryen (wasm-opt)"
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v wasm-opt >/dev/null || missing+=(binaryen)
if [ ${#missing[@]} -eq 0 ]; then
  ok "$(chromium --version 2>/dev/null | head -1); $(wasm-opt --version 2>/dev/null)"
else
  apt_install "${missing[@]}"
fi

step "end-to-end suite packages (e2e/)"
command -v node >/dev/null || fail "node not found: install Node.js 20 (Debian: nodejs npm)"
# node_modules carries the hash of the lock file it was installed from.
lock_hash="$(sha256sum e2e/package-lock.json | cut -d' ' -f1)"
if [ "$(cat e2e/node_modules/.viewas-lock-hash 2>/dev/null)" = "$lock_hash" ]; then
  ok "installed"
else
  # Browser test tools must use the system Chromium: never download a browser.
  (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) ||
    fail "npm ci in e2e/ (npm registry)"
  echo "$lock_hash" >e2e/node_modules/.viewas-lock-hash
fi

step "ready"
