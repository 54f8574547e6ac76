//! The email address (the agent's WebRTC login), its comparison key, and the
//! `+webrtc` address suggested when a phone user already has it.

use super::marks::COMBINING_MARKS;
use super::text::{is_hidden_char, is_variation_selector};
use crate::error_code::ErrorCode;
use crate::vocab::FieldError;

/// Longest email address, in characters (the SMTP path limit of RFC 5321 minus the
/// angle brackets).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest local part (before the `@`), in characters (RFC 5321).
const EMAIL_LOCAL_MAX_CHARS: usize = 64;
/// Longest domain label (between dots), in characters (RFC 1035).
const EMAIL_LABEL_MAX_CHARS: usize = 63;

/// An email address, as a mail system would accept it for the agent's WebRTC login.
///
/// Trimmed; at most [`EMAIL_MAX_CHARS`] characters; exactly one `@`.
///
/// - The local part (before `@`) is 1–64 characters of ASCII atext
///   (`` A-Za-z0-9!#$%&'*+/=?^_`{|}~- ``), dots, and (for SMTPUTF8 addresses) Unicode
///   letters and digits; no dot at either end and no two dots in a row. Quoted local
///   parts (`"a b"@x.com`) and comments are refused: they are legal in RFC 5322 but
///   most mail systems refuse them, and an agent could not log in with one.
/// - The domain is two or more labels separated by dots, each 1–63 characters of
///   letters (Unicode letters too, for internationalised names like `bücher.example`),
///   digits and hyphens, not starting or ending with a hyphen. The last label (the
///   top-level domain) has at least 2 characters and is not all digits, which also
///   refuses bare IP addresses; IP literals (`[1.2.3.4]`) are refused too. A trailing
///   dot (`x.com.`) is refused.
/// - No whitespace, control or invisible formatting character anywhere.
///
/// Combining marks (accents typed as separate characters, Indic viramas, Thai tone
/// marks...) are accepted after a letter, digit or another mark, because many words in
/// those scripts cannot be written without them; Rust's `char::is_alphanumeric` does
/// not count them as letters. Limits are counted in characters, like the other fields;
/// the octet limits of SMTP and the punycode length of a label are not checked (that
/// would need Unicode normalisation and punycode tables this crate does not carry).
///
/// Plus-addresses (`jane+tag@x.com`) are valid. The address is returned trimmed but
/// otherwise as typed: not lowercased (see [`email_key`] for comparisons).
///
/// Codes: `required`, `too_long` (the address, the local part or a domain label),
/// `invalid_email` (the message says what to change).
pub fn validate_email(input: &str) -> Result<String, FieldError> {
    let email = input.trim();
    if email.is_empty() {
        return Err(FieldError::new(
            "email",
            ErrorCode::Required,
            "Enter the agent's email address, such as jane.doe@example.com.",
        ));
    }
    let chars = email.chars().count();
    if chars > EMAIL_MAX_CHARS {
        return Err(FieldError::new(
            "email",
            ErrorCode::TooLong,
            format!(
                "Shorten the email address to at most {EMAIL_MAX_CHARS} characters (it has {chars})."
            ),
        ));
    }
    match email_problem(email) {
        None => Ok(email.to_string()),
        Some((code, message)) => Err(FieldError::new("email", code, message)),
    }
}

const INVALID: ErrorCode = ErrorCode::InvalidEmail;

/// What is wrong with a trimmed address of acceptable length, if anything.
fn email_problem(email: &str) -> Option<(ErrorCode, String)> {
    let invalid = |message: String| Some((INVALID, message));
    if email.chars().any(char::is_whitespace) {
        return invalid("Remove the spaces from the email address.".into());
    }
    if email.chars().any(char::is_control) {
        return invalid(
            "Remove line breaks and other control characters from the email address.".into(),
        );
    }
    if email
        .chars()
        .any(|c| is_hidden_char(c) || is_variation_selector(c))
    {
        return invalid(
            "Remove the invisible formatting characters from the email address (they often come from copy and paste)."
                .into(),
        );
    }
    let Some((local, domain)) = email.split_once('@') else {
        if email.contains('\u{FF20}') {
            return invalid("Replace “＠” with a plain @.".into());
        }
        return invalid(
            "Add an @ between the name and the domain, as in jane.doe@example.com.".into(),
        );
    };
    if domain.contains('@') {
        return invalid(
            "Use a single @ in the email address, as in jane.doe@example.com (quoted addresses are not accepted)."
                .into(),
        );
    }
    local_part_problem(local).or_else(|| domain_problem(domain))
}

fn local_part_problem(local: &str) -> Option<(ErrorCode, String)> {
    let invalid = |message: String| Some((INVALID, message));
    if local.is_empty() {
        return invalid("Add the part before the @, as in jane.doe@example.com.".into());
    }
    if local.starts_with('"') {
        return invalid(
            "Remove the quotation marks from the email address: quoted addresses are not accepted."
                .into(),
        );
    }
    let chars = local.chars().count();
    if chars > EMAIL_LOCAL_MAX_CHARS {
        return Some((
            ErrorCode::TooLong,
            format!(
                "Shorten the part before the @ to at most {EMAIL_LOCAL_MAX_CHARS} characters (it has {chars})."
            ),
        ));
    }
    let mut previous = None;
    for c in local.chars() {
        let allowed = c == '.'
            || is_atext(c)
            || (!c.is_ascii() && c.is_alphanumeric())
            || (is_combining_mark(c) && previous.is_some_and(is_base_or_mark));
        if !allowed {
            return invalid(format!(
                "Remove “{c}” from the part before the @: use letters, digits, dots and {ATEXT_SYMBOLS} only."
            ));
        }
        previous = Some(c);
    }
    if local.starts_with('.') || local.ends_with('.') {
        return invalid("Remove the dot at the start or end of the part before the @.".into());
    }
    if local.contains("..") {
        return invalid("Replace the two dots in a row before the @ with a single dot.".into());
    }
    None
}

fn domain_problem(domain: &str) -> Option<(ErrorCode, String)> {
    let invalid = |message: String| Some((INVALID, message));
    if domain.is_empty() {
        return invalid("Add the domain after the @, as in jane.doe@example.com.".into());
    }
    if domain.starts_with('[') {
        return invalid(
            "Use a domain name such as example.com after the @: IP addresses are not accepted."
                .into(),
        );
    }
    if let Some(dot) = domain
        .chars()
        .find(|c| matches!(c, '\u{3002}' | '\u{FF0E}' | '\u{FF61}'))
    {
        return invalid(format!(
            "Replace “{dot}” in the domain with a plain dot (.)."
        ));
    }
    if !domain.contains('.') {
        return invalid(format!(
            "Add the ending of the domain, as in {domain}.com: the domain needs at least one dot."
        ));
    }
    // The address is at most EMAIL_MAX_CHARS long, so this is bounded.
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.iter().any(|l| l.is_empty()) {
        return invalid(
            "Remove the dot at the start or end of the domain, or the extra dot in a row.".into(),
        );
    }
    for label in &labels {
        let chars = label.chars().count();
        if chars > EMAIL_LABEL_MAX_CHARS {
            return Some((
                ErrorCode::TooLong,
                format!(
                    "Shorten each part of the domain between dots to at most {EMAIL_LABEL_MAX_CHARS} characters (one has {chars})."
                ),
            ));
        }
        let mut previous = None;
        for c in label.chars() {
            let allowed = c.is_ascii_alphanumeric()
                || c == '-'
                || (!c.is_ascii() && c.is_alphanumeric())
                || (is_combining_mark(c) && previous.is_some_and(is_base_or_mark));
            if !allowed {
                return invalid(format!(
                    "Remove “{c}” from the domain: use letters, digits, hyphens and dots only."
                ));
            }
            previous = Some(c);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return invalid(format!(
                "Remove the hyphen at the start or end of “{label}” in the domain."
            ));
        }
    }
    let tld = labels[labels.len() - 1];
    if tld.chars().all(char::is_numeric) {
        return invalid(
            "End the domain with a name such as .com, not a number: IP addresses are not accepted."
                .into(),
        );
    }
    if tld.chars().count() < 2 {
        return invalid(format!(
            "Complete the ending of the domain after the last dot (“.{tld}” is too short)."
        ));
    }
    None
}

/// The ASCII symbols RFC 5322 allows unquoted in a local part, for messages.
const ATEXT_SYMBOLS: &str = "!#$%&'*+/=?^_`{|}~-";

/// RFC 5322 `atext`: ASCII letters, digits and [`ATEXT_SYMBOLS`].
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || ATEXT_SYMBOLS.contains(c)
}

/// What a combining mark may follow.
fn is_base_or_mark(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// Combining marks (Unicode general categories Mn, Mc, Me) that Rust's
/// `char::is_alphanumeric` does not already accept, so that the email rule can accept
/// words such as `नमस्ते` (U+094D virama) or `ไม่` (U+0E48 tone mark).
///
/// Generated from the Unicode 14 character database. Ranges may span characters that
/// are alphanumeric anyway (harmless: those are accepted either way). The invisible
/// marks U+034F, U+17B4, U+17B5 and the variation selectors are left out on purpose.
/// Every character in a range is a mark, letter or digit in Unicode 14 (checked when the
/// table was generated; the unit test below checks what std can: no ASCII, space,
/// control or invisible character).
fn is_combining_mark(c: char) -> bool {
    let c = u32::from(c);
    c >= 0x300
        && COMBINING_MARKS
            .binary_search_by(|&(first, last)| {
                if last < c {
                    std::cmp::Ordering::Less
                } else if first > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
}

/// The address to suggest when a WebRTC agent's email is already a UC user's: the same
/// mailbox with a `+webrtc` tag, so the association stays visible and mail still
/// arrives (plus-addressing is delivered to the untagged mailbox by common providers).
///
/// `jane.doe@example.com` -> `jane.doe+webrtc@example.com`; with n > 1:
/// `jane.doe+webrtc2@example.com` (for when the first suggestion is taken too; n = 0 is
/// treated as 1). If the local part already has a `+tag`, the tag is added before the
/// `@` anyway (`a+b@x.io` -> `a+b+webrtc@x.io`): replacing the existing tag could
/// deliver to a different mailbox on systems that do not strip tags.
/// The address is trimmed first and otherwise kept as typed.
///
/// None if `email` is not a valid address or the result would exceed the length limits.
pub fn plus_address(email: &str, n: u32) -> Option<String> {
    let email = validate_email(email).ok()?;
    let (local, domain) = email.split_once('@')?;
    let tag = if n > 1 {
        format!("+webrtc{n}")
    } else {
        "+webrtc".to_string()
    };
    validate_email(&format!("{local}{tag}@{domain}")).ok()
}

/// Case-insensitive comparison key for emails (uniqueness is case-insensitive): trimmed +
/// lowercased (Unicode lowercase, so `JANE@BÜCHER.EXAMPLE` and `jane@bücher.example`
/// collide). Store the address as typed and compare keys.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combining_mark_table_is_sorted_and_holds_no_punctuation_or_space() {
        for pair in COMBINING_MARKS.windows(2) {
            assert!(pair[0].1 < pair[1].0, "{pair:x?}");
        }
        for &(first, last) in COMBINING_MARKS {
            assert!(first <= last);
            for c in (first..=last).filter_map(char::from_u32) {
                assert!(
                    !c.is_ascii() && !c.is_whitespace() && !c.is_control(),
                    "{c:?}"
                );
                assert!(!is_hidden_char(c) && !is_variation_selector(c), "{c:?}");
            }
        }
        for c in ['\u{301}', '\u{94D}', '\u{E48}', '\u{17D2}', '\u{1E944}'] {
            assert!(is_combining_mark(c), "{c:?}");
        }
        for c in [
            'a',
            '.',
            '\u{2FF}',
            '\u{964}',
            '\u{3002}',
            '\u{FE0F}',
            '\u{10FFFF}',
        ] {
            assert!(!is_combining_mark(c), "{c:?}");
        }
    }
}
