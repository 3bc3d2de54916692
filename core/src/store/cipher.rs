//! SQLCipher's crypto provider, in Rust (the `encryption` feature): the
//! shipped encrypted library builds SQLCipher with
//! `-DSQLCIPHER_CRYPTO_CUSTOM=fieldsync_sqlcipher_setup`
//! (bindings/sqlite-flags.sh), so SQLCipher calls the functions below
//! instead of OpenSSL's, and no OpenSSL code is linked: OpenSSL 3 reaches
//! its algorithms through its provider tables, which pull in nearly all of
//! libcrypto (4.5 MB of the library). HMAC, PBKDF2 and random bytes come
//! from ring (rustls links it anyway), AES-256-CBC from RustCrypto's `aes`
//! and `cbc`. The file format is SQLCipher 4's either way: a database
//! written by one provider opens with the other.
//!
//! A build without that flag (plain `cargo test --features encryption`)
//! uses SQLCipher's OpenSSL provider; this one is then unused.

use std::ffi::{c_char, c_int, c_void};
use std::num::NonZeroU32;

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use ring::rand::SecureRandom;

const SQLITE_OK: c_int = 0;
const SQLITE_ERROR: c_int = 1;
const ENCRYPT: c_int = 1;
const KEY_SIZE: c_int = 32;
const BLOCK_SIZE: c_int = 16;

/// SQLCipher's `sqlcipher_provider` (SQLCipher 4.20, `sqlcipher.h`), field
/// for field.
#[repr(C)]
pub struct Provider {
    init: Option<unsafe extern "C" fn() -> c_int>,
    shutdown: Option<unsafe extern "C" fn()>,
    get_provider_name: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    add_random: Option<unsafe extern "C" fn(*mut c_void, *const c_void, c_int) -> c_int>,
    random: Option<unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int>,
    #[allow(clippy::type_complexity)]
    hmac: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *const u8,
            c_int,
            *const u8,
            c_int,
            *const u8,
            c_int,
            *mut u8,
        ) -> c_int,
    >,
    #[allow(clippy::type_complexity)]
    kdf: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *const u8,
            c_int,
            *const u8,
            c_int,
            c_int,
            c_int,
            *mut u8,
        ) -> c_int,
    >,
    #[allow(clippy::type_complexity)]
    cipher: Option<
        unsafe extern "C" fn(
            *mut c_void,
            c_int,
            *const u8,
            c_int,
            *const u8,
            *const u8,
            c_int,
            *mut u8,
        ) -> c_int,
    >,
    get_cipher: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    get_key_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_iv_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_block_sz: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_hmac_sz: Option<unsafe extern "C" fn(*mut c_void, c_int) -> c_int>,
    ctx_init: Option<unsafe extern "C" fn(*mut *mut c_void) -> c_int>,
    ctx_free: Option<unsafe extern "C" fn(*mut *mut c_void) -> c_int>,
    fips_status: Option<unsafe extern "C" fn(*mut c_void) -> c_int>,
    get_provider_version: Option<unsafe extern "C" fn(*mut c_void) -> *const c_char>,
    next: *mut Provider,
}

/// Called by SQLCipher once, to fill its default provider.
///
/// # Safety
/// `p` points to a `sqlcipher_provider` SQLCipher allocated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fieldsync_sqlcipher_setup(p: *mut Provider) -> c_int {
    let Some(p) = (unsafe { p.as_mut() }) else {
        return SQLITE_ERROR;
    };
    p.init = None;
    p.shutdown = None;
    p.get_provider_name = Some(name);
    p.add_random = Some(add_random);
    p.random = Some(random);
    p.hmac = Some(hmac);
    p.kdf = Some(kdf);
    p.cipher = Some(cipher);
    p.get_cipher = Some(cipher_name);
    p.get_key_sz = Some(key_size);
    p.get_iv_sz = Some(block_size);
    p.get_block_sz = Some(block_size);
    p.get_hmac_sz = Some(hmac_size);
    p.ctx_init = Some(ctx_init);
    p.ctx_free = Some(ctx_free);
    p.fips_status = Some(fips_status);
    p.get_provider_version = Some(version);
    SQLITE_OK
}

/// Keeps the provider linked: SQLCipher's C code refers to it, but the
/// linker reads the archive that defines it before SQLCipher's.
pub(super) fn keep_linked() {
    std::hint::black_box(fieldsync_sqlcipher_setup as unsafe extern "C" fn(_) -> _);
}

unsafe extern "C" fn name(_: *mut c_void) -> *const c_char {
    c"fieldsync (ring, RustCrypto)".as_ptr()
}

unsafe extern "C" fn version(_: *mut c_void) -> *const c_char {
    c"1".as_ptr()
}

unsafe extern "C" fn cipher_name(_: *mut c_void) -> *const c_char {
    c"AES-256-CBC".as_ptr()
}

unsafe extern "C" fn key_size(_: *mut c_void) -> c_int {
    KEY_SIZE
}

unsafe extern "C" fn block_size(_: *mut c_void) -> c_int {
    BLOCK_SIZE
}

unsafe extern "C" fn fips_status(_: *mut c_void) -> c_int {
    0
}

unsafe extern "C" fn ctx_init(ctx: *mut *mut c_void) -> c_int {
    if !ctx.is_null() {
        unsafe { *ctx = std::ptr::null_mut() };
    }
    SQLITE_OK
}

unsafe extern "C" fn ctx_free(_: *mut *mut c_void) -> c_int {
    SQLITE_OK
}

/// The OS's generator needs no seeding: extra entropy is ignored.
unsafe extern "C" fn add_random(_: *mut c_void, _: *const c_void, _: c_int) -> c_int {
    SQLITE_OK
}

/// `len` bytes at `ptr` as a slice (`None` for a null pointer or a
/// negative length; an empty slice for a length of 0).
unsafe fn bytes<'a>(ptr: *const u8, len: c_int) -> Option<&'a [u8]> {
    let len = usize::try_from(len).ok()?;
    match (ptr.is_null(), len) {
        (_, 0) => Some(&[]),
        (true, _) => None,
        (false, _) => Some(unsafe { std::slice::from_raw_parts(ptr, len) }),
    }
}

unsafe fn bytes_mut<'a>(ptr: *mut u8, len: c_int) -> Option<&'a mut [u8]> {
    let len = usize::try_from(len).ok()?;
    if ptr.is_null() {
        return None;
    }
    Some(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

fn status(ok: bool) -> c_int {
    if ok { SQLITE_OK } else { SQLITE_ERROR }
}

unsafe extern "C" fn random(_: *mut c_void, buffer: *mut c_void, length: c_int) -> c_int {
    let Some(out) = (unsafe { bytes_mut(buffer.cast(), length) }) else {
        return SQLITE_ERROR;
    };
    status(ring::rand::SystemRandom::new().fill(out).is_ok())
}

fn hmac_algorithm(algorithm: c_int) -> Option<ring::hmac::Algorithm> {
    Some(match algorithm {
        0 => ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        1 => ring::hmac::HMAC_SHA256,
        2 => ring::hmac::HMAC_SHA512,
        _ => return None,
    })
}

unsafe extern "C" fn hmac_size(_: *mut c_void, algorithm: c_int) -> c_int {
    hmac_algorithm(algorithm).map_or(0, |a| a.digest_algorithm().output_len() as c_int)
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn hmac(
    _: *mut c_void,
    algorithm: c_int,
    key: *const u8,
    key_sz: c_int,
    in1: *const u8,
    in1_sz: c_int,
    in2: *const u8,
    in2_sz: c_int,
    out: *mut u8,
) -> c_int {
    let (Some(algorithm), Some(key), Some(in1), false) = (
        hmac_algorithm(algorithm),
        unsafe { bytes(key, key_sz) },
        unsafe { bytes(in1, in1_sz) },
        in1.is_null() || out.is_null(),
    ) else {
        return SQLITE_ERROR;
    };
    let mut context = ring::hmac::Context::with_key(&ring::hmac::Key::new(algorithm, key));
    context.update(in1);
    if !in2.is_null() {
        let Some(in2) = (unsafe { bytes(in2, in2_sz) }) else {
            return SQLITE_ERROR;
        };
        context.update(in2);
    }
    let tag = context.sign();
    let tag = tag.as_ref();
    unsafe { std::ptr::copy_nonoverlapping(tag.as_ptr(), out, tag.len()) };
    SQLITE_OK
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn kdf(
    _: *mut c_void,
    algorithm: c_int,
    pass: *const u8,
    pass_sz: c_int,
    salt: *const u8,
    salt_sz: c_int,
    workfactor: c_int,
    key_sz: c_int,
    key: *mut u8,
) -> c_int {
    let algorithm = match algorithm {
        0 => ring::pbkdf2::PBKDF2_HMAC_SHA1,
        1 => ring::pbkdf2::PBKDF2_HMAC_SHA256,
        2 => ring::pbkdf2::PBKDF2_HMAC_SHA512,
        _ => return SQLITE_ERROR,
    };
    let (Some(pass), Some(salt), Some(iterations), Some(out)) = (
        unsafe { bytes(pass, pass_sz) },
        unsafe { bytes(salt, salt_sz) },
        u32::try_from(workfactor).ok().and_then(NonZeroU32::new),
        unsafe { bytes_mut(key, key_sz) },
    ) else {
        return SQLITE_ERROR;
    };
    ring::pbkdf2::derive(algorithm, iterations, salt, pass, out);
    SQLITE_OK
}

/// AES-256-CBC without padding (SQLCipher's pages are whole blocks).
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn cipher(
    _: *mut c_void,
    mode: c_int,
    key: *const u8,
    key_sz: c_int,
    iv: *const u8,
    input: *const u8,
    in_sz: c_int,
    out: *mut u8,
) -> c_int {
    let (Some(key), Some(iv), Some(len)) = (
        unsafe { bytes(key, key_sz) },
        unsafe { bytes(iv, BLOCK_SIZE) },
        usize::try_from(in_sz).ok(),
    ) else {
        return SQLITE_ERROR;
    };
    if key.len() != KEY_SIZE as usize
        || iv.len() != BLOCK_SIZE as usize
        || len % BLOCK_SIZE as usize != 0
        || input.is_null()
        || out.is_null()
    {
        return SQLITE_ERROR;
    }
    // In place in `out` (`copy`: the buffers may be the same).
    unsafe { std::ptr::copy(input, out, len) };
    let Some(buffer) = (unsafe { bytes_mut(out, in_sz) }) else {
        return SQLITE_ERROR;
    };
    let done = if mode == ENCRYPT {
        cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into())
            .encrypt_padded_mut::<NoPadding>(buffer, len)
            .is_ok()
    } else {
        cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into())
            .decrypt_padded_mut::<NoPadding>(buffer)
            .is_ok()
    };
    status(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NIST SP 800-38A, F.2.5 (CBC-AES256.Encrypt), the first two blocks.
    #[test]
    fn aes_256_cbc_matches_the_nist_vectors() {
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let key = hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        let iv = hex("000102030405060708090a0b0c0d0e0f");
        let plain = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        let expected = hex("f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d");
        let mut out = vec![0u8; 32];
        let rc = unsafe {
            cipher(
                std::ptr::null_mut(),
                ENCRYPT,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                plain.as_ptr(),
                32,
                out.as_mut_ptr(),
            )
        };
        assert_eq!((rc, &out), (SQLITE_OK, &expected));
        let mut back = vec![0u8; 32];
        let rc = unsafe {
            cipher(
                std::ptr::null_mut(),
                0,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                out.as_ptr(),
                32,
                back.as_mut_ptr(),
            )
        };
        assert_eq!((rc, &back), (SQLITE_OK, &plain));
    }

    #[test]
    fn hmac_sizes_and_refusals() {
        assert_eq!(unsafe { hmac_size(std::ptr::null_mut(), 2) }, 64);
        assert_eq!(unsafe { hmac_size(std::ptr::null_mut(), 9) }, 0);
        let mut out = [0u8; 64];
        let rc = unsafe {
            hmac(
                std::ptr::null_mut(),
                2,
                b"k".as_ptr(),
                1,
                std::ptr::null(),
                0,
                std::ptr::null(),
                0,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, SQLITE_ERROR);
    }
}
