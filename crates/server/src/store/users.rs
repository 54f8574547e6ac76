//! Console users as admins (in the app) and operators (`alc-server users …`) manage
//! them: add, change role, disable and enable, reset a password, end sessions; and
//! every user's own password change. Each change is audited in its own transaction.
//!
//! One promise is kept here, inside the write transaction: there is always at least
//! one active admin, so that nobody can lock the account out of its own settings.

use alc_domain::ErrorCode;
use sqlx::Row;

use alc_domain::access::{AuditKind, NewUser, Role, UserAccount, UserChange, UserId};
use alc_domain::password::check_password;
use alc_domain::{BatchError, FieldError, email_key};

use super::access::{Actor, hash_off_thread, user_label, verify_off_thread};
use super::audit::{self, Entry};
use super::{Store, StoreError};
use crate::clock::rfc3339;

const USER_COLUMNS: &str =
    "SELECT u.id, u.name, u.email, u.role, COALESCE(u.active, FALSE) AS active,
        COALESCE(u.must_change_password, FALSE) AS must_change_password,
        u.last_sign_in_at, u.created_at,
        (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at > $1) AS sessions
    FROM console_users u";

fn user_from_row(r: &sqlx::any::AnyRow) -> Result<UserAccount, StoreError> {
    let role: String = r.try_get("role")?;
    let created: String = r.try_get("created_at")?;
    Ok(UserAccount {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        role: Role::from_key(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        active: super::flag(r, "active")?,
        must_change_password: super::flag(r, "must_change_password")?,
        last_sign_in_at: r.try_get::<Option<i64>, _>("last_sign_in_at")?.map(rfc3339),
        // SQLite's CURRENT_TIMESTAMP: "2026-12-01 23:59:59", UTC.
        created_at: format!("{}Z", created.replacen(' ', "T", 1)),
        sessions: r.try_get::<i64, _>("sessions")? as u32,
    })
}

fn invalid(code: ErrorCode, message: &str, fields: Vec<FieldError>) -> StoreError {
    BatchError::Invalid {
        code,
        message: message.into(),
        fields,
    }
    .into()
}

/// The password policy's refusal, as the store's error.
fn check_new_password(password: &str, email: &str, field: &str) -> Result<(), StoreError> {
    check_password(password, email, field).map_err(|e| {
        invalid(
            ErrorCode::InvalidPassword,
            "Choose a different password; nothing was changed.",
            vec![e],
        )
    })
}

/// How a user appears in the audit log: "Sam Supervisor <sam@example.com>".
fn subject(u: &UserAccount) -> String {
    user_label(&u.name, &u.email)
}

fn summary(u: &UserAccount) -> serde_json::Value {
    serde_json::json!({"name": u.name, "email": u.email, "role": u.role, "active": u.active})
}

async fn load_user(
    conn: &mut sqlx::AnyConnection,
    id: UserId,
    now: i64,
) -> Result<UserAccount, StoreError> {
    let row = sqlx::query(&format!("{USER_COLUMNS} WHERE u.id = $2"))
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::UserNotFound)?;
    user_from_row(&row)
}

async fn end_sessions_of(
    conn: &mut sqlx::AnyConnection,
    id: UserId,
    except_token_hash: Option<&str>,
) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(id)
            .bind(except_token_hash.unwrap_or(""))
            .execute(&mut *conn)
            .await?
            .rows_affected(),
    )
}

/// A new password hash, bound to be changed (`must_change`) or not, and the user's
/// sessions ended but `keep` (the one in use when changing one's own).
async fn set_password(
    conn: &mut sqlx::AnyConnection,
    id: UserId,
    hash: &str,
    must_change: bool,
    keep: Option<&str>,
) -> Result<u64, StoreError> {
    sqlx::query(
        "UPDATE console_users SET password_hash = $1, must_change_password = $2 WHERE id = $3",
    )
    .bind(hash)
    .bind(must_change)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    end_sessions_of(conn, id, keep).await
}

impl Store {
    /// How many sign-in throttling rows are kept (for tests of what strangers can grow).
    pub async fn sign_in_failure_rows(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_throttle")
            .fetch_one(&self.read)
            .await?)
    }

    /// Whether any console user exists (a new installation has none).
    pub async fn has_users(&self) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM console_users")
                .fetch_one(&self.read)
                .await?
                > 0,
        )
    }

    /// Every console user, by name.
    pub async fn list_users(&self) -> Result<Vec<UserAccount>, StoreError> {
        sqlx::query(&format!("{USER_COLUMNS} ORDER BY lower(u.name), u.id"))
            .bind(self.now_secs())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(user_from_row)
            .collect()
    }

    /// The user with this email (any case), for the command line.
    pub async fn user_by_email(&self, email: &str) -> Result<UserAccount, StoreError> {
        let row = sqlx::query(&format!("{USER_COLUMNS} WHERE u.email_key = $2"))
            .bind(self.now_secs())
            .bind(email_key(email))
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::UserNotFound)?;
        user_from_row(&row)
    }

    /// Adds a console user. With `temporary`, the password is an initial one that
    /// they must replace at first sign-in (always so when an admin adds someone in the
    /// app; the operator's `users add` chooses).
    pub async fn add_user(
        &self,
        actor: &Actor,
        new: &NewUser,
        temporary: bool,
    ) -> Result<UserAccount, StoreError> {
        let (name, email) =
            alc_domain::access::validate_user(&new.name, &new.email).map_err(|f| {
                invalid(
                    ErrorCode::InvalidUser,
                    "Check the highlighted fields; nobody was added.",
                    f,
                )
            })?;
        check_new_password(&new.password, &email, "password")?;
        // Hashing takes a while (by design): not inside the write transaction.
        let hash = hash_off_thread(&new.password).await?;
        let mut tx = self.begin_write().await?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM console_users WHERE email_key = $1")
                .bind(email_key(&email))
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(invalid(
                ErrorCode::InvalidUser,
                "Check the highlighted fields; nobody was added.",
                vec![FieldError {
                    field: "email".into(),
                    code: ErrorCode::EmailTaken,
                    message: "A console user with this email already exists.".into(),
                }],
            ));
        }
        let id: UserId = sqlx::query_scalar(
            "INSERT INTO console_users (email, email_key, name, role, password_hash, must_change_password)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&email)
        .bind(email_key(&email))
        .bind(&name)
        .bind(new.role.key())
        .bind(hash)
        .bind(temporary)
        .fetch_one(&mut *tx)
        .await?;
        let user = load_user(&mut tx, id, self.now_secs()).await?;
        audit::record(
            &mut tx,
            actor,
            Entry {
                before: None,
                after: Some(summary(&user)),
                ..Entry::user(AuditKind::UserAdded, &subject(&user))
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// A new role, and/or disabled or enabled. Disabling ends the user's sessions at
    /// once. Refused if it would leave no active admin.
    pub async fn change_user(
        &self,
        actor: &Actor,
        id: UserId,
        change: &UserChange,
    ) -> Result<UserAccount, StoreError> {
        let mut tx = self.begin_write().await?;
        let before = load_user(&mut tx, id, self.now_secs()).await?;
        let role = change.role.unwrap_or(before.role);
        let active = change.active.unwrap_or(before.active);
        let stops_being_admin =
            before.role == Role::Admin && before.active && (role != Role::Admin || !active);
        if stops_being_admin {
            let other_admins: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM console_users WHERE role = 'admin' AND active AND id <> $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if other_admins == 0 {
                let field = if !active { "active" } else { "role" };
                return Err(invalid(
                    ErrorCode::LastAdmin,
                    &format!(
                        "{} is the last active admin. Make another user an admin first, so that someone can still manage the account.",
                        before.name
                    ),
                    vec![FieldError {
                        field: field.into(),
                        code: ErrorCode::LastAdmin,
                        message: "The account needs at least one active admin.".into(),
                    }],
                ));
            }
        }
        sqlx::query("UPDATE console_users SET role = $1, active = $2 WHERE id = $3")
            .bind(role.key())
            .bind(active)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if !active {
            end_sessions_of(&mut tx, id, None).await?;
        }
        let after = load_user(&mut tx, id, self.now_secs()).await?;
        let name = subject(&after);
        if role != before.role {
            audit::record(
                &mut tx,
                actor,
                Entry {
                    before: Some(serde_json::json!({"role": before.role})),
                    after: Some(serde_json::json!({"role": after.role})),
                    ..Entry::user(AuditKind::UserRoleChanged, &name)
                },
            )
            .await?;
        }
        if active != before.active {
            audit::record(
                &mut tx,
                actor,
                Entry {
                    before: Some(serde_json::json!({"active": before.active})),
                    after: Some(serde_json::json!({"active": after.active})),
                    ..Entry::user(
                        if active {
                            AuditKind::UserEnabled
                        } else {
                            AuditKind::UserDisabled
                        },
                        &name,
                    )
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// An admin (or the operator) sets a new initial password: the user's sessions
    /// end, and they choose their own at the next sign-in.
    pub async fn reset_password(
        &self,
        actor: &Actor,
        id: UserId,
        password: &str,
    ) -> Result<UserAccount, StoreError> {
        let email = {
            let mut conn = self.read.acquire().await?;
            load_user(&mut conn, id, self.now_secs()).await?.email
        };
        check_new_password(password, &email, "password")?;
        let hash = hash_off_thread(password).await?;
        let mut tx = self.begin_write().await?;
        let ended = set_password(&mut tx, id, &hash, true, None).await?;
        let user = load_user(&mut tx, id, self.now_secs()).await?;
        audit::record(
            &mut tx,
            actor,
            Entry {
                before: None,
                after: Some(serde_json::json!({"sessions_ended": ended})),
                ..Entry::user(AuditKind::PasswordReset, &subject(&user))
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Ends every session of a user (a lost laptop, a shared password).
    pub async fn end_user_sessions(&self, actor: &Actor, id: UserId) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let user = load_user(&mut tx, id, self.now_secs()).await?;
        let ended = end_sessions_of(&mut tx, id, None).await?;
        audit::record(
            &mut tx,
            actor,
            Entry {
                before: None,
                after: Some(serde_json::json!({"sessions_ended": ended})),
                ..Entry::user(AuditKind::SessionsEnded, &subject(&user))
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// A user changes their own password, proving the current one. Their other
    /// sessions end; the one in `keep_token_hash` goes on.
    pub async fn change_own_password(
        &self,
        actor: &Actor,
        id: UserId,
        current: &str,
        new: &str,
        keep_token_hash: &str,
    ) -> Result<(), StoreError> {
        let (email, hash): (String, String) =
            sqlx::query_as("SELECT email, password_hash FROM console_users WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.read)
                .await?
                .ok_or(StoreError::UserNotFound)?;
        if !verify_off_thread(current, hash).await? {
            return Err(invalid(
                ErrorCode::WrongPassword,
                "The current password is not right; nothing was changed.",
                vec![FieldError {
                    field: "current_password".into(),
                    code: ErrorCode::WrongPassword,
                    message: "This is not your current password.".into(),
                }],
            ));
        }
        if new == current {
            return Err(invalid(
                ErrorCode::InvalidPassword,
                "Choose a different password; nothing was changed.",
                vec![FieldError {
                    field: "new_password".into(),
                    code: ErrorCode::PasswordUnchanged,
                    message: "Choose a password different from the current one.".into(),
                }],
            ));
        }
        check_new_password(new, &email, "new_password")?;
        let hash = hash_off_thread(new).await?;
        let mut tx = self.begin_write().await?;
        let ended = set_password(&mut tx, id, &hash, false, Some(keep_token_hash)).await?;
        let user = load_user(&mut tx, id, self.now_secs()).await?;
        audit::record(
            &mut tx,
            actor,
            Entry {
                before: None,
                after: Some(serde_json::json!({"other_sessions_ended": ended})),
                ..Entry::user(AuditKind::PasswordChanged, &subject(&user))
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
