//! Password hashing: argon2id in the PHC string format, a random salt per
//! hash. Verification compares in constant time (argon2's `verify_password`
//! compares the outputs with `subtle`), and an unknown user is checked
//! against a dummy hash of the same parameters, so the time of a login does
//! not tell whether the user exists.
//!
//! Parameters: argon2id, m = 19 MiB (19,456 KiB), t = 2, p = 1: the
//! argon2 crate's defaults, the first of OWASP's recommended argon2id
//! configurations. The cost of one hash is measured in the README.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{ApiError, Result};

/// The mock's argon2 parameters (see the module doc).
pub const M_COST_KIB: u32 = 19_456;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;

fn hasher() -> Argon2<'static> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).expect("valid argon2 params");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string (`$argon2id$v=19$m=...$salt$hash`) of `password` with a
/// new random salt.
pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))
}

/// A hash no password is known for, verified against for unknown users.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random: [u8; 16] = rand::random();
        let text: String = random.iter().map(|b| format!("{b:02x}")).collect();
        hash(&text).expect("hashing the dummy password")
    })
}

/// Whether `password` matches `stored` (a PHC string). `None` (no such
/// user) costs the same time and answers false. A stored value that is not
/// a PHC string never matches.
pub fn verify(stored: Option<&str>, password: &str) -> bool {
    let (phc, known) = match stored {
        Some(s) => (s, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        // Spend the time anyway.
        let _ = verify(None, password);
        return false;
    };
    let ok = hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && known
}

/// Warms the dummy hash (at startup, so the first unknown-user login is not
/// slower than the others).
pub fn warm_up() {
    let _ = dummy_hash();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let a = hash("correct horse").unwrap();
        let b = hash("correct horse").unwrap();
        assert_ne!(a, b, "a random salt per hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert!(!a.contains("correct horse"));
        assert!(verify(Some(&a), "correct horse"));
        assert!(!verify(Some(&a), "correct hors"));
        assert!(!verify(None, "correct horse"));
        assert!(!verify(Some("plain-text"), "plain-text"));
    }
}
