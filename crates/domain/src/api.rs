//! The JSON shapes of `/api/v1`, shared by the server (which produces them) and the app
//! (which consumes them), so that the two cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::license::{Counts, Entitlements, LicenseSet, LicenseType, Pool};

pub use crate::vocab::{AgentId, AgentSource, ErrorCode, FieldError, FieldPath, Version};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    pub email: String,
    pub extension: String,
    pub source: AgentSource,
    pub licenses: LicenseSet,
    pub version: Version,
    /// A UC user who is gone from the directory but still holds licenses: kept, with
    /// its licenses held until a supervisor releases them (see the refresh report).
    #[serde(default)]
    pub gone: bool,
    /// A UC user the directory lists as disabled (or frozen): it keeps its licenses
    /// but gets no new one. Always false for WebRTC agents.
    #[serde(default)]
    pub disabled: bool,
    /// A licensed UC user who is in no queue (UC group) of the directory: receives no
    /// queue calls. Always false for WebRTC agents, whose skills we cannot see.
    #[serde(default)]
    pub no_queue: bool,
}

/// `GET /api/v1/agents`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentPage {
    pub agents: Vec<Agent>,
    /// Agents matching the search, over all pages.
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// `GET /api/v1/agents/selection`: every agent a list's query admits (all its pages),
/// in its order, for a bulk change to "all N matching". At most
/// [`crate::MAX_BATCH_CHANGES`]: one batch could not change more.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSelection {
    pub agents: Vec<Agent>,
}

impl Agent {
    /// Where the agent stands in its directory, for [`crate::Block::check_standing`].
    pub fn standing(&self) -> crate::license::Standing {
        use crate::license::Standing;
        if self.gone {
            Standing::Gone
        } else if self.disabled {
            Standing::Disabled
        } else {
            Standing::Listed
        }
    }
}

impl AgentPage {
    pub fn page_count(&self) -> u32 {
        (self.total.div_ceil(u64::from(self.per_page.max(1)))).max(1) as u32
    }
}

/// Query string of `GET /api/v1/agents`, and of the licensing screens' addresses.
/// Anything out of range is clamped, not refused: a hand-edited URL still shows a
/// sensible page. The filters combine with each other and with the search (all must
/// hold); the order is stable, ties broken by id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_page: Option<u32>,
    /// Only agents of this kind (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<AgentKind>,
    /// Only agents holding every one of these licenses (`holds=voice,sms`).
    #[serde(default, skip_serializing_if = "LicenseKeys::is_empty")]
    pub holds: LicenseKeys,
    /// Only agents holding none of these licenses.
    #[serde(default, skip_serializing_if = "LicenseKeys::is_empty")]
    pub lacks: LicenseKeys,
    /// Only agents holding no license at all.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unlicensed: bool,
    /// Only agents from this source (WebRTC, or one UC system).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<AgentSource>,
    /// Only phone users gone from the directory whose licenses are held for review.
    #[serde(default, skip_serializing_if = "is_false")]
    pub held: bool,
    /// Only licensed agents who receive no queue calls (see [`Agent::no_queue`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_queue: bool,
    /// What the list is ordered by (name when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<SortKey>,
    /// Ascending when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<SortOrder>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Phone (UC) users or WebRTC agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    Phone,
    Webrtc,
}

/// A list's order: by one column, then by id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Case-insensitive (ASCII letters, as both backends' `lower()`).
    #[default]
    Name,
    /// Numeric for extensions of digits: shorter first, then digit by digit.
    Extension,
    /// Case-insensitive.
    Email,
    /// By source, and within one source by name.
    Source,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [
        SortKey::Name,
        SortKey::Extension,
        SortKey::Email,
        SortKey::Source,
    ];

    /// The key in a query string (as serde writes it).
    pub const fn key(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Extension => "extension",
            SortKey::Email => "email",
            SortKey::Source => "source",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

impl SortOrder {
    pub const fn key(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [SortOrder::Asc, SortOrder::Desc]
            .into_iter()
            .find(|o| o.key() == key)
    }

    #[must_use]
    pub const fn reversed(self) -> Self {
        match self {
            SortOrder::Asc => SortOrder::Desc,
            SortOrder::Desc => SortOrder::Asc,
        }
    }
}

/// A set of license types in a query string: their keys joined by commas
/// (`voice,web_chat`). An unknown key is refused, naming it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LicenseKeys(pub LicenseSet);

impl LicenseKeys {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads `voice,sms`; `Err` names the first key that is no license type.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut set = LicenseSet::EMPTY;
        for key in text.split(',').map(str::trim).filter(|k| !k.is_empty()) {
            let t = LicenseType::from_key(key).ok_or_else(|| key.to_string())?;
            set.set(t, true);
        }
        Ok(LicenseKeys(set))
    }
}

impl Serialize for LicenseKeys {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let keys: Vec<&str> = self.0.iter().map(LicenseType::key).collect();
        s.serialize_str(&keys.join(","))
    }
}

impl<'de> Deserialize<'de> for LicenseKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        LicenseKeys::parse(&text).map_err(|key| {
            serde::de::Error::custom(format_args!(
                "`{key}` is not a license type (voice, web_chat, sms, transcription)"
            ))
        })
    }
}

impl AgentQuery {
    pub const DEFAULT_PER_PAGE: u32 = 50;
    pub const MAX_PER_PAGE: u32 = 200;
    /// The page sizes the licensing screens offer.
    pub const PAGE_SIZES: [u32; 3] = [50, 100, 200];
    pub const MAX_SEARCH_CHARS: usize = 100;

    /// The search text, trimmed and bounded; `None` when there is nothing to search for.
    pub fn search(&self) -> Option<String> {
        let q = self.q.as_deref()?.trim();
        (!q.is_empty()).then(|| q.chars().take(Self::MAX_SEARCH_CHARS).collect())
    }

    pub fn page(&self) -> u32 {
        self.page.unwrap_or(1).max(1)
    }

    pub fn per_page(&self) -> u32 {
        self.per_page
            .unwrap_or(Self::DEFAULT_PER_PAGE)
            .clamp(1, Self::MAX_PER_PAGE)
    }

    /// Rows to skip for this page.
    pub fn offset(&self) -> u64 {
        u64::from(self.page() - 1) * u64::from(self.per_page())
    }

    pub fn sort(&self) -> SortKey {
        self.sort.unwrap_or_default()
    }

    pub fn order(&self) -> SortOrder {
        self.order.unwrap_or_default()
    }

    /// Whether any filter (beyond the search and the kind) narrows the list.
    pub fn is_filtered(&self) -> bool {
        !self.holds.is_empty()
            || !self.lacks.is_empty()
            || self.unlicensed
            || self.source.is_some()
            || self.held
            || self.no_queue
    }

    /// The same query without its filters (the search, order and page size kept).
    #[must_use]
    pub fn unfiltered(&self) -> Self {
        AgentQuery {
            q: self.q.clone(),
            per_page: self.per_page,
            kind: self.kind,
            sort: self.sort,
            order: self.order,
            ..AgentQuery::default()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseCount {
    pub license: LicenseType,
    pub purchased: i64,
    pub assigned: i64,
    pub available: i64,
}

/// `GET /api/v1/licenses`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseSummary {
    pub licenses: Vec<LicenseCount>,
    pub web_chat_channel: bool,
}

impl LicenseSummary {
    pub fn from_pool(pool: &Pool) -> Self {
        LicenseSummary {
            licenses: LicenseType::ALL
                .into_iter()
                .map(|t| LicenseCount {
                    license: t,
                    purchased: pool.entitlements.purchased[t],
                    assigned: pool.assigned[t],
                    available: pool.available(t),
                })
                .collect(),
            web_chat_channel: pool.entitlements.web_chat_channel,
        }
    }

    pub fn pool(&self) -> Pool {
        let get = |t: LicenseType, f: fn(&LicenseCount) -> i64| {
            self.licenses
                .iter()
                .find(|c| c.license == t)
                .map(f)
                .unwrap_or(0)
        };
        Pool {
            entitlements: Entitlements {
                purchased: Counts::from_fn(|t| get(t, |c| c.purchased)),
                web_chat_channel: self.web_chat_channel,
            },
            assigned: Counts::from_fn(|t| get(t, |c| c.assigned)),
        }
    }
}

/// One box ticked or unticked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseChange {
    pub agent_id: AgentId,
    pub license: LicenseType,
    pub assigned: bool,
    /// The agent's version when the client loaded it.
    pub version: Version,
}

/// `POST /api/v1/license-changes`: applied all together or not at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseChangeBatch {
    pub changes: Vec<LicenseChange>,
}

/// The answer to a saved batch: the agents as they are now, and the new counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseChangeResult {
    pub agents: Vec<Agent>,
    pub summary: LicenseSummary,
}

/// Every error the API returns has this body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable, machine-readable (`exceeds_purchased`, `stale_agent`, ...).
    pub code: ErrorCode,
    /// For a person: says what happened and what to do.
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// One agent with its whole profile: `GET /api/v1/agents/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentDetail {
    pub id: AgentId,
    pub source: AgentSource,
    pub version: Version,
    pub licenses: LicenseSet,
    pub profile: crate::profile::AgentProfile,
}

/// `POST /api/v1/agents`: a new WebRTC agent and its licenses, created in one step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAgent {
    pub profile: crate::profile::AgentProfile,
    #[serde(default)]
    pub licenses: LicenseSet,
}

/// `PUT /api/v1/agents/{id}`: the whole profile and licenses, based on `version`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateAgent {
    pub version: Version,
    pub profile: crate::profile::AgentProfile,
    pub licenses: LicenseSet,
}

/// The answer to a create, update or remove: the agent as stored (none after a
/// removal) and the pool's new counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSaved {
    pub agent: Option<AgentDetail>,
    pub summary: LicenseSummary,
}

/// `DELETE /api/v1/agents/{id}?version=`: the version the remover saw; removing an
/// agent someone just changed is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveQuery {
    pub version: Version,
}

/// `GET /api/v1/agents/availability?email=&extension=&agent_id=`: whether an email or
/// extension is free, checked as the user types.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvailabilityQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<String>,
    /// The agent being edited, whose own email and extension do not count as taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    /// The problem with the email, if any (taken, or a phone user's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<FieldError>,
    /// A free address that keeps the association visible (`name+webrtc@domain`),
    /// offered when the email belongs to a phone user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_suggestion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<FieldError>,
}

/// `GET /api/v1/agents/next-extension`: the first free extension of the WebRTC range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionSuggestion {
    /// None when the range is full.
    pub extension: Option<String>,
    pub range: crate::profile::ExtensionRange,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_clamped() {
        let q = AgentQuery {
            q: Some("   ".into()),
            page: Some(0),
            per_page: Some(10_000),
            ..AgentQuery::default()
        };
        assert_eq!(q.search(), None);
        assert_eq!(q.page(), 1);
        assert_eq!(q.per_page(), AgentQuery::MAX_PER_PAGE);
        assert_eq!(q.offset(), 0);
        let q = AgentQuery {
            q: Some(format!("  {}  ", "x".repeat(500))),
            page: Some(3),
            per_page: None,
            ..AgentQuery::default()
        };
        assert_eq!(q.search().unwrap().len(), AgentQuery::MAX_SEARCH_CHARS);
        assert_eq!(q.offset(), 100);
    }

    #[test]
    fn filters_and_order_round_trip_through_a_query_string() {
        let q = AgentQuery {
            q: Some("ana & co".into()),
            per_page: Some(100),
            holds: LicenseKeys(LicenseSet::EMPTY.with(LicenseType::Voice, true)),
            lacks: LicenseKeys::parse("transcription, sms").unwrap(),
            source: Some(AgentSource::RingCentral),
            no_queue: true,
            sort: Some(SortKey::Extension),
            order: Some(SortOrder::Desc),
            ..AgentQuery::default()
        };
        let text = serde_urlencoded::to_string(&q).unwrap();
        assert_eq!(
            text,
            "q=ana+%26+co&per_page=100&holds=voice&lacks=sms%2Ctranscription\
             &source=ring_central&no_queue=true&sort=extension&order=desc"
        );
        assert_eq!(serde_urlencoded::from_str::<AgentQuery>(&text).unwrap(), q);
        assert!(q.is_filtered());
        let plain = q.unfiltered();
        assert!(!plain.is_filtered());
        assert_eq!(
            (plain.q, plain.per_page, plain.sort),
            (q.q, q.per_page, q.sort)
        );
        // The keys the app reads an address with are serde's.
        for k in SortKey::ALL {
            let text = serde_urlencoded::to_string([("sort", k)]).unwrap();
            assert_eq!(text, format!("sort={}", k.key()));
            assert_eq!(SortKey::from_key(k.key()), Some(k));
        }
        for o in [SortOrder::Asc, SortOrder::Desc] {
            let text = serde_urlencoded::to_string([("order", o)]).unwrap();
            assert_eq!(text, format!("order={}", o.key()));
            assert_eq!(SortOrder::from_key(o.key()), Some(o));
        }
        // Nothing set, nothing written.
        assert_eq!(
            serde_urlencoded::to_string(AgentQuery::default()).unwrap(),
            ""
        );
    }

    #[test]
    fn an_unknown_license_key_is_named() {
        let e = serde_urlencoded::from_str::<AgentQuery>("holds=voice,fax").unwrap_err();
        assert!(e.to_string().contains("`fax` is not a license type"), "{e}");
        assert_eq!(LicenseKeys::parse(" , ").unwrap(), LicenseKeys::default());
    }

    #[test]
    fn summary_round_trips_through_the_pool() {
        let pool = Pool {
            entitlements: Entitlements {
                purchased: Counts::from_fn(|t| 10 + t.index() as i64),
                web_chat_channel: true,
            },
            assigned: Counts::from_fn(|t| t.index() as i64),
        };
        let summary = LicenseSummary::from_pool(&pool);
        assert_eq!(summary.pool(), pool);
        assert_eq!(summary.licenses[0].available, 10);
    }

    #[test]
    fn page_count_is_at_least_one() {
        let page = AgentPage {
            agents: vec![],
            total: 0,
            page: 1,
            per_page: 50,
        };
        assert_eq!(page.page_count(), 1);
        assert_eq!(AgentPage { total: 101, ..page }.page_count(), 3);
    }

    #[test]
    fn error_body_omits_empty_fields() {
        let body = ErrorBody {
            code: ErrorCode::Busy,
            message: "y".into(),
            fields: vec![],
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"code":"busy","message":"y"}"#
        );
    }
}

/// `PUT /settings/purchases` (admins): what the account bought.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchases {
    pub voice: i64,
    pub web_chat: i64,
    pub sms: i64,
    pub transcription: i64,
    pub web_chat_channel: bool,
}

impl Purchases {
    /// Most seats of one type an account can hold (a typo guard, not a business limit).
    pub const MAX: i64 = 1_000_000;

    pub fn from_pool(pool: &Pool) -> Self {
        let p = pool.entitlements.purchased;
        Purchases {
            voice: p[LicenseType::Voice],
            web_chat: p[LicenseType::WebChat],
            sms: p[LicenseType::Sms],
            transcription: p[LicenseType::Transcription],
            web_chat_channel: pool.entitlements.web_chat_channel,
        }
    }

    pub fn get(&self, t: LicenseType) -> i64 {
        match t {
            LicenseType::Voice => self.voice,
            LicenseType::WebChat => self.web_chat,
            LicenseType::Sms => self.sms,
            LicenseType::Transcription => self.transcription,
        }
    }

    pub fn entitlements(&self) -> Entitlements {
        Entitlements {
            purchased: Counts::from_fn(|t| self.get(t)),
            web_chat_channel: self.web_chat_channel,
        }
    }

    /// Never fewer seats than are assigned, and no Web Chat channel removed while Web
    /// Chat licenses are held: the supervisor unassigns first. The browser checks this
    /// against the counts it shows; the server again inside its transaction.
    pub fn check(&self, pool: &Pool) -> Vec<FieldError> {
        let mut problems = Vec::new();
        for t in LicenseType::ALL {
            let n = self.get(t);
            let assigned = pool.assigned[t];
            let problem = if !(0..=Self::MAX).contains(&n) {
                Some((
                    ErrorCode::OutOfRange,
                    format!("Enter a number from 0 to {}.", Self::MAX),
                ))
            } else if n < assigned {
                Some((
                    ErrorCode::BelowAssigned,
                    format!(
                        "{assigned} {t} licenses are assigned: unassign {} first, or buy at least {assigned}.",
                        assigned - n
                    ),
                ))
            } else {
                None
            };
            if let Some((code, message)) = problem {
                problems.push(FieldError {
                    field: FieldPath::Input(t.key().to_string()),
                    code,
                    message,
                });
            }
        }
        if !self.web_chat_channel && pool.assigned[LicenseType::WebChat] > 0 {
            problems.push(FieldError {
                field: "web_chat_channel".into(),
                code: ErrorCode::ChannelInUse,
                message: format!(
                    "{} agents hold Web Chat licenses: unassign them before giving up the channel.",
                    pool.assigned[LicenseType::WebChat]
                ),
            });
        }
        problems
    }
}
