//! The TLS stack, chosen by the crate's features (see the crate docs).

use crate::error::Result;

/// A `reqwest` builder with the TLS stack the features chose.
pub(crate) fn http_builder() -> Result<reqwest::ClientBuilder> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "rustls-ring")]
    let builder = builder.tls_backend_preconfigured(ring_config()?);
    Ok(builder)
}

/// rustls with the ring provider and the platform's certificate verifier,
/// given to reqwest as its configuration: no process-wide default provider
/// is installed, so the service's own choice elsewhere is left alone.
#[cfg(feature = "rustls-ring")]
fn ring_config() -> Result<rustls_crate::ClientConfig> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls_crate::crypto::ring::default_provider());
    rustls_crate::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(BuilderVerifierExt::with_platform_verifier)
        .map(|builder| builder.with_no_client_auth())
        .map_err(|e| crate::error::Error::build("TLS (rustls with ring) could not be set up", e))
}

/// Whether the features give the client any TLS stack (without one, only
/// `http://` base URLs work).
pub(crate) const HAS_TLS: bool = cfg!(any(
    feature = "rustls",
    feature = "rustls-ring",
    feature = "native-tls"
));
