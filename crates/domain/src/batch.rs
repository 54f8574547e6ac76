//! License changes as a batch: the edits a supervisor has pending in the page, and the
//! all-or-nothing check the server runs before it writes anything.

use crate::error_code::ErrorCode;
use std::collections::{BTreeMap, HashMap};

use crate::api::{
    Agent, AgentId, FieldError, FieldPath, LicenseChange, LicenseChangeBatch, Version,
};
use crate::license::{Block, Counts, LicenseSet, LicenseType, Pool, Standing};

/// More changes than this in one request is refused: it bounds the work one request can
/// cause (4 license types for 5,000 agents).
pub const MAX_BATCH_CHANGES: usize = 20_000;

/// Why a batch was refused. Nothing of a refused batch is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchError {
    /// The batch breaks a rule (422).
    Invalid {
        code: ErrorCode,
        message: String,
        fields: Vec<FieldError>,
    },
    /// An agent changed, or vanished, since the client loaded it (409).
    Conflict {
        message: String,
        fields: Vec<FieldError>,
    },
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::Invalid { message, .. } | BatchError::Conflict { message, .. } => {
                f.write_str(message)
            }
        }
    }
}

impl std::error::Error for BatchError {}

/// One agent's licenses before and after a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentUpdate {
    pub agent_id: AgentId,
    pub before: LicenseSet,
    pub after: LicenseSet,
}

/// What a valid batch does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Agents whose licenses change, in the order they first appear in the batch.
    pub updates: Vec<AgentUpdate>,
    /// Seats taken (+) or freed (-) per type.
    pub delta: Counts,
    pub pool_after: Pool,
}

fn field(index: usize, code: ErrorCode, message: String) -> FieldError {
    FieldError::new(FieldPath::Change(index), code, message)
}

/// An agent as stored now, as [`plan`] checks a change against it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Current {
    pub version: Version,
    pub licenses: LicenseSet,
    /// Gone from or disabled in its directory: nothing new (see [`Block::check_standing`]).
    pub standing: Standing,
}

/// A listed agent with this version and these licenses.
impl From<(Version, LicenseSet)> for Current {
    fn from((version, licenses): (Version, LicenseSet)) -> Self {
        Current {
            version,
            licenses,
            standing: Standing::Listed,
        }
    }
}

/// Checks a batch against the pool and the agents' current state, and works out its
/// effect. `current` gives an agent as stored now: its version, licenses and standing
/// in its directory (or just the version and licenses of a listed agent).
///
/// The server calls this inside the write transaction, so `pool` and `current` cannot
/// move underneath it; the browser reaches the same verdicts one box at a time through
/// [`Pool::check_toggle`].
pub fn plan<C: Into<Current>>(
    pool: &Pool,
    current: impl Fn(AgentId) -> Option<C>,
    changes: &[LicenseChange],
) -> Result<Plan, BatchError> {
    if changes.is_empty() {
        return Err(BatchError::Invalid {
            code: ErrorCode::EmptyBatch,
            message: "There are no changes to save.".into(),
            fields: vec![],
        });
    }
    if changes.len() > MAX_BATCH_CHANGES {
        return Err(BatchError::Invalid {
            code: ErrorCode::BatchTooLarge,
            message: format!(
                "A save may hold at most {MAX_BATCH_CHANGES} changes; this one has {}. Save in smaller steps.",
                changes.len()
            ),
            fields: vec![],
        });
    }

    // Pass 1: shape of the batch and staleness.
    let mut seen: HashMap<(AgentId, LicenseType), usize> = HashMap::new();
    let mut agents: Vec<(AgentId, Standing, LicenseSet, LicenseSet)> = Vec::new();
    let mut slot: HashMap<AgentId, usize> = HashMap::new();
    let mut invalid = Vec::new();
    let mut conflicts = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        if let Some(first) = seen.insert((c.agent_id, c.license), i) {
            invalid.push(field(
                i,
                ErrorCode::DuplicateChange,
                format!(
                    "{} for agent {} is changed twice in this save (also at changes[{first}]).",
                    c.license, c.agent_id
                ),
            ));
            continue;
        }
        let Some(Current {
            version,
            licenses: held,
            standing,
        }) = current(c.agent_id).map(Into::into)
        else {
            conflicts.push(field(
                i,
                ErrorCode::UnknownAgent,
                format!(
                    "Agent {} no longer exists. Reload to see the current list.",
                    c.agent_id
                ),
            ));
            continue;
        };
        if version != c.version {
            conflicts.push(field(
                i,
                ErrorCode::StaleAgent,
                format!(
                    "Agent {} was changed by someone else since you loaded the page. Reload to see the latest.",
                    c.agent_id
                ),
            ));
            continue;
        }
        let at = *slot.entry(c.agent_id).or_insert_with(|| {
            agents.push((c.agent_id, standing, held, held));
            agents.len() - 1
        });
        agents[at].3.set(c.license, c.assigned);
    }
    if !invalid.is_empty() {
        return Err(BatchError::Invalid {
            code: ErrorCode::InvalidBatch,
            message: "The changes contradict each other; nothing was saved.".into(),
            fields: invalid,
        });
    }
    if !conflicts.is_empty() {
        return Err(BatchError::Conflict {
            message: "Some agents were changed or removed by someone else since you loaded the page; nothing was saved. Reload to see the latest.".into(),
            fields: conflicts,
        });
    }

    // Pass 2: each agent's resulting licenses obey the rules.
    let entitlements = pool.entitlements;
    let mut delta = Counts::default();
    for (i, c) in changes.iter().enumerate() {
        let (_, standing, before, after) = agents[slot[&c.agent_id]];
        if before.has(c.license) == c.assigned {
            continue;
        }
        delta[c.license] += if c.assigned { 1 } else { -1 };
        let refused = Block::check_standing(standing, before, c.license, c.assigned).err();
        let block = refused.or(match (c.license, c.assigned) {
            (LicenseType::WebChat, true) if !entitlements.web_chat_channel => {
                Some(Block::WebChatChannelNotPurchased)
            }
            (LicenseType::Transcription, true) if !after.has(LicenseType::Voice) => {
                Some(Block::TranscriptionNeedsVoice)
            }
            (LicenseType::Voice, false) if after.has(LicenseType::Transcription) => {
                Some(Block::RequiredByTranscription)
            }
            _ => None,
        });
        if let Some(block) = block {
            invalid.push(field(i, block.code(), block.message(c.license)));
        }
    }
    if !invalid.is_empty() {
        return Err(BatchError::Invalid {
            code: invalid[0].code,
            message: format!(
                "{} Nothing was saved.",
                invalid
                    .first()
                    .map(|f| f.message.as_str())
                    .unwrap_or_default()
            ),
            fields: invalid,
        });
    }

    // Pass 3: the pool. Only a type whose count grows can overflow; shrinking an
    // over-assigned type (purchases were cut) is always allowed.
    let pool_after = pool.after(delta);
    let over: Vec<FieldError> = LicenseType::ALL
        .into_iter()
        .filter(|&t| delta[t] > 0 && pool_after.assigned[t] > entitlements.purchased[t])
        .map(|t| FieldError {
            field: FieldPath::Pool(t),
            code: ErrorCode::ExceedsPurchased,
            message: format!(
                "{t}: this save needs {} more, but only {} of {} are available.",
                delta[t],
                pool.available(t),
                entitlements.purchased[t]
            ),
        })
        .collect();
    if !over.is_empty() {
        return Err(BatchError::Invalid {
            code: ErrorCode::ExceedsPurchased,
            message: format!(
                "Not enough licenses: {} Nothing was saved.",
                over.iter()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            fields: over,
        });
    }

    Ok(Plan {
        updates: agents
            .into_iter()
            .filter(|(_, _, before, after)| before != after)
            .map(|(agent_id, _, before, after)| AgentUpdate {
                agent_id,
                before,
                after,
            })
            .collect(),
        delta,
        pool_after,
    })
}

/// What [`PendingChanges::set_many`] did with each agent: changed, left as it was
/// (it already showed the license so), or refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    pub changed: usize,
    pub unchanged: usize,
    pub refused: Vec<Refusal>,
}

/// An agent a bulk change could not reach, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub agent_id: AgentId,
    pub name: String,
    pub block: Block,
}

/// One agent with unsaved edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingAgent {
    pub name: String,
    pub version: Version,
    /// As saved.
    pub saved: LicenseSet,
    /// As ticked in the page.
    pub wanted: LicenseSet,
}

/// The edits a supervisor has made in the page and not yet saved, across every page of
/// the list and every search: moving through the list never loses a tick.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingChanges {
    agents: BTreeMap<AgentId, PendingAgent>,
}

impl PendingChanges {
    /// Ticks or unticks one box. Returning a box to its saved state forgets the edit.
    pub fn set(
        &mut self,
        agent_id: AgentId,
        name: &str,
        version: Version,
        saved: LicenseSet,
        t: LicenseType,
        want: bool,
    ) {
        let entry = self.agents.entry(agent_id).or_insert_with(|| PendingAgent {
            name: name.to_string(),
            version,
            saved,
            wanted: saved,
        });
        entry.wanted.set(t, want);
        if entry.wanted == entry.saved {
            self.agents.remove(&agent_id);
        }
    }

    /// The licenses as the page shows them: pending if edited, else `saved`.
    pub fn wanted(&self, agent_id: AgentId, saved: LicenseSet) -> LicenseSet {
        self.agents
            .get(&agent_id)
            .map(|p| p.wanted)
            .unwrap_or(saved)
    }

    pub fn get(&self, agent_id: AgentId) -> Option<&PendingAgent> {
        self.agents.get(&agent_id)
    }

    pub fn agents(&self) -> impl Iterator<Item = (&AgentId, &PendingAgent)> {
        self.agents.iter()
    }

    /// Number of boxes that differ from the saved state.
    pub fn len(&self) -> usize {
        self.agents
            .values()
            .map(|p| p.saved.differences(p.wanted).count())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    /// Drops the edits of one agent.
    pub fn forget(&mut self, agent_id: AgentId) {
        self.agents.remove(&agent_id);
    }

    pub fn clear(&mut self) {
        self.agents.clear();
    }

    /// Seats taken (+) or freed (-) per type if these edits were saved.
    pub fn delta(&self) -> Counts {
        let mut delta = Counts::default();
        for p in self.agents.values() {
            for t in p.saved.differences(p.wanted) {
                delta[t] += if p.wanted.has(t) { 1 } else { -1 };
            }
        }
        delta
    }

    /// Sets license `t` to `want` for each of `agents` in turn, as ticking each one's
    /// box would: each is checked against `saved` (the pool as the server reported it)
    /// with every edit before it, so when seats run out they go to the agents first in
    /// order. An agent that already shows `want` is left as it is; one the rules refuse
    /// is listed with the reason, never skipped silently.
    pub fn set_many<'a>(
        &mut self,
        saved: &Pool,
        agents: impl IntoIterator<Item = &'a Agent>,
        t: LicenseType,
        want: bool,
    ) -> BulkOutcome {
        let mut live = saved.after(self.delta());
        let mut outcome = BulkOutcome::default();
        for a in agents {
            let shown = self.wanted(a.id, a.licenses);
            if shown.has(t) == want {
                outcome.unchanged += 1;
                continue;
            }
            let check = Block::check_standing(a.standing(), shown, t, want)
                .and_then(|()| live.check_toggle(shown, t, want));
            match check {
                Ok(()) => {
                    self.set(a.id, &a.name, a.version, a.licenses, t, want);
                    live.assigned[t] += if want { 1 } else { -1 };
                    outcome.changed += 1;
                }
                Err(block) => outcome.refused.push(Refusal {
                    agent_id: a.id,
                    name: a.name.clone(),
                    block,
                }),
            }
        }
        outcome
    }

    /// The request that saves these edits.
    pub fn to_batch(&self) -> LicenseChangeBatch {
        LicenseChangeBatch {
            changes: self
                .agents
                .iter()
                .flat_map(|(&agent_id, p)| {
                    p.saved.differences(p.wanted).map(move |t| LicenseChange {
                        agent_id,
                        license: t,
                        assigned: p.wanted.has(t),
                        version: p.version,
                    })
                })
                .collect(),
        }
    }
}
