//! A Portal behind a company CA. The mock is served over HTTPS (a TLS
//! terminator on 127.0.0.1 in front of it) with a certificate from a CA
//! made for this test (rcgen). The built-in transport trusts the web PKI
//! and the platform's store, neither of which holds that CA: it refuses
//! the server, as a `Network` error, and nothing is written. An app
//! transport that trusts the CA (as an app's stack does once MDM installed
//! it) signs in and syncs.

use std::net::SocketAddr;
use std::sync::Arc;

use fieldsync_client::{HttpConfig, ReqwestExchange, SyncClient};
use fieldsync_core::sync::Credentials;
use fieldsync_core::{Error, Store};
use fieldsync_e2e::{Portal, all_customers, fast_settings};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// A CA, and a certificate it signed for `localhost` with its key.
struct CompanyCa {
    ca_pem: String,
    leaf: CertificateDer<'static>,
    leaf_key: PrivateKeyDer<'static>,
}

fn company_ca() -> CompanyCa {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Field Co Devices CA (test)");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .unwrap();
    CompanyCa {
        ca_pem: ca_cert.pem(),
        leaf: leaf.der().clone(),
        leaf_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
    }
}

/// Terminates TLS on a port of its own and forwards each connection to
/// `backend` (the mock's plain HTTP port).
async fn tls_front(backend: SocketAddr, ca: &CompanyCa) -> SocketAddr {
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![ca.leaf.clone()], ca.leaf_key.clone_key())
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake is the client's business.
                if let Ok(mut tls) = acceptor.accept(tcp).await
                    && let Ok(mut plain) = TcpStream::connect(backend).await
                {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    address
}

fn backend_of(portal: &Portal) -> SocketAddr {
    let url = portal.url();
    url.trim_start_matches("http://").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_ca_needs_the_apps_trust() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let portal = Portal::demo().await;
    let ca = company_ca();
    let front = tls_front(backend_of(&portal), &ca).await;
    let https = HttpConfig::new(format!("https://localhost:{}", front.port()));

    // The built-in stack: an unknown issuer is a network error (retried,
    // then reported), and the device stays as it was.
    let store = Arc::new(Store::open_in_memory().unwrap());
    let builtin =
        SyncClient::new(store.clone(), &https, Credentials::None, fast_settings()).unwrap();
    match builtin.login("tech", "tech").await {
        Err(Error::Network { reason }) => {
            assert!(
                reason.contains("certificate") || reason.contains("Unknown"),
                "{reason}"
            );
        }
        other => panic!("the built-in stack accepted a company CA: {other:?}"),
    }
    assert!(store.session().unwrap().is_none());

    // The app's stack trusts the company CA: sign-in and a full sync.
    let trusting = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.ca_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let app = SyncClient::with_exchange(
        store.clone(),
        &https,
        Arc::new(ReqwestExchange::with_client(trusting)),
        Credentials::None,
        fast_settings(),
    )
    .unwrap();
    app.login("tech", "tech").await.unwrap();
    let report = app.sync().await.unwrap();
    assert!(report.downloaded > 0, "{report:?}");
    assert!(!all_customers(&store).is_empty());
}
