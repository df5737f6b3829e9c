//! The reason rules of DESIGN.md, shared so the start form and the server
//! agree to the character.

use crate::types::ReasonCategory;

/// A reason must have at least this many characters after trimming.
pub const REASON_MIN_CHARS: usize = 10;
/// Upper bound on a reason, so a form cannot post megabytes of text.
pub const REASON_MAX_CHARS: usize = 2000;
/// An optional ticket is free text of at most this many characters.
pub const TICKET_MAX_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReasonError {
    TooShort { min: usize, got: usize },
    TooLong { max: usize },
    TicketTooLong { max: usize },
}

impl std::fmt::Display for ReasonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReasonError::TooShort { min, got } => write!(
                f,
                "Describe the reason in at least {min} characters (you wrote {got})."
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
    let got = reason.trim().chars().count();
    if got < REASON_MIN_CHARS {
        return Err(ReasonError::TooShort {
            min: REASON_MIN_CHARS,
            got,
        });
    }
    if got > REASON_MAX_CHARS {
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
