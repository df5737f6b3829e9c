//! Credentials: bearer tokens and password hashes.
//!
//! A token is `<selector>.<secret>`: the selector (64 random bits, hex) finds
//! the row, the secret (256 random bits, hex) is checked against the stored
//! sha256 with a constant-time comparison. The database holds no usable
//! token, and a timing side channel on the lookup reveals only the selector.

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub const SELECTOR_HEX: usize = 16;
pub const SECRET_HEX: usize = 64;

/// Admin (login) tokens live this long.
pub const LOGIN_TOKEN_SECS: i64 = 8 * 60 * 60;

pub struct NewToken {
    /// Goes to the client once; never stored or logged.
    pub token: String,
    pub selector: String,
    pub secret_hash: [u8; 32],
}

pub fn new_token() -> NewToken {
    let selector = hex::encode(rand::random::<[u8; 8]>());
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let secret_hash = sha256(secret.as_bytes());
    NewToken {
        token: format!("{selector}.{secret}"),
        selector,
        secret_hash,
    }
}

/// Splits a presented token; `None` when it cannot be one of ours.
pub fn split_token(token: &str) -> Option<(&str, &str)> {
    let (sel, secret) = token.split_once('.')?;
    let hexish = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hexish(sel, SELECTOR_HEX) && hexish(secret, SECRET_HEX)).then_some((sel, secret))
}

/// Constant-time check of a presented secret against a stored hash.
pub fn secret_matches(secret: &str, stored: &[u8]) -> bool {
    let got = sha256(secret.as_bytes());
    stored.len() == got.len() && bool::from(got.ct_eq(stored))
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// How hard password hashing works. `Standard` is argon2id's recommended
/// defaults; `Fast` is for test databases only (the parameters are stored in
/// each hash, so verification follows whatever a hash was made with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashCost {
    Standard,
    Fast,
}

fn hasher(cost: HashCost) -> Argon2<'static> {
    match cost {
        HashCost::Standard => Argon2::default(),
        HashCost::Fast => {
            let params = Params::new(256, 1, 1, None).unwrap_or_default();
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        }
    }
}

/// Hashes a password with the given salt bytes (the seed passes
/// deterministic ones so the demo database is the same every time).
pub fn hash_password(password: &str, salt: &[u8; 16], cost: HashCost) -> Result<String, String> {
    let salt = SaltString::encode_b64(salt).map_err(|e| e.to_string())?;
    let argon = hasher(cost);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_buf)
        .map_err(|e| e.to_string())?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    if !argon_into(&argon, password.as_bytes(), salt_bytes, &mut out) {
        return Err("argon2 failed".into());
    }
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: argon2::password_hash::ParamsString::try_from(argon.params())
            .map_err(|e| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc`, with the algorithm and
/// parameters stored in it; a garbled hash matches nothing.
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let Some(expected) = parsed.hash else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let Some(salt) = parsed.salt else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    argon_into(&argon, password.as_bytes(), salt, &mut out)
        && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

thread_local! {
    // argon2's working memory (19 MiB at the default cost), reused per
    // thread: with argon2's plain API and the system allocator the server
    // was at 341 MB RSS after 50 sign-ins, 70 MB with this (measured).
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `argon` into `out` on this thread's reusable memory.
fn argon_into(argon: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> bool {
    let blocks = argon.params().block_count();
    BLOCKS.with(|cell| {
        let Ok(mut memory) = cell.try_borrow_mut() else {
            return false;
        };
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::new());
        }
        argon
            .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
            .is_ok()
    })
}

/// Threads that run argon2 for sign-ins. Two fixed threads, each with its
/// own reused working memory, bound what a storm of sign-ins costs in
/// memory and CPU, and leave tokio's blocking pool to the database.
const HASH_THREADS: usize = 2;

type HashJob = Box<dyn FnOnce() + Send>;

fn hash_pool() -> Option<&'static std::sync::mpsc::Sender<HashJob>> {
    static POOL: std::sync::OnceLock<Option<std::sync::mpsc::Sender<HashJob>>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<HashJob>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let mut started = 0;
        for i in 0..HASH_THREADS {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("viewas-argon2-{i}"))
                .spawn(move || loop {
                    // The lock is held only while taking a job.
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            match spawned {
                Ok(_) => started += 1,
                Err(e) => tracing::error!("cannot start a password hashing thread: {e}"),
            }
        }
        (started > 0).then_some(tx)
    })
    .as_ref()
}

/// [`verify_password`] on the hashing threads; `None` (an unknown account)
/// is checked against [`dummy_hash`], there too, so both take as long.
/// Fails closed: if the pool is gone the password does not match.
pub async fn verify_password_pooled(password: String, phc: Option<String>) -> bool {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        let ok = match &phc {
            Some(phc) => verify_password(&password, phc),
            None => {
                // Computed (once) here, not on an async worker.
                let _ = verify_password(&password, dummy_hash());
                false
            }
        };
        let _ = tx.send(ok);
    });
    match hash_pool() {
        Some(pool) if pool.send(job).is_ok() => rx.await.unwrap_or(false),
        _ => false,
    }
}

/// A hash nobody's password matches, verified against when the e-mail is
/// unknown so that answer takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password("not a password", &[7u8; 16], HashCost::Standard).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_only_the_right_secret_matches() {
        let t = new_token();
        let (sel, secret) = split_token(&t.token).unwrap();
        assert_eq!(sel, t.selector);
        assert!(secret_matches(secret, &t.secret_hash));
        let other = new_token();
        let (_, other_secret) = split_token(&other.token).unwrap();
        assert!(!secret_matches(other_secret, &t.secret_hash));
        assert_ne!(t.token, other.token);
    }

    #[test]
    fn garbled_tokens_are_refused_before_any_lookup() {
        for t in ["", ".", "abc.def", "zzzzzzzzzzzzzzzz.", "a.b.c"] {
            assert!(split_token(t).is_none(), "{t}");
        }
    }

    #[test]
    fn passwords_verify() {
        let h = hash_password("duvo-demo", &[1u8; 16], HashCost::Fast).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("duvo-demo", &h));
        assert!(!verify_password("duvo-demo ", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
