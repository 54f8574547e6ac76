//! The agent profile: what the Add Agent / edit form holds, and the rules each field
//! must meet.
//!
//! The browser runs these validators as the user types and the server runs them again
//! before it writes, so both sides give the same answer and the same message. Checks
//! that need data (is the email or extension already taken, does the no-answer
//! extension exist) belong to the server; everything that can be decided from the value
//! alone is here.
//!
//! Every validator trims its input and returns the value to store, so what is saved is
//! exactly what was checked. Problems come back as [`FieldError`]s whose `code` is
//! stable for programs and whose `message` tells a person how to fix the value.

use crate::error_code::ErrorCode;
use serde::{Deserialize, Serialize};

use crate::vocab::FieldError;

/// Recording rule for an agent's calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingMode {
    /// Every call is recorded; the agent may pause and resume. The product default.
    #[default]
    Automatic,
    /// Every call is recorded and the agent cannot pause: for lines that must keep a
    /// complete record.
    AutomaticNoPause,
    /// Nothing is recorded unless the agent starts it.
    Manual,
    /// Never recorded.
    Disabled,
}

impl RecordingMode {
    /// In the order the form lists them.
    pub const ALL: [RecordingMode; 4] = [
        RecordingMode::Automatic,
        RecordingMode::AutomaticNoPause,
        RecordingMode::Manual,
        RecordingMode::Disabled,
    ];

    /// The stable key used on the wire and in the database (the serde form too).
    pub const fn key(self) -> &'static str {
        match self {
            RecordingMode::Automatic => "automatic",
            RecordingMode::AutomaticNoPause => "automatic_no_pause",
            RecordingMode::Manual => "manual",
            RecordingMode::Disabled => "disabled",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == key)
    }

    /// What a person reads.
    pub const fn label(self) -> &'static str {
        match self {
            RecordingMode::Automatic => "Automatic",
            RecordingMode::AutomaticNoPause => "Automatic (Pausing Prohibited)",
            RecordingMode::Manual => "Manual",
            RecordingMode::Disabled => "Disabled",
        }
    }

    /// One line shown under the choice, so that a supervisor need not guess what the
    /// label means.
    pub const fn description(self) -> &'static str {
        match self {
            RecordingMode::Automatic => "Every call is recorded; the agent has recording controls.",
            RecordingMode::AutomaticNoPause => {
                "Every call is recorded; the agent has no recording controls."
            }
            RecordingMode::Manual => {
                "Calls are not recorded automatically; the agent has recording controls."
            }
            RecordingMode::Disabled => {
                "Calls are never recorded; the agent has no recording controls."
            }
        }
    }
}

/// Where a call goes when the agent does not answer.
///
/// On the wire: `{"kind":"none"}`, `{"kind":"voicemail"}` or
/// `{"kind":"extension","extension":"2001"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoAnswer {
    /// The call keeps ringing until the caller gives up. The product default.
    #[default]
    None,
    Voicemail,
    /// Another agent, UC user or UC group. Only its shape is checked here
    /// ([`validate_no_answer`]); the server checks that it exists.
    Extension {
        extension: String,
    },
}

/// The editable profile of an agent (what the Add/Edit form holds and the API takes).
///
/// The optional fields default when missing from the JSON, so an older client or a
/// minimal API call still works.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProfile {
    pub name: String,
    pub email: String,
    pub extension: String,
    /// How the agent's name appears to customers in web chat; `""` means none (the
    /// name is used).
    #[serde(default)]
    pub preferred_name: String,
    #[serde(default)]
    pub no_answer: NoAnswer,
    #[serde(default)]
    pub recording: RecordingMode,
    #[serde(default)]
    pub review_own_recordings: bool,
}

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
                Some((code, message)) => errors.push(field_error(field, code, message)),
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
                    errors.push(field_error(
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

/// Longest name, in characters (not bytes: a name in any script gets the same room).
pub const NAME_MAX_CHARS: usize = 100;
/// Longest preferred name, in characters; it has to fit the web chat header.
pub const PREFERRED_NAME_MAX_CHARS: usize = 50;
/// Longest email address, in characters (the SMTP path limit of RFC 5321 minus the
/// angle brackets).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest local part (before the `@`), in characters (RFC 5321).
const EMAIL_LOCAL_MAX_CHARS: usize = 64;
/// Longest domain label (between dots), in characters (RFC 1035).
const EMAIL_LABEL_MAX_CHARS: usize = 63;
pub const EXTENSION_MIN_DIGITS: usize = 2;
pub const EXTENSION_MAX_DIGITS: usize = 8;
/// The largest number an extension of [`EXTENSION_MAX_DIGITS`] digits can be.
pub const MAX_EXTENSION_VALUE: u32 = 99_999_999;

fn field_error(field: &str, code: ErrorCode, message: impl Into<String>) -> FieldError {
    FieldError::new(field, code, message)
}

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
            Err(field_error(
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
        return Err(field_error(
            field,
            ErrorCode::TooLong,
            format!("Shorten {what} to at most {max_chars} characters (it has {chars})."),
        ));
    }
    if text.chars().any(is_hidden_char) {
        return Err(field_error(
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
fn is_hidden_char(c: char) -> bool {
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
fn is_variation_selector(c: char) -> bool {
    matches!(
        c,
        '\u{180B}'..='\u{180D}' | '\u{180F}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}'
    )
}

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
        return Err(field_error(
            "email",
            ErrorCode::Required,
            "Enter the agent's email address, such as jane.doe@example.com.",
        ));
    }
    let chars = email.chars().count();
    if chars > EMAIL_MAX_CHARS {
        return Err(field_error(
            "email",
            ErrorCode::TooLong,
            format!(
                "Shorten the email address to at most {EMAIL_MAX_CHARS} characters (it has {chars})."
            ),
        ));
    }
    match email_problem(email) {
        None => Ok(email.to_string()),
        Some((code, message)) => Err(field_error("email", code, message)),
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

#[rustfmt::skip]
const COMBINING_MARKS: &[(u32, u32)] = &[
    (0x0300, 0x034E), (0x0350, 0x0362), (0x0483, 0x0489), (0x0591, 0x05AF), (0x0658, 0x0658),
    (0x06DF, 0x06E0), (0x06EA, 0x06EC), (0x0740, 0x074A), (0x07EB, 0x07F3), (0x07FD, 0x07FD),
    (0x0818, 0x082D), (0x0859, 0x085B), (0x0898, 0x08E1), (0x08EA, 0x0954), (0x09BC, 0x09BC),
    (0x09CD, 0x09CD), (0x09FE, 0x09FE), (0x0A3C, 0x0A3C), (0x0A4D, 0x0A4D), (0x0ABC, 0x0ABC),
    (0x0ACD, 0x0ACD), (0x0AFD, 0x0AFF), (0x0B3C, 0x0B3C), (0x0B4D, 0x0B4D), (0x0B55, 0x0B55),
    (0x0BCD, 0x0BCD), (0x0C3C, 0x0C3C), (0x0C4D, 0x0C4D), (0x0CBC, 0x0CBC), (0x0CCD, 0x0CCD),
    (0x0D3B, 0x0D3C), (0x0D4D, 0x0D4D), (0x0DCA, 0x0DCA), (0x0E47, 0x0E4E), (0x0EBA, 0x0EBA),
    (0x0EC8, 0x0ECC), (0x0F18, 0x0F19), (0x0F35, 0x0F35), (0x0F37, 0x0F37), (0x0F39, 0x0F39),
    (0x0F3E, 0x0F3F), (0x0F84, 0x0F84), (0x0F86, 0x0F87), (0x0FC6, 0x0FC6), (0x1037, 0x103A),
    (0x135D, 0x135F), (0x1714, 0x1715), (0x1734, 0x1734), (0x17C9, 0x17D3), (0x17DD, 0x17DD),
    (0x1939, 0x193B), (0x1A60, 0x1A7C), (0x1A7F, 0x1A7F), (0x1AB0, 0x1ACB), (0x1B34, 0x1B44),
    (0x1B6B, 0x1B73), (0x1BAA, 0x1BF3), (0x1C37, 0x1C37), (0x1CD0, 0x1CD2), (0x1CD4, 0x1CF9),
    (0x1DC0, 0x1DFF), (0x20D0, 0x20F0), (0x2CEF, 0x2CF1), (0x2D7F, 0x2D7F), (0x302A, 0x302F),
    (0x3099, 0x309A), (0xA66F, 0xA672), (0xA67C, 0xA67D), (0xA6F0, 0xA6F1), (0xA806, 0xA806),
    (0xA82C, 0xA82C), (0xA8C4, 0xA8C4), (0xA8E0, 0xA8F1), (0xA92B, 0xA92D), (0xA953, 0xA953),
    (0xA9B3, 0xA9C0), (0xAABF, 0xAAC1), (0xAAF6, 0xAAF6), (0xABEC, 0xABED), (0xFE20, 0xFE2F),
    (0x101FD, 0x101FD), (0x102E0, 0x102E0), (0x10A38, 0x10A3A), (0x10A3F, 0x10A3F), (0x10AE5, 0x10AE6),
    (0x10F46, 0x10F50), (0x10F82, 0x10F85), (0x11046, 0x11046), (0x11070, 0x11070), (0x1107F, 0x110BA),
    (0x11133, 0x11134), (0x11173, 0x11173), (0x111C0, 0x111C0), (0x111C9, 0x111CC), (0x11235, 0x11236),
    (0x112E9, 0x112EA), (0x1133B, 0x1133C), (0x1134D, 0x1134D), (0x11366, 0x1136C), (0x11370, 0x11374),
    (0x11442, 0x11446), (0x1145E, 0x1145E), (0x114C2, 0x114C3), (0x115BF, 0x115C0), (0x1163F, 0x1163F),
    (0x116B6, 0x116B7), (0x1172B, 0x1172B), (0x11839, 0x1183A), (0x1193D, 0x11943), (0x119E0, 0x119E0),
    (0x11A33, 0x11A34), (0x11A47, 0x11A47), (0x11A98, 0x11A99), (0x11C3F, 0x11C3F), (0x11D42, 0x11D45),
    (0x11D97, 0x11D97), (0x16AF0, 0x16AF4), (0x16B30, 0x16B36), (0x16FE4, 0x16FE4), (0x1BC9D, 0x1BC9D),
    (0x1CF00, 0x1CF2D), (0x1CF30, 0x1CF46), (0x1D165, 0x1D169), (0x1D16D, 0x1D172), (0x1D17B, 0x1D182),
    (0x1D185, 0x1D18B), (0x1D1AA, 0x1D1AD), (0x1D242, 0x1D244), (0x1DA00, 0x1DA36), (0x1DA3B, 0x1DA6C),
    (0x1DA75, 0x1DA75), (0x1DA84, 0x1DA84), (0x1DA9B, 0x1DA9F), (0x1DAA1, 0x1DAAF), (0x1E130, 0x1E136),
    (0x1E2AE, 0x1E2AE), (0x1E2EC, 0x1E2EF), (0x1E8D0, 0x1E8D6), (0x1E944, 0x1E94A),
];

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
        return Err(field_error(
            field,
            ErrorCode::Required,
            format!("Enter {what}."),
        ));
    }
    if !extension.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_error(
            field,
            ErrorCode::NotDigits,
            format!("Use only the digits 0–9 in {what}."),
        ));
    }
    // All ASCII, so bytes are characters.
    let digits = extension.len();
    if digits < EXTENSION_MIN_DIGITS {
        return Err(field_error(
            field,
            ErrorCode::TooShort,
            format!("Use at least {EXTENSION_MIN_DIGITS} digits for {what}."),
        ));
    }
    if digits > EXTENSION_MAX_DIGITS {
        return Err(field_error(
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
                return Err(field_error(
                    "no_answer",
                    ErrorCode::SelfDestination,
                    "Choose another extension, voicemail or none: calls the agent does not answer cannot go back to the agent's own extension.",
                ));
            }
            Ok(NoAnswer::Extension { extension })
        }
    }
}

/// All of the above at once: the cleaned profile, or every problem (one per field at
/// most, in form order: name, email, extension, preferred_name, no_answer).
///
/// The no-answer extension is compared with the cleaned extension when that is valid,
/// and with the trimmed input otherwise, so a self-destination is still reported while
/// the extension itself is being fixed. Recording mode and the review toggle cannot be
/// invalid and are passed through.
pub fn validate_profile(p: &AgentProfile) -> Result<AgentProfile, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut keep = |result: Result<String, FieldError>| {
        result.unwrap_or_else(|e| {
            errors.push(e);
            String::new()
        })
    };
    let name = keep(validate_name(&p.name));
    let email = keep(validate_email(&p.email));
    let extension = validate_extension(&p.extension);
    let own_extension = extension
        .as_ref()
        .map_or_else(|_| p.extension.trim().to_string(), Clone::clone);
    let extension = keep(extension);
    let preferred_name = keep(validate_preferred_name(&p.preferred_name));
    let no_answer = validate_no_answer(&p.no_answer, &own_extension).unwrap_or_else(|e| {
        errors.push(e);
        NoAnswer::None
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(AgentProfile {
        name,
        email,
        extension,
        preferred_name,
        no_answer,
        recording: p.recording,
        review_own_recordings: p.review_own_recordings,
    })
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

    #[test]
    fn extension_number_handles_overflow_and_signs() {
        assert_eq!(extension_number("04000"), Some(4000));
        assert_eq!(extension_number("4294967295"), Some(u32::MAX));
        assert_eq!(extension_number("4294967296"), None);
        assert_eq!(extension_number("+4000"), None);
        assert_eq!(extension_number(""), None);
    }
}
