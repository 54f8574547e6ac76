//! The name and the preferred name: free text, bounded, with no invisible characters.

use crate::error_code::ErrorCode;
use crate::vocab::FieldError;

/// Longest name, in characters (not bytes: a name in any script gets the same room).
pub const NAME_MAX_CHARS: usize = 100;
/// Longest preferred name, in characters; it has to fit the web chat header.
pub const PREFERRED_NAME_MAX_CHARS: usize = 50;

/// The agent's full name: trimmed, 1–[`NAME_MAX_CHARS`] characters, none of them a
/// control or invisible formatting character (tabs, line breaks, zero-width and bidi
/// control characters, listed in full on `is_hidden_char` in the source). Inner whitespace
/// is kept as typed.
///
/// Codes: `required`, `too_long`, `control_characters` (checked in that order).
pub fn validate_name(input: &str) -> Result<String, FieldError> {
    validate_text(input, "name", "the name", NAME_MAX_CHARS, true)
}

/// How the agent's name appears to customers in web chat: trimmed, empty allowed (it
/// means "use the name"), at most [`PREFERRED_NAME_MAX_CHARS`] characters, and the same
/// character rule as [`validate_name`].
///
/// Codes: `too_long`, `control_characters`.
pub fn validate_preferred_name(input: &str) -> Result<String, FieldError> {
    validate_text(
        input,
        "preferred_name",
        "the preferred name",
        PREFERRED_NAME_MAX_CHARS,
        false,
    )
}

fn validate_text(
    input: &str,
    field: &str,
    what: &str,
    max_chars: usize,
    required: bool,
) -> Result<String, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return if required {
            Err(FieldError::new(
                field,
                ErrorCode::Required,
                format!("Enter {what}."),
            ))
        } else {
            Ok(String::new())
        };
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(FieldError::new(
            field,
            ErrorCode::TooLong,
            format!("Shorten {what} to at most {max_chars} characters (it has {chars})."),
        ));
    }
    if text.chars().any(is_hidden_char) {
        return Err(FieldError::new(
            field,
            ErrorCode::ControlCharacters,
            format!(
                "Remove tabs, line breaks and invisible formatting characters from {what} (they often come from copy and paste)."
            ),
        ));
    }
    Ok(text.to_string())
}

/// Characters a name must not contain: control characters (`char::is_control`: tabs,
/// newlines, C1 controls) and invisible format characters that make two different
/// strings look the same or reorder what is displayed:
///
/// - U+200B..U+200F (zero-width space, non-joiner, joiner; LRM/RLM) and U+2060..U+206F
///   (word joiner, invisible operators, bidi isolates U+2066..U+2069, deprecated
///   format characters), U+202A..U+202E (bidi embeddings and overrides, the classic
///   spoofing trick), U+061C (Arabic letter mark), U+FEFF (byte order mark);
/// - U+2028/U+2029 (line and paragraph separators: line breaks by another name);
/// - U+00AD (soft hyphen), U+034F (combining grapheme joiner), U+180E (Mongolian vowel
///   separator), U+17B4/U+17B5 (Khmer inherent vowels, discouraged by Unicode), the
///   Hangul fillers U+115F, U+1160, U+3164, U+FFA0 (letters that render as nothing),
///   U+FFF9..U+FFFB (interlinear annotation), U+1BCA0..U+1BCA3 (shorthand format
///   controls), U+1D173..U+1D17A (musical format controls);
/// - U+E0000..U+E007F (tag characters: invisible, and used to smuggle hidden text).
///
/// The zero-width joiner is in the first range, so emoji sequences joined by it (👩‍💻)
/// are refused; that is the price of refusing invisible characters. Variation selectors
/// (U+FE00..U+FE0F, used by emoji such as ❤️) are allowed: they only choose how a
/// character is drawn.
pub(super) fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// Variation selectors: fine in a name, but invisible in an address.
pub(super) fn is_variation_selector(c: char) -> bool {
    matches!(
        c,
        '\u{180B}'..='\u{180D}' | '\u{180F}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}'
    )
}
