#!/usr/bin/env bash
# Splits the release SPA in dist/ into a main module and page modules.
#
# Trunk builds with the `split` feature (src/lazy.rs marks each page as a
# split point) but knows nothing of splitting, so this replaces its wasm and
# glue: wasm-split-cli cuts cargo's module (linked with --emit-relocs) into
# the main module, one module per page and chunks shared by several pages,
# plus __wasm_split.js that fetches them; wasm-bindgen then makes the glue of
# the main module, and wasm-opt -Oz (index.html's flags) shrinks every
# module. wasm-opt must not run before the split: it drops the relocations
# the split reads.
#
# The page modules get a content hash in their names, like Trunk's files, so
# a browser never mixes modules of two builds.
#
# Usage: scripts/split_spa.sh DIST   (after trunk build --release --features split)
set -euo pipefail
cd "$(dirname "$0")/.."

DIST="${1:?usage: scripts/split_spa.sh DIST}"
WASM=target/wasm32-unknown-unknown/wasm-release/viewas.wasm
[ -f "$WASM" ] || { echo "split_spa: $WASM is missing (trunk build --release --features split first)" >&2; exit 1; }

glue="$(ls "$DIST"/viewas-*.js 2>/dev/null | head -1)"
[ -n "$glue" ] || { echo "split_spa: no viewas-*.js in $DIST (not a Trunk build?)" >&2; exit 1; }
stem="$(basename "$glue" .js)"

# index.html's wasm-opt flags: the features the module may use.
opt_flags="$(sed -n 's/.*data-wasm-opt-params="\([^"]*\)".*/\1/p' index.html)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

wasm-split-cli "$WASM" "$work/split" --out-name "$stem"
wasm-bindgen "$work/split/$stem.wasm" --target web --keep-lld-exports --no-typescript \
  --out-dir "$work/bindgen" --out-name "$stem"

hash8() { sha256sum "$1" | cut -c1-16; }

# The main module and its glue replace Trunk's.
wasm-opt -Oz $opt_flags "$work/bindgen/${stem}_bg.wasm" -o "$DIST/${stem}_bg.wasm"

# Page modules and shared chunks, renamed with their hash; the loader's
# references follow.
loader="$work/split/__wasm_split.js"
rm -f "$DIST"/split_*.wasm "$DIST"/chunk_*.wasm "$DIST"/__wasm_split*.js
for m in "$work/split"/split_*.wasm "$work/split"/chunk_*.wasm; do
  [ -f "$m" ] || continue
  name="$(basename "$m" .wasm)"
  wasm-opt -Oz $opt_flags "$m" -o "$work/$name.wasm"
  hashed="$name-$(hash8 "$work/$name.wasm").wasm"
  mv "$work/$name.wasm" "$DIST/$hashed"
  sed -i "s|\"\\./$name\\.wasm\"|\"./$hashed\"|g" "$loader"
done
grep -q '"\./\(split\|chunk\)_[a-z0-9_]*\.wasm"' "$loader" &&
  { echo "split_spa: a module the loader fetches was not written" >&2; exit 1; }

loader_name="__wasm_split-$(hash8 "$loader").js"
cp "$loader" "$DIST/$loader_name"
# Only the import statements' paths change: the keys of the imports object
# are the main module's import namespace, which stays ./__wasm_split.js.
sed "s|^\\(import .* from \\)\"\\./__wasm_split\\.js\"|\\1\"./$loader_name\"|" "$work/bindgen/$stem.js" >"$DIST/$stem.js"
grep -q "^import .* from \"./$loader_name\"" "$DIST/$stem.js" && grep -q '"\./__wasm_split\.js": ' "$DIST/$stem.js" ||
  { echo "split_spa: the glue does not import the loader as expected (wasm-bindgen output changed?)" >&2; exit 1; }
