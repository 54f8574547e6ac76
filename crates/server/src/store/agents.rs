//! Agent profiles: read, create, edit, remove (uniqueness is in `uniqueness.rs`, the
//! extension plan in `extensions.rs`).
//!
//! Every write re-checks every rule inside its write transaction (the server never
//! trusts the client), and since writes are serialised, two requests racing for the same
//! email or extension cannot both win.

use alc_domain::ErrorCode;
use sqlx::{AnyConnection, Row};

use alc_domain::api::{AgentDetail, AgentSaved, CreateAgent, UpdateAgent};
use alc_domain::{
    AgentId, AgentProfile, AgentSource, BatchError, Current, FieldError, LicenseChange, LicenseSet,
    LicenseSummary, NoAnswer, RecordingMode, Standing, Version, email_key, validate_profile,
    validate_update,
};

use alc_domain::access::AuditKind;

use super::access::Actor;
use super::audit::{self, Entry};
use super::uniqueness::{email_problem, extension_problem, no_answer_problem};
use super::{Store, StoreError, load_licenses, load_pool};

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

pub(super) fn refuse(fields: Vec<FieldError>) -> StoreError {
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
    conn: &mut AnyConnection,
    id: AgentId,
) -> Result<Option<AgentDetail>, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT id, name, email, extension, source, version, preferred_name, no_answer_kind,
                no_answer_extension, recording_mode,
                COALESCE(review_own_recordings, FALSE) AS review_own_recordings
         FROM agents WHERE id = $1",
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
            review_own_recordings: super::flag(&row, "review_own_recordings")?,
        },
    }))
}

/// The license part of a create or edit, checked by the same planner as a batch; its
/// problems are reported on the `licenses` field.
async fn plan_licenses(
    conn: &mut AnyConnection,
    id: AgentId,
    current: Current,
    wanted: LicenseSet,
) -> Result<alc_domain::Plan, StoreError> {
    let Current {
        version,
        licenses: held,
        ..
    } = current;
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
    alc_domain::plan(&pool, |a| (a == id).then_some(current), &changes).map_err(|e| match e {
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
    conn: &mut AnyConnection,
    plan: &alc_domain::Plan,
) -> Result<(), StoreError> {
    // A few statements however many changes (a bulk Assign saves thousands): the rows
    // added in multi-row INSERTs, those removed per license type by id.
    let mut added = Vec::new();
    let mut removed: [Vec<AgentId>; 4] = Default::default();
    for u in &plan.updates {
        for t in u.before.differences(u.after) {
            if u.after.has(t) {
                added.push((u.agent_id, t));
            } else {
                removed[t.index()].push(u.agent_id);
            }
        }
    }
    for chunk in added.chunks(super::IN_CHUNK) {
        let mut qb = super::Sql::new("INSERT INTO agent_licenses (agent_id, license) VALUES ");
        for (i, (id, t)) in chunk.iter().enumerate() {
            qb.push(if i == 0 { "(" } else { ", (" })
                .bind(*id)
                .push(", ")
                .bind(t.key())
                .push(")");
        }
        qb.query()?.execute(&mut *conn).await?;
    }
    for t in alc_domain::LicenseType::ALL {
        for chunk in removed[t.index()].chunks(super::IN_CHUNK) {
            let mut qb = super::Sql::new("DELETE FROM agent_licenses WHERE license = ");
            qb.bind(t.key()).push(" AND agent_id").push_ids(chunk);
            qb.query()?.execute(&mut *conn).await?;
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

/// Writes a new WebRTC agent of a cleaned, checked profile (no licenses yet).
pub(super) async fn insert_webrtc(
    conn: &mut AnyConnection,
    profile: &AgentProfile,
) -> Result<AgentId, StoreError> {
    let (kind, target) = no_answer_columns(&profile.no_answer);
    let id: AgentId = sqlx::query_scalar(
        "INSERT INTO agents (name, email, email_key, extension, source, preferred_name,
                no_answer_kind, no_answer_extension, recording_mode, review_own_recordings)
             VALUES ($1, $2, $3, $4, 'webrtc', $5, $6, $7, $8, $9) RETURNING id",
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
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

impl Store {
    pub async fn agent_detail(&self, id: AgentId) -> Result<Option<AgentDetail>, StoreError> {
        let mut conn = self.read.acquire().await?;
        load_detail(&mut conn, id).await
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
        let id = insert_webrtc(&mut tx, &profile).await?;
        let new = Current {
            version: Version(1),
            licenses: LicenseSet::EMPTY,
            standing: Standing::Listed,
        };
        let plan = plan_licenses(&mut tx, id, new, req.licenses).await?;
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
        let profile =
            validate_update(current.source, &current.profile, &req.profile).map_err(refuse)?;
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
        // Gone from or disabled in the directory: what the licensing list refuses, the
        // profile refuses too.
        let now = Current {
            version: current.version,
            licenses: current.licenses,
            standing: super::load_standing(&mut tx, id).await?,
        };
        let plan = plan_licenses(&mut tx, id, now, req.licenses).await?;
        let (kind, target) = no_answer_columns(&profile.no_answer);
        sqlx::query(
            "UPDATE agents SET name = $1, email = $2, email_key = $3, extension = $4, preferred_name = $5,
                no_answer_kind = $6, no_answer_extension = $7, recording_mode = $8, review_own_recordings = $9,
                version = version + 1, updated_at = CURRENT_TIMESTAMP
             WHERE id = $10",
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
             WHERE no_answer_kind = 'extension' AND no_answer_extension = $1 AND id != $2",
        )
        .bind(&current.profile.extension)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM agents WHERE id = $1")
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

/// The answer to a write: the agent as now stored, and the new counts.
async fn finish(conn: &mut AnyConnection, id: Option<AgentId>) -> Result<AgentSaved, StoreError> {
    let agent = match id {
        Some(id) => load_detail(conn, id).await?,
        None => None,
    };
    Ok(AgentSaved {
        agent,
        summary: LicenseSummary::from_pool(&load_pool(conn).await?),
    })
}
