//! An answer's body as the transport received it: gzip-compressed or not.
//!
//! The built-in transport asks for gzip and unpacks it here; an app's own
//! HTTP stack may have unpacked it already (OkHttp does, and drops the
//! header; URLSession does, and keeps it). So the body itself decides: a
//! JSON answer never starts with gzip's magic bytes.

use std::borrow::Cow;
use std::io::Read;

use super::TransportError;

/// The largest answer unpacked: far above any page the server sends, and
/// a bound on what a hostile or broken server can make the device hold.
pub const MAX_UNPACKED_BODY: u64 = 256 << 20;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The body, unpacked when it is gzip. A cut-off or garbled gzip stream
/// is `Decode`, as a cut-off JSON body is: both are retried.
pub fn decode_body(bytes: &[u8]) -> Result<Cow<'_, [u8]>, TransportError> {
    decode_body_within(bytes, MAX_UNPACKED_BODY)
}

fn decode_body_within(bytes: &[u8], limit: u64) -> Result<Cow<'_, [u8]>, TransportError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    flate2::read::GzDecoder::new(bytes)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| TransportError::Decode {
            reason: format!("gzip body: {e}"),
        })?;
    if out.len() as u64 > limit {
        return Err(TransportError::Decode {
            reason: format!("gzip body unpacks to more than {limit} bytes"),
        });
    }
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn plain_json_is_passed_through_as_is() {
        let body = br#"{"changes":[]}"#;
        assert!(matches!(decode_body(body).unwrap(), Cow::Borrowed(b) if b == body));
        assert_eq!(&*decode_body(b"").unwrap(), b"");
    }

    #[test]
    fn gzip_is_unpacked() {
        let body = br#"{"changes":[],"cursor":"c1"}"#.repeat(100);
        assert_eq!(&*decode_body(&gzip(&body)).unwrap(), &body[..]);
    }

    #[test]
    fn a_cut_off_gzip_body_is_a_decode_error() {
        let packed = gzip(&br#"{"changes":[]}"#.repeat(100));
        for cut in [2, 10, packed.len() / 2, packed.len() - 1] {
            let err = decode_body(&packed[..cut]).unwrap_err();
            assert!(
                matches!(err, TransportError::Decode { .. }),
                "cut at {cut}: {err:?}"
            );
        }
    }

    #[test]
    fn a_garbled_gzip_body_is_a_decode_error() {
        let mut packed = gzip(&br#"{"changes":[]}"#.repeat(100));
        let middle = packed.len() / 2;
        packed[middle..].iter_mut().for_each(|b| *b ^= 0x5a);
        assert!(matches!(
            decode_body(&packed),
            Err(TransportError::Decode { .. })
        ));
    }

    #[test]
    fn a_gzip_bomb_is_refused() {
        let packed = gzip(&[0u8; 10_001]);
        let err = decode_body_within(&packed, 10_000).unwrap_err();
        assert!(err.to_string().contains("more than 10000"), "{err}");
        assert_eq!(
            decode_body_within(&packed[..], 10_001).unwrap().len(),
            10_001
        );
    }
}
