//! The start form: the policy in words, the reason rules before any request,
//! and a started session becoming the active one.

use leptos::{mount::mount_to, prelude::*};
use leptos_router::components::Router;
use viewas::{
    client::Method,
    pages::impersonate::StartForm,
    provide_app_contexts,
    session::{AuthInfo, SessionContext},
};
use viewas_api::{NotifyPolicy, UserSearchItem};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

fn item(policy: NotifyPolicy) -> UserSearchItem {
    let mut user = alice();
    user.org.policy = policy;
    if policy == NotifyPolicy::Silent {
        user.name = "Bob Martins".into();
        user.org.name = "Globex Retail".into();
    }
    UserSearchItem {
        user,
        disabled: false,
        last_active: None,
        can_impersonate: true,
        not_allowed_reason: None,
    }
}

fn mount_form(
    t: &FakeTransport,
    policy: NotifyPolicy,
) -> (web_sys::HtmlElement, Box<dyn std::any::Any>, SessionContext) {
    use std::{cell::RefCell, rc::Rc};
    let el = container();
    let slot = Rc::new(RefCell::new(None));
    let out = slot.clone();
    let arc = t.arc();
    let handle = mount_to(el.clone(), move || {
        let (ctx, _) = provide_app_contexts(arc);
        ctx.sign_in(AuthInfo {
            token: "admin-token".into(),
            user: alice(),
        });
        *out.borrow_mut() = Some(ctx);
        view! {
            <Router>
                <StartForm item=item(policy) on_cancel=Callback::new(|_| {}) />
            </Router>
        }
    });
    let ctx = slot.borrow_mut().take().expect("context");
    (el, Box::new(handle), ctx)
}

fn set_field(el: &web_sys::HtmlElement, selector: &str, value: &str, event: &str) {
    let field = find(el, selector);
    js_sys::Reflect::set(&field, &"value".into(), &value.into()).unwrap();
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    field
        .dispatch_event(&web_sys::Event::new_with_event_init_dict(event, &init).unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn the_policy_is_said_in_words() {
    reset();
    let t = FakeTransport::always(500, "");
    let (el, _h, _) = mount_form(&t, NotifyPolicy::Notify);
    settle().await;
    assert_eq!(
        text_of(&el, ".policy"),
        "\u{2068}Alice Novak\u{2069} will be notified of this session",
        "the name is bidi-isolated"
    );
    let (el2, _h2, _) = mount_form(&t, NotifyPolicy::Silent);
    settle().await;
    assert_eq!(
        text_of(&el2, ".policy"),
        "\u{2068}Globex Retail\u{2069} logs sessions silently"
    );
    // The four appropriate uses, by their labels.
    let options: Vec<String> = (0..5)
        .filter_map(|i| {
            el.query_selector_all("#reason-category option")
                .ok()?
                .item(i)
        })
        .filter_map(|o| o.text_content())
        .collect();
    assert_eq!(
        options,
        [
            "Choose a category",
            "Support request",
            "Diagnose an issue",
            "Audit",
            "Onboarding"
        ]
    );
}

#[wasm_bindgen_test]
async fn a_short_reason_is_refused_before_any_request() {
    reset();
    let t = FakeTransport::always(500, "");
    let (el, _h, ctx) = mount_form(&t, NotifyPolicy::Notify);
    settle().await;
    set_field(&el, "#reason-category", "support_request", "change");
    set_field(&el, "#reason", "  too short ", "input");
    settle().await;
    assert_eq!(text_of(&el, "#reason-count"), "9 characters (at least 10)");
    // Invisible characters count for nothing, as on the server.
    set_field(&el, "#reason", &"\u{202E}\u{200B}".repeat(8), "input");
    settle().await;
    assert_eq!(text_of(&el, "#reason-count"), "0 characters (at least 10)");
    let form: web_sys::HtmlFormElement = find(&el, "form").unchecked_into();
    form.request_submit().unwrap();
    settle().await;
    assert!(text_of(&el, "[role=alert]").contains("at least 10 visible characters"));
    assert_eq!(t.calls(), 0);
    assert!(ctx.active_untracked().is_none());
}

#[wasm_bindgen_test]
async fn start_posts_the_reason_and_makes_the_session_active() {
    reset();
    let body = json(&started(alice(), 12, 1800));
    let t = FakeTransport::new(move |_| respond(201, body.clone()));
    let (el, _h, ctx) = mount_form(&t, NotifyPolicy::Notify);
    settle().await;
    set_field(&el, "#reason-category", "diagnose_issue", "change");
    set_field(&el, "#reason", "Export to Xero fails every night", "input");
    set_field(&el, "#ticket", "SUP-42", "input");
    let form: web_sys::HtmlFormElement = find(&el, "form").unchecked_into();
    form.request_submit().unwrap();
    settle().await;

    let req = &t.requests()[0];
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.path, "/api/impersonations");
    assert_eq!(req.bearer.as_deref(), Some("admin-token"));
    let sent: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(sent["user_id"], 11);
    assert_eq!(sent["reason_category"], "diagnose_issue");
    assert_eq!(sent["reason"], "Export to Xero fails every night");
    assert_eq!(sent["ticket"], "SUP-42");
    assert_eq!(ctx.active_untracked().map(|a| a.session.id), Some(12));
    assert!(session_item("viewas.session").is_some_and(|s| s.contains("imp-token-12")));
}
