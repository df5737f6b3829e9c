#!/usr/bin/env bash
# Bundle size: wasm, js and css of the release build, raw, gzip and brotli,
# against a bare Leptos 0.8 + leptos_router "hello" app built here with the
# same toolchain, profile and wasm-opt settings. Prints the first load (what
# a browser fetches to show the first page), what each split part adds when
# first shown, and everything together.
# Budgets, each <= 3.5x the reference's first load and <= 300 KB (gzip, each
# file counted once): the bytes from the sign-in page to a usable Find a user
# page, and the bytes Start fetches to show the banner with assignments.
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
# Trunk runs wasm-opt -Oz with our params for the reference (ours runs in
# scripts/split_spa.sh, after the split).
sed -e '/rel="css"/d' -e '/rel="copy-dir"/d' -e 's/data-bin="viewas"/data-bin="hello-ref"/' \
  -e 's/data-wasm-opt="0"/data-wasm-opt="z"/' index.html >"$REF/index.html"
grep -q 'data-wasm-opt="z"' "$REF/index.html" || { echo "bundle.sh: the reference would not be optimised"; exit 1; }
echo "/* reference */" >"$REF/empty.css"

say "Building the reference hello app"
(cd "$REF" && CARGO_TARGET_DIR="$PWD/../../target/bench-ref" trunk build --release --offline >/dev/null)
[ -d dist ] || build_spa >/dev/null

# The files a browser fetches to show the first page: index.html, what it
# links (css, the glue, the main wasm) and the modules the glue imports (the
# split loader). The page modules come later, when their pages are shown or
# preloaded.
first_load() { # dir -> file names
  local dir="$1" f
  echo index.html
  grep -oE '(href|src)="/?[^"/:]+\.(js|wasm|css)"' "$dir/index.html" | sed -E 's/^(href|src)="\/?//; s/"$//' | sort -u
  for f in $(grep -oE 'href="/?[^"/:]+\.js"' "$dir/index.html" | sed -E 's/^href="\/?//; s/"$//'); do
    grep -oE '^import .* from "\./[^"]+\.js"' "$dir/$f" | sed -E 's/.*"\.\/([^"]+)"/\1/' || true
  done | sort -u
}

sizes() { # dir files... -> raw gzip brotli (bytes, summed over files)
  local dir="$1" raw=0 gz=0 br=0 f
  shift
  for f in "$@"; do
    [ -e "$dir/$f" ] || { echo "bundle.sh: $dir/$f is linked but missing" >&2; exit 1; }
    raw=$((raw + $(stat -c %s "$dir/$f")))
    gz=$((gz + $(gzip -9 -c "$dir/$f" | wc -c)))
    br=$((br + $(brotli -q 11 -c "$dir/$f" | wc -c)))
  done
  echo "$raw $gz $br"
}

printf '\nFirst load (the files fetched to show the first page)\n'
printf '%-10s %-5s %10s %10s %10s\n' app kind raw gzip brotli
declare -A TOTAL
for app in viewas reference; do
  dir=dist
  [ "$app" = reference ] && dir="$REF/dist"
  mapfile -t files < <(first_load "$dir")
  tr=0 tg=0 tb=0
  for ext in wasm js css html; do
    mapfile -t these < <(printf '%s\n' "${files[@]}" | grep "\.$ext\$" || true)
    read -r r g b < <(sizes "$dir" "${these[@]}")
    printf '%-10s %-5s %10d %10d %10d\n' "$app" "$ext" "$r" "$g" "$b"
    tr=$((tr + r)) tg=$((tg + g)) tb=$((tb + b))
  done
  printf '%-10s %-5s %10d %10d %10d\n' "$app" total "$tr" "$tg" "$tb"
  TOTAL[$app]=$tg
done

# What each split part fetches when first shown (its module and the chunks
# it needs, from the loader's table), on top of the first load.
loader="$(first_load dist | grep '^__wasm_split' || true)"
if [ -n "$loader" ]; then
  printf '\n%-34s %8s %10s %10s\n' "part, fetched when first shown" modules gzip brotli
  node -e '
    const src = require("fs").readFileSync(process.argv[1], "utf8");
    const mods = {};
    const re = /const (__\w+) = (?:wrapAsyncCb\()?makeLoad\(\(\) => \{\s*const src = fetch\(new URL\("\.\/([^"]+)"[\s\S]*?\n\s*,\s*\[([^\]]*)\]/g;
    for (const m of src.matchAll(re)) mods[m[1]] = { file: m[2], deps: m[3].split(",").map((d) => d.trim()).filter(Boolean) };
    const files = (name, seen = new Set()) => {
      if (seen.has(name)) return seen;
      seen.add(name);
      for (const d of mods[name].deps) files(d, seen);
      return seen;
    };
    for (const name of Object.keys(mods).filter((n) => n.startsWith("__wasm_split_load_")))
      console.log(name.slice("__wasm_split_load_".length), [...files(name)].map((n) => mods[n].file).join(" "));
  ' "dist/$loader" | sort >"$OUT/parts.txt"
  [ -s "$OUT/parts.txt" ] || { echo "bundle.sh: no parts read from dist/$loader (its format changed?)"; exit 1; }
  while read -r part mods; do
    read -r _ g b < <(sizes dist $mods)
    printf '%-34s %8d %10d %10d\n' "$part" "$(wc -w <<<"$mods")" "$g" "$b"
  done <"$OUT/parts.txt"
fi

# Everything the console can fetch: the first load plus every page module
# and chunk (scripts/split_spa.sh).
mapfile -t later < <(cd dist && ls split_*.wasm chunk_*.wasm 2>/dev/null || true)
read -r r g b < <(sizes dist $(first_load dist) "${later[@]}")
printf '\n%-34s %10d %10d %10d\n' "viewas, all ${#later[@]} page modules too" "$r" "$g" "$b"

kb() { awk -v a="$1" 'BEGIN { printf "%.1f", a / 1024 }'; }
echo
echo "first load: $(kb "${TOTAL[viewas]}") KB gzip; the reference app: $(kb "${TOTAL[reference]}") KB gzip"

# The files of the first load plus those of the named parts, each once.
# Parts are matched by name (the split loader names them after the split
# points), so a renamed page fails here instead of silently counting nothing.
journey_files() { # part-name patterns...
  local pat part mods files=()
  mapfile -t files < <(first_load dist)
  for pat in "$@"; do
    part="$(grep -iE "^[^ ]*${pat}[^ ]* " "$OUT/parts.txt" | head -1 || true)"
    [ -n "$part" ] || { echo "bundle.sh: no split part matches '$pat' (parts: $(cut -d' ' -f1 "$OUT/parts.txt" | tr '\n' ' '))" >&2; return 1; }
    read -r _ mods <<<"$part"
    files+=($mods)
  done
  printf '%s\n' "${files[@]}" | sort -u
}

# Prints a journey's bytes and holds them to the budget: <= 3.5x the bare
# app's first load and <= 300 KB.
journey() { # label, files...
  local label="$1" g r
  shift
  read -r _ g _ < <(sizes dist "$@")
  r=$(awk -v a="$g" -v b="${TOTAL[reference]}" 'BEGIN { printf "%.2f", a / b }')
  printf '%-52s %8s KB gzip  %sx the reference\n' "$label" "$(kb "$g")" "$r"
  if awk -v r="$r" 'BEGIN { exit !(r > 3.5) }' || [ "$g" -gt $((300 * 1024)) ]; then
    echo "BUDGET EXCEEDED: $label: $(kb "$g") KB gzip, ${r}x (budget <= 3.5x and <= 300 KB)"
    return 1
  fi
  echo "  budget ok: $label <= 3.5x and <= 300 KB"
}

[ -s "$OUT/parts.txt" ] || { echo "bundle.sh: the release build has no split parts"; exit 1; }
mapfile -t to_find < <(journey_files admin_frame find_user) || exit 1
mapfile -t to_banner < <(journey_files admin_frame find_user session_frame assignments) || exit 1
# What Start adds: the session layout and the assignments page, less what
# the way to Find a user already fetched.
mapfile -t after_start < <(comm -13 <(printf '%s\n' "${to_find[@]}") <(printf '%s\n' "${to_banner[@]}"))
fail=0
journey "sign-in page -> usable Find a user" "${to_find[@]}" || fail=1
journey "Start -> banner with assignments" "${after_start[@]}" || fail=1
read -r _ g _ < <(sizes dist "${to_banner[@]}")
printf '%-52s %8s KB gzip (printed, not budgeted)\n' "sign-in page -> Start -> banner, in all" "$(kb "$g")"
exit $fail
