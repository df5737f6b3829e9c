//! Runs of the last 30 days, succeeded vs failed per day, as inline SVG
//! (no chart library). The SVG has a title and a description in words, so a
//! screen reader gets the same picture.

use leptos::prelude::*;
use viewas_api::DayCount;

const W: f64 = 600.0;
const H: f64 = 160.0;
const PAD_TOP: f64 = 10.0;
const PAD_BOTTOM: f64 = 22.0;

/// `v` with one decimal (`12.3`), by integer arithmetic: formatting floats
/// would pull Rust's float printing into the bundle.
fn d1(v: f64) -> String {
    let t = (v * 10.0).round() as i64;
    let sign = if t < 0 { "-" } else { "" };
    let t = t.unsigned_abs();
    format!("{sign}{}.{}", t / 10, t % 10)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `YYYY-MM-DD` → `25 Nov`.
fn short_day(day: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut parts = day.split('-').skip(1);
    match (
        parts.next().and_then(|m| m.parse::<usize>().ok()),
        parts.next().and_then(|d| d.parse::<u32>().ok()),
    ) {
        (Some(m @ 1..=12), Some(d)) => format!("{d} {}", MONTHS[m - 1]),
        _ => day.to_string(),
    }
}

/// The words of the chart: totals, the range and the worst day.
pub fn describe(days: &[DayCount]) -> String {
    let ok: i64 = days.iter().map(|d| d.succeeded).sum();
    let failed: i64 = days.iter().map(|d| d.failed).sum();
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return "No runs in the last 30 days.".into();
    };
    let mut text = format!(
        "{ok} succeeded and {failed} failed runs from {} to {}.",
        short_day(&first.day),
        short_day(&last.day)
    );
    if let Some(worst) = days
        .iter()
        .filter(|d| d.failed > 0)
        .max_by_key(|d| d.failed)
    {
        text.push_str(&format!(
            " Most failures on {}: {}.",
            short_day(&worst.day),
            worst.failed
        ));
    }
    text
}

/// The SVG markup (built as text: SVG `<title>` and `<desc>` are simplest
/// this way, and every value in it is a number or escaped).
pub fn svg(days: &[DayCount]) -> String {
    let n = days.len().max(1) as f64;
    let max = days
        .iter()
        .map(|d| d.succeeded + d.failed)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = W / n;
    let bar = (slot * 0.7).max(1.0);
    let plot = H - PAD_TOP - PAD_BOTTOM;
    let mut out = format!(
        "<svg viewBox=\"0 0 {} {}\" role=\"img\" aria-labelledby=\"runs-chart-title runs-chart-desc\" \
         preserveAspectRatio=\"none\" class=\"chart-svg\" focusable=\"false\">\
         <title id=\"runs-chart-title\">Runs per day, last 30 days</title>\
         <desc id=\"runs-chart-desc\">{}</desc>",
        W as i64,
        H as i64,
        esc(&describe(days))
    );
    out.push_str(&format!(
        "<line x1=\"0\" y1=\"{y}\" x2=\"{w}\" y2=\"{y}\" class=\"chart-axis\"/>",
        y = (H - PAD_BOTTOM) as i64,
        w = W as i64,
    ));
    for (i, d) in days.iter().enumerate() {
        let x_at = i as f64 * slot + (slot - bar) / 2.0;
        let h_ok = d.succeeded.max(0) as f64 / max * plot;
        let h_fail = d.failed.max(0) as f64 / max * plot;
        let base = H - PAD_BOTTOM;
        let tip = esc(&format!(
            "{}: {} succeeded, {} failed",
            short_day(&d.day),
            d.succeeded,
            d.failed
        ));
        let (x, bar_w) = (d1(x_at), d1(bar));
        out.push_str(&format!(
            "<g><title>{tip}</title>\
             <rect class=\"bar-ok\" x=\"{x}\" y=\"{}\" width=\"{bar_w}\" height=\"{}\"/>\
             <rect class=\"bar-failed\" x=\"{x}\" y=\"{}\" width=\"{bar_w}\" height=\"{}\"/></g>",
            d1(base - h_ok),
            d1(h_ok),
            d1(base - h_ok - h_fail),
            d1(h_fail),
        ));
        // A label a week apart, and the last day unless a label is too near.
        let last = i + 1 == days.len();
        if i % 7 == 0 || (last && i % 7 >= 4) {
            out.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" class=\"chart-label\">{}</text>",
                d1(x_at + bar / 2.0),
                (H - 6.0) as i64,
                esc(&short_day(&d.day))
            ));
        }
    }
    out.push_str("</svg>");
    out
}

#[component]
pub fn RunsChart(days: Vec<DayCount>) -> impl IntoView {
    let markup = svg(&days);
    view! {
        <figure class="chart">
            <figcaption>
                "Last 30 days "
                <span class="legend legend-ok">"succeeded"</span>
                " vs "
                <span class="legend legend-failed">"failed"</span>
            </figcaption>
            <div class="chart-box" inner_html=markup></div>
        </figure>
    }
}
