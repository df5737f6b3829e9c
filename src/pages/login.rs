//! Sign in: email and password, errors inline, Enter submits, focus on the
//! first field.

use leptos::{html, prelude::*};
use leptos_router::hooks::use_navigate;
use viewas_api::{ErrorCode, Role};

use crate::{
    client::{ApiClient, ApiErr},
    session::{AuthInfo, SessionContext},
};

fn login_error(e: &ApiErr) -> String {
    match e.code() {
        Some(ErrorCode::InvalidCredentials) => {
            "That email and password do not match an account. Check both and try again.".into()
        }
        Some(ErrorCode::TooManyRequests) => {
            "Too many attempts. Wait a minute, then try again.".into()
        }
        _ => e.to_string(),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    // Where signing in leads.
    crate::lazy::preload(&[], &[crate::lazy::Page::FindUser]);
    let ctx = SessionContext::expect();
    let api = ApiClient::expect();
    let navigate = use_navigate();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let email_ref = NodeRef::<html::Input>::new();

    Effect::new(move |_| {
        if let Some(el) = email_ref.get() {
            let _ = el.focus();
        }
    });

    // A plain task and a flag rather than an Action: sign-in is in the
    // first load, and this keeps Action's machinery out of it.
    let pending = RwSignal::new(false);
    let sign_in = move |e: String, p: String| {
        let api = api.clone();
        let navigate = navigate.clone();
        pending.set(true);
        leptos::task::spawn_local(async move {
            match api.login(&e, &p).await {
                Ok(res) if res.user.role == Role::User => {
                    // Not kept: end the token at once.
                    let _ = api.logout_token(&res.token).await;
                    error.try_set(Some(
                        "This console is for administrators and partner admins. Your account can see its own access history in Duvo.".into(),
                    ));
                }
                Ok(res) => {
                    ctx.sign_in(AuthInfo {
                        token: res.token,
                        user: res.user,
                    });
                    navigate("/", Default::default());
                }
                Err(err) => {
                    error.try_set(Some(login_error(&err)));
                }
            }
            pending.try_set(false);
        });
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let (e, p) = (email.get_untracked(), password.get_untracked());
        if e.trim().is_empty() || p.is_empty() {
            error.set(Some("Enter your email and password.".into()));
            return;
        }
        error.set(None);
        sign_in(e.trim().to_string(), p);
    };

    view! {
        <main id="main" class="page login-page">
            <div class="login-card">
                <p class="brand">"viewas"</p>
                <h1 tabindex="-1">"Sign in"</h1>
                <p class="lede">"See Duvo exactly as one of your users sees it: read-only, time-boxed, on the record."</p>
                <form on:submit=on_submit novalidate>
                    <div class="field">
                        <label for="login-email">"Email"</label>
                        <input
                            id="login-email"
                            type="email"
                            autocomplete="username"
                            node_ref=email_ref
                            prop:value=move || email.get()
                            on:input=move |ev| email.set(event_target_value(&ev))
                        />
                    </div>
                    <div class="field">
                        <label for="login-password">"Password"</label>
                        <input
                            id="login-password"
                            type="password"
                            autocomplete="current-password"
                            prop:value=move || password.get()
                            on:input=move |ev| password.set(event_target_value(&ev))
                        />
                    </div>
                    <Show when=move || error.with(Option::is_some)>
                        <p class="form-error" role="alert">{move || {error.get()}.into_any()}</p>
                    </Show>
                    <button
                        type="submit"
                        class="btn btn-primary btn-block"
                        aria-busy=move || pending.get().to_string()
                        disabled=move || pending.get()
                    >
                        "Sign in"
                    </button>
                </form>
            </div>
        </main>
    }
}
