//! The user search: debounced, arrow keys and Enter pick, and a user who
//! may not be viewed says why instead of being picked.

use std::sync::{Arc, Mutex};

use leptos::{mount::mount_to, prelude::*};
use leptos_router::components::Router;
use viewas::{pages::impersonate::UserSearch, provide_app_contexts, session::AuthInfo};
use viewas_api::{Page, UserSearchItem};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

fn item(id: i64, name: &str, email: &str, allowed: bool) -> UserSearchItem {
    let mut user = alice();
    user.id = id;
    user.name = name.into();
    user.email = email.into();
    UserSearchItem {
        user,
        disabled: false,
        last_active: Some("2026-11-24T14:38:22Z".into()),
        can_impersonate: allowed,
        not_allowed_reason: (!allowed).then(|| "Administrators cannot be impersonated".into()),
    }
}

fn results() -> Page<UserSearchItem> {
    Page {
        items: vec![
            item(4, "Alice Novak", "alice@acme.example", true),
            item(5, "Alina Admin", "alina@duvo.example", false),
            item(6, "Alistair Moe", "alistair@acme.example", true),
        ],
        next_cursor: None,
    }
}

struct Mounted {
    el: web_sys::HtmlElement,
    picked: Arc<Mutex<Vec<i64>>>,
    _handle: Box<dyn std::any::Any>,
}

fn mount_search(t: &FakeTransport) -> Mounted {
    let el = container();
    let picked = Arc::new(Mutex::new(Vec::new()));
    let sink = picked.clone();
    let arc = t.arc();
    let handle = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts(arc);
        ctx.sign_in(AuthInfo {
            token: "admin-token".into(),
            user: alice(),
        });
        view! {
            <Router>
                <UserSearch on_pick=Callback::new(move |it: UserSearchItem| {
                    if let Ok(mut p) = sink.lock() {
                        p.push(it.user.id)
                    }
                }) />
            </Router>
        }
    });
    Mounted {
        el,
        picked,
        _handle: Box::new(handle),
    }
}

fn picked(m: &Mounted) -> Vec<i64> {
    m.picked.lock().map(|p| p.clone()).unwrap_or_default()
}

fn active_descendant(input: &web_sys::HtmlElement) -> Option<String> {
    input.get_attribute("aria-activedescendant")
}

#[wasm_bindgen_test]
async fn typing_searches_once_after_a_pause_and_lists_options() {
    reset();
    let body = json(&results());
    let t = FakeTransport::new(move |_| respond(200, body.clone()));
    let m = mount_search(&t);
    settle().await;
    let input = find(&m.el, "#user-search");
    assert_eq!(input.get_attribute("role").as_deref(), Some("combobox"));
    assert_eq!(
        input.get_attribute("aria-controls").as_deref(),
        Some("user-results")
    );

    type_into(&input, "a");
    type_into(&input, "al");
    type_into(&input, "ali");
    sleep_ms(100).await;
    assert_eq!(t.calls(), 0, "no request while typing");
    sleep_ms(400).await;
    settle().await;
    assert_eq!(t.calls(), 1, "one request after the pause");
    let req = &t.requests()[0];
    assert!(req.path.starts_with("/api/users?"), "{}", req.path);
    assert!(req.path.contains("q=ali"), "{}", req.path);
    assert_eq!(req.bearer.as_deref(), Some("admin-token"));

    let options =
        m.el.query_selector_all("[role=listbox] [role=option]")
            .unwrap();
    assert_eq!(options.length(), 3);
    assert_eq!(
        input.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    let blocked = find(&m.el, "#user-option-5");
    assert_eq!(
        blocked.get_attribute("aria-disabled").as_deref(),
        Some("true")
    );
    assert!(blocked
        .text_content()
        .unwrap_or_default()
        .contains("Administrators cannot be impersonated"));
}

#[wasm_bindgen_test]
async fn arrow_keys_move_and_enter_picks() {
    reset();
    let body = json(&results());
    let t = FakeTransport::new(move |_| respond(200, body.clone()));
    let m = mount_search(&t);
    settle().await;
    let input = find(&m.el, "#user-search");
    type_into(&input, "ali");
    sleep_ms(400).await;
    settle().await;

    assert_eq!(active_descendant(&input), None);
    key(&input, "ArrowDown");
    settle().await;
    assert_eq!(active_descendant(&input).as_deref(), Some("user-option-4"));
    assert_eq!(
        find(&m.el, "#user-option-4")
            .get_attribute("aria-selected")
            .as_deref(),
        Some("true")
    );
    key(&input, "ArrowDown");
    key(&input, "ArrowDown");
    key(&input, "ArrowDown"); // stays on the last
    settle().await;
    assert_eq!(active_descendant(&input).as_deref(), Some("user-option-6"));
    key(&input, "ArrowUp");
    settle().await;
    assert_eq!(active_descendant(&input).as_deref(), Some("user-option-5"));
    assert_eq!(
        find(&m.el, "#user-option-4")
            .get_attribute("aria-selected")
            .as_deref(),
        Some("false")
    );

    // Enter on a user who may not be viewed: not picked, the reason shown.
    key(&input, "Enter");
    settle().await;
    assert!(picked(&m).is_empty());
    let alert = find(&m.el, "[role=alert]");
    assert!(alert
        .text_content()
        .unwrap_or_default()
        .contains("Administrators cannot be impersonated"));

    key(&input, "ArrowUp");
    key(&input, "Enter");
    settle().await;
    assert_eq!(picked(&m), vec![4]);
    assert_eq!(
        input.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
}

#[wasm_bindgen_test]
async fn clicking_an_option_picks_it() {
    reset();
    let body = json(&results());
    let t = FakeTransport::new(move |_| respond(200, body.clone()));
    let m = mount_search(&t);
    settle().await;
    type_into(&find(&m.el, "#user-search"), "ali");
    sleep_ms(400).await;
    settle().await;
    click(&m.el, "#user-option-6");
    settle().await;
    assert_eq!(picked(&m), vec![6]);
}
