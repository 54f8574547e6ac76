//! The console's password policy, checked as the user types and again by the server
//! (the CLI's `users add` and `reset-password` too): one function, [`check_password`].
//!
//! The rules follow NIST SP 800-63B and OWASP ASVS 2.1: long rather than complicated
//! (at least 12 characters, no rules about digits or symbols), at most 1,024 bytes (a
//! password hash must not become a way to make the server work hard), not the
//! account's own email, and not a commonly used password.

use crate::FieldError;
use crate::error_code::ErrorCode;

/// Fewest characters (Unicode scalar values) a password may have.
pub const MIN_CHARS: usize = 12;
/// Most bytes (UTF-8) a password may have.
pub const MAX_BYTES: usize = 1024;

/// Lower-case, one a line, sorted: see `data/common_passwords.py` for where it comes
/// from and what was kept.
const COMMON: &str = include_str!("../data/common-passwords.txt");

/// Whether `word` (already lower-case) is on the common-passwords list.
fn listed(word: &str) -> bool {
    // The list is sorted, so a binary search over its lines needs no allocation
    // beyond the index, built once.
    static LINES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    LINES
        .get_or_init(|| COMMON.lines().collect())
        .binary_search(&word)
        .is_ok()
}

/// Whether a password is a common one, or a common one padded with digits and symbols
/// at either end (`Password2026!`, `!!qwertyuiop12`), or one repeated (`monkeymonkey`).
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    if listed(&lower) {
        return true;
    }
    let core = lower.trim_matches(|c: char| {
        c.is_ascii_digit() || c.is_ascii_punctuation() || c.is_whitespace()
    });
    if core.chars().count() >= 4 && listed(core) {
        return true;
    }
    // The same short piece over and over ("abcabcabcabc", "aaaaaaaaaaaa").
    let chars: Vec<char> = lower.chars().collect();
    (1..=chars.len() / 2).any(|n| {
        chars.len().is_multiple_of(n) && chars.chunks(n).all(|c| c == &chars[..n]) && {
            let piece: String = chars[..n].iter().collect();
            n < 4 || listed(&piece)
        }
    })
}

/// Checks a new password for the account with this email. The error is for the field
/// named `field` (`password` on the admin's forms, `new_password` when changing one's
/// own).
pub fn check_password(password: &str, email: &str, field: &str) -> Result<(), FieldError> {
    let refuse = |code: ErrorCode, message: &str| Err(FieldError::new(field, code, message));
    if password.len() > MAX_BYTES {
        return refuse(
            ErrorCode::PasswordTooLong,
            "Use at most 1,024 bytes (a long passphrase is fine, a whole document is not).",
        );
    }
    if password.chars().count() < MIN_CHARS {
        return refuse(
            ErrorCode::PasswordTooShort,
            "Use at least 12 characters. A few unrelated words make a good password.",
        );
    }
    let lower = password.to_lowercase();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if !email.is_empty()
        && (lower == email || (local.chars().count() >= 4 && lower.contains(local)))
    {
        return refuse(
            ErrorCode::PasswordIsEmail,
            "Do not use the email address (or its name part) in the password.",
        );
    }
    if is_common(password) {
        return refuse(
            ErrorCode::PasswordCommon,
            "This password is too common: it is among the first ones an attacker tries. Choose another.",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(p: &str) -> Option<ErrorCode> {
        check_password(p, "jane.doe@example.com", "password")
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn the_list_is_sorted_lower_case_and_a_few_thousand_long() {
        let lines: Vec<&str> = COMMON.lines().collect();
        assert!(lines.len() > 3000, "{}", lines.len());
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        assert!(lines.iter().all(|l| *l == l.to_lowercase()));
        assert!(listed("password") && listed("qwertyuiop") && listed("1q2w3e4r5t6y"));
    }

    #[test]
    fn good_passwords_pass() {
        for p in [
            "correct horse battery staple",
            "Tr0ub4dor&3-but-longer",
            "nine lives of a cat",
            "ünïcödé-pässwörd",
        ] {
            assert_eq!(code(p), None, "{p}");
        }
    }

    #[test]
    fn each_rule_has_its_code() {
        assert_eq!(code("short-one"), Some(ErrorCode::PasswordTooShort));
        // Twelve characters, not twelve bytes.
        assert_eq!(code("ééééééééééé"), Some(ErrorCode::PasswordTooShort));
        assert_eq!(code(&"x".repeat(1025)), Some(ErrorCode::PasswordTooLong));
        assert_eq!(
            code("jane.doe@example.com"),
            Some(ErrorCode::PasswordIsEmail)
        );
        assert_eq!(
            code("JANE.DOE-rocks-2026"),
            Some(ErrorCode::PasswordIsEmail)
        );
        assert_eq!(code("1qaz2wsx3edc"), Some(ErrorCode::PasswordCommon));
        assert_eq!(code("1q2w3e4r5t6y"), Some(ErrorCode::PasswordCommon));
        assert_eq!(code("Password2026!!"), Some(ErrorCode::PasswordCommon));
        assert_eq!(code("!!Sunshine123456"), Some(ErrorCode::PasswordCommon));
        assert_eq!(code("monkeymonkeymonkey"), Some(ErrorCode::PasswordCommon));
        assert_eq!(code("aaaaaaaaaaaaaaa"), Some(ErrorCode::PasswordCommon));
        assert_eq!(code("abcabcabcabc"), Some(ErrorCode::PasswordCommon));
    }

    #[test]
    fn the_field_is_named_as_asked() {
        let e = check_password("short", "a@b.c", "new_password").unwrap_err();
        assert_eq!(e.field, "new_password");
    }
}
