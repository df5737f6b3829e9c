//! The console's data tables: one wrapper, caption and header row for all
//! of them, so every table reads the same to a screen reader.

use leptos::prelude::*;

/// A scrollable table. `headers` are the column titles (`<th scope="col">`);
/// `caption` is read by screen readers only, and names the scrolling region,
/// which takes focus so a table wider than the screen scrolls by keyboard
/// too; the children are its `<tbody>` elements.
#[component]
pub fn DataTable(
    headers: &'static [&'static str],
    #[prop(into)] caption: String,
    /// Extra class of the scrolling wrapper (`events`).
    #[prop(optional)]
    wrap: &'static str,
    children: Children,
) -> impl IntoView {
    let wrap = if wrap.is_empty() {
        "table-wrap".to_string()
    } else {
        format!("table-wrap {wrap}")
    };
    let label = caption.clone();
    view! {
        <div class=wrap tabindex="0" role="region" aria-label=label>
            <table class="data">
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        {headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}
                    </tr>
                </thead>
                {children()}
            </table>
        </div>
    }
}
