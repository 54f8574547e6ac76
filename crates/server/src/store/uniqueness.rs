//! Who already holds an email or an extension, and whether a no-answer destination
//! exists: asked as the user types (`availability`) and again inside each write.

use alc_domain::ErrorCode;
use sqlx::{AnyConnection, Row};

use alc_domain::api::{Availability, AvailabilityQuery};
use alc_domain::{
    AgentId, AgentSource, FieldError, NoAnswer, email_key, plus_address, validate_email,
    validate_extension,
};

use super::{Store, StoreError};

/// How many `+webrtcN` variants to try when suggesting a free address.
const PLUS_ADDRESS_TRIES: u32 = 20;

/// Who else uses this email, and a free address to offer when it is a phone user's.
pub(super) async fn email_problem(
    conn: &mut AnyConnection,
    email: &str,
    exclude: Option<AgentId>,
) -> Result<(Option<FieldError>, Option<String>), StoreError> {
    let holder = sqlx::query(
        "SELECT name, extension, source FROM agents WHERE email_key = $1 AND id != $2 LIMIT 1",
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
                sqlx::query_scalar("SELECT id FROM agents WHERE email_key = $1 LIMIT 1")
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

pub(super) async fn extension_problem(
    conn: &mut AnyConnection,
    extension: &str,
    exclude: Option<AgentId>,
) -> Result<Option<FieldError>, StoreError> {
    if let Some(row) =
        sqlx::query("SELECT name, source FROM agents WHERE extension = $1 AND id != $2 LIMIT 1")
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
        sqlx::query_scalar("SELECT name FROM uc_groups WHERE extension = $1")
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

pub(super) async fn no_answer_problem(
    conn: &mut AnyConnection,
    no_answer: &NoAnswer,
) -> Result<Option<FieldError>, StoreError> {
    let NoAnswer::Extension { extension } = no_answer else {
        return Ok(None);
    };
    let exists: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM agents WHERE extension = $1 UNION ALL SELECT 1 FROM uc_groups WHERE extension = $2 LIMIT 1",
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

impl Store {
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
}
