//! Metaswitch, read through the MetaView server's Sh SOAP service
//! (`POST <base_url>/mvweb/services/ShService`, operation `ShPull`, HTTP Basic auth).
//!
//! **Built from public client code, not verified against a live system.** Metaswitch's
//! provisioning schema is under NDA; what this module sends and reads comes from public
//! sample clients of the Sh interface and from phone firmware that reads the same data
//! objects, plus the assumptions listed below.
//!
//! One run is `2 + hunt groups` pulls: the business group's lines
//! (`Meta_BusinessGroup_ChildrenList_Subscriber`), its hunt groups
//! (`Meta_BusinessGroup_ChildrenList_MLHG`), then each hunt group's members
//! (`Meta_MLHG_MembersList`). Lines become users keyed by their directory number, with
//! the intercom dialing code as the extension; lines carry no name or email, and the
//! snapshot says so in a note.
//!
//! # Unverified
//!
//! - **Success code.** The public sample clients treat `ResultCode` 2001 (Diameter's
//!   success) as success; our notes say 100. Both are accepted; anything else is
//!   [`DirectoryError::Refused`] carrying the code and `ExtendedResultDetail`, except
//!   5003 (Diameter "authorization rejected"), which is [`DirectoryError::Auth`].
//! - **UserIdentity.** Each part is form-URL-encoded (space as `+`) and the parts are
//!   joined with `/`, as the public sample clients do: `MetaSwitchName/BusinessGroupName`
//!   for the business group, `MetaSwitchName/BusinessGroupName/MLHGName` for a hunt
//!   group. The hunt-group form is assumed (it follows the same pattern).
//! - **Element names and nesting.** Read by local name, ignoring prefixes and
//!   namespaces, and by searching below `ShPullResponse` for the element named like the
//!   service indication (public clients see `UserData/Sh-Data/RepositoryData/
//!   ServiceData/MetaSwitchData/<indication>`; the `MetaSwitchData` level may be
//!   missing). Below it: `Subscriber` items with `DirectoryNumber`,
//!   `IntercomDialingCode` (optional) and `SubscriberType` (public); `MLHG` items with
//!   `Name` (public), `DirectoryNumber` (pilot) and `IntercomDialingCode` (assumed; when
//!   missing, the pilot line's intercom code is used); `Member` items with
//!   `MemberDirectoryNumber` (public; `DirectoryNumber` also accepted).
//! - **Line types.** Only `SubscriberType` "Individual line" (any case) becomes a user;
//!   other types (hunt group pilots, ...) are left out with a note. A line without a
//!   `SubscriberType` or `DirectoryNumber`, or a lines list whose children are not
//!   `Subscriber`s, is [`DirectoryError::Malformed`]: better a failed refresh than an
//!   empty directory that would mark every user as gone.
//! - **Names.** A `Name` element on a line is read when present; none is known to exist.
//!   Status is always "Enabled": the Sh lists carry no state we know of.
//! - **No paging.** Each pull is assumed to return the whole list in one answer.
//! - **Faults.** A SOAP Fault comes with HTTP 500 (SOAP 1.1) and is retried like any 5xx;
//!   one in a 200 is [`DirectoryError::Refused`] with its `faultstring`. HTTP 401 and 403
//!   mean the Basic credentials were refused: [`DirectoryError::Auth`] at once, as there
//!   is no token to renew.
//! - **Headers.** `SOAPAction` is sent quoted (SOAP 1.1), with `Accept: text/xml`
//!   (SOAP 1.1 answers and faults are `text/xml`); `OriginHost` is
//!   `?clientVersion=9.6.70`, the value the public sample clients send.
//! - **No conformance fixtures.** There is no public schema or published sample answer
//!   to shape fixtures after (unlike RingCentral and Netsapiens, see
//!   `tests/conformance.rs`): the fake, built on the assumptions above, is the only
//!   reference this connector is tested against.
//! - **A hunt group deleted mid-run.** A members pull answered `ResultCode` 5001
//!   (Diameter's "user unknown", what the fake sends for an unknown identity) is taken
//!   as a hunt group deleted since the list was read: left out with a note. Which code
//!   a live MetaView sends for it is not known.

use std::collections::{BTreeMap, HashMap};

use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use serde::{Deserialize, Serialize};

use crate::{Connector, DirGroup, DirUser, DirectoryError, Http, Secret, Snapshot};

/// Stored connection settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The MetaView server, e.g. `https://metaview.example.net`; the connector posts to
    /// `<base_url>/mvweb/services/ShService`.
    pub base_url: String,
    pub username: String,
    pub password: Secret,
    pub metaswitch_name: String,
    pub business_group: String,
}

pub const SH_PATH: &str = "/mvweb/services/ShService";
pub const SOAP_ACTION: &str = "http://www.metaswitch.com/srb/soap/sh/ShPull";
const SH_NS: &str = "http://www.metaswitch.com/srb/soap/sh";
const ORIGIN_HOST: &str = "?clientVersion=9.6.70";
pub const LINES: &str = "Meta_BusinessGroup_ChildrenList_Subscriber";
pub const HUNT_GROUPS: &str = "Meta_BusinessGroup_ChildrenList_MLHG";
pub const MEMBERS: &str = "Meta_MLHG_MembersList";
const SUCCESS: [i64; 2] = [2001, 100];
const AUTHORIZATION_REJECTED: i64 = 5003;
/// Diameter's "user unknown", which the Sh service answers for an identity that does
/// not exist (a hunt group deleted since the list was read).
const UNKNOWN_IDENTITY: &str = "5001";
const INDIVIDUAL_LINE: &str = "Individual line";

/// The note every snapshot with unnamed lines carries.
pub const NO_NAMES_NOTE: &str = "Metaswitch does not provide names or emails through the Sh interface; lines show their number only.";

pub struct Metaswitch {
    settings: Settings,
}

impl Metaswitch {
    pub fn new(settings: Settings) -> Self {
        Metaswitch { settings }
    }

    fn check(&self) -> Result<String, DirectoryError> {
        let s = &self.settings;
        if !(s.base_url.starts_with("http://") || s.base_url.starts_with("https://")) {
            return Err(DirectoryError::Config(
                "the MetaView server address must start with http:// or https://".into(),
            ));
        }
        for (value, what) in [
            (s.username.as_str(), "username"),
            (s.password.expose(), "password"),
            (s.metaswitch_name.as_str(), "MetaSwitch name"),
            (s.business_group.as_str(), "business group"),
        ] {
            if value.trim().is_empty() {
                return Err(DirectoryError::Config(format!("no {what} is set")));
            }
        }
        Ok(format!("{}{SH_PATH}", s.base_url.trim_end_matches('/')))
    }

    /// One `ShPull`; returns the element named `indication` from a successful answer.
    async fn pull(
        &self,
        http: &Http,
        url: &str,
        what: &str,
        identity: &[&str],
        indication: &str,
    ) -> Result<Node, DirectoryError> {
        let identity: Vec<String> = identity.iter().map(|p| form_encode(p)).collect();
        let body = envelope(&identity.join("/"), indication);
        http.page()?;
        let sent = http
            .send(what, |c| {
                c.post(url)
                    .basic_auth(
                        &self.settings.username,
                        Some(self.settings.password.expose()),
                    )
                    .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
                    // SOAP 1.1 answers are text/xml, faults included.
                    .header(reqwest::header::ACCEPT, "text/xml")
                    .header("SOAPAction", format!("\"{SOAP_ACTION}\""))
                    .body(body.clone())
            })
            .await;
        let resp = match sent {
            // Basic auth has nothing to renew, so a refusal is final.
            Err(e) if matches!(e.status(), Some(401 | 403)) => {
                return Err(DirectoryError::Auth {
                    what: "MetaView username and password".into(),
                    message: format!(
                        "HTTP {} on the {what}; check the credentials and that the user may use the Sh interface",
                        e.status().unwrap_or_default()
                    ),
                    code: None,
                });
            }
            other => other?,
        };
        let bytes = http.body(what, resp).await?;
        let malformed = |detail: String| DirectoryError::Malformed {
            what: what.to_string(),
            detail,
        };
        let doc = parse(&bytes).map_err(malformed)?;
        let Some(answer) = doc.find("ShPullResponse") else {
            if let Some(fault) = doc.find("Fault") {
                return Err(DirectoryError::Refused {
                    what: what.to_string(),
                    status: 200,
                    message: crate::http::summarise(fault.text("faultstring")),
                    code: None,
                });
            }
            return Err(malformed("no ShPullResponse".into()));
        };
        let code = answer.text("ResultCode");
        let code: i64 = code
            .parse()
            .map_err(|_| malformed(format!("ResultCode {code:?} is not a number")))?;
        if !SUCCESS.contains(&code) {
            let detail = answer
                .find("ExtendedResultDetail")
                .map(|d| d.text.trim())
                .unwrap_or_default();
            let message = crate::http::summarise(&format!("ResultCode {code}: {detail}"));
            return Err(if code == AUTHORIZATION_REJECTED {
                DirectoryError::Auth {
                    what: "MetaView Sh interface".into(),
                    message,
                    code: Some(code.to_string()),
                }
            } else {
                DirectoryError::Refused {
                    what: what.to_string(),
                    status: 200,
                    message,
                    code: Some(code.to_string()),
                }
            });
        }
        doc.into_found(indication)
            .ok_or_else(|| malformed(format!("no {indication} in a successful answer")))
    }
}

impl Connector for Metaswitch {
    async fn snapshot(&self, http: &Http) -> Result<Snapshot, DirectoryError> {
        let url = self.check()?;
        let s = &self.settings;
        let group = [s.metaswitch_name.as_str(), s.business_group.as_str()];
        let malformed = |what: &str| {
            let what = what.to_string();
            move |detail| DirectoryError::Malformed { what, detail }
        };

        let what = "lines of the business group";
        let data = self.pull(http, &url, what, &group, LINES).await?;
        let lines = read_lines(&data).map_err(malformed(what))?;
        http.progress().add_users(lines.users.len());

        let what = "hunt groups of the business group";
        let data = self.pull(http, &url, what, &group, HUNT_GROUPS).await?;
        let mut groups =
            read_hunt_groups(&data, &lines.pilot_extensions).map_err(malformed(what))?;
        let listed = groups.len();
        let mut vanished = Vec::new();
        for mut g in std::mem::take(&mut groups) {
            let what = format!("members of hunt group {}", g.name);
            let identity = [group[0], group[1], g.key.as_str()];
            match self.pull(http, &url, &what, &identity, MEMBERS).await {
                Ok(data) => {
                    g.members = read_members(&data);
                    groups.push(g);
                }
                // Deleted since the hunt groups were listed: left out, with a note.
                Err(e) if e.directory_code() == Some(UNKNOWN_IDENTITY) => {
                    tracing::info!(group = %g.name, "hunt group gone before its members were read");
                    vanished.push(crate::Vanished::of(&g));
                }
                Err(e) => return Err(e),
            }
            http.progress().add_groups(1);
        }
        let vanished_note = crate::Vanished::note(vanished, listed, "hunt group")?;

        let mut notes = Vec::new();
        if lines.users.iter().any(|u| u.name.is_empty()) {
            notes.push(NO_NAMES_NOTE.to_string());
        }
        if !lines.skipped.is_empty() {
            let total: usize = lines.skipped.values().sum();
            let kinds: Vec<String> = lines
                .skipped
                .iter()
                .map(|(kind, n)| format!("{kind}: {n}"))
                .collect();
            notes.push(format!(
                "Left out {total} lines that are not individual lines ({}).",
                kinds.join(", ")
            ));
        }
        notes.extend(vanished_note);
        Ok(Snapshot {
            users: lines.users,
            groups,
            notes,
        })
    }
}

struct Lines {
    users: Vec<DirUser>,
    /// Left-out lines by `SubscriberType`.
    skipped: BTreeMap<String, usize>,
    /// Non-individual lines' intercom codes by directory number (hunt group pilots).
    pilot_extensions: HashMap<String, String>,
}

fn read_lines(data: &Node) -> Result<Lines, String> {
    let mut lines = Lines {
        users: Vec::new(),
        skipped: BTreeMap::new(),
        pilot_extensions: HashMap::new(),
    };
    for sub in data.children_named("Subscriber") {
        let (dn, kind) = (sub.text("DirectoryNumber"), sub.text("SubscriberType"));
        if dn.is_empty() || kind.is_empty() {
            return Err("a line without DirectoryNumber or SubscriberType".into());
        }
        let extension = sub.text("IntercomDialingCode").to_string();
        if !kind.eq_ignore_ascii_case(INDIVIDUAL_LINE) {
            *lines.skipped.entry(kind.to_string()).or_default() += 1;
            lines.pilot_extensions.insert(dn.to_string(), extension);
            continue;
        }
        lines.users.push(DirUser {
            key: dn.to_string(),
            name: sub.text("Name").to_string(),
            email: String::new(),
            extension,
            status: "Enabled".into(),
        });
    }
    if lines.users.is_empty() && lines.skipped.is_empty() && !data.children.is_empty() {
        return Err(format!(
            "{} entries, none of them a Subscriber",
            data.children.len()
        ));
    }
    Ok(lines)
}

fn read_hunt_groups(
    data: &Node,
    pilot_extensions: &HashMap<String, String>,
) -> Result<Vec<DirGroup>, String> {
    data.children_named("MLHG")
        .map(|g| {
            let name = g.text("Name");
            if name.is_empty() {
                return Err("a hunt group without a Name".to_string());
            }
            let pilot = g.text("DirectoryNumber");
            let extension = match g.text("IntercomDialingCode") {
                "" => pilot_extensions.get(pilot).cloned().unwrap_or_default(),
                code => code.to_string(),
            };
            Ok(DirGroup {
                key: name.to_string(),
                name: name.to_string(),
                extension,
                members: Vec::new(),
            })
        })
        .collect()
}

fn read_members(data: &Node) -> Vec<String> {
    data.children_named("Member")
        .map(|m| match m.text("MemberDirectoryNumber") {
            "" => m.text("DirectoryNumber"),
            dn => dn,
        })
        .filter(|dn| !dn.is_empty())
        .map(str::to_string)
        .collect()
}

/// The request body. Values are XML-escaped even though the encoded identity needs
/// none, so a change to the encoding cannot break the envelope.
fn envelope(identity: &str, indication: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="utf-8"?>"#,
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">"#,
            r#"<soapenv:Body><sh:ShPull xmlns:sh="{ns}">"#,
            "<sh:UserIdentity>{identity}</sh:UserIdentity>",
            "<sh:DataReference>0</sh:DataReference>",
            "<sh:ServiceIndication>{indication}</sh:ServiceIndication>",
            "<sh:OriginHost>{origin}</sh:OriginHost>",
            "</sh:ShPull></soapenv:Body></soapenv:Envelope>"
        ),
        ns = SH_NS,
        identity = escape(identity),
        indication = escape(indication),
        origin = escape(ORIGIN_HOST),
    )
}

/// Form URL encoding as Java's `URLEncoder` does it, which is what the public sample
/// clients apply to each part of a UserIdentity (so a `/` in a name cannot split it).
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An XML element by local name: enough of a DOM for lists of a few thousand lines.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn children_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Node> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child called `name`, or "".
    fn text(&self, name: &str) -> &str {
        self.children_named(name)
            .next()
            .map(|c| c.text.trim())
            .unwrap_or_default()
    }

    /// The first element called `name` at or below this one, depth first.
    fn find(&self, name: &str) -> Option<&Node> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }

    fn into_found(self, name: &str) -> Option<Node> {
        if self.name == name {
            return Some(self);
        }
        self.children.into_iter().find_map(|c| c.into_found(name))
    }
}

/// Deeper than this, an answer is refused: the answers we parse nest a handful of
/// levels, and the tree is walked (and dropped) recursively, so a hostile nesting must
/// not reach it.
const MAX_DEPTH: usize = 64;
/// More elements than this in one answer are refused.
const MAX_ELEMENTS: usize = 2_000_000;

fn parse(bytes: &[u8]) -> Result<Node, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut reader = Reader::from_str(text);
    let mut stack = vec![Node::default()];
    let mut elements = 0usize;
    let local = |n: quick_xml::name::LocalName| String::from_utf8_lossy(n.as_ref()).into_owned();
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        if matches!(event, Event::Start(_) | Event::Empty(_)) {
            elements += 1;
            if elements > MAX_ELEMENTS {
                return Err(format!("more than {MAX_ELEMENTS} elements"));
            }
        }
        match event {
            Event::Start(e) => {
                if stack.len() > MAX_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_DEPTH} levels"));
                }
                stack.push(Node {
                    name: local(e.local_name()),
                    ..Node::default()
                })
            }
            Event::Empty(e) => {
                let node = Node {
                    name: local(e.local_name()),
                    ..Node::default()
                };
                stack.last_mut().ok_or("unbalanced")?.children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("unbalanced")?;
                stack.last_mut().ok_or("unbalanced")?.children.push(node);
            }
            Event::Text(t) => {
                let t = t.unescape().map_err(|e| e.to_string())?;
                stack.last_mut().ok_or("unbalanced")?.text.push_str(&t);
            }
            Event::CData(c) => {
                let t = c.decode().map_err(|e| e.to_string())?;
                stack.last_mut().ok_or("unbalanced")?.text.push_str(&t);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match stack.pop() {
        Some(root) if stack.is_empty() && !root.children.is_empty() => Ok(root),
        Some(open) if !stack.is_empty() => Err(format!("the answer ends inside <{}>", open.name)),
        _ => Err("an empty answer".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_escapes_what_it_inserts() {
        let doc = parse(envelope("R&D <West>", LINES).as_bytes()).expect("well-formed");
        assert_eq!(
            doc.find("UserIdentity").map(|n| n.text.as_str()),
            Some("R&D <West>")
        );
        assert_eq!(form_encode("R&D <West>/2"), "R%26D+%3CWest%3E%2F2");
    }

    /// Shapes the fake does not produce: code 100, other prefixes, no `MetaSwitchData`
    /// level, a hunt group whose extension is on its pilot line, `DirectoryNumber`
    /// members.
    #[test]
    fn tolerant_of_the_unverified_variations() {
        let answer = |code: &str, data: &str| {
            format!(
                r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
                <ns2:ShPullResponse xmlns:ns2="http://www.metaswitch.com/srb/soap/sh">
                <ns2:ResultCode>{code}</ns2:ResultCode><ns2:UserData><x:Sh-Data xmlns:x="u">
                <x:RepositoryData><x:ServiceData>{data}</x:ServiceData></x:RepositoryData>
                </x:Sh-Data></ns2:UserData></ns2:ShPullResponse></S:Body></S:Envelope>"#
            )
        };
        let lines = answer(
            "100",
            "<m:Meta_BusinessGroup_ChildrenList_Subscriber xmlns:m='m'>\
             <m:Subscriber><m:DirectoryNumber>15550001</m:DirectoryNumber>\
             <m:SubscriberType>individual line</m:SubscriberType></m:Subscriber>\
             <m:Subscriber><m:DirectoryNumber>15559999</m:DirectoryNumber>\
             <m:IntercomDialingCode>300</m:IntercomDialingCode>\
             <m:SubscriberType>MLHG pilot</m:SubscriberType></m:Subscriber>\
             </m:Meta_BusinessGroup_ChildrenList_Subscriber>",
        );
        let doc = parse(lines.as_bytes()).expect("well-formed");
        assert_eq!(doc.find("ResultCode").map(|n| n.text.as_str()), Some("100"));
        let lines = read_lines(doc.find(LINES).expect("data")).expect("lines");
        assert_eq!(lines.users.len(), 1);
        assert_eq!(lines.users[0].key, "15550001");
        assert_eq!(lines.users[0].extension, "");

        let groups = answer(
            "2001",
            "<Meta_BusinessGroup_ChildrenList_MLHG><MLHG><Name>Sales &amp; Co</Name>\
             <DirectoryNumber>15559999</DirectoryNumber></MLHG>\
             </Meta_BusinessGroup_ChildrenList_MLHG>",
        );
        let doc = parse(groups.as_bytes()).expect("well-formed");
        let groups = read_hunt_groups(
            doc.find(HUNT_GROUPS).expect("data"),
            &lines.pilot_extensions,
        )
        .expect("groups");
        assert_eq!(
            (groups[0].name.as_str(), groups[0].extension.as_str()),
            ("Sales & Co", "300")
        );

        let members = answer(
            "2001",
            "<Meta_MLHG_MembersList><Member><DirectoryNumber>15550001</DirectoryNumber>\
             </Member></Meta_MLHG_MembersList>",
        );
        let doc = parse(members.as_bytes()).expect("well-formed");
        assert_eq!(read_members(doc.find(MEMBERS).expect("data")), ["15550001"]);
    }

    #[test]
    fn hostile_nesting_is_refused_without_a_crash() {
        // About 100,000 levels in under 1 MB: it used to overflow the stack.
        let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        let e = parse(deep.as_bytes()).unwrap_err();
        assert!(e.contains("nested deeper than 64"), "{e}");
        let wide = format!("<r>{}</r>", "<x/>".repeat(MAX_ELEMENTS + 1));
        assert!(parse(wide.as_bytes()).unwrap_err().contains("elements"));
        // Real depth is fine.
        let ok = format!("{}x{}", "<a>".repeat(60), "</a>".repeat(60));
        assert!(parse(ok.as_bytes()).is_ok());
    }

    #[test]
    fn unclosed_and_empty_answers_are_errors() {
        assert!(parse(b"<a><b>1</b>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"  ").is_err());
    }
}
