//! The reason rules of DESIGN.md, shared so the start form and the server
//! agree to the character.

use crate::types::ReasonCategory;

/// A reason must count at least this many characters by [`visible_chars`]:
/// visible ones, and single gaps between words.
pub const REASON_MIN_CHARS: usize = 10;
/// Upper bound on a reason, so a form cannot post megabytes of text.
pub const REASON_MAX_CHARS: usize = 2000;
/// An optional ticket is free text of at most this many characters.
pub const TICKET_MAX_CHARS: usize = 64;

/// Characters that take up no visible room of their own, though they are
/// neither whitespace nor control characters: the format characters
/// (general category Cf: bidi embeddings, overrides and isolates, marks,
/// zero-width spaces and joiners, the byte-order mark, the soft hyphen,
/// invisible operators, interlinear annotation, tags) and a few letters and
/// marks that render as nothing (the combining grapheme joiner, Hangul
/// fillers, Khmer inherent vowels, variation selectors, the Braille blank).
/// std has no general-category table, so they are listed (Unicode 16).
const INVISIBLE: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),   // soft hyphen
    ('\u{034F}', '\u{034F}'),   // combining grapheme joiner
    ('\u{0600}', '\u{0605}'),   // Arabic number signs
    ('\u{061C}', '\u{061C}'),   // Arabic letter mark
    ('\u{06DD}', '\u{06DD}'),   // Arabic end of ayah
    ('\u{070F}', '\u{070F}'),   // Syriac abbreviation mark
    ('\u{0890}', '\u{0891}'),   // Arabic pound and piastre marks above
    ('\u{08E2}', '\u{08E2}'),   // Arabic disputed end of ayah
    ('\u{115F}', '\u{1160}'),   // Hangul choseong and jungseong fillers
    ('\u{17B4}', '\u{17B5}'),   // Khmer inherent vowels
    ('\u{180B}', '\u{180F}'),   // Mongolian variation selectors, vowel separator
    ('\u{200B}', '\u{200F}'),   // zero-width space, joiners, LRM, RLM
    ('\u{202A}', '\u{202E}'),   // bidi embeddings and overrides
    ('\u{2060}', '\u{2064}'),   // word joiner, invisible operators
    ('\u{2066}', '\u{206F}'),   // bidi isolates, deprecated format characters
    ('\u{2800}', '\u{2800}'),   // Braille pattern blank
    ('\u{3164}', '\u{3164}'),   // Hangul filler
    ('\u{FE00}', '\u{FE0F}'),   // variation selectors
    ('\u{FEFF}', '\u{FEFF}'),   // zero-width no-break space, byte-order mark
    ('\u{FFA0}', '\u{FFA0}'),   // halfwidth Hangul filler
    ('\u{FFF9}', '\u{FFFB}'),   // interlinear annotation
    ('\u{110BD}', '\u{110BD}'), // Kaithi number sign
    ('\u{110CD}', '\u{110CD}'), // Kaithi number sign above
    ('\u{13430}', '\u{1343F}'), // Egyptian hieroglyph format controls
    ('\u{1BCA0}', '\u{1BCA3}'), // shorthand format controls
    ('\u{1D173}', '\u{1D17A}'), // musical symbol format controls
    ('\u{E0001}', '\u{E0001}'), // language tag
    ('\u{E0020}', '\u{E007F}'), // tag characters
    ('\u{E0100}', '\u{E01EF}'), // variation selectors supplement
];

/// Whether `c` shows something: not whitespace, not a control character,
/// not one of the invisible characters above.
pub fn is_visible(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !INVISIBLE.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

/// The length of `s` that counts toward [`REASON_MIN_CHARS`]: its visible
/// characters, plus one for each gap of whitespace between two of them
/// (so `"  Ten chars!  "` counts 10, as "after trimming" always meant).
/// Invisible and control characters count for nothing, anywhere, and a run
/// of whitespace counts once: a reason of ten right-to-left overrides or
/// zero-width spaces, or of two letters far apart, says nothing however many
/// characters it has. The start form shows this count too.
pub fn visible_chars(s: &str) -> usize {
    let (mut count, mut gap) = (0, false);
    for c in s.chars() {
        if is_visible(c) {
            count += 1 + usize::from(gap);
            gap = false;
        } else if c.is_whitespace() {
            gap = count > 0;
        }
    }
    count
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReasonError {
    /// Fewer than `min` characters as [`visible_chars`] counts them.
    TooShort {
        min: usize,
        got: usize,
    },
    TooLong {
        max: usize,
    },
    TicketTooLong {
        max: usize,
    },
}

impl std::fmt::Display for ReasonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReasonError::TooShort { min, got } => write!(
                f,
                "Describe the reason in at least {min} visible characters (you wrote {got}; \
                 invisible characters such as zero-width spaces or direction marks do not \
                 count, and neither do repeated spaces)."
            ),
            ReasonError::TooLong { max } => write!(f, "Keep the reason under {max} characters."),
            ReasonError::TicketTooLong { max } => {
                write!(f, "A ticket reference has at most {max} characters.")
            }
        }
    }
}

/// Checks reason and ticket; the category is already typed, so any
/// [`ReasonCategory`] is valid.
pub fn validate_reason(
    _category: ReasonCategory,
    reason: &str,
    ticket: Option<&str>,
) -> Result<(), ReasonError> {
    let visible = visible_chars(reason);
    if visible < REASON_MIN_CHARS {
        return Err(ReasonError::TooShort {
            min: REASON_MIN_CHARS,
            got: visible,
        });
    }
    // The maximum bounds the size of what is stored, so it counts every
    // character after trimming.
    if reason.trim().chars().count() > REASON_MAX_CHARS {
        return Err(ReasonError::TooLong {
            max: REASON_MAX_CHARS,
        });
    }
    if let Some(t) = ticket {
        if t.trim().chars().count() > TICKET_MAX_CHARS {
            return Err(ReasonError::TicketTooLong {
                max: TICKET_MAX_CHARS,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: ReasonCategory = ReasonCategory::SupportRequest;

    #[test]
    fn reason_counts_characters_after_trimming() {
        assert!(validate_reason(C, "   123456789   ", None).is_err());
        assert!(validate_reason(C, "  1234567890  ", None).is_ok());
        // Ten characters, more than ten bytes: counted as characters.
        assert!(validate_reason(C, "ééééééééé", None).is_err());
        assert!(validate_reason(C, "éééééééééé", None).is_ok());
    }

    #[test]
    fn invisible_characters_do_not_count() {
        for c in [
            '\u{202E}',
            '\u{202A}',
            '\u{2066}',
            '\u{2069}',
            '\u{200B}',
            '\u{200D}',
            '\u{200E}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{061C}',
            '\u{180E}',
            '\u{3164}',
            '\u{FE0F}',
            '\u{E0041}',
            '\u{034F}',
        ] {
            let reason: String = std::iter::repeat_n(c, 12).collect();
            assert_eq!(
                validate_reason(C, &reason, None),
                Err(ReasonError::TooShort {
                    min: REASON_MIN_CHARS,
                    got: 0
                }),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn only_visible_characters_reach_the_minimum() {
        // Nine visible, padded and interleaved with invisible ones.
        let nine = "\u{202E}a\u{200B}bc\u{2060}d\u{FEFF}e\u{00AD}f\u{2800}ghi\u{200F}";
        assert_eq!(visible_chars(nine), 9);
        assert_eq!(
            validate_reason(C, nine, None),
            Err(ReasonError::TooShort { min: 10, got: 9 })
        );
        // Control characters count for nothing, inside the text too.
        assert_eq!(visible_chars("ab\u{0}c\u{7F}d\u{1B}"), 4);
        // Visible text keeps its invisible characters: they are not stripped,
        // just not counted.
        assert!(validate_reason(C, "Customer \u{202E}ticket 4711", None).is_ok());
        // Letters of any script, digits, punctuation and emoji are visible.
        assert_eq!(visible_chars("Žluť客户١٢✓🦀!"), 11);
    }

    #[test]
    fn a_gap_between_words_counts_once() {
        assert_eq!(visible_chars("  Ten chars!  "), 10);
        assert_eq!(visible_chars("Ten \u{00A0}\t\u{3000}\n chars!"), 10);
        // Whitespace made wider with invisible characters is still one gap.
        assert_eq!(visible_chars("Ten \u{200B} \u{202E} chars!"), 10);
        // Two letters far apart, or only whitespace of any kind, say nothing.
        assert_eq!(visible_chars(&format!("a{}b", " ".repeat(20))), 3);
        assert_eq!(visible_chars(" \u{3000}\u{2028}\u{85}\t\u{00A0} "), 0);
        assert!(validate_reason(C, "a b c d e", None).is_err());
        assert!(validate_reason(C, "a b c d e f", None).is_ok());
    }

    #[test]
    fn the_message_says_what_counts() {
        let e = validate_reason(C, &"\u{202E}".repeat(10), None).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("at least 10 visible characters"), "{msg}");
        assert!(msg.contains("you wrote 0"), "{msg}");
    }

    #[test]
    fn the_maximum_counts_every_character() {
        let long = format!("{}{}", "a".repeat(10), "\u{200B}".repeat(REASON_MAX_CHARS));
        assert_eq!(
            validate_reason(C, &long, None),
            Err(ReasonError::TooLong {
                max: REASON_MAX_CHARS
            })
        );
    }

    #[test]
    fn ticket_has_a_maximum() {
        let ok = "x".repeat(TICKET_MAX_CHARS);
        let long = "x".repeat(TICKET_MAX_CHARS + 1);
        assert!(validate_reason(C, "a good reason", Some(&ok)).is_ok());
        assert_eq!(
            validate_reason(C, "a good reason", Some(&long)),
            Err(ReasonError::TicketTooLong {
                max: TICKET_MAX_CHARS
            })
        );
    }
}
