//! The shared table and "Load more" pieces of the list pages.

use std::sync::{Arc, Mutex};

use leptos::{mount::mount_to, prelude::*};
use viewas::{
    api::ApiErr,
    components::{DataTable, LoadMore},
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

#[wasm_bindgen_test]
async fn load_more_asks_for_the_next_cursor_waits_and_says_what_arrived() {
    reset();
    let asked = Arc::new(Mutex::new(Vec::<String>::new()));
    let cursor = RwSignal::new(Some("c2".to_string()));
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiErr>);
    let loaded = RwSignal::new(0usize);
    let log = asked.clone();
    let el = container();
    let _h = mount_to(el.clone().unchecked_into(), move || {
        let log = log.clone();
        view! {
            <LoadMore
                cursor=cursor
                on_load=Callback::new(move |c: String| {
                    if let Ok(mut l) = log.lock() {
                        l.push(c);
                    }
                })
                loading=loading
                error=error
                loaded=loaded
                noun="runs"
            />
        }
    });
    settle().await;
    click(&el, ".load-more button");
    assert_eq!(
        asked.lock().map(|l| l.clone()).unwrap_or_default(),
        vec!["c2".to_string()]
    );

    loading.set(true);
    settle().await;
    let button = find(&el, ".load-more button");
    assert!(
        button.has_attribute("disabled"),
        "no second request while one is on its way"
    );
    assert_eq!(button.text_content().unwrap_or_default(), "Loading…");

    loading.set(false);
    loaded.set(50);
    error.set(Some(ApiErr::Timeout));
    settle().await;
    assert_eq!(
        text_of(&el, ".load-more [role=status]"),
        "50 more runs loaded."
    );
    assert!(text_of(&el, ".error-panel").contains("took too long"));

    cursor.set(None);
    settle().await;
    assert!(
        el.query_selector(".load-more button")
            .ok()
            .flatten()
            .is_none(),
        "the list is complete"
    );
}

#[wasm_bindgen_test]
async fn a_data_table_has_its_caption_and_column_headers() {
    reset();
    let el = container();
    let _h = mount_to(el.clone().unchecked_into(), || {
        view! {
            <DataTable headers=&["Run", "Status"] caption="Runs, newest first" wrap="events">
                <tbody><tr><th scope="row">"#1"</th><td>"Failed"</td></tr></tbody>
            </DataTable>
        }
    });
    settle().await;
    assert_eq!(
        text_of(&el, "caption.visually-hidden"),
        "Runs, newest first"
    );
    let heads = el
        .query_selector_all("thead th[scope=col]")
        .map(|l| l.length())
        .unwrap_or(0);
    assert_eq!(heads, 2);
    assert_eq!(text_of(&el, "thead th:first-child"), "Run");
    assert!(el
        .query_selector(".table-wrap.events table.data tbody")
        .ok()
        .flatten()
        .is_some());
}
