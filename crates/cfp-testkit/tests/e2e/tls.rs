//! HTTPS with the generated self-signed certificate.

use crate::support::{Sim, builder};

#[tokio::test]
async fn https_works_with_the_generated_certificate() {
    let sim = Sim::with(builder().tls(true)).await;
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    let pem = sim.ca_certificate_pem().expect("a certificate").to_owned();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let trusting = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()])
        .build()
        .unwrap();
    for _ in 0..3 {
        let r = trusting
            .get(sim.url("/cfp/v2/project/1/image/1/status?detail=true"))
            .basic_auth("demo", Some("demo"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.version(), reqwest::Version::HTTP_11);
    }
    // localhost is in the certificate too.
    let port = sim.addr().port();
    let r = trusting
        .get(format!("https://localhost:{port}/_sim/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_is_refused() {
    let sim = Sim::with(builder().tls(true)).await;
    let other = cfp_testkit::Simulator::builder()
        .tls(true)
        .start()
        .await
        .unwrap();
    let wrong_root =
        reqwest::Certificate::from_pem(other.ca_certificate_pem().unwrap().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([wrong_root])
        .build()
        .unwrap();
    let err = client
        .get(sim.url("/_sim/health"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect() || err.is_request(), "{err:?}");
    // Plain HTTP to the HTTPS port gets nowhere either.
    let plain = sim.url("/_sim/health").replace("https://", "http://");
    assert!(crate::support::client().get(plain).send().await.is_err());
}
