//! Secrets at rest: what the console must store to call a directory (client secrets,
//! JWTs, API keys, passwords) is sealed with the operator's key before it reaches the
//! database, so a copied database file or backup gives nothing away without the key.
//!
//! The cipher is XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`): a random
//! 192-bit nonce per value, so values never need a counter, and the tag refuses any
//! changed byte. A sealed value is `alc-sealed:v1:<key id>:<base64 of nonce and
//! ciphertext>`; the key id (from the key itself, not secret) says which key opens
//! it, so an operator can rotate: the new key seals, the previous ones still open
//! until `alc-server rotate-key` has re-sealed every value.
//!
//! A key is 32 random bytes, written as base64 (`alc-server generate-key FILE`).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

const PREFIX: &str = "alc-sealed:v1:";
const NONCE_BYTES: usize = 24;

/// One key: its cipher and its id.
#[derive(Clone)]
pub struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.id)
    }
}

impl Key {
    /// A key from its base64 text (as in `ALC_SECRET_KEY` or a key file).
    pub fn from_base64(text: &str) -> Result<Key, String> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| {
            "the key is not base64 (make one with `alc-server generate-key FILE`)".to_string()
        })?;
        Key::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Key, String> {
        if bytes.len() != 32 {
            return Err(format!(
                "the key is {} bytes; it must be 32 (make one with `alc-server generate-key FILE`)",
                bytes.len()
            ));
        }
        let digest = Sha256::new()
            .chain_update(b"alc secret key id\0")
            .chain_update(bytes)
            .finalize();
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let cipher = XChaCha20Poly1305::new_from_slice(bytes).map_err(|e| e.to_string())?;
        Ok(Key { id, cipher })
    }

    /// A new random key and its base64 text.
    pub fn generate() -> (Key, String) {
        let bytes = XChaCha20Poly1305::generate_key(&mut OsRng);
        let text = STANDARD.encode(bytes);
        let key = Key::from_bytes(&bytes).expect("32 bytes");
        (key, text)
    }

    /// The key in a file (its base64 text; surrounding whitespace ignored). The file
    /// must not be readable by others.
    pub fn from_file(path: &Path) -> Result<Key, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the key file {}: {e}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(format!(
                    "the key file {} can be read by others (mode {:o}): `chmod 600` it",
                    path.display(),
                    mode & 0o777
                ));
            }
        }
        Key::from_base64(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Writes a new key to `path` (which must not exist), readable by its owner only.
    pub fn create_file(path: &Path) -> Result<Key, String> {
        let (key, text) = Key::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(path)
            .map_err(|e| format!("cannot create the key file {}: {e}", path.display()))?;
        std::io::Write::write_all(&mut file, format!("{text}\n").as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(key)
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// Why a value cannot be sealed or opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretsError {
    #[error(
        "this server has no key to encrypt directory credentials with: the operator sets ALC_SECRET_KEY_FILE (or ALC_SECRET_KEY) and restarts it; see docs/OPERATING.md"
    )]
    NoKey,
    #[error(
        "the directory credentials were sealed with key {0}, which this server does not have: give it as ALC_PREVIOUS_SECRET_KEY_FILE, then run `alc-server rotate-key`"
    )]
    UnknownKey(String),
    #[error("a sealed value is damaged or was changed (it does not open with key {0})")]
    Damaged(String),
}

/// The keys this server has: the current one seals; it and the previous ones open.
#[derive(Clone, Debug, Default)]
pub struct Keyring(Arc<Keys>);

#[derive(Debug, Default)]
struct Keys {
    current: Option<Key>,
    previous: Vec<Key>,
}

impl Keyring {
    /// No key: nothing can be sealed (and only plaintext from before sealing opens).
    pub fn none() -> Keyring {
        Keyring::default()
    }

    pub fn new(current: Option<Key>, previous: Vec<Key>) -> Keyring {
        Keyring(Arc::new(Keys { current, previous }))
    }

    /// A random key that lives as long as the process: for tests.
    pub fn ephemeral() -> Keyring {
        Keyring::new(Some(Key::generate().0), Vec::new())
    }

    pub fn current(&self) -> Option<&Key> {
        self.0.current.as_ref()
    }

    /// Seals `plain`, bound to `purpose` (a sealed value moved to another purpose
    /// does not open).
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> Result<String, SecretsError> {
        let key = self.current().ok_or(SecretsError::NoKey)?;
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = key
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| SecretsError::Damaged(key.id.clone()))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}:{}", key.id, STANDARD.encode(bytes)))
    }

    /// Whether `stored` is a sealed value (else it is plaintext from before sealing).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }

    /// The id of the key that sealed `stored`.
    pub fn key_id(stored: &str) -> Option<&str> {
        stored.strip_prefix(PREFIX)?.split(':').next()
    }

    /// Opens a value [`Keyring::seal`] made for `purpose`.
    pub fn open(&self, purpose: &str, stored: &str) -> Result<Vec<u8>, SecretsError> {
        let rest = stored
            .strip_prefix(PREFIX)
            .ok_or_else(|| SecretsError::Damaged("none".into()))?;
        let (id, body) = rest
            .split_once(':')
            .ok_or_else(|| SecretsError::Damaged("none".into()))?;
        let key = self
            .0
            .current
            .iter()
            .chain(self.0.previous.iter())
            .find(|k| k.id == id)
            .ok_or_else(|| SecretsError::UnknownKey(id.to_string()))?;
        let damaged = || SecretsError::Damaged(id.to_string());
        let bytes = STANDARD.decode(body).map_err(|_| damaged())?;
        if bytes.len() < NONCE_BYTES {
            return Err(damaged());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        key.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| damaged())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_its_key_only_and_for_its_purpose_only() {
        let (old, old_text) = Key::generate();
        let ring = Keyring::new(Some(old.clone()), Vec::new());
        let sealed = ring.seal("directory", b"canary-secret").unwrap();
        assert!(!sealed.contains("canary"));
        assert_eq!(Keyring::key_id(&sealed), Some(old.id()));
        assert_eq!(ring.open("directory", &sealed).unwrap(), b"canary-secret");
        assert_eq!(
            ring.open("other", &sealed),
            Err(SecretsError::Damaged(old.id().into()))
        );
        // Two seals of one value differ (random nonces).
        assert_ne!(sealed, ring.seal("directory", b"canary-secret").unwrap());
        // A changed byte is refused.
        let mut bytes = sealed.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(matches!(
            ring.open("directory", &tampered),
            Err(SecretsError::Damaged(_))
        ));
        // After rotation: the new key seals, the old one still opens; without it, the
        // error names the missing key.
        let (new, _) = Key::generate();
        let rotated = Keyring::new(
            Some(new.clone()),
            vec![Key::from_base64(&old_text).unwrap()],
        );
        assert_eq!(
            rotated.open("directory", &sealed).unwrap(),
            b"canary-secret"
        );
        let resealed = rotated.seal("directory", b"canary-secret").unwrap();
        assert_eq!(Keyring::key_id(&resealed), Some(new.id()));
        let only_new = Keyring::new(Some(new), Vec::new());
        assert_eq!(
            only_new.open("directory", &sealed),
            Err(SecretsError::UnknownKey(old.id().into()))
        );
        assert_eq!(
            Keyring::none().seal("directory", b"x"),
            Err(SecretsError::NoKey)
        );
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(Key::from_base64("not base64!").is_err());
        assert!(Key::from_base64(&STANDARD.encode([0u8; 16])).is_err());
        assert!(Key::from_base64(&STANDARD.encode([7u8; 32])).is_ok());
    }
}
