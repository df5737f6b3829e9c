//! The notes drawer: opened from the banner, saved with the session's own
//! token, listed with times in the viewed user's zone.

use leptos::{mount::mount_to, prelude::*};
use leptos_router::components::Router;
use viewas::{client::Method, components::SessionFrame, provide_app_contexts};
use viewas_api::Note;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

#[wasm_bindgen_test]
async fn a_note_is_saved_and_listed_with_its_time() {
    reset();
    let note = json(&Note {
        id: 31,
        session_id: 7,
        text: "Export failed: SFTP key expired".into(),
        created_at: "2026-11-25T13:35:00Z".into(),
    });
    let t = FakeTransport::new(move |req| {
        if req.path == "/api/impersonations/7/notes" {
            respond(201, note.clone())
        } else {
            respond(200, "[]")
        }
    });
    let el = container();
    let arc = t.arc();
    let _dispose = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts(arc);
        ctx.start(started(alice(), 7, 1800));
        view! {
            <Router>
                <SessionFrame>
                    <h1>"page"</h1>
                </SessionFrame>
            </Router>
        }
    });
    settle().await;
    let drawer = find(&el, "#notes-drawer");
    assert!(drawer.hidden(), "closed at first");
    let notes_button = find(&el, "#notes-button");
    assert_eq!(
        notes_button.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    notes_button.click();
    settle().await;
    assert!(!drawer.hidden());
    assert_eq!(
        notes_button.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );

    let textarea = find(&el, "#note-text");
    let area: &web_sys::HtmlTextAreaElement = wasm_bindgen::JsCast::unchecked_ref(&textarea);
    area.set_value("Export failed: SFTP key expired");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    textarea
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
    click(&el, ".notes-form button[type=submit]");
    settle().await;

    let post = t
        .requests()
        .into_iter()
        .find(|r| r.method == Method::Post)
        .expect("a POST");
    assert_eq!(post.path, "/api/impersonations/7/notes");
    assert_eq!(post.bearer.as_deref(), Some("imp-token-7"));
    assert_eq!(
        post.body.as_deref(),
        Some(r#"{"text":"Export failed: SFTP key expired"}"#)
    );
    let listed = text_of(&el, ".notes-list li");
    assert!(
        listed.contains("25 Nov 2026, 14:35"),
        "Prague time: {listed}"
    );
    assert!(listed.contains("Export failed: SFTP key expired"));
    assert_eq!(area.value(), "", "the box is emptied");
    assert_eq!(text_of(&el, ".banner .count"), "1");

    // Escape closes it.
    key(&drawer, "Escape");
    settle().await;
    assert!(drawer.hidden());
}
