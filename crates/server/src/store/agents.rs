//! Agent profiles: read, create, edit, remove; uniqueness of emails and extensions;
//! the extension plan and the next free extension.
//!
//! Every write re-checks every rule inside its write transaction (the server never
//! trusts the client), and since writes are serialised, two requests racing for the same
//! email or extension cannot both win.

use alc_domain::ErrorCode;
use std::collections::HashSet;

use sqlx::{Row, SqliteConnection};

use alc_domain::api::{
    AgentDetail, AgentSaved, Availability, AvailabilityQuery, CreateAgent, ExtensionSuggestion,
    UpdateAgent,
};
use alc_domain::{
    AgentId, AgentProfile, AgentSource, BatchError, ExtensionRange, ExtensionRanges, FieldError,
    LicenseChange, LicenseSet, LicenseSummary, NoAnswer, RecordingMode, Version, email_key,
    plus_address, validate_email, validate_extension, validate_no_answer, validate_preferred_name,
    validate_profile,
};

use alc_domain::access::AuditKind;

use super::access::Actor;
use super::audit::{self, Entry};
use super::{Store, StoreError, load_licenses, load_pool};

/// How many `+webrtcN` variants to try when suggesting a free address.
const PLUS_ADDRESS_TRIES: u32 = 20;

/// The write was based on a version someone else has since changed.
fn stale(name: &str, what: &str) -> StoreError {
    StoreError::Refused(BatchError::Conflict {
        message: format!(
            "{name} was changed by someone else since you opened it; nothing was {what}. Reload to see their changes."
        ),
        fields: vec![FieldError::new(
            "version",
            ErrorCode::StaleAgent,
            "Changed by someone else since you opened it.",
        )],
    })
}

fn refuse(fields: Vec<FieldError>) -> StoreError {
    let message = match fields.as_slice() {
        [only] => format!("{} Nothing was saved.", only.message),
        _ => "Some fields need attention; nothing was saved.".into(),
    };
    StoreError::Refused(BatchError::Invalid {
        code: ErrorCode::InvalidProfile,
        message,
        fields,
    })
}

async fn load_detail(
    conn: &mut SqliteConnection,
    id: AgentId,
) -> Result<Option<AgentDetail>, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT id, name, email, extension, source, version, preferred_name, no_answer_kind,
                no_answer_extension, recording_mode, review_own_recordings
         FROM agents WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let source: String = row.try_get("source")?;
    let kind: String = row.try_get("no_answer_kind")?;
    let recording: String = row.try_get("recording_mode")?;
    let no_answer = match kind.as_str() {
        "voicemail" => NoAnswer::Voicemail,
        "extension" => NoAnswer::Extension {
            extension: row
                .try_get::<Option<String>, _>("no_answer_extension")?
                .unwrap_or_default(),
        },
        _ => NoAnswer::None,
    };
    let licenses = load_licenses(conn, &[id]).await?;
    Ok(Some(AgentDetail {
        id,
        source: AgentSource::from_key(&source)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown agent source {source:?}")))?,
        version: row.try_get("version")?,
        licenses: licenses.get(&id).copied().unwrap_or_default(),
        profile: AgentProfile {
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            extension: row.try_get("extension")?,
            preferred_name: row.try_get("preferred_name")?,
            no_answer,
            recording: RecordingMode::from_key(&recording).unwrap_or_default(),
            review_own_recordings: row.try_get("review_own_recordings")?,
        },
    }))
}

/// Who else uses this email, and a free address to offer when it is a phone user's.
async fn email_problem(
    conn: &mut SqliteConnection,
    email: &str,
    exclude: Option<AgentId>,
) -> Result<(Option<FieldError>, Option<String>), StoreError> {
    let holder = sqlx::query(
        "SELECT name, extension, source FROM agents WHERE email_key = ? AND id != ? LIMIT 1",
    )
    .bind(email_key(email))
    .bind(exclude.map_or(-1, |a| a.0))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(holder) = holder else {
        return Ok((None, None));
    };
    let name: String = holder.try_get("name")?;
    let extension: String = holder.try_get("extension")?;
    let source: String = holder.try_get("source")?;
    if AgentSource::from_key(&source).is_some_and(AgentSource::is_uc) {
        let mut suggestion = None;
        for n in 1..=PLUS_ADDRESS_TRIES {
            let Some(candidate) = plus_address(email, n) else {
                break;
            };
            let taken: Option<i64> =
                sqlx::query_scalar("SELECT id FROM agents WHERE email_key = ? LIMIT 1")
                    .bind(email_key(&candidate))
                    .fetch_optional(&mut *conn)
                    .await?;
            if taken.is_none() {
                suggestion = Some(candidate);
                break;
            }
        }
        let hint = suggestion
            .as_deref()
            .map(|s| format!(" Use an address of its own, such as {s}."))
            .unwrap_or_else(|| " Use an address of its own.".into());
        Ok((
            Some(FieldError::new(
                "email",
                ErrorCode::EmailIsUcUser,
                format!("This is the email of phone user {name} ({extension}).{hint}"),
            )),
            suggestion,
        ))
    } else {
        Ok((
            Some(FieldError::new(
                "email",
                ErrorCode::EmailTaken,
                format!("{name} ({extension}) already uses this email address."),
            )),
            None,
        ))
    }
}

async fn extension_problem(
    conn: &mut SqliteConnection,
    extension: &str,
    exclude: Option<AgentId>,
) -> Result<Option<FieldError>, StoreError> {
    if let Some(row) =
        sqlx::query("SELECT name, source FROM agents WHERE extension = ? AND id != ? LIMIT 1")
            .bind(extension)
            .bind(exclude.map_or(-1, |a| a.0))
            .fetch_optional(&mut *conn)
            .await?
    {
        let name: String = row.try_get("name")?;
        let source: String = row.try_get("source")?;
        let who = if AgentSource::from_key(&source).is_some_and(AgentSource::is_uc) {
            "phone user"
        } else {
            "agent"
        };
        return Ok(Some(FieldError::new(
            "extension",
            ErrorCode::ExtensionTaken,
            format!("Extension {extension} belongs to {who} {name}. Choose another."),
        )));
    }
    let group: Option<String> =
        sqlx::query_scalar("SELECT name FROM uc_groups WHERE extension = ?")
            .bind(extension)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(group.map(|g| {
        FieldError::new(
            "extension",
            ErrorCode::ExtensionIsGroup,
            format!("Extension {extension} is the UC group {g}. Choose another."),
        )
    }))
}

async fn no_answer_problem(
    conn: &mut SqliteConnection,
    no_answer: &NoAnswer,
) -> Result<Option<FieldError>, StoreError> {
    let NoAnswer::Extension { extension } = no_answer else {
        return Ok(None);
    };
    let exists: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM agents WHERE extension = ? UNION ALL SELECT 1 FROM uc_groups WHERE extension = ? LIMIT 1",
    )
    .bind(extension)
    .bind(extension)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(exists.is_none().then(|| {
        FieldError::new(
            "no_answer",
            ErrorCode::UnknownDestination,
            format!("No agent, phone user or UC group has extension {extension}. Choose an existing extension."),
        )
    }))
}

/// The license part of a create or edit, checked by the same planner as a batch; its
/// problems are reported on the `licenses` field.
async fn plan_licenses(
    conn: &mut SqliteConnection,
    id: AgentId,
    version: Version,
    held: LicenseSet,
    wanted: LicenseSet,
) -> Result<alc_domain::Plan, StoreError> {
    let changes: Vec<LicenseChange> = held
        .differences(wanted)
        .map(|t| LicenseChange {
            agent_id: id,
            license: t,
            assigned: wanted.has(t),
            version,
        })
        .collect();
    let pool = load_pool(conn).await?;
    if changes.is_empty() {
        return Ok(alc_domain::Plan {
            updates: vec![],
            delta: Default::default(),
            pool_after: pool,
        });
    }
    alc_domain::plan(&pool, |a| (a == id).then_some((version, held)), &changes).map_err(|e| match e
    {
        BatchError::Invalid { fields, .. } => refuse(
            fields
                .into_iter()
                .map(|f| FieldError {
                    field: "licenses".into(),
                    ..f
                })
                .collect(),
        ),
        other => StoreError::Refused(other),
    })
}

/// Writes the license rows a plan adds and removes.
pub(super) async fn write_licenses(
    conn: &mut SqliteConnection,
    plan: &alc_domain::Plan,
) -> Result<(), StoreError> {
    for u in &plan.updates {
        for t in u.before.differences(u.after) {
            let sql = if u.after.has(t) {
                "INSERT INTO agent_licenses (agent_id, license) VALUES (?, ?)"
            } else {
                "DELETE FROM agent_licenses WHERE agent_id = ? AND license = ?"
            };
            sqlx::query(sql)
                .bind(u.agent_id)
                .bind(t.key())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

fn no_answer_columns(n: &NoAnswer) -> (&'static str, Option<&str>) {
    match n {
        NoAnswer::None => ("none", None),
        NoAnswer::Voicemail => ("voicemail", None),
        NoAnswer::Extension { extension } => ("extension", Some(extension)),
    }
}

fn range_from(row: &sqlx::sqlite::SqliteRow, prefix: &str) -> Result<ExtensionRange, sqlx::Error> {
    let get = |col: &str| -> Result<u32, sqlx::Error> {
        Ok(row
            .try_get::<i64, _>(format!("{prefix}_{col}").as_str())?
            .clamp(0, i64::from(u32::MAX)) as u32)
    };
    Ok(ExtensionRange {
        first: get("first")?,
        last: get("last")?,
    })
}

/// Extensions in use (agents and UC groups) within `range`.
async fn taken_in(
    conn: &mut SqliteConnection,
    range: ExtensionRange,
) -> Result<HashSet<u32>, StoreError> {
    let (lo, hi) = (range.first.to_string(), range.last.to_string());
    // With equal digit counts, text order is number order, and the indexes answer.
    let rows: Vec<String> = if lo.len() == hi.len() {
        sqlx::query_scalar(
            "SELECT extension FROM agents WHERE extension BETWEEN ? AND ?
             UNION ALL SELECT extension FROM uc_groups WHERE extension BETWEEN ? AND ?",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&mut *conn)
        .await?
    } else {
        sqlx::query_scalar("SELECT extension FROM agents UNION ALL SELECT extension FROM uc_groups")
            .fetch_all(&mut *conn)
            .await?
    };
    Ok(rows
        .iter()
        .filter(|e| range.contains(e))
        .filter_map(|e| e.parse().ok())
        .collect())
}

impl Store {
    pub async fn extension_ranges(&self) -> Result<ExtensionRanges, StoreError> {
        let mut conn = self.read.acquire().await?;
        read_ranges(&mut conn).await
    }

    pub async fn set_extension_ranges(
        &self,
        actor: &Actor,
        ranges: &ExtensionRanges,
    ) -> Result<ExtensionRanges, StoreError> {
        let problems = ranges.validate();
        if !problems.is_empty() {
            return Err(refuse(problems));
        }
        let mut tx = self.begin_write().await?;
        let before = read_ranges(&mut tx).await?;
        sqlx::query(
            "UPDATE account SET uc_users_first = ?, uc_users_last = ?, uc_groups_first = ?,
                uc_groups_last = ?, webrtc_first = ?, webrtc_last = ? WHERE id = 1",
        )
        .bind(i64::from(ranges.uc_users.first))
        .bind(i64::from(ranges.uc_users.last))
        .bind(i64::from(ranges.uc_groups.first))
        .bind(i64::from(ranges.uc_groups.last))
        .bind(i64::from(ranges.webrtc.first))
        .bind(i64::from(ranges.webrtc.last))
        .execute(&mut *tx)
        .await?;
        let saved = read_ranges(&mut tx).await?;
        audit::record(
            &mut tx,
            actor,
            Entry {
                kind: AuditKind::Settings,
                agent_id: None,
                subject: "Extension ranges",
                before: serde_json::to_value(before).ok(),
                after: serde_json::to_value(saved).ok(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn agent_detail(&self, id: AgentId) -> Result<Option<AgentDetail>, StoreError> {
        let mut conn = self.read.acquire().await?;
        load_detail(&mut conn, id).await
    }

    /// Checks as the user types. Format problems come first; then who holds the value.
    pub async fn availability(&self, q: &AvailabilityQuery) -> Result<Availability, StoreError> {
        let mut conn = self.read.acquire().await?;
        let mut out = Availability::default();
        if let Some(email) = q.email.as_deref() {
            match validate_email(email) {
                Err(e) => out.email = Some(e),
                Ok(email) => {
                    (out.email, out.email_suggestion) =
                        email_problem(&mut conn, &email, q.agent_id).await?
                }
            }
        }
        if let Some(extension) = q.extension.as_deref() {
            out.extension = match validate_extension(extension) {
                Err(e) => Some(e),
                Ok(ext) => extension_problem(&mut conn, &ext, q.agent_id).await?,
            };
        }
        Ok(out)
    }

    /// The lowest free extension of the WebRTC range: one indexed range read, then a
    /// walk over at most the range's size.
    pub async fn next_extension(&self) -> Result<ExtensionSuggestion, StoreError> {
        let mut conn = self.read.acquire().await?;
        let range = read_ranges(&mut conn).await?.webrtc;
        let taken = taken_in(&mut conn, range).await?;
        let extension = (range.first..=range.last)
            .find(|n| !taken.contains(n))
            .map(|n| n.to_string());
        Ok(ExtensionSuggestion { extension, range })
    }

    /// Creates a WebRTC agent and gives it its licenses, in one transaction.
    pub async fn create_agent(
        &self,
        actor: &Actor,
        req: &CreateAgent,
    ) -> Result<AgentSaved, StoreError> {
        let profile = validate_profile(&req.profile).map_err(refuse)?;
        let mut tx = self.begin_write().await?;
        let mut problems = Vec::new();
        let (email, _) = email_problem(&mut tx, &profile.email, None).await?;
        problems.extend(email);
        problems.extend(extension_problem(&mut tx, &profile.extension, None).await?);
        problems.extend(no_answer_problem(&mut tx, &profile.no_answer).await?);
        if !problems.is_empty() {
            return Err(refuse(problems));
        }
        let (kind, target) = no_answer_columns(&profile.no_answer);
        let id: AgentId = sqlx::query_scalar(
            "INSERT INTO agents (name, email, email_key, extension, source, preferred_name,
                no_answer_kind, no_answer_extension, recording_mode, review_own_recordings)
             VALUES (?, ?, ?, ?, 'webrtc', ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&profile.name)
        .bind(&profile.email)
        .bind(email_key(&profile.email))
        .bind(&profile.extension)
        .bind(&profile.preferred_name)
        .bind(kind)
        .bind(target)
        .bind(profile.recording.key())
        .bind(profile.review_own_recordings)
        .fetch_one(&mut *tx)
        .await?;
        let plan = plan_licenses(&mut tx, id, Version(1), LicenseSet::EMPTY, req.licenses).await?;
        write_licenses(&mut tx, &plan).await?;
        let saved = finish(&mut tx, Some(id)).await?;
        audit::record(
            &mut tx,
            actor,
            Entry::agent(
                AuditKind::AgentCreated,
                id,
                &profile.name,
                None,
                saved.agent.as_ref(),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Saves a whole profile and licenses, if nobody changed the agent since `version`.
    /// A phone user's name, email and extension belong to the directory: changing them
    /// is refused; the rest is theirs to edit like any agent's.
    pub async fn update_agent(
        &self,
        actor: &Actor,
        id: AgentId,
        req: &UpdateAgent,
    ) -> Result<AgentSaved, StoreError> {
        let mut tx = self.begin_write().await?;
        let current = load_detail(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.version != req.version {
            return Err(stale(&current.profile.name, "saved"));
        }
        let profile = if current.source.is_uc() {
            let mut problems = Vec::new();
            for (name, theirs, ours) in [
                ("name", &req.profile.name, &current.profile.name),
                ("email", &req.profile.email, &current.profile.email),
                (
                    "extension",
                    &req.profile.extension,
                    &current.profile.extension,
                ),
            ] {
                if theirs.trim() != ours.as_str() {
                    problems.push(FieldError::new(
                        name,
                        ErrorCode::ReadOnly,
                        format!(
                            "The {} of a phone user comes from the {} directory and cannot be changed here.",
                            name,
                            current.source.label()
                        ),
                    ));
                }
            }
            let preferred =
                validate_preferred_name(&req.profile.preferred_name).map_err(|e| problems.push(e));
            let no_answer = validate_no_answer(&req.profile.no_answer, &current.profile.extension)
                .map_err(|e| problems.push(e));
            match (preferred, no_answer) {
                (Ok(preferred_name), Ok(no_answer)) if problems.is_empty() => AgentProfile {
                    preferred_name,
                    no_answer,
                    recording: req.profile.recording,
                    review_own_recordings: req.profile.review_own_recordings,
                    ..current.profile.clone()
                },
                _ => return Err(refuse(problems)),
            }
        } else {
            validate_profile(&req.profile).map_err(refuse)?
        };
        let mut problems = Vec::new();
        if !current.source.is_uc() {
            let (email, _) = email_problem(&mut tx, &profile.email, Some(id)).await?;
            problems.extend(email);
            problems.extend(extension_problem(&mut tx, &profile.extension, Some(id)).await?);
        }
        problems.extend(no_answer_problem(&mut tx, &profile.no_answer).await?);
        if !problems.is_empty() {
            return Err(refuse(problems));
        }
        let plan =
            plan_licenses(&mut tx, id, current.version, current.licenses, req.licenses).await?;
        let (kind, target) = no_answer_columns(&profile.no_answer);
        sqlx::query(
            "UPDATE agents SET name = ?, email = ?, email_key = ?, extension = ?, preferred_name = ?,
                no_answer_kind = ?, no_answer_extension = ?, recording_mode = ?, review_own_recordings = ?,
                version = version + 1, updated_at = CURRENT_TIMESTAMP
             WHERE id = ?",
        )
        .bind(&profile.name)
        .bind(&profile.email)
        .bind(email_key(&profile.email))
        .bind(&profile.extension)
        .bind(&profile.preferred_name)
        .bind(kind)
        .bind(target)
        .bind(profile.recording.key())
        .bind(profile.review_own_recordings)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        write_licenses(&mut tx, &plan).await?;
        let saved = finish(&mut tx, Some(id)).await?;
        audit::record(
            &mut tx,
            actor,
            Entry::agent(
                AuditKind::AgentUpdated,
                id,
                &profile.name,
                Some(&current),
                saved.agent.as_ref(),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Removes a WebRTC agent; its licenses return to the pool, and agents that sent
    /// unanswered calls to it fall back to no destination (their version moves).
    pub async fn remove_agent(
        &self,
        actor: &Actor,
        id: AgentId,
        version: Version,
    ) -> Result<AgentSaved, StoreError> {
        let mut tx = self.begin_write().await?;
        let current = load_detail(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.source.is_uc() {
            return Err(StoreError::Refused(BatchError::Invalid {
                code: ErrorCode::PhoneUser,
                message: format!(
                    "{} is a phone user from the {} directory and cannot be removed here. Untick their licenses instead.",
                    current.profile.name,
                    current.source.label()
                ),
                fields: vec![],
            }));
        }
        if current.version != version {
            return Err(stale(&current.profile.name, "removed"));
        }
        sqlx::query(
            "UPDATE agents SET no_answer_kind = 'none', no_answer_extension = NULL, version = version + 1,
                updated_at = CURRENT_TIMESTAMP
             WHERE no_answer_kind = 'extension' AND no_answer_extension = ? AND id != ?",
        )
        .bind(&current.profile.extension)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM agents WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let saved = finish(&mut tx, None).await?;
        audit::record(
            &mut tx,
            actor,
            Entry::agent(
                AuditKind::AgentRemoved,
                id,
                &current.profile.name,
                Some(&current),
                None,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }
}

async fn read_ranges(conn: &mut SqliteConnection) -> Result<ExtensionRanges, StoreError> {
    let row = sqlx::query(
        "SELECT uc_users_first, uc_users_last, uc_groups_first, uc_groups_last, webrtc_first, webrtc_last
         FROM account WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(row) => ExtensionRanges {
            uc_users: range_from(&row, "uc_users")?,
            uc_groups: range_from(&row, "uc_groups")?,
            webrtc: range_from(&row, "webrtc")?,
        },
        None => ExtensionRanges::default(),
    })
}

/// The answer to a write: the agent as now stored, and the new counts.
async fn finish(
    conn: &mut SqliteConnection,
    id: Option<AgentId>,
) -> Result<AgentSaved, StoreError> {
    let agent = match id {
        Some(id) => load_detail(conn, id).await?,
        None => None,
    };
    Ok(AgentSaved {
        agent,
        summary: LicenseSummary::from_pool(&load_pool(conn).await?),
    })
}
