//! The built-in transport asks for gzip and reads it through core's
//! `decode_body`; a gzip body cut off mid-way is a (retried) decode error.
//! A one-shot HTTP server on 127.0.0.1 port 0 answers with fixed bytes.

use std::io::Write;

use fieldsync_client::{HttpConfig, builtin_transport};
use fieldsync_core::sync::{Transport, TransportError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const PAGE: &str = r#"{"changes":[],"cursor":"c-1","has_more":false,"remaining":0}"#;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Serves one request with `body` (gzip-encoded), and hands back the
/// request's head.
async fn serve_once(body: Vec<u8>) -> (String, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            assert!(n > 0, "request cut off");
            head.extend_from_slice(&buf[..n]);
        }
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.unwrap();
        socket.write_all(&body).await.unwrap();
        socket.shutdown().await.unwrap();
        String::from_utf8_lossy(&head).to_ascii_lowercase()
    });
    (url, task)
}

#[tokio::test]
async fn asks_for_gzip_and_reads_it() {
    let (url, server) = serve_once(gzip(PAGE.as_bytes())).await;
    let transport = builtin_transport(&HttpConfig::new(url)).unwrap();
    let page = transport.pull("token", None, 10).await.unwrap();
    assert_eq!(page.cursor, "c-1");
    assert!(!page.has_more);
    let head = server.await.unwrap();
    assert!(head.contains("accept-encoding: gzip"), "{head}");
}

#[tokio::test]
async fn a_gzip_body_cut_off_is_a_decode_error() {
    let packed = gzip(PAGE.as_bytes());
    // The server says what it sends; the gzip stream itself is incomplete
    // (a proxy that cut the upstream answer short).
    let (url, server) = serve_once(packed[..packed.len() / 2].to_vec()).await;
    let transport = builtin_transport(&HttpConfig::new(url)).unwrap();
    let err = transport.pull("token", None, 10).await.unwrap_err();
    assert!(matches!(err, TransportError::Decode { .. }), "{err:?}");
    server.await.unwrap();
}
