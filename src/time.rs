//! Time: the clock the session counts down by ([`Clock`], injected so tests
//! move it by hand), times in a given IANA time zone through the browser's
//! `Intl.DateTimeFormat` (no hand-written zone table), and small duration
//! helpers.

use std::{cell::RefCell, collections::HashMap, sync::Arc};

use leptos::prelude::*;

use js_sys::{Array, Date, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// `25 Nov 2026, 14:32`
    DateTime,
    /// `14:32`
    Time,
    /// `14:32:05`
    TimeSeconds,
    /// `25 Nov 2026`
    Date,
}

thread_local! {
    // Making a formatter is slow in browsers; a page reuses a few.
    static FORMATTERS: RefCell<HashMap<(String, Style), Option<Function>>> =
        RefCell::new(HashMap::new());
}

fn set(o: &Object, k: &str, v: &str) {
    let _ = Reflect::set(o, &JsValue::from_str(k), &JsValue::from_str(v));
}

/// `Intl.DateTimeFormat("en-GB", {...}).format`, or `None` when the zone is
/// unknown to the browser (the constructor throws a RangeError).
fn make_formatter(tz: &str, style: Style) -> Option<Function> {
    let options = Object::new();
    set(&options, "timeZone", tz);
    match style {
        Style::DateTime | Style::Date => {
            set(&options, "day", "numeric");
            set(&options, "month", "short");
            set(&options, "year", "numeric");
        }
        Style::Time | Style::TimeSeconds => {}
    }
    if matches!(style, Style::DateTime | Style::Time | Style::TimeSeconds) {
        set(&options, "hour", "2-digit");
        set(&options, "minute", "2-digit");
        set(&options, "hourCycle", "h23");
    }
    if style == Style::TimeSeconds {
        set(&options, "second", "2-digit");
    }
    let intl = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
    let ctor: Function = Reflect::get(&intl, &JsValue::from_str("DateTimeFormat"))
        .ok()?
        .dyn_into()
        .ok()?;
    let args = Array::of2(&JsValue::from_str("en-GB"), &options);
    let fmt = Reflect::construct(&ctor, &args).ok()?;
    let format: Function = Reflect::get(&fmt, &JsValue::from_str("format"))
        .ok()?
        .dyn_into()
        .ok()?;
    Some(format)
}

/// Whether the browser knows this IANA zone.
pub fn is_known_zone(tz: &str) -> bool {
    formatter(tz, Style::Time).is_some()
}

fn formatter(tz: &str, style: Style) -> Option<Function> {
    FORMATTERS.with(|cache| {
        cache
            .borrow_mut()
            .entry((tz.to_string(), style))
            .or_insert_with(|| make_formatter(tz, style))
            .clone()
    })
}

/// Formats ms since the epoch in `tz`. An unknown zone falls back to UTC and
/// says so; a NaN time gives an empty string.
pub fn format_ms(ms: f64, tz: &str, style: Style) -> String {
    if !ms.is_finite() {
        return String::new();
    }
    let date = Date::new(&JsValue::from_f64(ms));
    let (f, suffix) = match formatter(tz, style) {
        Some(f) => (Some(f), ""),
        None => (formatter("UTC", style), " UTC"),
    };
    f.and_then(|f| f.call1(&JsValue::UNDEFINED, &date).ok())
        .and_then(|v| v.as_string())
        .map(|s| format!("{s}{suffix}"))
        .unwrap_or_default()
}

/// Formats an RFC 3339 timestamp in `tz`; the raw text if it does not parse.
pub fn format_ts(ts: &str, tz: &str, style: Style) -> String {
    let ms = Date::parse(ts);
    if ms.is_finite() {
        format_ms(ms, tz, style)
    } else {
        ts.to_string()
    }
}

/// `mm:ss` (minutes may exceed 59 for long sessions).
pub fn mm_ss(secs: i64) -> String {
    let secs = secs.max(0);
    format!("{:02}:{:02}", secs / 60, secs % 60)
}

/// A human duration: `850 ms`, `4.2 s`, `3 min 05 s`, `1 h 02 min`.
pub fn duration_ms(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1000 {
        return format!("{ms} ms");
    }
    if ms < 60_000 {
        return format!("{:.1} s", ms as f64 / 1000.0);
    }
    let secs = ms / 1000;
    if secs < 3600 {
        return format!("{} min {:02} s", secs / 60, secs % 60);
    }
    format!("{} h {:02} min", secs / 3600, (secs % 3600) / 60)
}

/// "times in Europe/Prague, Alice Novak's timezone"
pub fn zone_label(tz: &str, name: &str) -> String {
    format!("times in {tz}, {name}'s timezone")
}

/// ms since the epoch by the browser's clock.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// RFC 3339 to ms since the epoch; NaN when it does not parse.
pub fn parse_ms(ts: &str) -> f64 {
    Date::parse(ts)
}

/// The browser's own time zone, for times in the administrator's view.
pub fn local_zone() -> String {
    let options =
        js_sys::Intl::DateTimeFormat::new(&Array::new(), &Object::new()).resolved_options();
    Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "UTC".into())
}

/// Where the session countdown reads the time, and what tells it that time
/// has moved on.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> f64;
    /// Calls `tick` whenever the time may have moved on, until the current
    /// reactive owner is cleaned up.
    fn on_tick(&self, tick: Arc<dyn Fn() + Send + Sync>);
}

/// The browser's clock, ticking four times a second: browsers delay timers,
/// so a one-second tick would drift by up to a second.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> f64 {
        now_ms()
    }

    fn on_tick(&self, tick: Arc<dyn Fn() + Send + Sync>) {
        let interval = gloo_timers::callback::Interval::new(250, move || tick());
        let stored = StoredValue::new_local(Some(interval));
        on_cleanup(move || {
            stored.try_update_value(|i| i.take().map(|i| i.cancel()));
        });
    }
}

/// A clock that moves only when told to ([`ManualClock::advance`]), for
/// tests: the countdown then needs no real-time waiting.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: ArcRwSignal<f64>,
}

impl ManualClock {
    /// A clock standing at `start_ms`.
    pub fn new(start_ms: f64) -> Self {
        ManualClock {
            now: ArcRwSignal::new(start_ms),
        }
    }

    /// Moves the clock on by `ms`; the countdown follows once effects run.
    pub fn advance(&self, ms: f64) {
        self.now.update(|n| *n += ms);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> f64 {
        self.now.get_untracked()
    }

    fn on_tick(&self, tick: Arc<dyn Fn() + Send + Sync>) {
        let now = self.now.clone();
        Effect::new(move |_| {
            now.track();
            tick();
        });
    }
}
