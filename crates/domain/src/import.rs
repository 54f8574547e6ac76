//! The roster as a CSV file, out and in: the columns both ways, and an import's plan —
//! what each row of a file would do to the agents as they are now, checked by the same
//! rules as a tick. The server reads the file (the `csv` crate) and writes what the
//! plan says inside one transaction; the page shows the plan as the preview.
//!
//! An import changes licenses and adds WebRTC agents. It never edits an existing
//! agent's profile (the profile form does), and never removes an agent.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::api::{Agent, AgentId, LicenseSummary, Version};
use crate::error_code::ErrorCode;
use crate::license::{Block, Counts, LicenseSet, LicenseType, Pool, Standing};
use crate::profile::{AgentProfile, email_key, validate_profile};

/// More data rows than this in one file is refused.
pub const MAX_IMPORT_ROWS: usize = 50_000;

/// The export's columns, in order: the profile's keys, one per license, then the flags
/// (which an import reads past).
pub const NAME: &str = "Name";
pub const EMAIL: &str = "Email";
pub const EXTENSION: &str = "Extension";
pub const SOURCE: &str = "Source";
pub const FLAGS: [&str; 3] = [
    "Held for review",
    "Disabled in directory",
    "Receives no queue calls",
];

/// The header row of an export (and of the template).
pub fn header() -> Vec<&'static str> {
    let mut h = vec![NAME, EMAIL, EXTENSION, SOURCE];
    h.extend(LicenseType::ALL.map(LicenseType::label));
    h.extend(FLAGS);
    h
}

/// A yes/no cell as the export writes it.
pub fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// One exported agent, cell by cell, in [`header`]'s order. Not yet made safe for a
/// spreadsheet: see [`defuse`].
pub fn export_row(a: &Agent) -> Vec<String> {
    let mut row = vec![
        a.name.clone(),
        a.email.clone(),
        a.extension.clone(),
        a.source.label().to_string(),
    ];
    row.extend(LicenseType::ALL.map(|t| yes_no(a.licenses.has(t)).to_string()));
    row.extend([a.gone, a.disabled, a.no_queue].map(|f| yes_no(f).to_string()));
    row
}

/// A cell a spreadsheet program would run as a formula (`=`, `+`, `-`, `@`, or a tab or
/// carriage return before one) gets a `'` in front, which spreadsheets show as text
/// (OWASP's advice for CSV injection). [`undefuse`] takes it off again on import.
pub fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The inverse of [`defuse`], for a cell read back from a file.
pub fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// Which column of a file's header means what (by name, in any order, without regard to
/// case; a column no one knows is read past).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Columns {
    pub name: Option<usize>,
    pub email: Option<usize>,
    pub extension: Option<usize>,
    pub source: Option<usize>,
    pub licenses: [Option<usize>; 4],
}

impl Columns {
    /// The columns of a header row, or why it cannot be read.
    pub fn of(header: &[&str]) -> Result<Columns, String> {
        let mut c = Columns::default();
        let mut seen = HashSet::new();
        for (i, raw) in header.iter().enumerate() {
            let h = raw.trim().trim_start_matches('\u{feff}').trim();
            let lower = h.to_lowercase();
            if lower.is_empty() {
                continue;
            }
            if !seen.insert(lower.clone()) {
                return Err(format!(
                    "The column \"{h}\" appears twice in the header row."
                ));
            }
            let slot = match lower.as_str() {
                "name" => &mut c.name,
                "email" => &mut c.email,
                "extension" => &mut c.extension,
                "source" => &mut c.source,
                other => match LicenseType::ALL
                    .into_iter()
                    .find(|t| t.label().eq_ignore_ascii_case(other) || t.key() == other)
                {
                    Some(t) => &mut c.licenses[t.index()],
                    None => continue,
                },
            };
            *slot = Some(i);
        }
        if c.email.is_none() && c.extension.is_none() {
            return Err(
                "The file needs an Email or an Extension column (the first row names the columns; download the template to see them)."
                    .into(),
            );
        }
        Ok(c)
    }

    /// One data row as an [`ImportRow`]; `line` is its line in the file.
    pub fn row(&self, line: u64, cells: &[&str]) -> ImportRow {
        let get = |i: Option<usize>| {
            i.and_then(|i| cells.get(i))
                .map(|c| undefuse(c.trim()).trim().to_string())
                .unwrap_or_default()
        };
        ImportRow {
            line,
            name: get(self.name),
            email: get(self.email),
            extension: get(self.extension),
            source: get(self.source),
            licenses: self.licenses.map(|i| Cell::parse(&get(i))),
        }
    }
}

/// One license cell of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Empty (or no such column): the license stays as it is.
    Keep,
    Set(bool),
    /// Neither yes nor no: the text as written.
    Bad(String),
}

impl Cell {
    pub fn parse(s: &str) -> Cell {
        match s.trim().to_lowercase().as_str() {
            "" => Cell::Keep,
            "yes" | "y" | "true" | "1" | "x" => Cell::Set(true),
            "no" | "n" | "false" | "0" => Cell::Set(false),
            _ => Cell::Bad(s.trim().to_string()),
        }
    }
}

/// One data row of a file, as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    /// Its line in the file (the header is line 1).
    pub line: u64,
    pub name: String,
    pub email: String,
    pub extension: String,
    pub source: String,
    pub licenses: [Cell; 4],
}

/// What one row does, as the preview lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RowStatus {
    /// An existing agent's licenses change.
    Change {
        before: LicenseSet,
        after: LicenseSet,
    },
    /// A new WebRTC agent, with these licenses.
    Create { licenses: LicenseSet },
    /// The agent already holds what the row says.
    Unchanged,
    /// The row cannot apply; nothing of it is applied.
    Error { code: ErrorCode, reason: String },
}

/// One row of the preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub line: u64,
    /// The agent's name (the row's, for a new agent or an unknown one).
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    #[serde(flatten)]
    pub status: RowStatus,
}

impl PreviewRow {
    pub fn is_error(&self) -> bool {
        matches!(self.status, RowStatus::Error { .. })
    }
}

/// `POST /api/v1/agents/import`: what the file does (a dry run), or did (`applied`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    /// The file's name, as the page sent it.
    pub file: String,
    pub rows: Vec<PreviewRow>,
    pub changed: u64,
    pub created: u64,
    pub unchanged: u64,
    pub errors: u64,
    /// The counters once the rows that apply are applied (rows in error left out).
    pub summary: LicenseSummary,
    /// Stands for this plan against the agents as they are: applying with it is
    /// refused (409) if the file or the agents changed since, so what is applied is
    /// what was previewed.
    pub fingerprint: String,
    pub applied: bool,
}

/// `POST /api/v1/agents/import?file=…`: a dry run unless `apply` carries the preview's
/// fingerprint. `leave_out_errors` applies the other rows when some are in error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportQuery {
    #[serde(default)]
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub leave_out_errors: bool,
}

/// A row that changes an existing agent, for the server to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportUpdate {
    pub agent_id: AgentId,
    pub version: Version,
    pub before: LicenseSet,
    pub after: LicenseSet,
}

/// A row that adds an agent: its cleaned profile and licenses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportCreate {
    pub profile: AgentProfile,
    pub licenses: LicenseSet,
}

/// What a file does: the preview, and what to write for the rows that apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportPlan {
    pub preview: ImportPreview,
    pub updates: Vec<ImportUpdate>,
    pub creates: Vec<ImportCreate>,
}

/// What the plan knows of the account besides its agents.
pub struct Roster<'a> {
    pub agents: &'a [Agent],
    /// The UC groups' extensions: a new agent cannot take one.
    pub group_extensions: &'a HashSet<String>,
    pub pool: Pool,
}

fn error(code: ErrorCode, reason: impl Into<String>) -> RowStatus {
    RowStatus::Error {
        code,
        reason: reason.into(),
    }
}

/// What a row would do, before seats are counted.
enum Draft {
    Existing {
        at: usize,
        after: LicenseSet,
    },
    New(ImportCreate),
    /// The agent, when the row names one, and why not.
    Refused(Option<usize>, RowStatus),
}

impl Draft {
    fn agent(&self) -> Option<usize> {
        match self {
            Draft::Existing { at, .. } => Some(*at),
            Draft::Refused(at, _) => *at,
            Draft::New(_) => None,
        }
    }
}

/// The plan of `rows` against `roster`: each row checked as a tick would be, then seats
/// given in file order once every removal that applies has freed its seat. A row that
/// takes a seat none is left for is in error, and so is every row of an agent named on
/// more than one row. Rows in error are left out of the counters.
pub fn plan_import(file: &str, rows: &[ImportRow], roster: &Roster<'_>) -> ImportPlan {
    let agents = roster.agents;
    let by_email: HashMap<String, usize> = agents
        .iter()
        .enumerate()
        .map(|(i, a)| (email_key(&a.email), i))
        .collect();
    let by_extension: HashMap<&str, usize> = agents
        .iter()
        .enumerate()
        .map(|(i, a)| (a.extension.as_str(), i))
        .collect();
    let entitlements = roster.pool.entitlements;

    // Pass 1: each row on its own.
    let mut drafts: Vec<Draft> = rows
        .iter()
        .map(|row| {
            draft(
                row,
                agents,
                &by_email,
                &by_extension,
                roster,
                entitlements.web_chat_channel,
            )
        })
        .collect();

    // Pass 2: an agent (or a new agent's email or extension) on more than one row.
    let mut lines_of: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, d) in drafts.iter().enumerate() {
        let keys = match d {
            Draft::Existing { at, .. } => vec![format!("agent {}", agents[*at].id)],
            Draft::New(c) => vec![
                format!("email {}", email_key(&c.profile.email)),
                format!("extension {}", c.profile.extension),
            ],
            Draft::Refused(..) => vec![],
        };
        for k in keys {
            lines_of.entry(k).or_default().push(i);
        }
    }
    let mut duplicates: HashMap<usize, Vec<u64>> = HashMap::new();
    for idx in lines_of.values().filter(|v| v.len() > 1) {
        for &i in idx {
            duplicates
                .entry(i)
                .or_default()
                .extend(idx.iter().filter(|&&j| j != i).map(|&j| rows[j].line));
        }
    }
    for (i, mut others) in duplicates {
        others.sort_unstable();
        others.dedup();
        let list = others
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        drafts[i] = Draft::Refused(
            drafts[i].agent(),
            error(
                ErrorCode::DuplicateRow,
                format!("The same agent is also on line {list}: keep one row per agent."),
            ),
        );
    }

    // Pass 3: seats, until no more rows fall out (a row that falls out frees no seat).
    let before_of = |d: &Draft| match d {
        Draft::Existing { at, .. } => agents[*at].licenses,
        _ => LicenseSet::EMPTY,
    };
    let after_of = |d: &Draft| match d {
        Draft::Existing { after, .. } => *after,
        Draft::New(c) => c.licenses,
        Draft::Refused(..) => LicenseSet::EMPTY,
    };
    loop {
        let mut live = roster.pool.assigned;
        for d in drafts.iter().filter(|d| !matches!(d, Draft::Refused(..))) {
            for t in before_of(d).differences(after_of(d)) {
                if !after_of(d).has(t) {
                    live[t] -= 1;
                }
            }
        }
        let mut fell = Vec::new();
        for (i, d) in drafts.iter().enumerate() {
            if matches!(d, Draft::Refused(..)) {
                continue;
            }
            let (before, after) = (before_of(d), after_of(d));
            let wants: Vec<LicenseType> = before
                .differences(after)
                .filter(|&t| after.has(t))
                .collect();
            if let Some(&t) = wants
                .iter()
                .find(|&&t| live[t] >= entitlements.purchased[t])
            {
                fell.push((i, t));
                continue;
            }
            for t in wants {
                live[t] += 1;
            }
        }
        if fell.is_empty() {
            break;
        }
        for (i, t) in fell {
            drafts[i] = Draft::Refused(
                drafts[i].agent(),
                error(
                    ErrorCode::ExceedsPurchased,
                    format!(
                        "No {t} license left for this row: the {} purchased are held by agents who keep them and by rows above this one.",
                        entitlements.purchased[t]
                    ),
                ),
            );
        }
    }

    // The preview, and what to write.
    let mut preview_rows = Vec::with_capacity(rows.len());
    let (mut updates, mut creates) = (Vec::new(), Vec::new());
    let mut delta = Counts::default();
    let (mut changed, mut created, mut unchanged, mut errors) = (0, 0, 0, 0);
    // What is written, and what it is written over; not the file's name.
    let mut print = Fingerprint::new();
    for (row, d) in rows.iter().zip(drafts) {
        let (name, agent_id, status) = match d {
            Draft::Existing { at, after } => {
                let a = &agents[at];
                let status = if after == a.licenses {
                    unchanged += 1;
                    RowStatus::Unchanged
                } else {
                    changed += 1;
                    for t in a.licenses.differences(after) {
                        delta[t] += if after.has(t) { 1 } else { -1 };
                    }
                    updates.push(ImportUpdate {
                        agent_id: a.id,
                        version: a.version,
                        before: a.licenses,
                        after,
                    });
                    RowStatus::Change {
                        before: a.licenses,
                        after,
                    }
                };
                print.add(&a.id.0.to_le_bytes());
                print.add(&a.version.0.to_le_bytes());
                (a.name.clone(), Some(a.id), status)
            }
            Draft::New(c) => {
                created += 1;
                for t in c.licenses.iter() {
                    delta[t] += 1;
                }
                let status = RowStatus::Create {
                    licenses: c.licenses,
                };
                print.add(c.profile.name.as_bytes());
                print.add(c.profile.email.as_bytes());
                print.add(c.profile.extension.as_bytes());
                let name = c.profile.name.clone();
                creates.push(c);
                (name, None, status)
            }
            Draft::Refused(Some(at), status) => {
                errors += 1;
                (agents[at].name.clone(), Some(agents[at].id), status)
            }
            Draft::Refused(None, status) => {
                errors += 1;
                let name = if row.name.is_empty() {
                    [&row.email, &row.extension]
                        .into_iter()
                        .find(|s| !s.is_empty())
                        .cloned()
                        .unwrap_or_default()
                } else {
                    row.name.clone()
                };
                (name, None, status)
            }
        };
        print.add(&row.line.to_le_bytes());
        print.add(
            serde_json::to_string(&status)
                .unwrap_or_default()
                .as_bytes(),
        );
        preview_rows.push(PreviewRow {
            line: row.line,
            name,
            agent_id,
            status,
        });
    }
    let pool_after = roster.pool.after(delta);
    print.add(format!("{:?}", roster.pool).as_bytes());
    ImportPlan {
        preview: ImportPreview {
            file: file.to_string(),
            rows: preview_rows,
            changed,
            created,
            unchanged,
            errors,
            summary: LicenseSummary::from_pool(&pool_after),
            fingerprint: print.finish(),
            applied: false,
        },
        updates,
        creates,
    }
}

/// One row on its own: which agent, and what it asks for.
fn draft(
    row: &ImportRow,
    agents: &[Agent],
    by_email: &HashMap<String, usize>,
    by_extension: &HashMap<&str, usize>,
    roster: &Roster<'_>,
    channel: bool,
) -> Draft {
    let by_mail = (!row.email.is_empty())
        .then(|| by_email.get(&email_key(&row.email)).copied())
        .flatten();
    let by_ext = (!row.extension.is_empty())
        .then(|| by_extension.get(row.extension.as_str()).copied())
        .flatten();
    let found = match (by_mail, by_ext) {
        (Some(a), Some(b)) if a != b => {
            return Draft::Refused(
                None,
                error(
                    ErrorCode::AmbiguousRow,
                    format!(
                        "The email is {}'s and the extension is {}'s: which agent is meant?",
                        agents[a].name, agents[b].name
                    ),
                ),
            );
        }
        (Some(a), _) | (None, Some(a)) => Some(a),
        (None, None) => None,
    };
    if let Some((t, text)) =
        LicenseType::ALL
            .into_iter()
            .find_map(|t| match &row.licenses[t.index()] {
                Cell::Bad(text) => Some((t, text)),
                _ => None,
            })
    {
        return Draft::Refused(
            found,
            error(
                ErrorCode::InvalidValue,
                format!("{t}: \"{text}\" is not yes or no (leave it empty to keep it as it is)."),
            ),
        );
    }
    if let Some(at) = found {
        let a = &agents[at];
        // Both keys given: both must be this agent's.
        let other = match (by_mail, by_ext) {
            (Some(_), None) if !row.extension.is_empty() => Some(format!(
                "The email is {}'s, whose extension is {}, not {}. An import does not change profiles.",
                a.name, a.extension, row.extension
            )),
            (None, Some(_)) if !row.email.is_empty() => Some(format!(
                "The extension is {}'s, whose email is {}, not {}. An import does not change profiles.",
                a.name, a.email, row.email
            )),
            _ => None,
        };
        if let Some(reason) = other {
            return Draft::Refused(Some(at), error(ErrorCode::AmbiguousRow, reason));
        }
        let after = licenses_after(a.licenses, &row.licenses);
        if let Err((t, block)) = check(a.standing(), a.licenses, after, channel) {
            return Draft::Refused(Some(at), error(block.code(), block.message(t)));
        }
        return Draft::Existing { at, after };
    }

    // No agent has this email or extension: a new WebRTC agent, if the row says enough.
    let source = row.source.trim();
    if !(source.is_empty() || source.eq_ignore_ascii_case("webrtc")) {
        return Draft::Refused(
            None,
            error(
                ErrorCode::UnknownAgent,
                "No phone user has this email or extension. Phone users come from the directory: refresh it to bring in new ones.",
            ),
        );
    }
    if row.name.is_empty() || row.email.is_empty() || row.extension.is_empty() {
        let key = if row.email.is_empty() {
            format!("extension {}", row.extension)
        } else {
            format!("email {}", row.email)
        };
        return Draft::Refused(
            None,
            error(
                ErrorCode::UnknownAgent,
                format!(
                    "No agent has the {key}. To add a WebRTC agent, give its name, email and extension."
                ),
            ),
        );
    }
    let profile = AgentProfile {
        name: row.name.clone(),
        email: row.email.clone(),
        extension: row.extension.clone(),
        ..AgentProfile::default()
    };
    let profile = match validate_profile(&profile) {
        Ok(p) => p,
        Err(problems) => {
            let reason = problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join(" ");
            return Draft::Refused(None, error(ErrorCode::InvalidProfile, reason));
        }
    };
    // Cleaned, the extension may now be someone's.
    if let Some(&at) = by_extension.get(profile.extension.as_str()) {
        return Draft::Refused(
            None,
            error(
                ErrorCode::ExtensionTaken,
                format!(
                    "Extension {} belongs to {}. Choose another.",
                    profile.extension, agents[at].name
                ),
            ),
        );
    }
    if roster.group_extensions.contains(&profile.extension) {
        return Draft::Refused(
            None,
            error(
                ErrorCode::ExtensionIsGroup,
                format!(
                    "Extension {} is a UC group's. Choose another.",
                    profile.extension
                ),
            ),
        );
    }
    let licenses = licenses_after(LicenseSet::EMPTY, &row.licenses);
    if let Err((t, block)) = check(Standing::Listed, LicenseSet::EMPTY, licenses, channel) {
        return Draft::Refused(None, error(block.code(), block.message(t)));
    }
    Draft::New(ImportCreate { profile, licenses })
}

fn licenses_after(mut held: LicenseSet, cells: &[Cell; 4]) -> LicenseSet {
    for t in LicenseType::ALL {
        if let Cell::Set(want) = cells[t.index()] {
            held.set(t, want);
        }
    }
    held
}

/// The rules of a tick, for a whole row at once (seats aside: counted after).
fn check(
    standing: Standing,
    before: LicenseSet,
    after: LicenseSet,
    channel: bool,
) -> Result<(), (LicenseType, Block)> {
    for t in before.differences(after) {
        let want = after.has(t);
        Block::check_standing(standing, before, t, want).map_err(|b| (t, b))?;
        let block = match (t, want) {
            (LicenseType::WebChat, true) if !channel => Some(Block::WebChatChannelNotPurchased),
            (LicenseType::Transcription, true) if !after.has(LicenseType::Voice) => {
                Some(Block::TranscriptionNeedsVoice)
            }
            (LicenseType::Voice, false) if after.has(LicenseType::Transcription) => {
                Some(Block::RequiredByTranscription)
            }
            _ => None,
        };
        if let Some(b) = block {
            return Err((t, b));
        }
    }
    Ok(())
}

/// FNV-1a, 64 bits: the same bytes give the same print in every build and on every
/// server, which is all a fingerprint needs (it guards against change, not an attacker:
/// whoever applies may write anyway).
struct Fingerprint(u64);

impl Fingerprint {
    fn new() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }

    fn add(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(&[0xff]) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::AgentSource;
    use crate::license::Entitlements;
    use LicenseType::*;

    fn agent(id: i64, name: &str, ext: &str, licenses: &[LicenseType]) -> Agent {
        Agent {
            id: AgentId(id),
            name: name.into(),
            email: format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
            extension: ext.into(),
            source: AgentSource::Webrtc,
            licenses: licenses.iter().copied().collect(),
            version: Version(1),
            gone: false,
            disabled: false,
            no_queue: false,
        }
    }

    fn pool(purchased: [i64; 4], agents: &[Agent]) -> Pool {
        Pool {
            entitlements: Entitlements {
                purchased: Counts::from_fn(|t| purchased[t.index()]),
                web_chat_channel: true,
            },
            assigned: Counts::from_fn(|t| {
                agents.iter().filter(|a| a.licenses.has(t)).count() as i64
            }),
        }
    }

    fn rows(csv: &str) -> Vec<ImportRow> {
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let columns = Columns::of(&header).unwrap();
        lines
            .enumerate()
            .map(|(i, l)| columns.row(i as u64 + 2, &l.split(',').collect::<Vec<_>>()))
            .collect()
    }

    fn plan(csv: &str, agents: &[Agent], purchased: [i64; 4]) -> ImportPlan {
        let groups = HashSet::from(["7000".to_string()]);
        plan_import(
            "roster.csv",
            &rows(csv),
            &Roster {
                agents,
                group_extensions: &groups,
                pool: pool(purchased, agents),
            },
        )
    }

    fn statuses(p: &ImportPlan) -> Vec<String> {
        p.preview
            .rows
            .iter()
            .map(|r| match &r.status {
                RowStatus::Change { after, .. } => format!("{} change {after:?}", r.name),
                RowStatus::Create { licenses } => format!("{} create {licenses:?}", r.name),
                RowStatus::Unchanged => format!("{} unchanged", r.name),
                RowStatus::Error { code, .. } => format!("{} error {code}", r.name),
            })
            .collect()
    }

    #[test]
    fn an_export_reads_back_as_unchanged() {
        let agents = [
            agent(1, "Ann Lee", "1001", &[Voice, Transcription]),
            agent(2, "Bo Chan", "1002", &[Sms]),
        ];
        let mut csv = header().join(",");
        for a in &agents {
            csv.push('\n');
            csv.push_str(&export_row(a).join(","));
        }
        let p = plan(&csv, &agents, [5, 5, 5, 5]);
        assert_eq!(p.preview.unchanged, 2, "{:?}", statuses(&p));
        assert!(p.updates.is_empty() && p.creates.is_empty());
    }

    #[test]
    fn rows_change_create_and_refuse_with_their_reasons() {
        let mut gone = agent(3, "Cy Gone", "1003", &[Voice]);
        gone.source = AgentSource::RingCentral;
        gone.gone = true;
        let agents = [
            agent(1, "Ann Lee", "1001", &[Voice, Transcription]),
            agent(2, "Bo Chan", "1002", &[]),
            gone,
        ];
        let csv = "Email,Extension,Name,Voice,SMS,Transcription
ann.lee@example.com,,,no,,
,1002,,yes,maybe,
,1002,,yes,,
,1003,,,yes,
nobody@example.com,,,yes,,
new.one@example.com,1050,New One,yes,,yes
new.two@example.com,7000,New Two,,,
ann.lee@example.com,1002,,,,
x@example.com,1060,Bad Trans,,,yes";
        let p = plan(csv, &agents, [5, 5, 5, 5]);
        assert_eq!(
            statuses(&p),
            [
                "Ann Lee error required_by_transcription",
                "Bo Chan error invalid_value",
                "Bo Chan change {Voice}",
                "Cy Gone error gone_from_directory",
                "nobody@example.com error unknown_agent",
                "New One create {Voice, Transcription}",
                "New Two error extension_is_group",
                "ann.lee@example.com error ambiguous_row",
                "Bad Trans error transcription_needs_voice",
            ]
        );
        assert_eq!(p.updates.len(), 1);
        assert_eq!(p.creates[0].profile.email, "new.one@example.com");
        assert_eq!(p.preview.errors, 7);
        let voice = &p.preview.summary.licenses[0];
        assert_eq!((voice.assigned, voice.available), (4, 1));
    }

    #[test]
    fn an_agent_on_two_rows_is_an_error_on_both() {
        let agents = [agent(1, "Ann Lee", "1001", &[])];
        let p = plan(
            "Email,Extension,Voice\nann.lee@example.com,,yes\n,1001,no",
            &agents,
            [5, 5, 5, 5],
        );
        assert_eq!(
            statuses(&p),
            ["Ann Lee error duplicate_row", "Ann Lee error duplicate_row"]
        );
        let RowStatus::Error { reason, .. } = &p.preview.rows[0].status else {
            unreachable!()
        };
        assert!(reason.contains("line 3"), "{reason}");
    }

    #[test]
    fn seats_freed_anywhere_in_the_file_go_to_rows_in_order() {
        // Two seats, both held. Line 2 and 3 want one each; line 4 frees one.
        let agents = [
            agent(1, "A", "1001", &[]),
            agent(2, "B", "1002", &[]),
            agent(3, "C", "1003", &[Voice]),
            agent(4, "D", "1004", &[Voice]),
        ];
        let p = plan(
            "Extension,Voice\n1001,yes\n1002,yes\n1003,no",
            &agents,
            [2, 0, 0, 0],
        );
        assert_eq!(
            statuses(&p),
            [
                "A change {Voice}",
                "B error exceeds_purchased",
                "C change {}"
            ]
        );
        let voice = &p.preview.summary.licenses[0];
        assert_eq!(voice.assigned, 2);
    }

    #[test]
    fn a_row_that_falls_out_frees_no_seat() {
        // C would free Voice and take SMS, of which none is left: it falls out, so its
        // Voice seat is not free for A.
        let agents = [agent(1, "A", "1001", &[]), agent(3, "C", "1003", &[Voice])];
        let p = plan(
            "Extension,Voice,SMS\n1001,yes,\n1003,no,yes",
            &agents,
            [1, 0, 0, 0],
        );
        assert_eq!(
            statuses(&p),
            ["A error exceeds_purchased", "C error exceeds_purchased"]
        );
    }

    #[test]
    fn the_fingerprint_moves_with_the_agents_and_the_file() {
        let agents = [agent(1, "A", "1001", &[])];
        let csv = "Extension,Voice\n1001,yes";
        let a = plan(csv, &agents, [2, 0, 0, 0]).preview.fingerprint;
        assert_eq!(a, plan(csv, &agents, [2, 0, 0, 0]).preview.fingerprint);
        let mut newer = agents.clone();
        newer[0].version = Version(2);
        assert_ne!(a, plan(csv, &newer, [2, 0, 0, 0]).preview.fingerprint);
        assert_ne!(
            a,
            plan("Extension,Voice\n1001,no", &agents, [2, 0, 0, 0])
                .preview
                .fingerprint
        );
    }

    #[test]
    fn cells_that_would_run_as_formulas_are_defused_and_read_back() {
        for cell in ["=1+1", "+44", "-x", "@SUM(A1)", "\tx"] {
            let safe = defuse(cell);
            assert!(safe.starts_with('\''), "{cell}");
            assert_eq!(undefuse(&safe), cell);
        }
        assert_eq!(defuse("Ann"), "Ann");
        assert_eq!(undefuse("'quoted"), "'quoted");
    }

    #[test]
    fn a_header_without_a_key_or_with_a_column_twice_is_refused() {
        assert!(Columns::of(&["Name", "Voice"]).is_err());
        assert!(Columns::of(&["Email", "email"]).is_err());
        let c = Columns::of(&["\u{feff}EMAIL", "web chat", "Notes"]).unwrap();
        assert_eq!((c.email, c.licenses[1]), (Some(0), Some(1)));
    }
}
