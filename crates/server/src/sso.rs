//! Portal single sign-on: a portal's back end signs a short-lived JWT naming the user
//! and their role, and exchanges it for a console session (`POST /auth/exchange`, the
//! RFC 7523 JWT-bearer grant). The portal never holds a console password.
//!
//! What is trusted comes from the operator only: the issuer, the audience, the keys
//! (each with its `kid` and its one algorithm), the claim that carries the role and a
//! strict mapping of its values. Nothing in a token's header chooses a key or an
//! algorithm: `kid` only names one of the operator's keys, and `jwk`, `jku`, `x5u` and
//! `x5c` are never read. `jsonwebtoken` checks the signature with the key's pinned
//! algorithm; the claims are checked here, against the store's clock.

use std::time::Duration;

use alc_domain::ErrorCode;
use alc_domain::access::Role;
use axum::http::StatusCode;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The longest an assertion may live (`exp − iat`); the operator may choose less.
pub const MAX_AGE_CEILING: Duration = Duration::from_secs(300);
/// An HS256 secret shorter than this is refused (RFC 7518 §3.2: at least the hash's
/// size).
pub const MIN_HMAC_SECRET_BYTES: usize = 32;
/// An assertion is a few hundred bytes; this bounds what a stranger makes us parse.
pub const MAX_ASSERTION_BYTES: usize = 8 * 1024;

/// One key the portal signs with: its id, the one algorithm it is used with, and the
/// key.
#[derive(Clone)]
pub struct VerifyKey {
    pub kid: String,
    pub alg: Algorithm,
    key: DecodingKey,
}

impl std::fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifyKey({} {:?})", self.kid, self.alg)
    }
}

impl VerifyKey {
    /// The keys of a JWKS document. Every key must name its `kid` and its `alg`
    /// (EdDSA, ES256, RS256, or HS256 for an `oct` key of at least 32 bytes), and the
    /// `kid`s must differ: a key the operator did not pin to one algorithm is not used.
    pub fn from_jwks(json: &str) -> Result<Vec<VerifyKey>, String> {
        let set: JwkSet =
            serde_json::from_str(json).map_err(|e| format!("not a JWKS document: {e}"))?;
        let mut keys: Vec<VerifyKey> = Vec::new();
        for (i, jwk) in set.keys.iter().enumerate() {
            let kid = jwk
                .common
                .key_id
                .clone()
                .filter(|k| !k.is_empty())
                .ok_or_else(|| format!("key {} has no \"kid\"", i + 1))?;
            let alg = match jwk.common.key_algorithm {
                Some(KeyAlgorithm::EdDSA) => Algorithm::EdDSA,
                Some(KeyAlgorithm::ES256) => Algorithm::ES256,
                Some(KeyAlgorithm::RS256) => Algorithm::RS256,
                Some(KeyAlgorithm::HS256) => Algorithm::HS256,
                Some(other) => {
                    return Err(format!(
                        "key {kid:?}: algorithm {other:?} is not accepted (use EdDSA, ES256, RS256 or HS256)"
                    ));
                }
                None => {
                    return Err(format!(
                        "key {kid:?} has no \"alg\": pin each key to one algorithm"
                    ));
                }
            };
            let family_fits = matches!(
                (&jwk.algorithm, alg),
                (AlgorithmParameters::OctetKeyPair(_), Algorithm::EdDSA)
                    | (AlgorithmParameters::EllipticCurve(_), Algorithm::ES256)
                    | (AlgorithmParameters::RSA(_), Algorithm::RS256)
                    | (AlgorithmParameters::OctetKey(_), Algorithm::HS256)
            );
            if !family_fits {
                return Err(format!("key {kid:?}: its type does not fit {alg:?}"));
            }
            let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key {kid:?}: {e}"))?;
            if alg == Algorithm::HS256 {
                let secret = key.try_get_hmac_secret().map_err(|e| e.to_string())?;
                if secret.len() < MIN_HMAC_SECRET_BYTES {
                    return Err(format!(
                        "key {kid:?}: an HS256 secret needs at least {MIN_HMAC_SECRET_BYTES} bytes"
                    ));
                }
            }
            if keys.iter().any(|k| k.kid == kid) {
                return Err(format!("two keys have the kid {kid:?}"));
            }
            keys.push(VerifyKey { kid, alg, key });
        }
        if keys.is_empty() {
            return Err("the JWKS document has no keys".into());
        }
        Ok(keys)
    }

    /// An HS256 shared secret (the bytes of a file), used for assertions whose `kid`
    /// is `kid`.
    pub fn hs256(kid: &str, secret: &[u8]) -> Result<VerifyKey, String> {
        if secret.len() < MIN_HMAC_SECRET_BYTES {
            return Err(format!(
                "an HS256 secret needs at least {MIN_HMAC_SECRET_BYTES} bytes (this one has {})",
                secret.len()
            ));
        }
        Ok(VerifyKey {
            kid: kid.to_string(),
            alg: Algorithm::HS256,
            key: DecodingKey::from_secret(secret),
        })
    }
}

/// The operator's single sign-on settings.
#[derive(Clone, Debug)]
pub struct SsoConfig {
    /// The `iss` every assertion must carry.
    pub issuer: String,
    /// The `aud` every assertion must carry (alone or among others).
    pub audience: String,
    pub keys: Vec<VerifyKey>,
    /// The claim whose value is the user's role in the portal.
    pub role_claim: String,
    /// Portal role → console role. A value not listed is refused.
    pub roles: Vec<(String, Role)>,
    /// Whether an assertion may make someone an admin.
    pub allow_admin: bool,
    /// The longest `exp − iat` accepted (at most [`MAX_AGE_CEILING`]).
    pub max_age: Duration,
    /// Clock difference forgiven on `exp` and `iat`.
    pub leeway: Duration,
}

impl SsoConfig {
    /// Settings with the defaults: role claim `role`, the console's own role names
    /// mapped to themselves, admin not allowed, 60 s assertions, 30 s leeway.
    pub fn new(issuer: &str, audience: &str, keys: Vec<VerifyKey>) -> SsoConfig {
        SsoConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            keys,
            role_claim: "role".into(),
            roles: [Role::Agent, Role::Supervisor, Role::Admin]
                .into_iter()
                .map(|r| (r.key().to_string(), r))
                .collect(),
            allow_admin: false,
            max_age: Duration::from_secs(60),
            leeway: Duration::from_secs(30),
        }
    }

    /// Checks what an operator can get wrong before the server starts.
    pub fn check(&self) -> Result<(), String> {
        if self.issuer.trim().is_empty() || self.audience.trim().is_empty() {
            return Err("single sign-on needs an issuer and an audience".into());
        }
        if self.keys.is_empty() {
            return Err("single sign-on needs at least one key".into());
        }
        if self.max_age > MAX_AGE_CEILING || self.max_age.is_zero() {
            return Err(format!(
                "the assertion's maximum age must be between 1 and {} seconds",
                MAX_AGE_CEILING.as_secs()
            ));
        }
        if self.roles.is_empty() {
            return Err("single sign-on needs at least one role mapping".into());
        }
        Ok(())
    }

    /// Parses `portal-value=console-role` pairs (comma-separated).
    pub fn parse_roles(spec: &str) -> Result<Vec<(String, Role)>, String> {
        spec.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|pair| {
                let (theirs, ours) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("{pair:?} is not portal-role=console-role"))?;
                let role = Role::from_key(ours.trim()).ok_or_else(|| {
                    format!(
                        "{:?} is not a console role (agent, supervisor, admin)",
                        ours.trim()
                    )
                })?;
                Ok((theirs.trim().to_string(), role))
            })
            .collect()
    }

    /// Verifies an assertion at `now` (Unix seconds): who it names, and until when
    /// its id must be remembered.
    pub fn verify(&self, assertion: &str, now: i64) -> Result<Assertion, Refused> {
        if assertion.len() > MAX_ASSERTION_BYTES {
            return Err(Refused::invalid("The assertion is too long."));
        }
        let header = jsonwebtoken::decode_header(assertion)
            .map_err(|_| Refused::invalid("The assertion is not a signed JWT."))?;
        let kid = header
            .kid
            .ok_or_else(|| Refused::invalid("The assertion's header names no key (\"kid\")."))?;
        let key = self.keys.iter().find(|k| k.kid == kid).ok_or_else(|| {
            Refused::invalid(format!("The key {kid:?} is not one of this console's."))
        })?;
        // The signature and the algorithm only: the claims are checked below against
        // the store's clock, with messages that say what is wrong.
        let mut validation = Validation::new(key.alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<Map<String, Value>>(assertion, &key.key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => {
                    Refused::invalid(format!("The key {kid:?} is used with {:?} only.", key.alg))
                }
                _ => Refused::invalid("The assertion's signature does not verify."),
            })?
            .claims;
        self.check_claims(&claims, now)
    }

    fn check_claims(&self, claims: &Map<String, Value>, now: i64) -> Result<Assertion, Refused> {
        let text = |name: &str| -> Result<String, Refused> {
            match claims.get(name) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                Some(_) => Err(Refused::invalid(format!(
                    "The assertion's \"{name}\" must be a non-empty string."
                ))),
                None => Err(Refused::invalid(format!(
                    "The assertion has no \"{name}\"."
                ))),
            }
        };
        let time = |name: &str| -> Result<i64, Refused> {
            match claims.get(name) {
                Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
                    Refused::invalid(format!("The assertion's \"{name}\" must be whole seconds."))
                }),
                Some(_) => Err(Refused::invalid(format!(
                    "The assertion's \"{name}\" must be a number of seconds."
                ))),
                None => Err(Refused::invalid(format!(
                    "The assertion has no \"{name}\"."
                ))),
            }
        };
        let issuer = text("iss")?;
        if issuer != self.issuer {
            return Err(Refused::invalid(
                "The assertion's issuer is not this console's portal.",
            ));
        }
        let audience_fits = match claims.get("aud") {
            Some(Value::String(a)) => *a == self.audience,
            Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&self.audience)),
            _ => return Err(Refused::invalid("The assertion has no \"aud\".")),
        };
        if !audience_fits {
            return Err(Refused::invalid(
                "The assertion is meant for another audience.",
            ));
        }
        let subject = text("sub")?;
        let expires = time("exp")?;
        let issued = time("iat")?;
        let jti = text("jti")?;
        let leeway = self.leeway.as_secs() as i64;
        if expires < now - leeway {
            return Err(Refused::invalid("The assertion has expired."));
        }
        if issued > now + leeway {
            return Err(Refused::invalid("The assertion was issued in the future."));
        }
        if expires - issued > self.max_age.as_secs() as i64 || expires < issued {
            return Err(Refused::invalid(format!(
                "The assertion lives longer than {} seconds.",
                self.max_age.as_secs()
            )));
        }
        let role = match claims.get(&self.role_claim) {
            Some(Value::String(value)) => self
                .roles
                .iter()
                .find(|(theirs, _)| theirs == value)
                .map(|(_, ours)| *ours)
                .ok_or_else(|| {
                    Refused::role(format!(
                        "The portal role {value:?} is not mapped to a console role."
                    ))
                })?,
            Some(_) => {
                return Err(Refused::role(format!(
                    "The assertion's \"{}\" must be one string.",
                    self.role_claim
                )));
            }
            None => {
                return Err(Refused::role(format!(
                    "The assertion has no \"{}\" (the user's role).",
                    self.role_claim
                )));
            }
        };
        if role == Role::Admin && !self.allow_admin {
            return Err(Refused {
                status: StatusCode::FORBIDDEN,
                code: ErrorCode::AdminNotAllowed,
                message: "This console does not let single sign-on make anyone an admin.".into(),
            });
        }
        let email = text("email")?;
        let name = match claims.get("name") {
            Some(Value::String(n)) if !n.trim().is_empty() => n.clone(),
            _ => email.clone(),
        };
        Ok(Assertion {
            issuer,
            subject,
            jti,
            // Remembered as long as it could still be accepted.
            remember_until: expires + leeway,
            name,
            email,
            role,
        })
    }
}

/// A verified assertion: who it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    pub issuer: String,
    pub subject: String,
    pub jti: String,
    /// Unix seconds: until then, the same `jti` is a replay.
    pub remember_until: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// Why an assertion was refused: an API error.
#[derive(Debug)]
pub struct Refused {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

impl Refused {
    fn invalid(message: impl Into<String>) -> Refused {
        Refused {
            status: StatusCode::UNAUTHORIZED,
            code: ErrorCode::InvalidAssertion,
            message: message.into(),
        }
    }

    fn role(message: impl Into<String>) -> Refused {
        Refused {
            status: StatusCode::FORBIDDEN,
            code: ErrorCode::RoleNotMapped,
            message: message.into(),
        }
    }
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        ApiError::new(r.status, r.code, r.message)
    }
}

/// The body of `POST /auth/exchange` (RFC 7523 §2.1, form-encoded).
#[derive(serde::Deserialize)]
struct ExchangeForm {
    grant_type: String,
    assertion: String,
}

/// The RFC 7523 grant type.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// `POST /auth/exchange`: a portal's signed assertion for a bearer session, answered
/// like `POST /auth/tokens`.
pub async fn exchange(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<
    (
        StatusCode,
        crate::error::Json<alc_domain::access::TokenIssued>,
    ),
    ApiError,
> {
    let Some(sso) = state.sso.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::SsoNotConfigured,
            "Single sign-on is not set up on this console (see the operator's guide).",
        ));
    };
    let form_encoded = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_encoded {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "Send the exchange as application/x-www-form-urlencoded (RFC 7523).",
        ));
    }
    let form: ExchangeForm = serde_urlencoded::from_bytes(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidBody,
            "The exchange needs grant_type and assertion.",
        )
    })?;
    if form.grant_type != JWT_BEARER {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::UnsupportedGrantType,
            format!("The grant type must be {JWT_BEARER}."),
        ));
    }
    let assertion = sso.verify(form.assertion.trim(), state.store.now_secs())?;
    match state.store.exchange(&assertion, state.sessions).await? {
        Ok((token, principal)) => Ok((
            StatusCode::CREATED,
            crate::error::Json(alc_domain::access::TokenIssued {
                token,
                expires_at: crate::clock::rfc3339(principal.expires_at),
                user: principal.user,
            }),
        )),
        Err(refused) => {
            tracing::info!(refused = ?refused, "single sign-on refused");
            Err(refused.error())
        }
    }
}
