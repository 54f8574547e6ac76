//! The agent profile rules: what each validator accepts and refuses (with the exact
//! code), that nothing panics on any input, the extension plan, and the wire format.

use alc_domain::profile::{
    EMAIL_MAX_CHARS, EXTENSION_MAX_DIGITS, MAX_EXTENSION_VALUE, NAME_MAX_CHARS,
    PREFERRED_NAME_MAX_CHARS,
};
use alc_domain::*;
use proptest::prelude::*;
use serde_json::json;

/// The code of the error, or "ok".
fn code<T>(result: Result<T, FieldError>) -> String {
    match result {
        Ok(_) => "ok".to_string(),
        Err(e) => e.code.to_string(),
    }
}

/// Checks the shape every error must have: the field given, a snake_case code, and a
/// sentence for a person.
fn assert_well_formed(e: &FieldError, field: &str) {
    assert_eq!(e.field, field, "{e:?}");
    assert!(
        !e.code.as_str().is_empty()
            && e.code
                .as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_'),
        "{e:?}"
    );
    assert!(
        e.message.len() > 10 && e.message.ends_with('.'),
        "message must be a sentence: {e:?}"
    );
    assert!(
        e.message.chars().next().is_some_and(char::is_uppercase),
        "{e:?}"
    );
}

fn check_table(
    field: &str,
    validate: fn(&str) -> Result<String, FieldError>,
    cases: &[(&str, &str)],
) {
    for (input, expected) in cases {
        let result = validate(input);
        if let Err(e) = &result {
            assert_well_formed(e, field);
        }
        assert_eq!(code(result), *expected, "{field} {input:?}");
    }
}

// --- Name and preferred name ---------------------------------------------------------

#[test]
fn name_table() {
    let hundred = "é".repeat(NAME_MAX_CHARS);
    let too_long = "a".repeat(NAME_MAX_CHARS + 1);
    check_table(
        "name",
        validate_name,
        &[
            ("Jane Doe", "ok"),
            ("  Jane  Doe  ", "ok"),
            ("J", "ok"),
            ("Seán O'Brien-Smith", "ok"),
            ("王小明", "ok"),
            ("محمد", "ok"),
            ("Jane \u{00A0}Doe", "ok"),
            ("Jane ❤️", "ok"),
            (&hundred, "ok"),
            ("", "required"),
            ("   \t\n ", "required"),
            (&too_long, "too_long"),
            ("Jane\tDoe", "control_characters"),
            ("Jane\nDoe", "control_characters"),
            ("Jane\u{0}Doe", "control_characters"),
            ("Jane\u{7F}", "control_characters"),
            ("Jane\u{85}Doe", "control_characters"),
            ("Ja\u{200B}ne", "control_characters"),
            ("Jane\u{200F}", "control_characters"),
            ("\u{202E}eoD enaJ", "control_characters"),
            ("Jane \u{2066}Doe\u{2069}", "control_characters"),
            ("Jane\u{2028}Doe", "control_characters"),
            ("Jane\u{FEFF}", "control_characters"),
            ("Ja\u{AD}ne", "control_characters"),
            ("Jane\u{3164}", "control_characters"),
            ("Jane\u{E0041}", "control_characters"),
            ("\u{200B}", "control_characters"),
        ],
    );
}

#[test]
fn name_is_trimmed_and_inner_whitespace_kept() {
    assert_eq!(validate_name("  Jane   Doe \n").unwrap(), "Jane   Doe");
    // Counted in characters, not bytes: 100 three-byte characters fit.
    let name = "語".repeat(NAME_MAX_CHARS);
    assert_eq!(validate_name(&name).unwrap(), name);
}

#[test]
fn preferred_name_table() {
    let fifty = "x".repeat(PREFERRED_NAME_MAX_CHARS);
    let too_long = "x".repeat(PREFERRED_NAME_MAX_CHARS + 1);
    check_table(
        "preferred_name",
        validate_preferred_name,
        &[
            ("", "ok"),
            ("   ", "ok"),
            ("Jen", "ok"),
            (" Jen ", "ok"),
            (&fifty, "ok"),
            (&too_long, "too_long"),
            ("Jen\r\n", "ok"),
            ("J\ren", "control_characters"),
            ("Jen\u{202A}", "control_characters"),
            ("Jen\u{200D}", "control_characters"),
        ],
    );
    assert_eq!(validate_preferred_name("  ").unwrap(), "");
    assert_eq!(validate_preferred_name(" Jen ").unwrap(), "Jen");
}

// --- Email -----------------------------------------------------------------------------

#[test]
fn email_table() {
    let local_64 = format!("{}@example.com", "a".repeat(64));
    let local_65 = format!("{}@example.com", "a".repeat(65));
    // 254 and 255 characters in all.
    let address = |len: usize| {
        let domain_len = len - 2; // "a@"
        let labels = [
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
            "e".repeat(domain_len - 3 * 64),
        ];
        format!("a@{}", labels.join("."))
    };
    let (max, over) = (address(EMAIL_MAX_CHARS), address(EMAIL_MAX_CHARS + 1));
    assert_eq!(max.chars().count(), 254);
    assert_eq!(over.chars().count(), 255);
    let label_64 = format!("a@{}.com", "b".repeat(64));
    check_table(
        "email",
        validate_email,
        &[
            ("jane.doe@example.com", "ok"),
            ("  jane.doe@example.com  ", "ok"),
            ("o'brien@example.com", "ok"),
            ("jane+webrtc@example.com", "ok"),
            ("a+b+c@x.io", "ok"),
            ("Jane.Doe@Example.COM", "ok"),
            ("!#$%&'*+/=?^_`{|}~-@example.com", "ok"),
            ("用户@例子.广告", "ok"),
            ("x@bücher.example", "ok"),
            ("josé@example.com", "ok"),
            ("नमस्ते@उदाहरण.भारत", "ok"),
            ("x@ไม่.ไทย", "ok"),
            ("jose\u{301}@example.com", "ok"),
            ("a@b-c.d-e.com", "ok"),
            ("a@x.xn--p1ai", "ok"),
            ("a@123.example", "ok"),
            ("a@x.c0m", "ok"),
            (&local_64, "ok"),
            (&max, "ok"),
            ("", "required"),
            ("   ", "required"),
            (&local_65, "too_long"),
            (&over, "too_long"),
            (&label_64, "too_long"),
            ("a@b", "invalid_email"),
            ("a..b@x.com", "invalid_email"),
            (".a@x.com", "invalid_email"),
            ("a.@x.com", "invalid_email"),
            ("a@-x.com", "invalid_email"),
            ("a@x-.com", "invalid_email"),
            ("a@x.123", "invalid_email"),
            ("a@x.c", "invalid_email"),
            ("a b@x.com", "invalid_email"),
            ("a@x .com", "invalid_email"),
            ("a\t@x.com", "invalid_email"),
            ("a@[1.2.3.4]", "invalid_email"),
            ("a@1.2.3.4", "invalid_email"),
            ("\"a\"@x.com", "invalid_email"),
            ("\"a@b\"@x.com", "invalid_email"),
            ("a(comment)@x.com", "invalid_email"),
            ("a@x.com(comment)", "invalid_email"),
            ("jane.example.com", "invalid_email"),
            ("jane＠example.com", "invalid_email"),
            ("@example.com", "invalid_email"),
            ("jane@", "invalid_email"),
            ("a@b@x.com", "invalid_email"),
            ("a@x..com", "invalid_email"),
            ("a@.x.com", "invalid_email"),
            ("a@x.com.", "invalid_email"),
            ("a@x_y.com", "invalid_email"),
            ("a@例子。广告", "invalid_email"),
            ("a,b@x.com", "invalid_email"),
            ("a<b>@x.com", "invalid_email"),
            ("a\\b@x.com", "invalid_email"),
            ("a\u{200B}@x.com", "invalid_email"),
            ("a@x\u{FE0F}.com", "invalid_email"),
            ("a\u{0}@x.com", "invalid_email"),
            ("\u{301}a@x.com", "invalid_email"),
            ("a@\u{301}x.com", "invalid_email"),
            ("a@x.١٢٣", "invalid_email"),
            ("jane🙂@example.com", "invalid_email"),
        ],
    );
}

#[test]
fn email_is_trimmed_but_not_lowercased() {
    assert_eq!(
        validate_email("  Jane.Doe@Example.com\n").unwrap(),
        "Jane.Doe@Example.com"
    );
}

#[test]
fn email_messages_say_what_to_change() {
    let message = |input: &str| validate_email(input).unwrap_err().message;
    assert!(message("a b@x.com").contains("spaces"));
    assert!(message("a@[1.2.3.4]").contains("IP address"));
    assert!(message("\"a\"@x.com").contains("quot"));
    assert!(message("a@-x.com").contains("hyphen"));
    assert!(message("a,b@x.com").contains('“'));
}

#[test]
fn plus_address_examples() {
    assert_eq!(
        plus_address("jane.doe@example.com", 1).as_deref(),
        Some("jane.doe+webrtc@example.com")
    );
    assert_eq!(
        plus_address("jane.doe@example.com", 0).as_deref(),
        Some("jane.doe+webrtc@example.com")
    );
    assert_eq!(
        plus_address("jane.doe@example.com", 2).as_deref(),
        Some("jane.doe+webrtc2@example.com")
    );
    assert_eq!(
        plus_address("a+b@x.io", 1).as_deref(),
        Some("a+b+webrtc@x.io")
    );
    assert_eq!(
        plus_address("  Jane@Example.com ", 3).as_deref(),
        Some("Jane+webrtc3@Example.com")
    );
    assert_eq!(
        plus_address("用户@例子.广告", 1).as_deref(),
        Some("用户+webrtc@例子.广告")
    );
    assert_eq!(plus_address("not an email", 1), None);
    assert_eq!(plus_address("", 1), None);
    // The local part would pass 64 characters.
    assert_eq!(plus_address(&format!("{}@x.com", "a".repeat(60)), 1), None);
    assert!(plus_address(&format!("{}@x.com", "a".repeat(57)), 1).is_some());
    // The address would pass 254 characters.
    let long = format!(
        "a@{}.{}.{}.{}",
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(63),
        "e".repeat(56)
    );
    assert!(validate_email(&long).is_ok());
    assert_eq!(plus_address(&long, 1), None);
}

#[test]
fn email_key_ignores_case_and_padding() {
    assert_eq!(email_key("  Jane.Doe@Example.COM "), "jane.doe@example.com");
    assert_eq!(email_key("X@BÜCHER.example"), email_key("x@bücher.EXAMPLE"));
}

// --- Extension and no-answer destination -----------------------------------------------

#[test]
fn extension_table() {
    check_table(
        "extension",
        validate_extension,
        &[
            ("4001", "ok"),
            (" 4001 ", "ok"),
            ("00", "ok"),
            ("0400", "ok"),
            ("12345678", "ok"),
            ("", "required"),
            ("  ", "required"),
            ("4", "too_short"),
            ("123456789", "too_long"),
            ("40 01", "not_digits"),
            ("40-01", "not_digits"),
            ("+4001", "not_digits"),
            ("4001x", "not_digits"),
            ("٣٣٣", "not_digits"),
            ("４００１", "not_digits"),
            ("x", "not_digits"),
            ("1234567890x", "not_digits"),
        ],
    );
    assert_eq!(validate_extension(" 0400\n").unwrap(), "0400");
}

#[test]
fn no_answer_destinations() {
    let ext = |e: &str| NoAnswer::Extension {
        extension: e.to_string(),
    };
    assert_eq!(
        validate_no_answer(&NoAnswer::None, "4001"),
        Ok(NoAnswer::None)
    );
    assert_eq!(
        validate_no_answer(&NoAnswer::Voicemail, "4001"),
        Ok(NoAnswer::Voicemail)
    );
    assert_eq!(validate_no_answer(&ext(" 2001 "), "4001"), Ok(ext("2001")));
    // The agent's own extension has no valid value yet: still fine.
    assert_eq!(validate_no_answer(&ext("2001"), ""), Ok(ext("2001")));
    // Text, not numbers: a different extension.
    assert_eq!(validate_no_answer(&ext("04001"), "4001"), Ok(ext("04001")));
    for (destination, own, expected) in [
        ("4001", "4001", "self_destination"),
        (" 4001", "4001 ", "self_destination"),
        ("", "4001", "required"),
        ("40a1", "4001", "not_digits"),
        ("4", "4001", "too_short"),
        ("123456789", "4001", "too_long"),
    ] {
        let e = validate_no_answer(&ext(destination), own).unwrap_err();
        assert_well_formed(&e, "no_answer");
        assert_eq!(e.code.as_str(), expected, "{destination:?} from {own:?}");
    }
}

// --- The whole profile -----------------------------------------------------------------

fn jane() -> AgentProfile {
    AgentProfile {
        name: "  Jane Doe ".into(),
        email: " jane.doe@example.com ".into(),
        extension: " 4001 ".into(),
        preferred_name: " Jane ".into(),
        no_answer: NoAnswer::Extension {
            extension: " 2001 ".into(),
        },
        recording: RecordingMode::Manual,
        review_own_recordings: true,
    }
}

#[test]
fn profile_is_cleaned() {
    let clean = validate_profile(&jane()).unwrap();
    assert_eq!(
        clean,
        AgentProfile {
            name: "Jane Doe".into(),
            email: "jane.doe@example.com".into(),
            extension: "4001".into(),
            preferred_name: "Jane".into(),
            no_answer: NoAnswer::Extension {
                extension: "2001".into()
            },
            recording: RecordingMode::Manual,
            review_own_recordings: true,
        }
    );
    assert_eq!(validate_profile(&clean), Ok(clean));
}

#[test]
fn profile_reports_every_field_once_in_form_order() {
    let errors = validate_profile(&AgentProfile {
        name: "".into(),
        email: "nope".into(),
        extension: "4x".into(),
        preferred_name: "x".repeat(51),
        no_answer: NoAnswer::Extension {
            extension: "4x".into(),
        },
        ..AgentProfile::default()
    })
    .unwrap_err();
    let got: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e.field.input().unwrap(), e.code.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("name", "required"),
            ("email", "invalid_email"),
            ("extension", "not_digits"),
            ("preferred_name", "too_long"),
            ("no_answer", "not_digits"),
        ]
    );
    for e in &errors {
        assert_well_formed(e, &e.field.to_string());
    }
}

#[test]
fn profile_reports_self_destination_even_with_a_bad_extension() {
    let mut p = jane();
    p.extension = " 4 ".into();
    p.no_answer = NoAnswer::Extension {
        extension: "4".into(),
    };
    let errors = validate_profile(&p).unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].code.as_str(), "too_short");
    assert_eq!(errors[1].code.as_str(), "too_short");

    let mut p = jane();
    p.no_answer = NoAnswer::Extension {
        extension: "4001".into(),
    };
    let errors = validate_profile(&p).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].field.input().unwrap(), errors[0].code.as_str()),
        ("no_answer", "self_destination")
    );
}

// --- Extension ranges ------------------------------------------------------------------

fn range(first: u32, last: u32) -> ExtensionRange {
    ExtensionRange { first, last }
}

fn range_problems(ranges: ExtensionRanges) -> Vec<(String, String)> {
    ranges
        .validate()
        .into_iter()
        .map(|e| {
            assert_well_formed(&e, &e.field.to_string());
            (e.field.to_string(), e.code.to_string())
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect()
}

#[test]
fn default_ranges_are_the_documented_plan_and_valid() {
    let ranges = ExtensionRanges::default();
    assert_eq!(ranges.uc_users, range(2000, 2999));
    assert_eq!(ranges.uc_groups, range(3000, 3999));
    assert_eq!(ranges.webrtc, range(4000, 4999));
    assert!(ranges.validate().is_empty());
    assert_eq!(ranges.webrtc.label(), "4000–4999");
    assert_eq!(range(7, 7).label(), "7");
}

#[test]
fn contains_works_at_the_bounds() {
    let r = range(4000, 4999);
    for (extension, inside) in [
        ("4000", true),
        ("4999", true),
        ("4500", true),
        (" 4500 ", true),
        ("04000", true),
        ("3999", false),
        ("5000", false),
        ("0", false),
        ("", false),
        ("4a00", false),
        ("+4000", false),
        ("-4000", false),
        ("٤٠٠٠", false),
        ("99999999999999999999", false),
    ] {
        assert_eq!(r.contains(extension), inside, "{extension:?}");
    }
    let all = range(1, u32::MAX);
    assert!(all.contains("4294967295"));
    assert!(!all.contains("4294967296"));
    assert!(!range(10, 5).contains("7"));
}

#[test]
fn ranges_report_their_own_problems() {
    let plan = ExtensionRanges {
        uc_users: range(0, 10),
        uc_groups: range(100, MAX_EXTENSION_VALUE + 1),
        webrtc: range(500, 400),
    };
    assert_eq!(
        range_problems(plan),
        pairs(&[
            ("uc_users", "starts_at_zero"),
            ("uc_groups", "too_large"),
            ("webrtc", "reversed"),
        ])
    );
    let edge = ExtensionRanges {
        uc_users: range(1, 1),
        uc_groups: range(10, 99),
        webrtc: range(MAX_EXTENSION_VALUE, MAX_EXTENSION_VALUE),
    };
    assert!(edge.validate().is_empty());
    assert_eq!(
        10_u32.pow(EXTENSION_MAX_DIGITS as u32) - 1,
        MAX_EXTENSION_VALUE
    );
}

#[test]
fn overlapping_ranges_are_reported_on_the_later_range() {
    let touching = ExtensionRanges {
        webrtc: range(3999, 4999),
        ..ExtensionRanges::default()
    };
    let errors = touching.validate();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].field.input().unwrap(), errors[0].code.as_str()),
        ("webrtc", "overlap")
    );
    assert!(errors[0].message.contains("3000–3999"), "{errors:?}");

    let groups_in_users = ExtensionRanges {
        uc_groups: range(2500, 2600),
        ..ExtensionRanges::default()
    };
    assert_eq!(
        range_problems(groups_in_users),
        pairs(&[("uc_groups", "overlap")])
    );

    // One problem per field: WebRTC overlapping both ranges is reported once.
    let everything = ExtensionRanges {
        webrtc: range(1000, 9999),
        ..ExtensionRanges::default()
    };
    assert_eq!(range_problems(everything), pairs(&[("webrtc", "overlap")]));

    // A broken range is not also blamed for overlapping.
    let broken = ExtensionRanges {
        uc_users: range(2999, 2000),
        uc_groups: range(2000, 3999),
        ..ExtensionRanges::default()
    };
    assert_eq!(range_problems(broken), pairs(&[("uc_users", "reversed")]));
}

// --- Wire format -----------------------------------------------------------------------

#[test]
fn no_answer_wire_format() {
    let ext = NoAnswer::Extension {
        extension: "2001".into(),
    };
    assert_eq!(
        serde_json::to_value(&ext).unwrap(),
        json!({"kind": "extension", "extension": "2001"})
    );
    assert_eq!(
        serde_json::to_string(&NoAnswer::None).unwrap(),
        r#"{"kind":"none"}"#
    );
    assert_eq!(
        serde_json::to_string(&NoAnswer::Voicemail).unwrap(),
        r#"{"kind":"voicemail"}"#
    );
    for value in [NoAnswer::None, NoAnswer::Voicemail, ext] {
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(serde_json::from_str::<NoAnswer>(&json).unwrap(), value);
    }
    assert!(serde_json::from_str::<NoAnswer>(r#"{"kind":"extension"}"#).is_err());
    assert!(serde_json::from_str::<NoAnswer>(r#"{"kind":"pager"}"#).is_err());
}

#[test]
fn recording_mode_keys_round_trip() {
    assert_eq!(RecordingMode::default(), RecordingMode::Automatic);
    for mode in RecordingMode::ALL {
        assert_eq!(RecordingMode::from_key(mode.key()), Some(mode));
        assert_eq!(
            serde_json::to_string(&mode).unwrap(),
            format!("\"{}\"", mode.key())
        );
        assert_eq!(
            serde_json::from_str::<RecordingMode>(&format!("\"{}\"", mode.key())).unwrap(),
            mode
        );
        assert!(!mode.label().is_empty());
        assert!(mode.description().ends_with('.'));
    }
    assert_eq!(
        RecordingMode::ALL.map(RecordingMode::key),
        ["automatic", "automatic_no_pause", "manual", "disabled"]
    );
    assert_eq!(
        RecordingMode::AutomaticNoPause.label(),
        "Automatic (Pausing Prohibited)"
    );
    assert_eq!(
        RecordingMode::Automatic.description(),
        "Every call is recorded; the agent has recording controls."
    );
    assert_eq!(RecordingMode::from_key("Automatic"), None);
    assert_eq!(RecordingMode::from_key(""), None);
}

#[test]
fn profile_json_defaults_the_optional_fields() {
    let p: AgentProfile = serde_json::from_value(json!({
        "name": "Jane Doe",
        "email": "jane@example.com",
        "extension": "4001",
    }))
    .unwrap();
    assert_eq!(
        p,
        AgentProfile {
            name: "Jane Doe".into(),
            email: "jane@example.com".into(),
            extension: "4001".into(),
            preferred_name: String::new(),
            no_answer: NoAnswer::None,
            recording: RecordingMode::Automatic,
            review_own_recordings: false,
        }
    );
    assert!(
        serde_json::from_value::<AgentProfile>(json!({"name": "x", "email": "y"})).is_err(),
        "extension is required"
    );
    let full = jane();
    let json = serde_json::to_value(&full).unwrap();
    assert_eq!(json["no_answer"]["kind"], "extension");
    assert_eq!(json["recording"], "manual");
    assert_eq!(serde_json::from_value::<AgentProfile>(json).unwrap(), full);

    let ranges = ExtensionRanges::default();
    let json = serde_json::to_value(ranges).unwrap();
    assert_eq!(json["webrtc"], json!({"first": 4000, "last": 4999}));
    assert_eq!(
        serde_json::from_value::<ExtensionRanges>(json).unwrap(),
        ranges
    );
}

#[test]
fn huge_inputs_are_refused_quickly_and_without_panicking() {
    let huge = "é@".repeat(500_000);
    assert_eq!(code(validate_name(&huge)), "too_long");
    assert_eq!(code(validate_preferred_name(&huge)), "too_long");
    assert_eq!(code(validate_email(&huge)), "too_long");
    assert_eq!(code(validate_extension(&"9".repeat(1_000_000))), "too_long");
    assert_eq!(code(validate_extension(&huge)), "not_digits");
    assert_eq!(plus_address(&huge, u32::MAX), None);
    assert!(
        !ExtensionRange {
            first: 1,
            last: u32::MAX
        }
        .contains(&"9".repeat(1_000_000))
    );
}

// --- Properties ------------------------------------------------------------------------

/// Text in any script, including huge, multi-byte and control characters.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        any::<String>(),
        prop::collection::vec(any::<char>(), 0..600).prop_map(|c| c.into_iter().collect()),
        "[a-z0-9.@+ -]{0,300}",
        "[\\p{L}\\p{M}\\p{N}.@-]{0,80}",
    ]
}

/// Unicode letters and digits that are not invisible.
fn unicode_word(max: usize) -> impl Strategy<Value = String> {
    prop::string::string_regex(&format!("[\\p{{L}}\\p{{N}}]{{1,{max}}}"))
        .unwrap()
        .prop_filter("no Hangul fillers", |s| !has_filler(s))
}

/// The Hangul fillers are letters by category but render as nothing, and are refused.
fn has_filler(s: &str) -> bool {
    s.contains(['\u{115F}', '\u{1160}', '\u{3164}', '\u{FFA0}'])
}

fn local_part() -> impl Strategy<Value = String> {
    let atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,10}";
    prop_oneof![
        prop::string::string_regex(&format!("{atext}(\\.{atext}){{0,3}}")).unwrap(),
        (unicode_word(10), prop::option::of(unicode_word(10))).prop_map(|(a, b)| match b {
            Some(b) => format!("{a}.{b}"),
            None => a,
        }),
    ]
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?",
        unicode_word(12),
    ]
}

fn tld() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z]{2,8}",
        "xn--[a-z0-9]{2,10}",
        "[\\p{Han}&&\\p{L}]{2,4}"
    ]
}

fn email() -> impl Strategy<Value = String> {
    (local_part(), prop::collection::vec(label(), 1..4), tld())
        .prop_map(|(local, labels, tld)| format!("{local}@{}.{tld}", labels.join(".")))
}

fn no_hidden_chars(s: &str) -> bool {
    !s.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

proptest! {
    #[test]
    fn no_validator_panics(s in any_text(), other in any_text(), n in any::<u32>()) {
        for result in [
            validate_name(&s),
            validate_email(&s),
            validate_extension(&s),
            validate_preferred_name(&s),
        ] {
            if let Err(e) = result {
                prop_assert!(e.message.ends_with('.'));
            }
        }
        let _ = validate_no_answer(&NoAnswer::Extension { extension: s.clone() }, &other);
        let _ = plus_address(&s, n);
        let _ = email_key(&s);
        let _ = ExtensionRange { first: n / 2, last: n }.contains(&s);
        let _ = validate_profile(&AgentProfile {
            name: s.clone(),
            email: other.clone(),
            extension: s.clone(),
            preferred_name: other.clone(),
            no_answer: NoAnswer::Extension { extension: other.clone() },
            ..AgentProfile::default()
        });
    }

    #[test]
    fn valid_looking_emails_are_accepted_and_plus_addressed(email in email(), pad in "[ \t\n]{0,2}") {
        let cleaned = validate_email(&format!("{pad}{email}{pad}"));
        prop_assert_eq!(cleaned.as_ref(), Ok(&email));
        let plus = plus_address(&email, 1);
        prop_assert!(plus.is_some(), "{email}");
        let plus = plus.unwrap();
        prop_assert_ne!(&plus, &email);
        prop_assert!(plus.contains("+webrtc@"));
        prop_assert_eq!(validate_email(&plus), Ok(plus.clone()));
        prop_assert_eq!(plus.replacen("+webrtc@", "@", 1), email.clone());
        prop_assert_eq!(email_key(&format!(" {email} ")), email.to_lowercase());
    }

    #[test]
    fn accepted_emails_are_trimmed_and_bounded(s in any_text()) {
        if let Ok(email) = validate_email(&s) {
            prop_assert_eq!(email.as_str(), s.trim());
            prop_assert!(email.chars().count() <= EMAIL_MAX_CHARS);
            prop_assert_eq!(email.matches('@').count(), 1);
            prop_assert!(!email.chars().any(char::is_whitespace));
            prop_assert!(no_hidden_chars(&email));
        }
    }

    #[test]
    fn extensions_of_2_to_8_digits_are_accepted(e in "[0-9]{2,8}", pad in "[ \t]{0,2}") {
        prop_assert_eq!(validate_extension(&format!("{pad}{e}{pad}")), Ok(e));
    }

    #[test]
    fn extensions_of_9_or_more_digits_are_too_long(e in "[0-9]{9,12}") {
        prop_assert_eq!(code(validate_extension(&e)), "too_long");
    }

    #[test]
    fn extensions_with_a_non_digit_are_not_digits(
        before in "[0-9]{0,10}",
        odd in any::<char>().prop_filter("not a digit or space", |c| !c.is_ascii_digit() && !c.is_whitespace()),
        after in "[0-9]{0,10}",
    ) {
        prop_assert_eq!(code(validate_extension(&format!("{before}{odd}{after}"))), "not_digits");
    }

    #[test]
    fn extensions_are_exactly_the_short_ascii_digit_strings(s in any_text()) {
        let t = s.trim();
        let expected = t.bytes().all(|b| b.is_ascii_digit()) && (2..=8).contains(&t.len());
        prop_assert_eq!(validate_extension(&s).is_ok(), expected, "{:?}", s);
    }

    #[test]
    fn accepted_names_are_clean_and_bounded(s in any_text()) {
        if let Ok(name) = validate_name(&s) {
            prop_assert!(no_hidden_chars(&name));
            prop_assert!((1..=NAME_MAX_CHARS).contains(&name.chars().count()));
            prop_assert_eq!(name.as_str(), s.trim());
        }
        if let Ok(name) = validate_preferred_name(&s) {
            prop_assert!(no_hidden_chars(&name));
            prop_assert!(name.chars().count() <= PREFERRED_NAME_MAX_CHARS);
            prop_assert_eq!(name.as_str(), s.trim());
        }
    }

    #[test]
    fn profiles_of_valid_parts_are_accepted_and_idempotent(
        name in "[ ]{0,2}[\\p{L}][\\p{L} .'-]{0,60}[ ]{0,2}".prop_filter("visible", |s| !has_filler(s)),
        email in email(),
        extension in "[0-9]{4}",
        preferred_name in "[\\p{L} ]{0,40}".prop_filter("visible", |s| !has_filler(s)),
        no_answer in prop_oneof![
            Just(NoAnswer::None),
            Just(NoAnswer::Voicemail),
            "[0-9]{5,8}".prop_map(|extension| NoAnswer::Extension { extension }),
        ],
        recording in prop::sample::select(RecordingMode::ALL.to_vec()),
        review_own_recordings in any::<bool>(),
    ) {
        let profile = AgentProfile {
            name,
            email: format!(" {email}"),
            extension: format!("{extension} "),
            preferred_name,
            no_answer,
            recording,
            review_own_recordings,
        };
        let clean = validate_profile(&profile);
        prop_assert!(clean.is_ok(), "{:?}: {:?}", profile, clean);
        let clean = clean.unwrap();
        prop_assert_eq!(&clean.email, &email);
        prop_assert_eq!(&clean.extension, &extension);
        prop_assert_eq!(clean.recording, recording);
        prop_assert_eq!(validate_profile(&clean), Ok(clean.clone()));
    }

    #[test]
    fn contains_agrees_with_the_number(first in 1..MAX_EXTENSION_VALUE, len in 0..1000_u32, probe in 0..MAX_EXTENSION_VALUE) {
        let r = ExtensionRange { first, last: first.saturating_add(len).min(MAX_EXTENSION_VALUE) };
        prop_assert_eq!(r.contains(&probe.to_string()), r.first <= probe && probe <= r.last);
        prop_assert!(r.contains(&r.first.to_string()) && r.contains(&r.last.to_string()));
        prop_assert!(!r.contains(&(r.first - 1).to_string()));
        prop_assert!(!r.contains(&(r.last + 1).to_string()));
    }
}

fn phone_user() -> AgentProfile {
    AgentProfile {
        name: "Dana Reyes".into(),
        email: "dana@example.com".into(),
        extension: "1201".into(),
        ..AgentProfile::default()
    }
}

#[test]
fn a_phone_users_directory_fields_are_read_only_and_the_rest_is_theirs() {
    let current = phone_user();
    // The same directory fields (padded) and new preferred name, no-answer and
    // recording: taken, with the directory's values kept as stored.
    let edit = AgentProfile {
        name: "  Dana Reyes ".into(),
        preferred_name: " Dee ".into(),
        no_answer: NoAnswer::Voicemail,
        recording: RecordingMode::Manual,
        ..current.clone()
    };
    let saved = validate_update(AgentSource::RingCentral, &current, &edit).unwrap();
    assert_eq!(saved.name, "Dana Reyes");
    assert_eq!(saved.preferred_name, "Dee");
    assert_eq!(saved.no_answer, NoAnswer::Voicemail);
    assert_eq!(saved.recording, RecordingMode::Manual);

    // Changing any directory field: read_only on that field, in form order, naming
    // the directory; a bad preferred name is reported with them.
    let edit = AgentProfile {
        name: "Dana R.".into(),
        extension: "1999".into(),
        preferred_name: "x".repeat(PREFERRED_NAME_MAX_CHARS + 1),
        ..current.clone()
    };
    let errors = validate_update(AgentSource::Netsapiens, &current, &edit).unwrap_err();
    let got: Vec<(String, ErrorCode)> = errors
        .iter()
        .map(|e| (e.field.to_string(), e.code))
        .collect();
    assert_eq!(got[0], ("name".into(), ErrorCode::ReadOnly));
    assert_eq!(got[1], ("extension".into(), ErrorCode::ReadOnly));
    assert_eq!(got[2].0, "preferred_name");
    assert_eq!(got.len(), 3);
    assert!(
        errors[0].message.contains("Netsapiens directory"),
        "{errors:?}"
    );
    for (e, (field, _)) in errors.iter().zip(&got) {
        assert_well_formed(e, field);
    }
    // A no-answer forward to the user's own extension is refused like anyone's.
    let edit = AgentProfile {
        no_answer: NoAnswer::Extension {
            extension: "1201".into(),
        },
        ..current.clone()
    };
    let errors = validate_update(AgentSource::Metaswitch, &current, &edit).unwrap_err();
    assert_eq!(errors[0].field, "no_answer");
}

#[test]
fn a_webrtc_agents_update_is_the_whole_profile_rule() {
    let current = phone_user();
    let edit = AgentProfile {
        name: "Dana R.".into(),
        extension: "1999".into(),
        ..current.clone()
    };
    assert_eq!(
        validate_update(AgentSource::Webrtc, &current, &edit),
        validate_profile(&edit)
    );
    assert_eq!(
        validate_update(AgentSource::Webrtc, &current, &edit)
            .unwrap()
            .name,
        "Dana R."
    );
}
