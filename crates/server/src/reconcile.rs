//! What "Refresh Users and Groups" does to our copy of the directory, decided without a
//! database: [`reconcile`] compares our UC users and groups ([`Ours`]) with a
//! directory's [`Snapshot`] and returns the rows to write ([`Changes`]) and the report a
//! supervisor reads. A store only reads [`Ours`] and writes [`Changes`], in one
//! transaction, so every backend applies the same rules.
//!
//! The rules (docs/DECISIONS.md has the why):
//! - users are matched by the directory's key; new ones are added, changed ones
//!   updated (the store bumps their version, so an open page sees its copy is stale);
//! - users gone from the directory are removed if unlicensed, and **kept with their
//!   licenses held for review** if licensed: flagged gone, they get no new license until
//!   they come back or a supervisor releases them (the next refresh then removes them);
//! - groups are replaced by the directory's, with those members that are users of the
//!   snapshot;
//! - extension and email collisions with our WebRTC agents are imported as they are and
//!   listed in the report for a person to resolve.

use std::collections::{HashMap, HashSet};

use alc_directory::{DirGroup, DirUser, Snapshot};
use alc_domain::connection::DirectoryAddress;
use alc_domain::directory::{
    Conflict, ConflictKind, EntryChange, FieldChange, GroupEntry, RefreshReport, UserEntry,
};
use alc_domain::{AgentId, AgentSource, LicenseSet, Standing, email_key};

/// Our side, as a refresh compares it.
#[derive(Clone, Debug, Default)]
pub struct Ours {
    /// UC users by the directory's key.
    pub users: HashMap<String, KnownUser>,
    /// WebRTC agents' names by extension, and by email key: for the collision report.
    pub webrtc_by_extension: HashMap<String, String>,
    pub webrtc_by_email: HashMap<String, String>,
    /// UC groups by the directory's key.
    pub groups: HashMap<String, KnownGroup>,
    /// What each agent holds (absent: nothing).
    pub licenses: HashMap<AgentId, LicenseSet>,
}

/// Our copy of one UC user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownUser {
    pub id: AgentId,
    pub name: String,
    pub email: String,
    pub extension: String,
    pub status: String,
    /// Our source key (`ring_central`, ...): a connection switched to another system
    /// of the same directory shows as a change of `system`.
    pub source: String,
    /// Already flagged gone by an earlier refresh.
    pub gone: bool,
}

/// Our copy of one UC group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KnownGroup {
    pub name: String,
    pub extension: String,
    /// Directory keys of its members.
    pub members: HashSet<String>,
}

/// The rows a refresh writes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// New UC users, cleaned, in name order.
    pub add: Vec<DirUser>,
    /// Known users whose fields changed or who came back: written as the directory has
    /// them, no longer gone.
    pub update: Vec<(AgentId, DirUser)>,
    /// Gone and unlicensed.
    pub remove: Vec<AgentId>,
    /// Gone and licensed, and not flagged gone yet.
    pub mark_gone: Vec<AgentId>,
    /// Every group as it is to be stored (all others are dropped).
    pub groups: Vec<GroupRow>,
}

/// One group to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRow {
    pub key: String,
    pub name: String,
    pub extension: String,
    /// Directory keys of its members, each a user of the snapshot, each once.
    pub members: Vec<String>,
}

/// Compares `ours` with `snapshot` read from `source`. The report has everything but
/// its id, times and what only the store can know (forwarders it resets).
pub fn reconcile(
    source: AgentSource,
    ours: &Ours,
    snapshot: &Snapshot,
) -> (Changes, RefreshReport) {
    let mut report = RefreshReport {
        source: Some(source),
        users_read: snapshot.users.len() as u32,
        groups_read: snapshot.groups.len() as u32,
        notes: snapshot.notes.clone(),
        ..RefreshReport::default()
    };
    let mut changes = Changes::default();
    let users = clean_users(snapshot, &mut report);
    let present: HashSet<&str> = users.iter().map(|u| u.key.as_str()).collect();

    for u in &users {
        match ours.users.get(&u.key) {
            None => {
                report.added.push(entry(u, LicenseSet::EMPTY));
                changes.add.push(u.clone());
            }
            Some(k) => {
                let diff = user_diff(k, u, source);
                if !diff.is_empty() {
                    report.changed.push(EntryChange {
                        name: u.name.clone(),
                        extension: u.extension.clone(),
                        changes: diff,
                    });
                    changes.update.push((k.id, u.clone()));
                }
            }
        }
        user_conflicts(ours, u, &mut report);
    }

    let mut gone: Vec<(&String, &KnownUser)> = ours
        .users
        .iter()
        .filter(|(key, _)| !present.contains(key.as_str()))
        .collect();
    gone.sort_by(|a, b| a.1.name.cmp(&b.1.name).then_with(|| a.0.cmp(b.0)));
    for (_, k) in gone {
        let held = ours.licenses.get(&k.id).copied().unwrap_or_default();
        let e = UserEntry {
            name: k.name.clone(),
            extension: k.extension.clone(),
            email: k.email.clone(),
            licenses: held,
        };
        if held.is_empty() {
            changes.remove.push(k.id);
            report.removed.push(e);
        } else {
            if !k.gone {
                changes.mark_gone.push(k.id);
            }
            report.held.push(e);
        }
    }

    changes.groups = reconcile_groups(ours, snapshot, &present, &mut report);
    let disabled = users
        .iter()
        .filter(|u| Standing::of(false, &u.status) == Standing::Disabled)
        .count();
    if disabled > 0 {
        report.notes.push(format!(
            "{disabled} users are disabled in the directory: they keep the licenses they hold, but cannot get new ones until the directory enables them."
        ));
    }
    (changes, report)
}

/// One entry per key, trimmed, named, in the report's order (name, then key).
fn clean_users(snapshot: &Snapshot, report: &mut RefreshReport) -> Vec<DirUser> {
    let mut seen = HashSet::new();
    let mut duplicates = 0;
    let mut users: Vec<DirUser> = snapshot
        .users
        .iter()
        .filter(|u| {
            let fresh = seen.insert(u.key.as_str());
            duplicates += usize::from(!fresh);
            fresh
        })
        .map(clean_user)
        .collect();
    users.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.key.cmp(&b.key)));
    if duplicates > 0 {
        report.notes.push(format!(
            "The directory listed {duplicates} users twice; each was imported once."
        ));
    }
    users
}

/// Trims what the directory sent, and names users the directory gives no name.
fn clean_user(u: &DirUser) -> DirUser {
    let extension = u.extension.trim().to_string();
    let name = match u.name.trim() {
        "" if extension.is_empty() => format!("Directory user {}", u.key),
        "" => format!("Line {extension}"),
        n => n.to_string(),
    };
    DirUser {
        key: u.key.clone(),
        name,
        email: u.email.trim().to_string(),
        extension,
        status: u.status.trim().to_string(),
    }
}

/// What differs between our copy and the directory's, field by field.
fn user_diff(k: &KnownUser, u: &DirUser, source: AgentSource) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut diff = |field: &str, before: &str, after: &str| {
        if before != after {
            changes.push(field_change(field, before, after));
        }
    };
    diff("name", &k.name, &u.name);
    diff("email", &k.email, &u.email);
    diff("extension", &k.extension, &u.extension);
    diff("status", &k.status, &u.status);
    diff("system", &k.source, source.key());
    if k.gone {
        diff("directory", "gone", "back");
    }
    changes
}

/// A directory user whose extension or email one of our WebRTC agents has.
fn user_conflicts(ours: &Ours, u: &DirUser, report: &mut RefreshReport) {
    if !u.extension.is_empty()
        && let Some(agent) = ours.webrtc_by_extension.get(&u.extension)
    {
        report.conflicts.push(Conflict {
            kind: ConflictKind::Extension,
            value: u.extension.clone(),
            directory: u.name.clone(),
            other: format!("WebRTC agent {agent}"),
        });
    }
    let key = email_key(&u.email);
    if !key.is_empty()
        && let Some(agent) = ours.webrtc_by_email.get(&key)
    {
        report.conflicts.push(Conflict {
            kind: ConflictKind::Email,
            value: u.email.clone(),
            directory: u.name.clone(),
            other: format!("WebRTC agent {agent}"),
        });
    }
}

/// The directory's groups as they are to be stored, with the report's group lists.
fn reconcile_groups(
    ours: &Ours,
    snapshot: &Snapshot,
    present: &HashSet<&str>,
    report: &mut RefreshReport,
) -> Vec<GroupRow> {
    let mut matched = HashSet::new();
    let mut extensions = HashSet::new();
    let mut keys = HashSet::new();
    let mut groups: Vec<&DirGroup> = snapshot.groups.iter().collect();
    groups.sort_by(|a, b| {
        a.name
            .trim()
            .cmp(b.name.trim())
            .then_with(|| a.key.cmp(&b.key))
    });
    let mut rows = Vec::new();
    let (mut left_out, mut groups_left_out) = (0, 0);
    for g in groups {
        let extension = g.extension.trim().to_string();
        let name = if g.name.trim().is_empty() {
            format!("Group {extension}")
        } else {
            g.name.trim().to_string()
        };
        if !keys.insert(g.key.as_str()) || !extensions.insert(extension.clone()) {
            report.notes.push(format!(
                "The directory lists the group {name} ({extension}) twice or with an extension another group has; only the first was imported."
            ));
            continue;
        }
        let mut members = Vec::new();
        let mut member_set = HashSet::new();
        let mut absent = HashSet::new();
        for m in &g.members {
            if !present.contains(m.as_str()) {
                absent.insert(m.as_str());
            } else if member_set.insert(m.clone()) {
                members.push(m.clone());
            }
        }
        left_out += absent.len();
        groups_left_out += usize::from(!absent.is_empty());
        let now = GroupEntry {
            name: name.clone(),
            extension: extension.clone(),
            members: members.len() as u32,
        };
        match ours.groups.get(&g.key) {
            None => report.groups_added.push(now),
            Some(before) => {
                matched.insert(g.key.as_str());
                let diff = group_diff(before, &name, &extension, &member_set);
                if !diff.is_empty() {
                    report.groups_changed.push(EntryChange {
                        name: name.clone(),
                        extension: extension.clone(),
                        changes: diff,
                    });
                }
            }
        }
        if let Some(agent) = ours.webrtc_by_extension.get(&extension) {
            report.conflicts.push(Conflict {
                kind: ConflictKind::Extension,
                value: extension.clone(),
                directory: format!("group {}", g.name.trim()),
                other: format!("WebRTC agent {agent}"),
            });
        }
        rows.push(GroupRow {
            key: g.key.clone(),
            name,
            extension,
            members,
        });
    }
    if left_out > 0 {
        report.notes.push(format!(
            "{left_out} members of {groups_left_out} queues were left out: the directory does not list them among its users (unassigned extensions, announcements and other extensions that are not users are not imported)."
        ));
    }
    let mut removed: Vec<&KnownGroup> = ours
        .groups
        .iter()
        .filter(|(key, _)| !matched.contains(key.as_str()))
        .map(|(_, g)| g)
        .collect();
    removed.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| a.extension.cmp(&b.extension))
    });
    for g in removed {
        report.groups_removed.push(GroupEntry {
            name: g.name.clone(),
            extension: g.extension.clone(),
            members: g.members.len() as u32,
        });
    }
    rows
}

fn group_diff(
    before: &KnownGroup,
    name: &str,
    extension: &str,
    members: &HashSet<String>,
) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    if before.name != name {
        changes.push(field_change("name", &before.name, name));
    }
    if before.extension != extension {
        changes.push(field_change("extension", &before.extension, extension));
    }
    let joined = members.difference(&before.members).count();
    let left = before.members.difference(members).count();
    if joined + left > 0 {
        changes.push(field_change(
            "members",
            &before.members.len().to_string(),
            &format!("{} ({joined} joined, {left} left)", members.len()),
        ));
    }
    changes
}

fn entry(u: &DirUser, licenses: LicenseSet) -> UserEntry {
    UserEntry {
        name: u.name.clone(),
        extension: u.extension.clone(),
        email: u.email.clone(),
        licenses,
    }
}

fn field_change(field: &str, before: &str, after: &str) -> FieldChange {
    FieldChange {
        field: field.to_string(),
        before: before.to_string(),
        after: after.to_string(),
    }
}

/// The first note of the first refresh applied after an admin pointed the connection
/// at another directory (`from`, when its name could still be read): users are
/// matched by the directory's own ids, so the old directory's users were gone from
/// this one, and the report's removed and held lists are theirs.
pub fn switch_note(
    from: Option<&DirectoryAddress>,
    to: &DirectoryAddress,
    report: &RefreshReport,
) -> String {
    let from = from
        .map(|f| format!(" from {}", f.describe()))
        .unwrap_or_default();
    let removed = report.removed.total;
    let held = report.held.total;
    let (users, were) = if removed == 1 {
        ("phone user", "was")
    } else {
        ("phone users", "were")
    };
    let (ones, its) = if held == 1 {
        ("one is", "its")
    } else {
        ("ones are", "their")
    };
    format!(
        "This refresh followed a switch{from} to {}: {removed} {users} of the old directory that held no license {were} removed; {held} licensed {ones} kept and flagged as gone from the directory, {its} licenses held for review.",
        to.describe()
    )
}

/// What storing `groups` over the groups we have takes, so that a refresh writes only
/// what changed: groups to drop (by key; their members go with them), groups to insert
/// whole (new ones, and ones whose name or extension changed: dropped first), and
/// members to add to or remove from the groups that stay.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GroupWrites<'a> {
    pub drop: Vec<&'a str>,
    pub insert: Vec<&'a GroupRow>,
    /// (group key, member key)
    pub add_members: Vec<(&'a str, &'a str)>,
    pub remove_members: Vec<(&'a str, &'a str)>,
}

impl GroupWrites<'_> {
    pub fn is_empty(&self) -> bool {
        self.drop.is_empty()
            && self.insert.is_empty()
            && self.add_members.is_empty()
            && self.remove_members.is_empty()
    }
}

pub fn group_writes<'a>(
    ours: &'a HashMap<String, KnownGroup>,
    groups: &'a [GroupRow],
) -> GroupWrites<'a> {
    let mut w = GroupWrites::default();
    let wanted: HashSet<&str> = groups.iter().map(|g| g.key.as_str()).collect();
    let mut keys: Vec<&String> = ours.keys().collect();
    keys.sort();
    for key in keys {
        if !wanted.contains(key.as_str()) {
            w.drop.push(key);
        }
    }
    for g in groups {
        match ours.get(&g.key) {
            Some(have) if have.name == g.name && have.extension == g.extension => {
                let want: HashSet<&str> = g.members.iter().map(String::as_str).collect();
                for m in &g.members {
                    if !have.members.contains(m) {
                        w.add_members.push((&g.key, m));
                    }
                }
                let mut gone: Vec<&str> = have
                    .members
                    .iter()
                    .map(String::as_str)
                    .filter(|m| !want.contains(m))
                    .collect();
                gone.sort_unstable();
                w.remove_members
                    .extend(gone.into_iter().map(|m| (g.key.as_str(), m)));
            }
            Some(_) => {
                w.drop.push(&g.key);
                w.insert.push(g);
            }
            None => w.insert.push(g),
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use alc_domain::LicenseType;

    const SOURCE: AgentSource = AgentSource::RingCentral;

    fn dir_user(key: &str, name: &str, extension: &str) -> DirUser {
        DirUser {
            key: key.into(),
            name: name.into(),
            email: format!("{}@x.example", name.to_lowercase().replace(' ', ".")),
            extension: extension.into(),
            status: "Enabled".into(),
        }
    }

    fn known(id: i64, u: &DirUser) -> KnownUser {
        KnownUser {
            id: AgentId(id),
            name: u.name.clone(),
            email: u.email.clone(),
            extension: u.extension.clone(),
            status: u.status.clone(),
            source: SOURCE.key().into(),
            gone: false,
        }
    }

    fn group(key: &str, name: &str, extension: &str, members: &[&str]) -> DirGroup {
        DirGroup {
            key: key.into(),
            name: name.into(),
            extension: extension.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
        }
    }

    fn names<T>(list: &alc_domain::directory::Listed<T>, name: impl Fn(&T) -> &str) -> Vec<&str> {
        list.items.iter().map(name).collect()
    }

    #[test]
    fn new_users_are_added_in_name_order_and_a_same_directory_is_no_change() {
        let snapshot = Snapshot {
            users: vec![dir_user("2", "Zoe", "2002"), dir_user("1", "Ann", "2001")],
            ..Snapshot::default()
        };
        let (changes, report) = reconcile(SOURCE, &Ours::default(), &snapshot);
        assert_eq!(names(&report.added, |e| &e.name), ["Ann", "Zoe"]);
        assert_eq!(changes.add.len(), 2);
        assert_eq!(report.users_read, 2);

        let ours = Ours {
            users: snapshot
                .users
                .iter()
                .enumerate()
                .map(|(i, u)| (u.key.clone(), known(i as i64 + 1, u)))
                .collect(),
            ..Ours::default()
        };
        let (changes, report) = reconcile(SOURCE, &ours, &snapshot);
        assert_eq!(changes, Changes::default());
        assert!(report.no_changes(), "{report:?}");
    }

    #[test]
    fn a_changed_user_lists_each_field_and_a_returning_one_is_back() {
        let before = dir_user("1", "Ann", "2001");
        let mut k = known(7, &before);
        k.gone = true;
        let mut after = before.clone();
        after.extension = " 2009 ".into();
        after.status = "Disabled".into();
        let ours = Ours {
            users: HashMap::from([("1".to_string(), k)]),
            ..Ours::default()
        };
        let snapshot = Snapshot {
            users: vec![after],
            ..Snapshot::default()
        };
        let (changes, report) = reconcile(AgentSource::AvayaCloudOffice, &ours, &snapshot);
        let fields: Vec<(&str, &str, &str)> = report.changed.items[0]
            .changes
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_str(), c.after.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("extension", "2001", "2009"),
                ("status", "Enabled", "Disabled"),
                ("system", "ring_central", "avaya_cloud_office"),
                ("directory", "gone", "back"),
            ]
        );
        assert_eq!(changes.update.len(), 1);
        assert_eq!(changes.update[0].0, AgentId(7));
        assert_eq!(changes.update[0].1.extension, "2009", "trimmed");
    }

    #[test]
    fn gone_users_are_removed_unless_licensed_and_flagged_gone_once() {
        let (a, b, c) = (
            dir_user("1", "Ann", "2001"),
            dir_user("2", "Ben", "2002"),
            dir_user("3", "Cat", "2003"),
        );
        let mut already = known(3, &c);
        already.gone = true;
        let voice: LicenseSet = [LicenseType::Voice].into_iter().collect();
        let ours = Ours {
            users: HashMap::from([
                ("1".to_string(), known(1, &a)),
                ("2".to_string(), known(2, &b)),
                ("3".to_string(), already),
            ]),
            licenses: HashMap::from([(AgentId(2), voice), (AgentId(3), voice)]),
            ..Ours::default()
        };
        let (changes, report) = reconcile(SOURCE, &ours, &Snapshot::default());
        assert_eq!(changes.remove, [AgentId(1)]);
        assert_eq!(changes.mark_gone, [AgentId(2)], "Cat is flagged already");
        assert_eq!(names(&report.removed, |e| &e.name), ["Ann"]);
        assert_eq!(names(&report.held, |e| &e.name), ["Ben", "Cat"]);
        assert_eq!(report.held.items[0].licenses, voice);
    }

    #[test]
    fn the_directory_is_cleaned_before_it_is_compared() {
        let mut twice = dir_user("1", "  Ann  ", "2001");
        twice.email = "  ann@x.example ".into();
        let unnamed = |key: &str, extension: &str| DirUser {
            email: String::new(),
            ..dir_user(key, " ", extension)
        };
        let snapshot = Snapshot {
            users: vec![
                twice.clone(),
                twice,
                unnamed("2", "2002"),
                unnamed("3", " "),
            ],
            notes: vec!["from the connector".into()],
            ..Snapshot::default()
        };
        let (changes, report) = reconcile(SOURCE, &Ours::default(), &snapshot);
        let added: Vec<(&str, &str)> = changes
            .add
            .iter()
            .map(|u| (u.name.as_str(), u.email.as_str()))
            .collect();
        assert_eq!(
            added,
            [
                ("Ann", "ann@x.example"),
                ("Directory user 3", ""),
                ("Line 2002", ""),
            ]
        );
        assert_eq!(
            report.notes,
            [
                "from the connector",
                "The directory listed 1 users twice; each was imported once."
            ]
        );
    }

    #[test]
    fn disabled_users_are_imported_and_named_in_a_note() {
        let mut off = dir_user("1", "Ann", "2001");
        off.status = "Disabled".into();
        let mut frozen = dir_user("2", "Ben", "2002");
        frozen.status = "Frozen".into();
        let mut new = dir_user("3", "Cat", "2003");
        new.status = "NotActivated".into();
        let snapshot = Snapshot {
            users: vec![off, frozen, new],
            ..Snapshot::default()
        };
        let (changes, report) = reconcile(SOURCE, &Ours::default(), &snapshot);
        assert_eq!(changes.add.len(), 3);
        assert_eq!(
            report.notes,
            [
                "2 users are disabled in the directory: they keep the licenses they hold, but cannot get new ones until the directory enables them."
            ]
        );
    }

    #[test]
    fn collisions_with_webrtc_agents_are_reported_not_refused() {
        let u = dir_user("1", "Ann", "4001");
        let ours = Ours {
            webrtc_by_extension: HashMap::from([("4001".to_string(), "Wes".to_string())]),
            webrtc_by_email: HashMap::from([(email_key(&u.email), "Wes".to_string())]),
            ..Ours::default()
        };
        let snapshot = Snapshot {
            users: vec![u],
            groups: vec![group("g", "Sales", "4001", &[])],
            ..Snapshot::default()
        };
        let (changes, report) = reconcile(SOURCE, &ours, &snapshot);
        assert_eq!(changes.add.len(), 1);
        let kinds: Vec<(ConflictKind, &str)> = report
            .conflicts
            .items
            .iter()
            .map(|c| (c.kind, c.directory.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (ConflictKind::Extension, "Ann"),
                (ConflictKind::Email, "Ann"),
                (ConflictKind::Extension, "group Sales"),
            ]
        );
    }

    #[test]
    fn groups_are_replaced_with_members_that_are_users_of_the_snapshot() {
        let users = vec![dir_user("1", "Ann", "2001"), dir_user("2", "Ben", "2002")];
        let ours = Ours {
            groups: HashMap::from([
                (
                    "sales".to_string(),
                    KnownGroup {
                        name: "Sales".into(),
                        extension: "3001".into(),
                        members: HashSet::from(["1".to_string()]),
                    },
                ),
                (
                    "old".to_string(),
                    KnownGroup {
                        name: "Old".into(),
                        extension: "3009".into(),
                        members: HashSet::new(),
                    },
                ),
            ]),
            ..Ours::default()
        };
        let snapshot = Snapshot {
            users,
            groups: vec![
                group("sales", " Sales ", "3001", &["1", "2", "2", "nobody"]),
                group("new", "", "3002", &[]),
                group("dup", "Again", "3002", &[]),
            ],
            ..Snapshot::default()
        };
        let (changes, report) = reconcile(SOURCE, &ours, &snapshot);
        let rows: Vec<(&str, &str, Vec<&str>)> = changes
            .groups
            .iter()
            .map(|g| {
                (
                    g.key.as_str(),
                    g.name.as_str(),
                    g.members.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("new", "Group 3002", vec![]),
                ("sales", "Sales", vec!["1", "2"])
            ]
        );
        assert_eq!(names(&report.groups_added, |g| &g.name), ["Group 3002"]);
        assert_eq!(names(&report.groups_removed, |g| &g.name), ["Old"]);
        let members = &report.groups_changed.items[0].changes[0];
        assert_eq!(
            (
                members.field.as_str(),
                members.before.as_str(),
                members.after.as_str()
            ),
            ("members", "1", "2 (1 joined, 0 left)")
        );
        assert!(
            report.notes[0].contains("Again (3002) twice"),
            "{:?}",
            report.notes
        );
        assert_eq!(
            report.notes[1],
            "1 members of 1 queues were left out: the directory does not list them among its users (unassigned extensions, announcements and other extensions that are not users are not imported)."
        );
    }

    #[test]
    fn a_switch_note_names_both_directories_and_counts() {
        let from = DirectoryAddress {
            system: AgentSource::RingCentral,
            base_url: "https://old".into(),
            account: String::new(),
        };
        let to = DirectoryAddress {
            system: AgentSource::Netsapiens,
            base_url: "https://new".into(),
            account: "acme".into(),
        };
        let mut report = RefreshReport::default();
        for _ in 0..3 {
            report.removed.push(UserEntry::default());
        }
        report.held.push(UserEntry::default());
        assert_eq!(
            switch_note(Some(&from), &to, &report),
            "This refresh followed a switch from RingCentral (https://old) to Netsapiens (https://new, domain acme): 3 phone users of the old directory that held no license were removed; 1 licensed one is kept and flagged as gone from the directory, its licenses held for review."
        );
        report.removed = Default::default();
        report.removed.push(UserEntry::default());
        report.held.push(UserEntry::default());
        assert_eq!(
            switch_note(None, &to, &report),
            "This refresh followed a switch to Netsapiens (https://new, domain acme): 1 phone user of the old directory that held no license was removed; 2 licensed ones are kept and flagged as gone from the directory, their licenses held for review."
        );
    }

    #[test]
    fn groups_are_written_only_where_they_changed() {
        let known = |name: &str, ext: &str, members: &[&str]| KnownGroup {
            name: name.into(),
            extension: ext.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
        };
        let row = |key: &str, name: &str, ext: &str, members: &[&str]| GroupRow {
            key: key.into(),
            name: name.into(),
            extension: ext.into(),
            members: members.iter().map(|m| m.to_string()).collect(),
        };
        let ours: HashMap<String, KnownGroup> = [
            ("same".to_string(), known("Sales", "3001", &["u1", "u2"])),
            (
                "members".to_string(),
                known("Support", "3002", &["u1", "u2"]),
            ),
            ("renamed".to_string(), known("Billing", "3003", &["u3"])),
            ("gone".to_string(), known("Old", "3004", &["u1"])),
        ]
        .into_iter()
        .collect();
        let groups = vec![
            row("same", "Sales", "3001", &["u2", "u1"]),
            row("members", "Support", "3002", &["u2", "u3"]),
            row("renamed", "Billing desk", "3003", &["u3"]),
            row("new", "New", "3005", &["u4"]),
        ];
        let w = group_writes(&ours, &groups);
        assert_eq!(w.drop, vec!["gone", "renamed"]);
        assert_eq!(
            w.insert.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
            vec!["renamed", "new"]
        );
        assert_eq!(w.add_members, vec![("members", "u3")]);
        assert_eq!(w.remove_members, vec![("members", "u1")]);
        // Nothing changed: nothing to write.
        let same: Vec<GroupRow> = ours
            .iter()
            .map(|(k, g)| {
                let mut m: Vec<&str> = g.members.iter().map(String::as_str).collect();
                m.sort_unstable();
                row(k, &g.name, &g.extension, &m)
            })
            .collect();
        assert!(group_writes(&ours, &same).is_empty());
    }
}
