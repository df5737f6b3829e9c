//! Bidi isolation for user text that cannot sit in a `<bdi>` element.

/// Wraps `s` in FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE, the plain-text
/// equal of `<bdi>`, for text set into sentences or plain-text records: a
/// right-to-left override inside `s` cannot reorder what follows.
pub fn isolate(s: &str) -> String {
    format!("\u{2068}{s}\u{2069}")
}
