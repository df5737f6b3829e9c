//! Times in a given IANA time zone through the browser's `Intl.DateTimeFormat`
//! (no hand-written zone table), and small duration helpers.

use std::cell::RefCell;

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

/// A formatter made for a zone and style: `None` when the zone is unknown.
type Cached = ((String, Style), Option<Function>);

thread_local! {
    // A list rather than a `HashMap`: a page knows a few zones, and the map
    // brought its own hashing code into the wasm.
    static FORMATTERS: RefCell<Vec<Cached>> = const { RefCell::new(Vec::new()) };
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
        let mut cache = cache.borrow_mut();
        if let Some((_, f)) = cache.iter().find(|((z, s), _)| z == tz && *s == style) {
            return f.clone();
        }
        let f = make_formatter(tz, style);
        cache.push(((tz.to_string(), style), f.clone()));
        f
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
        // Tenths by integer arithmetic (no float printing in the bundle).
        let tenths = (ms + 50) / 100;
        return format!("{}.{} s", tenths / 10, tenths % 10);
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
