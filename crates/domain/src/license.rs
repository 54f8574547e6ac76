//! License types, the set an agent holds, per-type counts and the rules of the pool.

use crate::error_code::ErrorCode;
use std::fmt;
use std::ops::{Index, IndexMut};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The kinds of seat an account buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenseType {
    Voice,
    WebChat,
    Sms,
    Transcription,
}

impl LicenseType {
    /// In the order the screens show them.
    pub const ALL: [LicenseType; 4] = [
        LicenseType::Voice,
        LicenseType::WebChat,
        LicenseType::Sms,
        LicenseType::Transcription,
    ];

    pub const fn index(self) -> usize {
        self as usize
    }

    /// What a person reads.
    pub const fn label(self) -> &'static str {
        match self {
            LicenseType::Voice => "Voice",
            LicenseType::WebChat => "Web Chat",
            LicenseType::Sms => "SMS",
            LicenseType::Transcription => "Transcription",
        }
    }

    /// The stable key used on the wire and in the database.
    pub const fn key(self) -> &'static str {
        match self {
            LicenseType::Voice => "voice",
            LicenseType::WebChat => "web_chat",
            LicenseType::Sms => "sms",
            LicenseType::Transcription => "transcription",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.key() == key)
    }

    const fn bit(self) -> u8 {
        1 << self.index()
    }
}

impl fmt::Display for LicenseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The licenses one agent holds. On the wire: a list of license keys.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LicenseSet(u8);

impl LicenseSet {
    pub const EMPTY: LicenseSet = LicenseSet(0);

    pub const fn has(self, t: LicenseType) -> bool {
        self.0 & t.bit() != 0
    }

    #[must_use]
    pub const fn with(self, t: LicenseType, held: bool) -> Self {
        if held {
            LicenseSet(self.0 | t.bit())
        } else {
            LicenseSet(self.0 & !t.bit())
        }
    }

    pub fn set(&mut self, t: LicenseType, held: bool) {
        *self = self.with(t, held);
    }

    pub fn iter(self) -> impl Iterator<Item = LicenseType> {
        LicenseType::ALL.into_iter().filter(move |t| self.has(*t))
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// License types whose state differs between `self` and `other`.
    pub fn differences(self, other: LicenseSet) -> impl Iterator<Item = LicenseType> {
        LicenseType::ALL
            .into_iter()
            .filter(move |t| self.has(*t) != other.has(*t))
    }
}

impl FromIterator<LicenseType> for LicenseSet {
    fn from_iter<I: IntoIterator<Item = LicenseType>>(iter: I) -> Self {
        iter.into_iter()
            .fold(LicenseSet::EMPTY, |set, t| set.with(t, true))
    }
}

impl fmt::Debug for LicenseSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for LicenseSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for LicenseSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<LicenseType>::deserialize(d)?.into_iter().collect())
    }
}

/// One number per license type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Counts([i64; 4]);

impl Counts {
    pub fn from_fn(f: impl FnMut(LicenseType) -> i64) -> Self {
        Counts(LicenseType::ALL.map(f))
    }
}

impl Index<LicenseType> for Counts {
    type Output = i64;
    fn index(&self, t: LicenseType) -> &i64 {
        &self.0[t.index()]
    }
}

impl IndexMut<LicenseType> for Counts {
    fn index_mut(&mut self, t: LicenseType) -> &mut i64 {
        &mut self.0[t.index()]
    }
}

/// What the account bought.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entitlements {
    pub purchased: Counts,
    /// Web Chat licenses are only usable when the account bought the Web Chat channel.
    pub web_chat_channel: bool,
}

/// The pool at one moment: what was bought and how much of it is handed out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pool {
    pub entitlements: Entitlements,
    pub assigned: Counts,
}

impl Pool {
    /// Seats left; never negative, even when purchases were cut below what is assigned.
    pub fn available(&self, t: LicenseType) -> i64 {
        (self.entitlements.purchased[t] - self.assigned[t]).max(0)
    }

    /// The pool once `delta` (per type, +1 per seat taken, -1 per seat freed) is applied.
    #[must_use]
    pub fn after(&self, delta: Counts) -> Pool {
        Pool {
            entitlements: self.entitlements,
            assigned: Counts::from_fn(|t| self.assigned[t] + delta[t]),
        }
    }

    /// Why `held` may not change license `t` to `want`, if it may not.
    ///
    /// This is the check behind every license box: the browser disables a box when it
    /// fails and shows the reason, and [`crate::batch::plan`] enforces the same rules on
    /// the server.
    pub fn check_toggle(&self, held: LicenseSet, t: LicenseType, want: bool) -> Result<(), Block> {
        self.room(t).check_toggle(held, t, want)
    }

    /// All a box of type `t` needs to know of the pool (see [`Room`]).
    pub fn room(&self, t: LicenseType) -> Room {
        Room {
            left: self.available(t) > 0,
            channel: self.entitlements.web_chat_channel,
        }
    }
}

/// What the pool says to every box of one license type: whether a seat is left, and
/// whether the Web Chat channel is bought. A box's verdict depends on the pool only
/// through this, so a page re-checks a column only when its room changes (when the
/// type's availability reaches or leaves zero), not on every tick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Room {
    pub left: bool,
    pub channel: bool,
}

impl Room {
    /// [`Pool::check_toggle`], from the room of type `t`.
    pub fn check_toggle(self, held: LicenseSet, t: LicenseType, want: bool) -> Result<(), Block> {
        if held.has(t) == want {
            return Ok(());
        }
        if want {
            if t == LicenseType::WebChat && !self.channel {
                return Err(Block::WebChatChannelNotPurchased);
            }
            if t == LicenseType::Transcription && !held.has(LicenseType::Voice) {
                return Err(Block::TranscriptionNeedsVoice);
            }
            if !self.left {
                return Err(Block::NoneAvailable);
            }
        } else if t == LicenseType::Voice && held.has(LicenseType::Transcription) {
            return Err(Block::RequiredByTranscription);
        }
        Ok(())
    }
}

/// Where a UC user stands in its directory. WebRTC agents, which no directory lists,
/// are always [`Standing::Listed`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Standing {
    /// Listed and usable: licenses as the pool allows.
    #[default]
    Listed,
    /// Listed but disabled (or frozen) in the directory: it cannot take calls, so it
    /// keeps what it holds and gets nothing new.
    Disabled,
    /// No longer listed, but licensed: held for review, nothing new.
    Gone,
}

impl Standing {
    /// A UC user's standing from our flags: gone from the directory, and the status
    /// word the directory gives it (`Disabled` and `Frozen` cannot take calls; a
    /// `NotActivated` user is being set up and may be licensed ahead).
    pub fn of(gone: bool, directory_status: &str) -> Standing {
        let status = directory_status.trim();
        if gone {
            Standing::Gone
        } else if status.eq_ignore_ascii_case("disabled") || status.eq_ignore_ascii_case("frozen") {
            Standing::Disabled
        } else {
            Standing::Listed
        }
    }
}

impl Block {
    /// The rule for UC users the directory no longer lists or has disabled, on top of
    /// [`Pool::check_toggle`]: taking licenses away is allowed, giving new ones is not.
    pub fn check_standing(
        standing: Standing,
        held: LicenseSet,
        t: LicenseType,
        want: bool,
    ) -> Result<(), Block> {
        if want && !held.has(t) {
            match standing {
                Standing::Listed => {}
                Standing::Disabled => return Err(Block::DisabledInDirectory),
                Standing::Gone => return Err(Block::GoneFromDirectory),
            }
        }
        Ok(())
    }
}

/// Why a license cannot be given or taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Block {
    /// Every purchased seat of this type is assigned.
    NoneAvailable,
    /// Web Chat licenses need the Web Chat channel, which the account has not bought.
    WebChatChannelNotPurchased,
    /// Transcription transcribes voice calls: it is only given together with Voice.
    TranscriptionNeedsVoice,
    /// Voice cannot be removed while the agent holds Transcription.
    RequiredByTranscription,
    /// The UC user is gone from the directory: it keeps what it holds until a
    /// supervisor releases it, but gets nothing new.
    GoneFromDirectory,
    /// The UC user is disabled in the directory: it keeps what it holds, but gets
    /// nothing new while it cannot take calls.
    DisabledInDirectory,
}

impl Block {
    pub const fn code(self) -> ErrorCode {
        match self {
            Block::NoneAvailable => ErrorCode::NoneAvailable,
            Block::WebChatChannelNotPurchased => ErrorCode::ChannelNotPurchased,
            Block::TranscriptionNeedsVoice => ErrorCode::TranscriptionNeedsVoice,
            Block::RequiredByTranscription => ErrorCode::RequiredByTranscription,
            Block::GoneFromDirectory => ErrorCode::GoneFromDirectory,
            Block::DisabledInDirectory => ErrorCode::DisabledInDirectory,
        }
    }

    /// Short text shown beside a disabled box.
    pub const fn short(self) -> &'static str {
        match self {
            Block::NoneAvailable => "None available",
            Block::WebChatChannelNotPurchased => "Web Chat channel not purchased",
            Block::TranscriptionNeedsVoice => "Needs Voice",
            Block::RequiredByTranscription => "Needed by Transcription",
            Block::GoneFromDirectory => "Gone from directory",
            Block::DisabledInDirectory => "Disabled in directory",
        }
    }

    /// A full sentence, for error messages and screen readers.
    pub fn message(self, t: LicenseType) -> String {
        match self {
            Block::NoneAvailable => {
                format!("No {t} licenses are available: every purchased seat is assigned.")
            }
            Block::WebChatChannelNotPurchased => {
                "Web Chat licenses need the Web Chat channel, which this account has not purchased."
                    .to_string()
            }
            Block::TranscriptionNeedsVoice => {
                "Transcription needs a Voice license: give Voice first.".to_string()
            }
            Block::RequiredByTranscription => {
                "Voice cannot be removed while the agent holds Transcription: remove Transcription first."
                    .to_string()
            }
            Block::GoneFromDirectory => format!(
                "This user is gone from the directory: its licenses are held for review, and it cannot get a new {t} license."
            ),
            Block::DisabledInDirectory => format!(
                "This user is disabled in the directory and cannot take calls: it keeps its licenses, but cannot get a new {t} license until the directory enables it."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LicenseType::*;

    fn pool(purchased: [i64; 4], assigned: [i64; 4], channel: bool) -> Pool {
        Pool {
            entitlements: Entitlements {
                purchased: Counts(purchased),
                web_chat_channel: channel,
            },
            assigned: Counts(assigned),
        }
    }

    #[test]
    fn license_keys_round_trip() {
        for t in LicenseType::ALL {
            assert_eq!(LicenseType::from_key(t.key()), Some(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.key()));
        }
        assert_eq!(LicenseType::from_key("fax"), None);
    }

    #[test]
    fn set_serialises_as_a_list_and_tolerates_duplicates() {
        let set: LicenseSet = [Voice, Sms].into_iter().collect();
        assert_eq!(serde_json::to_string(&set).unwrap(), r#"["voice","sms"]"#);
        let back: LicenseSet = serde_json::from_str(r#"["sms","voice","sms"]"#).unwrap();
        assert_eq!(back, set);
        assert!(serde_json::from_str::<LicenseSet>(r#"["fax"]"#).is_err());
    }

    #[test]
    fn a_room_changes_only_when_availability_reaches_or_leaves_zero() {
        let p = pool([3, 3, 3, 3], [0, 0, 0, 0], true);
        let mut rooms = vec![p.room(Voice)];
        for taken in 1..=4 {
            rooms.push(p.after(Counts([taken, 0, 0, 0])).room(Voice));
        }
        assert_eq!(rooms[0], rooms[1]);
        assert_eq!(rooms[1], rooms[2]);
        assert_ne!(rooms[2], rooms[3], "the last seat taken");
        assert_eq!(rooms[3], rooms[4], "over-assigned is still full");
        // The other types' rooms do not move with Voice.
        assert_eq!(p.room(Sms), p.after(Counts([3, 0, 0, 0])).room(Sms));
    }

    #[test]
    fn available_never_negative() {
        let p = pool([2, 0, 0, 0], [5, 0, 0, 0], true);
        assert_eq!(p.available(Voice), 0);
    }

    #[test]
    fn toggles_follow_the_rules() {
        let p = pool([1, 1, 1, 1], [0, 0, 0, 0], false);
        let none = LicenseSet::EMPTY;
        let voice = none.with(Voice, true);
        assert_eq!(p.check_toggle(none, Voice, true), Ok(()));
        assert_eq!(
            p.check_toggle(none, WebChat, true),
            Err(Block::WebChatChannelNotPurchased)
        );
        assert_eq!(
            p.check_toggle(none, Transcription, true),
            Err(Block::TranscriptionNeedsVoice)
        );
        assert_eq!(p.check_toggle(voice, Transcription, true), Ok(()));
        let both = voice.with(Transcription, true);
        assert_eq!(
            p.check_toggle(both, Voice, false),
            Err(Block::RequiredByTranscription)
        );
        assert_eq!(p.check_toggle(both, Transcription, false), Ok(()));
        // A held Web Chat seat can always be given back, channel or not.
        assert_eq!(
            p.check_toggle(none.with(WebChat, true), WebChat, false),
            Ok(())
        );
        // No-ops are always fine.
        assert_eq!(p.check_toggle(none, WebChat, false), Ok(()));
    }

    #[test]
    fn full_pool_blocks_new_seats_only() {
        let p = pool([1, 1, 1, 1], [1, 0, 0, 0], true);
        let voice = LicenseSet::EMPTY.with(Voice, true);
        assert_eq!(
            p.check_toggle(LicenseSet::EMPTY, Voice, true),
            Err(Block::NoneAvailable)
        );
        assert_eq!(p.check_toggle(voice, Voice, false), Ok(()));
    }

    #[test]
    fn every_block_has_words() {
        for b in [
            Block::NoneAvailable,
            Block::WebChatChannelNotPurchased,
            Block::TranscriptionNeedsVoice,
            Block::RequiredByTranscription,
        ] {
            assert!(!b.short().is_empty());
            assert!(b.message(Voice).ends_with('.'));
            assert!(!b.code().as_str().contains(' '));
        }
    }
}
