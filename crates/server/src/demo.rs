//! The demo account a newcomer sees on an empty database: a realistic mix of phone
//! (UC) users and WebRTC agents, some licensed, with seats left of every type but SMS
//! nearly full, so that the limits are visible at once.
//!
//! The demo also has a directory to refresh from: a RingCentral simulator
//! (`alc-directory-sim`) on a local port, started with the server, which the demo
//! account's connection points at. Its directory is the seeded one moved on a little —
//! a few hundred new users, one renamed, one renumbered, two gone (one of them
//! licensed), a queue with a new member, a new user on a WebRTC agent's extension — so
//! that the first "Refresh Users and Groups" shows every part of the report.

use std::sync::Arc;

use alc_directory::ringcentral;
use alc_directory::{Connection, Secret};
use alc_directory_sim::{Credentials, Directory, Person, Queue, Sim, System};
use alc_domain::access::Role;
use alc_domain::{AgentSource, Counts, Entitlements, LicenseSet, LicenseType};

use crate::store::{NewAgent, NewGroup, Store, StoreError};

pub const ACCOUNT_NAME: &str = "Northwind Support (demo)";

/// The demo's console users: (role, name, email, password). `cargo xtask run` prints
/// them; they are for trying the console out, not for a real account.
pub const USERS: &[(Role, &str, &str, &str)] = &[
    (
        Role::Admin,
        "Alex Admin",
        "admin@northwind.example",
        "admin-demo-2026",
    ),
    (
        Role::Supervisor,
        "Sam Supervisor",
        "supervisor@northwind.example",
        "supervisor-demo-2026",
    ),
    (
        Role::Agent,
        "Avery Agent",
        "agent@northwind.example",
        "agent-demo-2026",
    ),
];

/// Voice 25, Web Chat 10 (channel purchased), SMS 5, Transcription 5.
pub fn entitlements() -> Entitlements {
    Entitlements {
        purchased: Counts::from_fn(|t| match t {
            LicenseType::Voice => 25,
            LicenseType::WebChat => 10,
            LicenseType::Sms => 5,
            LicenseType::Transcription => 5,
        }),
        web_chat_channel: true,
    }
}

const UC_USERS: &[&str] = &[
    "Amelia Hart",
    "Benjamin Okafor",
    "Carmen Delgado",
    "Daniel Kowalski",
    "Elena Petrova",
    "Farid Haddad",
    "Grace Liu",
    "Hiroshi Tanaka",
    "Isabel Moreau",
    "Jamal Carter",
    "Katarzyna Nowak",
    "Liam O'Brien",
    "Maya Patel",
    "Noah Fischer",
    "Olivia Bennett",
    "Pedro Alves",
    "Quinn Harper",
    "Rosa Jiménez",
    "Samuel Adeyemi",
    "Tara Sullivan",
    "Umar Siddiqui",
    "Valentina Rossi",
    "William Chen",
    "Ximena Castillo",
    "Yusuf Demir",
    "Zoe Lambert",
];

const WEBRTC_AGENTS: &[&str] = &[
    "Aaron Blake",
    "Bianca Ferreira",
    "Chloe Dubois",
    "Diego Ramírez",
    "Emma Lindqvist",
    "Felix Wagner",
    "Hannah Schmidt",
    "Ivan Horvat",
    "Julia Santos",
    "Kevin Murphy",
    "Leila Rahimi",
    "Marco Bianchi",
    "Nina Johansson",
    "Oscar Nilsson",
];

/// `Rosa Jiménez` → `rosa.jimenez`.
fn mailbox(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('.'),
            'á' | 'à' => Some('a'),
            'é' | 'è' => Some('e'),
            'í' => Some('i'),
            'ó' => Some('o'),
            'ú' => Some('u'),
            '\'' => None,
            c => Some(c),
        })
        .collect()
}

fn licenses(i: usize) -> LicenseSet {
    use LicenseType::*;
    // With the WebRTC agents below, the demo starts at 20 Voice, 7 Web Chat, 4 SMS
    // (one seat left) and 3 Transcription.
    let plan: &[&[LicenseType]] = &[
        &[Voice, Transcription],
        &[Voice, WebChat],
        &[Voice],
        &[Voice, Sms],
        &[Voice],
        &[],
        &[Voice, WebChat],
        &[Voice, Transcription],
        &[Voice],
        &[],
        &[Voice, Sms],
        &[Voice],
        &[WebChat, Sms],
        &[],
        &[Voice, WebChat],
        &[Voice],
        &[],
        &[Voice, Sms, Transcription],
        &[Voice],
        &[],
    ];
    plan.get(i)
        .map(|l| l.iter().copied().collect())
        .unwrap_or_default()
}

/// The directory's id of the i-th UC user.
fn uc_key(i: usize) -> String {
    (1001 + i).to_string()
}

/// UC groups (queues) from the directory: name, and which UC users are members. The
/// seeded copy has these three; the directory has nine more.
const GROUPS: &[(&str, std::ops::Range<usize>)] = &[
    ("Sales", 0..8),
    ("Support", 8..16),
    // Samuel Adeyemi (18) is licensed but in no queue until the directory adds him.
    ("Billing", 16..18),
];
const MORE_GROUPS: &[&str] = &[
    "Renewals",
    "Technical L2",
    "VIP",
    "Spanish",
    "French",
    "Onboarding",
    "Collections",
    "After Hours",
    "Escalations",
];

fn group_key(i: usize) -> String {
    (900_001 + i).to_string()
}

fn group_extension(i: usize) -> String {
    (3001 + i).to_string()
}

fn groups() -> Vec<NewGroup> {
    GROUPS
        .iter()
        .enumerate()
        .map(|(g, (name, members))| NewGroup {
            name: name.to_string(),
            extension: group_extension(g),
            directory_key: Some(group_key(g)),
            members: members.clone().map(uc_key).collect(),
        })
        .collect()
}

/// Noah Fischer (unlicensed) and Olivia Bennett (licensed) left the company.
const GONE: [usize; 2] = [13, 14];

/// What the simulator's directory holds: see the module's comment.
pub fn directory() -> Directory {
    let mut people: Vec<Person> = UC_USERS
        .iter()
        .enumerate()
        .filter(|(i, _)| !GONE.contains(i))
        .map(|(i, name)| {
            let (first, last) = name.split_once(' ').unwrap_or((name, ""));
            Person {
                id: uc_key(i),
                first_name: first.to_string(),
                last_name: last.to_string(),
                email: format!("{}@northwind.example", mailbox(name)),
                extension: (2001 + i).to_string(),
                status: "Enabled".to_string(),
            }
        })
        .collect();
    for p in &mut people {
        match p.id.as_str() {
            // Isabel Moreau married.
            "1009" => {
                p.last_name = "Moreau-Dupont".into();
                p.email = "isabel.moreau-dupont@northwind.example".into();
            }
            // Jamal Carter moved desk.
            "1010" => p.extension = "2100".into(),
            _ => {}
        }
    }
    let mut more = Directory::generated(274, 0, 2201).people;
    for (i, p) in more.iter_mut().enumerate() {
        p.id = (5001 + i).to_string();
        p.email = p.email.replace("@example.com", "@northwind.example");
    }
    // The directory gave a new user the extension of WebRTC agent Chloe Dubois.
    more[5].extension = "4003".into();
    let all_groups = GROUPS.len() + MORE_GROUPS.len();
    let queues = GROUPS
        .iter()
        .map(|(name, _)| *name)
        .chain(MORE_GROUPS.iter().copied())
        .enumerate()
        .map(|(g, name)| {
            let mut members: Vec<String> = match GROUPS.get(g) {
                Some((_, m)) => m
                    .clone()
                    .filter(|i| !GONE.contains(i))
                    .map(uc_key)
                    .collect(),
                None => Vec::new(),
            };
            if name == "Billing" {
                members.push(uc_key(18));
            }
            members.extend(
                more.iter()
                    .skip(g)
                    .step_by(all_groups)
                    .map(|p| p.id.clone()),
            );
            Queue {
                id: group_key(g),
                name: name.to_string(),
                extension: group_extension(g),
                members,
            }
        })
        .collect();
    people.extend(more);
    Directory { people, queues }
}

/// The credentials the simulator accepts and the demo connection sends. The demo's
/// connection is recognised by its client id, so a restart can point it at the new
/// simulator's port.
fn demo_credentials() -> Credentials {
    Credentials {
        client_id: "demo-console".into(),
        client_secret: "demo-client-secret".into(),
        secret: "demo-jwt-assertion".into(),
        ..Credentials::default()
    }
}

/// Starts the demo directory on a free local port and points the demo account's
/// connection at it (unless an admin connected a real directory).
pub async fn start_directory(
    store: &Store,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let creds = demo_credentials();
    if let Some(existing) = store.directory_connection().await?
        && !matches!(&existing, Connection::RingCentral(s) if s.client_id == creds.client_id)
    {
        return Ok(existing.base_url().to_string());
    }
    let sim = Arc::new(Sim::new(directory()).with_credentials(creds.clone()));
    let base_url = alc_directory_sim::serve(System::RingCentral, sim).await?;
    store
        .set_directory_connection(
            None,
            &Connection::RingCentral(ringcentral::Settings {
                base_url: base_url.clone(),
                client_id: creds.client_id,
                client_secret: Secret(creds.client_secret),
                jwt: Secret(creds.secret),
            }),
        )
        .await?;
    Ok(base_url)
}

pub fn agents() -> Vec<NewAgent> {
    let uc = UC_USERS.iter().enumerate().map(|(i, name)| NewAgent {
        name: name.to_string(),
        email: format!("{}@northwind.example", mailbox(name)),
        extension: (2001 + i).to_string(),
        source: AgentSource::RingCentral,
        licenses: licenses(i),
        directory_key: Some(uc_key(i)),
    });
    let webrtc = WEBRTC_AGENTS.iter().enumerate().map(|(i, name)| NewAgent {
        name: name.to_string(),
        email: format!("{}@northwind.example", mailbox(name)),
        extension: (4001 + i).to_string(),
        source: AgentSource::Webrtc,
        licenses: match i {
            0 | 3 | 6 => [LicenseType::Voice].into_iter().collect(),
            1 | 4 => [LicenseType::Voice, LicenseType::WebChat]
                .into_iter()
                .collect(),
            8 => [LicenseType::WebChat, LicenseType::Voice]
                .into_iter()
                .collect(),
            _ => LicenseSet::EMPTY,
        },
        directory_key: None,
    });
    uc.chain(webrtc).collect()
}

pub async fn seed(store: &Store) -> Result<(), StoreError> {
    store
        .set_entitlements(ACCOUNT_NAME, &entitlements())
        .await?;
    store.insert_agents(&agents()).await?;
    store.insert_groups(&groups()).await?;
    for (role, name, email, password) in USERS {
        store
            .upsert_console_user(email, name, *role, password)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_fits_its_purchases_and_rules() {
        let ent = entitlements();
        let mut assigned = Counts::default();
        let agents = agents();
        for a in &agents {
            for t in a.licenses.iter() {
                assigned[t] += 1;
            }
            assert!(
                !a.licenses.has(LicenseType::Transcription) || a.licenses.has(LicenseType::Voice)
            );
            assert!(a.email.is_ascii(), "{}", a.email);
        }
        for t in LicenseType::ALL {
            assert!(
                assigned[t] < ent.purchased[t],
                "{t}: some seats must be left"
            );
        }
        // SMS is nearly full so that the limit shows at once (the e2e tests use it).
        assert_eq!(
            ent.purchased[LicenseType::Sms] - assigned[LicenseType::Sms],
            1
        );
        assert_eq!(agents.len(), 40);
        let mut ext: Vec<_> = agents.iter().map(|a| &a.extension).collect();
        ext.dedup();
        assert_eq!(ext.len(), 40);
    }
}
