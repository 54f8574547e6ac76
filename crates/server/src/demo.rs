//! The demo account a newcomer sees on an empty database: a realistic mix of phone
//! (UC) users and WebRTC agents, some licensed, with seats left of every type but SMS
//! nearly full, so that the limits are visible at once.

use alc_domain::{AgentSource, Counts, Entitlements, LicenseSet, LicenseType};

use crate::store::{NewAgent, Store, StoreError};

pub const ACCOUNT_NAME: &str = "Northwind Support (demo)";

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

/// UC groups (queues) from the directory; their extensions are reserved.
pub const GROUPS: &[(&str, &str)] = &[("Sales", "3001"), ("Support", "3002"), ("Billing", "3003")];

pub fn agents() -> Vec<NewAgent> {
    let uc = UC_USERS.iter().enumerate().map(|(i, name)| NewAgent {
        name: name.to_string(),
        email: format!("{}@northwind.example", mailbox(name)),
        extension: (2001 + i).to_string(),
        source: AgentSource::RingCentral,
        licenses: licenses(i),
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
    });
    uc.chain(webrtc).collect()
}

pub async fn seed(store: &Store) -> Result<(), StoreError> {
    store
        .set_entitlements(ACCOUNT_NAME, &entitlements())
        .await?;
    store.insert_agents(&agents()).await?;
    store.insert_groups(GROUPS).await?;
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
