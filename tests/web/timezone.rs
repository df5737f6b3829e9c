//! Times in the viewed user's time zone through the browser's Intl, and the
//! label that says so.

use leptos::{mount::mount_to, prelude::*};
use leptos_router::components::Router;
use viewas::{
    components::SessionFrame,
    provide_app_contexts,
    time::{self, Style},
};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

#[wasm_bindgen_test]
fn times_are_formatted_in_the_given_zone() {
    // 13:32 UTC in November is 14:32 in Prague (CET) and 08:32 in New York.
    let ts = "2026-11-25T13:32:00Z";
    assert_eq!(time::format_ts(ts, "Europe/Prague", Style::Time), "14:32");
    assert_eq!(
        time::format_ts(ts, "America/New_York", Style::Time),
        "08:32"
    );
    assert_eq!(time::format_ts(ts, "Asia/Kolkata", Style::Time), "19:02");
    // In summer Prague is UTC+2: the browser knows, no table of ours does.
    assert_eq!(
        time::format_ts("2026-07-01T13:32:00Z", "Europe/Prague", Style::Time),
        "15:32"
    );
    assert_eq!(
        time::format_ts(ts, "Europe/Prague", Style::DateTime),
        "25 Nov 2026, 14:32"
    );
    // An unknown zone falls back to UTC and says so instead of failing.
    assert_eq!(
        time::format_ts(ts, "Mars/Olympus", Style::Time),
        "13:32 UTC"
    );
    assert_eq!(time::mm_ss(299), "04:59");
    assert_eq!(time::mm_ss(0), "00:00");
}

#[wasm_bindgen_test]
async fn the_session_layout_names_the_time_zone_and_whose_it_is() {
    reset();
    let t = FakeTransport::always(200, "[]");
    let el = container();
    let arc = t.arc();
    let _dispose = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts(arc);
        ctx.start(started(alice(), 7, 1800));
        view! {
            <Router>
                <SessionFrame>
                    <p>"page"</p>
                </SessionFrame>
            </Router>
        }
    });
    settle().await;
    let label = text_of(&el, ".zone-note");
    assert!(
        label.contains("times in Europe/Prague, Alice Novak's timezone"),
        "{label}"
    );
    // The banner is above the page, and the page is inside <main>.
    assert!(el
        .query_selector("section[role=region] + *")
        .unwrap()
        .is_some());
    assert!(text_of(&el, "main").ends_with("page"));
    assert!(
        el.query_selector("main .zone-note").unwrap().is_some(),
        "inside <main>"
    );

    let mut bob = alice();
    bob.name = "Bob Stone".into();
    bob.timezone = "America/New_York".into();
    let el2 = container();
    let t2 = FakeTransport::always(200, "[]");
    let arc2 = t2.arc();
    reset();
    let _dispose2 = mount_to(el2.clone(), move || {
        let (ctx, _) = provide_app_contexts(arc2);
        ctx.start(started(bob, 8, 1800));
        view! {
            <Router>
                <SessionFrame>
                    <p>"page"</p>
                </SessionFrame>
            </Router>
        }
    });
    settle().await;
    assert!(text_of(&el2, ".zone-note").contains("times in America/New_York, Bob Stone's timezone"));
}
