# Helpers shared by scripts/run.sh and scripts/test.sh.
# wasm-opt comes from tools/ (npm binaryen), ahead of any system one.
export PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# The SPA, release build: Trunk offline, the system wasm-bindgen and wasm-opt,
# the wasm-only size profile (see index.html and Cargo.toml).
build_spa() {
  say "Building the SPA (trunk build --release, offline)"
  trunk build --release --offline
}

build_server() {
  say "Building viewas-server (release)"
  cargo build --release -p viewas-server
}

# The wasm-bindgen crate version in Cargo.lock: the CLI (and the reference app
# of bench/bundle.sh) must match it exactly.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}
