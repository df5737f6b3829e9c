#!/usr/bin/env bash
# Bundle size: wasm, js and css of the release build, raw, gzip and brotli,
# against a bare Leptos 0.8 + leptos_router "hello" app built here with the
# same toolchain, profile and wasm-opt settings.
# Budget: total gzip <= 2.0x the reference's, and <= 200 KB.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

OUT="${BENCH_OUT:-bench-out}"
mkdir -p "$OUT"
REF="$OUT/hello-ref"

# The reference app: one route, one component, same index.html attributes.
rm -rf "$REF" && mkdir -p "$REF/src"
cp Cargo.lock "$REF/Cargo.lock"
cat >"$REF/Cargo.toml" <<TOML
[package]
name = "hello-ref"
version = "0.1.0"
edition = "2021"

[workspace]

[dependencies]
leptos = { version = "0.8", features = ["csr"] }
leptos_router = "0.8"
wasm-bindgen = "=$(wasm_bindgen_version)"

$(sed -n '/^\[profile.wasm-release\]/,/^$/p' Cargo.toml)
TOML
cat >"$REF/src/main.rs" <<'RS'
use leptos::prelude::*;
use leptos_router::{components::*, path};

#[component]
fn Hello() -> impl IntoView {
    view! { <h1>"Hello"</h1> }
}

fn main() {
    leptos::mount::mount_to_body(|| {
        view! {
            <Router>
                <Routes fallback=|| "Not found">
                    <Route path=path!("") view=Hello/>
                </Routes>
            </Router>
        }
    });
}
RS
sed -e '/rel="css"/d' -e '/rel="copy-dir"/d' -e 's/data-bin="viewas"/data-bin="hello-ref"/' index.html >"$REF/index.html"
echo "/* reference */" >"$REF/empty.css"

say "Building the reference hello app"
(cd "$REF" && CARGO_TARGET_DIR="$PWD/../../target/bench-ref" trunk build --release --offline >/dev/null)
[ -d dist ] || build_spa >/dev/null

sizes() { # dir ext -> raw gzip brotli (bytes, summed over files)
  local raw=0 gz=0 br=0 f
  for f in "$1"/*."$2"; do
    [ -e "$f" ] || continue
    raw=$((raw + $(stat -c %s "$f")))
    gz=$((gz + $(gzip -9 -c "$f" | wc -c)))
    br=$((br + $(brotli -q 11 -c "$f" | wc -c)))
  done
  echo "$raw $gz $br"
}

printf '\n%-10s %-5s %10s %10s %10s\n' app kind raw gzip brotli
declare -A TOTAL
for app in viewas reference; do
  dir=dist
  [ "$app" = reference ] && dir="$REF/dist"
  tr=0 tg=0 tb=0
  for ext in wasm js css html; do
    read -r r g b < <(sizes "$dir" "$ext")
    printf '%-10s %-5s %10d %10d %10d\n' "$app" "$ext" "$r" "$g" "$b"
    tr=$((tr + r)) tg=$((tg + g)) tb=$((tb + b))
  done
  printf '%-10s %-5s %10d %10d %10d\n' "$app" total "$tr" "$tg" "$tb"
  TOTAL[$app]=$tg
done

ratio=$(awk -v a="${TOTAL[viewas]}" -v b="${TOTAL[reference]}" 'BEGIN { printf "%.2f", a / b }')
kb=$(awk -v a="${TOTAL[viewas]}" 'BEGIN { printf "%.1f", a / 1024 }')
echo
echo "bundle: first load ${kb} KB gzip, ${ratio}x the reference (budget <= 2.00x and <= 200 KB)"
fail=0
awk -v r="$ratio" 'BEGIN { exit !(r > 2.0) }' && { echo "BUDGET EXCEEDED: bundle gzip ratio ${ratio}x > 2.0x"; fail=1; }
[ "${TOTAL[viewas]}" -gt $((200 * 1024)) ] && { echo "BUDGET EXCEEDED: bundle gzip ${kb} KB > 200 KB"; fail=1; }
exit $fail
