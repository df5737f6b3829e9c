//! Component tests of the viewas SPA, run in headless Chromium by
//! wasm-bindgen-test: `cargo test --target wasm32-unknown-unknown -p viewas`.
//!
//! All tests share one page (and its sessionStorage), so each starts with
//! [`support::reset`] and mounts into its own fresh element.

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod support;

mod banner;
mod context;
mod decoding;
mod guard;
mod notes;
mod paging;
mod routing;
mod search;
mod start_form;
mod summary;
mod timezone;
