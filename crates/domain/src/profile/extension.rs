//! Extensions: the agent's own, the no-answer destination, and the account's three
//! extension ranges (UC users, UC groups, WebRTC agents) that must not overlap.

use serde::{Deserialize, Serialize};

use super::NoAnswer;
use crate::error_code::ErrorCode;
use crate::vocab::FieldError;

pub const EXTENSION_MIN_DIGITS: usize = 2;
pub const EXTENSION_MAX_DIGITS: usize = 8;
/// The largest number an extension of [`EXTENSION_MAX_DIGITS`] digits can be.
pub const MAX_EXTENSION_VALUE: u32 = 99_999_999;

/// An inclusive range of extension numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRange {
    pub first: u32,
    pub last: u32,
}

impl ExtensionRange {
    /// Whether `extension` (trimmed, like the validators do) is a number in this range.
    ///
    /// Membership is numeric: leading zeros are ignored, so `"04000"` counts as 4000.
    /// Anything that is not all ASCII digits, or is too large for a `u32`, is outside
    /// every range. A range whose `first` is after its `last` contains nothing.
    pub fn contains(&self, extension: &str) -> bool {
        extension_number(extension.trim()).is_some_and(|n| self.first <= n && n <= self.last)
    }

    /// `"4000–4999"` (with an en dash, as typeset ranges are written); a range of a
    /// single number is just that number.
    pub fn label(&self) -> String {
        if self.first == self.last {
            self.first.to_string()
        } else {
            format!("{}–{}", self.first, self.last)
        }
    }

    fn overlaps(&self, other: &ExtensionRange) -> bool {
        self.first <= other.last && other.first <= self.last
    }
}

/// The value of an all-ASCII-digit string, if it fits a `u32`.
fn extension_number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // All digits, so `parse` cannot see a sign; it fails only on overflow.
    s.parse().ok()
}

/// The account's extension plan.
///
/// Best practice is a dedicated range per kind of extension, so that a glance at a
/// number tells what it is and WebRTC agents never collide with the phone system's
/// directory. An agent's extension outside [`ExtensionRanges::webrtc`] is allowed but
/// warned about, so these ranges are advice, not a rule [`validate_extension`] enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRanges {
    pub uc_users: ExtensionRange,
    pub uc_groups: ExtensionRange,
    pub webrtc: ExtensionRange,
}

impl Default for ExtensionRanges {
    /// The plan PRODUCT.md gives as the example.
    fn default() -> Self {
        ExtensionRanges {
            uc_users: ExtensionRange {
                first: 2000,
                last: 2999,
            },
            uc_groups: ExtensionRange {
                first: 3000,
                last: 3999,
            },
            webrtc: ExtensionRange {
                first: 4000,
                last: 4999,
            },
        }
    }
}

impl ExtensionRanges {
    /// Problems with the plan itself: first > last, first == 0, a bound beyond
    /// [`MAX_EXTENSION_VALUE`], or two ranges overlapping.
    /// Field names: `"uc_users"`, `"uc_groups"`, `"webrtc"`. Empty = valid.
    ///
    /// At most one problem per field, so a settings form can show each beside its
    /// range. A range's own problem (codes `starts_at_zero`, `too_large`, `reversed`)
    /// comes first; a range with one is left out of the overlap check, where it would
    /// only add noise. An overlap (code `overlap`) is reported on the later range of the
    /// pair in the order users, groups, WebRTC, and names the other range.
    pub fn validate(&self) -> Vec<FieldError> {
        let named = [
            ("uc_users", "UC users", self.uc_users),
            ("uc_groups", "UC groups", self.uc_groups),
            ("webrtc", "WebRTC agents", self.webrtc),
        ];
        let mut errors: Vec<FieldError> = Vec::new();
        let mut sound = [false; 3];
        for (i, (field, noun, range)) in named.iter().enumerate() {
            let problem = if range.first == 0 {
                Some((
                    ErrorCode::StartsAtZero,
                    format!("Start the {noun} range at 1 or higher."),
                ))
            } else if range.first > MAX_EXTENSION_VALUE || range.last > MAX_EXTENSION_VALUE {
                Some((
                    ErrorCode::TooLarge,
                    format!(
                        "Keep the {noun} range within 1–{MAX_EXTENSION_VALUE}: extensions have at most {EXTENSION_MAX_DIGITS} digits."
                    ),
                ))
            } else if range.first > range.last {
                Some((
                    ErrorCode::Reversed,
                    format!(
                        "Make the {noun} range end at or after its start ({}).",
                        range.first
                    ),
                ))
            } else {
                None
            };
            match problem {
                Some((code, message)) => errors.push(FieldError::new(*field, code, message)),
                None => sound[i] = true,
            }
        }
        for later in 1..named.len() {
            for earlier in 0..later {
                let (field, noun, range) = named[later];
                let (_, other_noun, other) = named[earlier];
                if sound[earlier]
                    && sound[later]
                    && range.overlaps(&other)
                    && !errors.iter().any(|e| e.field == field)
                {
                    errors.push(FieldError::new(
                        field,
                        ErrorCode::Overlap,
                        format!(
                            "Move the {noun} range ({}) so that it does not overlap the {other_noun} range ({}).",
                            range.label(),
                            other.label()
                        ),
                    ));
                }
            }
        }
        errors
    }
}

/// The agent's extension: trimmed, ASCII digits only (another script's digits, such as
/// `٣`, are refused: phone systems dial ASCII), [`EXTENSION_MIN_DIGITS`] to
/// [`EXTENSION_MAX_DIGITS`] digits. Leading zeros are kept: `0400` and `400` are
/// different extensions.
///
/// Codes: `required`, `not_digits`, `too_short`, `too_long`. A value with a non-digit is
/// `not_digits` whatever its length.
pub fn validate_extension(input: &str) -> Result<String, FieldError> {
    check_extension(input, "extension", "the extension")
}

fn check_extension(input: &str, field: &str, what: &str) -> Result<String, FieldError> {
    let extension = input.trim();
    if extension.is_empty() {
        return Err(FieldError::new(
            field,
            ErrorCode::Required,
            format!("Enter {what}."),
        ));
    }
    if !extension.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            field,
            ErrorCode::NotDigits,
            format!("Use only the digits 0–9 in {what}."),
        ));
    }
    // All ASCII, so bytes are characters.
    let digits = extension.len();
    if digits < EXTENSION_MIN_DIGITS {
        return Err(FieldError::new(
            field,
            ErrorCode::TooShort,
            format!("Use at least {EXTENSION_MIN_DIGITS} digits for {what}."),
        ));
    }
    if digits > EXTENSION_MAX_DIGITS {
        return Err(FieldError::new(
            field,
            ErrorCode::TooLong,
            format!("Shorten {what} to at most {EXTENSION_MAX_DIGITS} digits (it has {digits})."),
        ));
    }
    Ok(extension.to_string())
}

/// The no-answer destination's own shape (existence is checked by the server): an
/// Extension must pass [`validate_extension`] (same codes) and must not equal
/// `own_extension` (code `self_destination`: the call would ring the agent who did not
/// answer). `own_extension` is compared trimmed, as text, like extensions are stored.
/// Field `"no_answer"`.
pub fn validate_no_answer(
    no_answer: &NoAnswer,
    own_extension: &str,
) -> Result<NoAnswer, FieldError> {
    match no_answer {
        NoAnswer::None | NoAnswer::Voicemail => Ok(no_answer.clone()),
        NoAnswer::Extension { extension } => {
            let extension = check_extension(extension, "no_answer", "the no-answer extension")?;
            if extension == own_extension.trim() {
                return Err(FieldError::new(
                    "no_answer",
                    ErrorCode::SelfDestination,
                    "Choose another extension, voicemail or none: calls the agent does not answer cannot go back to the agent's own extension.",
                ));
            }
            Ok(NoAnswer::Extension { extension })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_number_handles_overflow_and_signs() {
        assert_eq!(extension_number("04000"), Some(4000));
        assert_eq!(extension_number("4294967295"), Some(u32::MAX));
        assert_eq!(extension_number("4294967296"), None);
        assert_eq!(extension_number("+4000"), None);
        assert_eq!(extension_number(""), None);
    }
}
