//! Type erasure at view boundaries, to keep the wasm small.
//!
//! Every `{move || ...}` and every `Suspend::new(async { ... })` in a view
//! is its own type, and Leptos compiles its render, rebuild and polling code
//! once per type. Behind these helpers they share one type each (a shared
//! `FnMut() -> AnyView`, a boxed future of `AnyView`), so that code is
//! compiled once. The same idea as Leptos's `--cfg erase_components`.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
};

use leptos::{prelude::*, tachys::reactive_graph::SharedReactiveFunction};

/// A reactive view: `{reactive(move || ...into_any())}`.
pub fn reactive(f: impl FnMut() -> AnyView + Send + 'static) -> SharedReactiveFunction<AnyView> {
    Arc::new(Mutex::new(f))
}

/// Async content: `suspend(async move { ...into_any() })`.
pub fn suspend(fut: impl Future<Output = AnyView> + Send + 'static) -> AnyView {
    let fut: Pin<Box<dyn Future<Output = AnyView> + Send>> = Box::pin(fut);
    Suspend::new(fut).into_any()
}
