//! JSON written straight into one buffer, for the answer every impersonated
//! screen asks most: the runs page. Building a `RunsPage` first cost a
//! `String` per text column and per timestamp, and serde then copied and
//! escaped each again (together about half of an audited request's CPU;
//! docs/performance.md). The bytes written here are the ones
//! `serde_json::to_vec` writes for the same wire type: the tests of
//! `store::view` compare the two byte for byte.

/// A growing JSON text. Callers write the structure (`{`, keys, commas) with
/// [`JsonOut::raw`]; values go through the typed writers, which escape.
#[derive(Debug, Default)]
pub struct JsonOut {
    buf: Vec<u8>,
}

impl JsonOut {
    pub fn with_capacity(n: usize) -> JsonOut {
        JsonOut {
            buf: Vec::with_capacity(n),
        }
    }

    /// Literal JSON punctuation and keys, written as they are.
    pub fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    pub fn int(&mut self, n: i64) {
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(n).as_bytes());
    }

    pub fn null(&mut self) {
        self.raw("null");
    }

    /// `s` as a JSON string: quotes, backslashes and control characters
    /// escaped as serde_json escapes them (`\n`-style short forms where
    /// JSON has one, else `\u00XX`); everything else, non-ASCII included,
    /// copied as it is.
    pub fn str(&mut self, s: &str) {
        let bytes = s.as_bytes();
        self.buf.reserve(bytes.len() + 2);
        self.buf.push(b'"');
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let short = match b {
                b'"' => b'"',
                b'\\' => b'\\',
                b'\n' => b'n',
                b'\r' => b'r',
                b'\t' => b't',
                0x08 => b'b',
                0x0c => b'f',
                0x00..=0x1f => b'u',
                _ => continue,
            };
            self.buf.extend_from_slice(&bytes[start..i]);
            self.buf.push(b'\\');
            self.buf.push(short);
            if short == b'u' {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.buf.extend_from_slice(b"00");
                self.buf.push(HEX[usize::from(b >> 4)]);
                self.buf.push(HEX[usize::from(b & 0xf)]);
            }
            start = i + 1;
        }
        self.buf.extend_from_slice(&bytes[start..]);
        self.buf.push(b'"');
    }

    /// A string known to need no escaping (dates, enum words, cursors).
    pub fn plain_str(&mut self, s: &[u8]) {
        debug_assert!(s.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\'));
        self.buf.push(b'"');
        self.buf.extend_from_slice(s);
        self.buf.push(b'"');
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut JsonOut)) -> String {
        let mut out = JsonOut::default();
        f(&mut out);
        String::from_utf8(out.into_bytes()).unwrap()
    }

    #[test]
    fn strings_escape_as_serde_json_does() {
        let mut every_control: String = (0u8..0x20).map(char::from).collect();
        every_control.push('\u{7f}');
        for s in [
            "",
            "plain",
            "quote \" and backslash \\ and slash /",
            "new\nline\r\ttab",
            &every_control,
            "bidi \u{202e}evil\u{202c} zero\u{200b}width",
            "</script><script>alert(1)</script>",
            "emoji 🙂 and ü and 中文",
            "\u{2028}\u{2029}",
        ] {
            assert_eq!(
                written(|o| o.str(s)),
                serde_json::to_string(s).unwrap(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn numbers_and_null_are_serde_json_s() {
        for n in [0, -1, 42, i64::MIN, i64::MAX] {
            assert_eq!(written(|o| o.int(n)), serde_json::to_string(&n).unwrap());
        }
        assert_eq!(written(JsonOut::null), "null");
    }

    proptest::proptest! {
        #[test]
        fn any_string_escapes_as_serde_json_does(s in "\\PC*|[\\x00-\\x7f]*") {
            proptest::prop_assert_eq!(written(|o| o.str(&s)), serde_json::to_string(&s).unwrap());
        }
    }
}
