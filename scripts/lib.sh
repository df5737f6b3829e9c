# Helpers shared by scripts/run.sh and scripts/test.sh.
# wasm-opt comes from tools/ (npm binaryen), ahead of any system one.
export PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# The SPA, release build: Trunk offline, the system wasm-bindgen, the
# wasm-only size profile (see index.html and Cargo.toml), pages as split
# points (the `split` feature, src/lazy.rs), then scripts/split_spa.sh cuts
# the module into the first load and the pages' modules and runs wasm-opt.
# --emit-relocs only here: wasm-split-cli reads the relocations, other
# builds need not carry them.
build_spa() {
  say "Building the SPA (trunk build --release --features split, offline)"
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components -C link-args=--emit-relocs" \
    trunk build --release --offline --features split
  say "Splitting the SPA's wasm into the first load and page modules (scripts/split_spa.sh)"
  scripts/split_spa.sh dist
  precompress_spa dist
}

# Compressed twins of the bundle (.gz, and .br when brotli is installed),
# which the server sends as they are (server/src/http/web.rs): compressed
# once and harder than on the fly, not again on every first load.
precompress_spa() {
  local f
  say "Compressing the SPA's files (gzip -9, brotli -q 11)"
  for f in "$1"/*.wasm "$1"/*.js "$1"/*.css "$1"/*.html; do
    [ -f "$f" ] || continue
    gzip -9 -n -k -f "$f"
    if command -v brotli >/dev/null; then brotli -q 11 -k -f "$f"; fi
  done
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
