//! TLS for [`ReqwestTransport`](crate::ReqwestTransport): the platform's root
//! certificates, loaded when the first HTTPS connection needs them.
//!
//! Loading the platform's roots reads and parses every certificate under
//! `/etc/ssl/certs` (or `SSL_CERT_FILE` / `SSL_CERT_DIR`): a few hundred
//! files and several milliseconds, about a third of what a short `cfp`
//! command costs in all. reqwest does it when the client is built, so every
//! client paid it, even one that only ever talks plain HTTP (a simulator on
//! loopback). [`LazyRoots`] verifies exactly as reqwest's default verifier
//! does (`rustls-platform-verifier` with the extra roots added), but builds
//! that verifier on the first certificate it has to check. Like curl, a run
//! that makes no HTTPS connection never reads a certificate.

use std::fmt;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::error::TransportError;

/// The rustls client configuration of a transport: safe default protocol
/// versions, the lazily built platform verifier plus `extra_roots`, and
/// ALPN for HTTP/2 and HTTP/1.1 (what reqwest sets for its own config).
pub(crate) fn client_config(
    extra_roots: Vec<CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, TransportError> {
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let verifier = Arc::new(LazyRoots::new(extra_roots, provider.clone()));
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::config(format!("cannot set up TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The certificates of a PEM bundle; an error when it holds none or one is
/// unreadable.
pub(crate) fn parse_pem_bundle(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no PEM certificate found".into());
    }
    Ok(certs)
}

/// A server certificate verifier that builds the platform verifier (with
/// extra roots) on first use, and then delegates every check to it.
///
/// Signature checks need no roots, so they use the crypto provider's
/// algorithms directly, as the platform verifier itself does.
pub(crate) struct LazyRoots {
    extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    verifier: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl LazyRoots {
    pub(crate) fn new(
        extra_roots: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Self {
        Self {
            extra_roots,
            provider,
            verifier: OnceLock::new(),
        }
    }

    /// The platform verifier, built on the first call (later calls get the
    /// same one, or the same error).
    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.verifier
            .get_or_init(|| {
                rustls_platform_verifier::Verifier::new_with_extra_roots(
                    self.extra_roots.iter().cloned(),
                    self.provider.clone(),
                )
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Whether the platform roots have been loaded (for tests).
    #[cfg(test)]
    fn loaded(&self) -> bool {
        self.verifier.get().is_some()
    }
}

impl fmt::Debug for LazyRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyRoots")
            .field("extra_roots", &self.extra_roots.len())
            .field("loaded", &self.verifier.get().is_some())
            .finish()
    }
}

impl ServerCertVerifier for LazyRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::aws_lc_rs::default_provider())
    }

    #[test]
    fn nothing_is_loaded_until_a_certificate_is_checked() {
        let roots = LazyRoots::new(Vec::new(), provider());
        assert!(!roots.loaded());
        assert!(!roots.supported_verify_schemes().is_empty());
        assert!(!roots.loaded());
        // A certificate that is not one: the check fails, after loading.
        let junk = CertificateDer::from(vec![0u8; 8]);
        let name = ServerName::try_from("example.invalid").unwrap();
        let checked = roots.verify_server_cert(&junk, &[], &name, &[], UnixTime::now());
        assert!(checked.is_err());
        assert!(roots.loaded());
    }

    #[test]
    fn pem_bundles_must_hold_a_certificate() {
        assert!(parse_pem_bundle(b"not a certificate").is_err());
        let broken = b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n";
        assert!(parse_pem_bundle(broken).is_err());
    }

    #[test]
    fn the_config_offers_http2_and_http1() {
        let config = client_config(Vec::new()).unwrap();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }
}
