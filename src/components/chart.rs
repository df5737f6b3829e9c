//! Runs of the last 30 days, succeeded vs failed per day, as inline SVG
//! built by `view!` (no chart library; every text in it is escaped by the
//! framework). The days are the server's, counted in the viewed user's time
//! zone, and the chart says which zone. The SVG has a title and a
//! description in words, so a screen reader gets the same picture.

use leptos::prelude::*;
use viewas_api::DayCount;

const W: f64 = 600.0;
const H: f64 = 160.0;
const PAD_TOP: f64 = 10.0;
const PAD_BOTTOM: f64 = 22.0;

/// A coordinate as SVG reads it, to a tenth.
fn coord(v: f64) -> String {
    format!("{v:.1}")
}

/// `YYYY-MM-DD` → `25 Nov`: a calendar day as the server names it, so no
/// time zone conversion happens here.
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

/// One day's bars (failed on top of succeeded), its tooltip, and a label a
/// week apart (and on the last day unless a label is too near).
fn day_bars(i: usize, d: DayCount, count: usize, max: f64) -> impl IntoView {
    let slot = W / count.max(1) as f64;
    let bar = (slot * 0.7).max(1.0);
    let plot = H - PAD_TOP - PAD_BOTTOM;
    let base = H - PAD_BOTTOM;
    let x = i as f64 * slot + (slot - bar) / 2.0;
    let h_ok = d.succeeded.max(0) as f64 / max * plot;
    let h_fail = d.failed.max(0) as f64 / max * plot;
    let label = short_day(&d.day);
    let tip = format!("{label}: {} succeeded, {} failed", d.succeeded, d.failed);
    let labelled = i % 7 == 0 || (i + 1 == count && i % 7 >= 4);
    view! {
        <g>
            <title>{tip}</title>
            <rect class="bar-ok" x=coord(x) y=coord(base - h_ok) width=coord(bar) height=coord(h_ok) />
            <rect
                class="bar-failed"
                x=coord(x)
                y=coord(base - h_ok - h_fail)
                width=coord(bar)
                height=coord(h_fail)
            />
            {labelled
                .then(|| {
                    view! {
                        <text x=coord(x + bar / 2.0) y=coord(H - 6.0) class="chart-label">
                            {label}
                        </text>
                    }
                })}
        </g>
    }
}

/// The chart; `tz` is the viewed user's IANA time zone, in which the
/// server counted the days.
#[component]
pub fn RunsChart(days: Vec<DayCount>, #[prop(into)] tz: String) -> impl IntoView {
    let description = describe(&days);
    let max = days
        .iter()
        .map(|d| d.succeeded + d.failed)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let count = days.len();
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(i, d)| day_bars(i, d, count, max))
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>
                "Last 30 days "
                <span class="legend legend-ok">"succeeded"</span>
                " vs "
                <span class="legend legend-failed">"failed"</span>
                ", days in " <bdi class="chart-zone">{tz}</bdi>
            </figcaption>
            <div class="chart-box">
                <svg
                    viewBox=format!("0 0 {W} {H}")
                    role="img"
                    aria-labelledby="runs-chart-title runs-chart-desc"
                    preserveAspectRatio="none"
                    class="chart-svg"
                    focusable="false"
                >
                    <title id="runs-chart-title">"Runs per day, last 30 days"</title>
                    <desc id="runs-chart-desc">{description}</desc>
                    <line x1="0" y1=coord(H - PAD_BOTTOM) x2=coord(W) y2=coord(H - PAD_BOTTOM) class="chart-axis" />
                    {bars}
                </svg>
            </div>
        </figure>
    }
}
