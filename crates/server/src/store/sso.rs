//! Console users who arrive by a portal's single sign-on: found by issuer and
//! subject, created at their first exchange without a password, and given the name,
//! email and role of each new assertion. One transaction per exchange: the replay
//! check, the user, the session and the audit entries are written together or not at
//! all.

use alc_domain::ErrorCode;
use alc_domain::access::{AuditKind, Role};
use alc_domain::{BatchError, FieldError, email_key};
use sqlx::Row;

use super::access::{
    Actor, NO_PASSWORD, Principal, SessionKind, SessionPolicy, open_session, user_label,
};
use super::audit::{self, Entry};
use super::{Store, StoreError};
use crate::sso::Assertion;

/// Why an exchange opened no session, after the assertion itself was verified.
#[derive(Debug, PartialEq, Eq)]
pub enum ExchangeRefused {
    /// This assertion's id was exchanged before.
    Replayed,
    /// The console user it names is disabled.
    Disabled,
    /// Another console user (a password user, or another subject) has this email.
    EmailTaken,
    /// The role it names would leave the account without an active admin.
    LastAdmin,
}

impl Store {
    /// Exchanges a verified assertion for a bearer session.
    pub async fn exchange(
        &self,
        a: &Assertion,
        policy: SessionPolicy,
    ) -> Result<Result<(String, Principal), ExchangeRefused>, StoreError> {
        let (name, email) = alc_domain::access::validate_user(&a.name, &a.email).map_err(|f| {
            StoreError::Refused(BatchError::Invalid {
                code: ErrorCode::InvalidAssertion,
                message: "The assertion's name or email is not one a console user can have.".into(),
                fields: f,
            })
        })?;
        let now = self.now_secs();
        let portal = Actor {
            id: None,
            name: format!("Single sign-on ({})", a.issuer),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sso_assertions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let fresh = sqlx::query(
            "INSERT INTO sso_assertions (issuer, jti, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (issuer, jti) DO NOTHING",
        )
        .bind(&a.issuer)
        .bind(&a.jti)
        .bind(a.remember_until)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if fresh == 0 {
            // Nothing else is written: the transaction rolls back.
            return Ok(Err(ExchangeRefused::Replayed));
        }
        let known = sqlx::query(
            "SELECT u.id, u.name, u.email, u.role, COALESCE(u.active, FALSE) AS active
             FROM sso_identities i JOIN console_users u ON u.id = i.user_id
             WHERE i.issuer = $1 AND i.subject = $2",
        )
        .bind(&a.issuer)
        .bind(&a.subject)
        .fetch_optional(&mut *tx)
        .await?;
        let holder: Option<i64> =
            sqlx::query_scalar("SELECT id FROM console_users WHERE email_key = $1")
                .bind(email_key(&email))
                .fetch_optional(&mut *tx)
                .await?;
        // The name and email the portal changed, for the sign-in's audit entry.
        let mut synced = None;
        let id = match known {
            Some(row) => {
                let id: i64 = row.try_get("id")?;
                if !super::flag(&row, "active")? {
                    tx.commit().await?; // the assertion stays used
                    return Ok(Err(ExchangeRefused::Disabled));
                }
                if holder.is_some_and(|h| h != id) {
                    return Ok(Err(ExchangeRefused::EmailTaken));
                }
                let before_role: String = row.try_get("role")?;
                let before_role = Role::from_key(&before_role)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown role {before_role:?}")))?;
                if before_role == Role::Admin && a.role != Role::Admin {
                    let other_admins: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM console_users WHERE role = 'admin' AND active AND id <> $1",
                    )
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                    if other_admins == 0 {
                        return Ok(Err(ExchangeRefused::LastAdmin));
                    }
                }
                let before_name: String = row.try_get("name")?;
                let before_email: String = row.try_get("email")?;
                sqlx::query(
                    "UPDATE console_users SET name = $1, email = $2, email_key = $3, role = $4 WHERE id = $5",
                )
                .bind(&name)
                .bind(&email)
                .bind(email_key(&email))
                .bind(a.role.key())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                let subject = user_label(&name, &email);
                if before_role != a.role {
                    audit::record(
                        &mut tx,
                        &portal,
                        Entry {
                            before: Some(serde_json::json!({"role": before_role})),
                            after: Some(serde_json::json!({"role": a.role})),
                            ..Entry::user(AuditKind::UserRoleChanged, &subject)
                        },
                    )
                    .await?;
                }
                if before_name != name || before_email != email {
                    synced = Some(serde_json::json!({"name": before_name, "email": before_email}));
                }
                id
            }
            None => {
                if holder.is_some() {
                    return Ok(Err(ExchangeRefused::EmailTaken));
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO console_users (email, email_key, name, role, password_hash, must_change_password)
                     VALUES ($1, $2, $3, $4, $5, FALSE) RETURNING id",
                )
                .bind(&email)
                .bind(email_key(&email))
                .bind(&name)
                .bind(a.role.key())
                .bind(NO_PASSWORD)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO sso_identities (user_id, issuer, subject) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(&a.issuer)
                .bind(&a.subject)
                .execute(&mut *tx)
                .await?;
                audit::record(
                    &mut tx,
                    &portal,
                    Entry {
                        after: Some(serde_json::json!({
                            "name": name, "email": email, "role": a.role, "active": true,
                            "single_sign_on": a.issuer,
                        })),
                        ..Entry::user(AuditKind::UserAdded, &user_label(&name, &email))
                    },
                )
                .await?;
                id
            }
        };
        let token = open_session(&mut tx, id, SessionKind::Bearer, policy, now).await?;
        let actor = Actor {
            id: Some(id),
            name: user_label(&name, &email),
        };
        audit::record(
            &mut tx,
            &actor,
            Entry {
                before: synced,
                after: Some(serde_json::json!({
                    "session": "bearer", "single_sign_on": a.issuer, "name": name, "email": email,
                })),
                ..Entry::user(AuditKind::SignInSucceeded, &actor.name)
            },
        )
        .await?;
        tx.commit().await?;
        tracing::info!(user_id = id, "signed in by single sign-on");
        let principal = self
            .session(&token, policy)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a new session vanished".into()))?;
        Ok(Ok((token, principal)))
    }
}

impl ExchangeRefused {
    /// The API's answer.
    pub fn error(&self) -> crate::error::ApiError {
        use axum::http::StatusCode;
        let (status, code, message) = match self {
            ExchangeRefused::Replayed => (
                StatusCode::UNAUTHORIZED,
                ErrorCode::AssertionReplayed,
                "This assertion was exchanged already: sign a new one for each exchange.",
            ),
            ExchangeRefused::Disabled => (
                StatusCode::FORBIDDEN,
                ErrorCode::AccountDisabled,
                "This console user is disabled. An admin can enable them on Console Users.",
            ),
            ExchangeRefused::EmailTaken => (
                StatusCode::CONFLICT,
                ErrorCode::EmailTaken,
                "Another console user has this email. Single sign-on does not take over an existing account: an admin can remove or rename it.",
            ),
            ExchangeRefused::LastAdmin => (
                StatusCode::CONFLICT,
                ErrorCode::LastAdmin,
                "This user is the last active admin; the assertion's role would leave the account without one. Make another user an admin first.",
            ),
        };
        let mut e = crate::error::ApiError::new(status, code, message);
        if *self == ExchangeRefused::EmailTaken {
            e.body.fields = vec![FieldError::new(
                "email",
                ErrorCode::EmailTaken,
                "A console user with this email already exists.",
            )];
        }
        e
    }
}
