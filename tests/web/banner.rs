//! The banner: who is being viewed, isolated from bidi tricks, read-only,
//! time left.

use leptos::{mount::mount_to, prelude::*};
use leptos_router::components::Router;
use viewas::{components::Banner, provide_app_contexts};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

#[wasm_bindgen_test]
async fn banner_says_who_is_viewed_and_that_it_is_read_only() {
    reset();
    let el = container();
    let t = FakeTransport::always(200, "{}");
    let _dispose = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts(t.arc());
        ctx.start(started(alice(), 7, 1800));
        view! { <Router><Banner /></Router> }
    });
    settle().await;

    let region = el
        .query_selector("section[role=region][aria-label='Impersonation session']")
        .unwrap()
        .expect("the banner is a named region");
    let text = region.text_content().unwrap_or_default();
    assert!(
        text.starts_with("Viewing as Alice Novak (alice@acme.example)"),
        "{text}"
    );
    assert!(text.contains("Acme Logistics"), "{text}");
    assert!(text.contains("Read-only"), "{text}");
    assert_eq!(text_of(&el, "bdi.banner-name"), "Alice Novak");
    let left = text_of(&el, ".time-left");
    assert!(left == "30:00" || left == "29:59", "time left {left}");
    let buttons: Vec<String> = (0..4)
        .filter_map(|i| el.query_selector_all("button").ok()?.item(i))
        .filter_map(|b| b.text_content())
        .collect();
    assert!(
        buttons.iter().any(|b| b.starts_with("Notes")),
        "{buttons:?}"
    );
    assert!(buttons.iter().any(|b| b == "Exit"), "{buttons:?}");
}
