//! Where and how to connect: a base URL that keeps a token off the wire in
//! clear text, and the reqwest client with the TLS stack the features chose.

use std::time::Duration;

use crate::cause::BoxError;

/// Whether the features give the client a TLS stack (without one, only
/// `http://` base URLs on loopback work).
pub const HAS_TLS: bool = cfg!(any(
    feature = "rustls",
    feature = "rustls-ring",
    feature = "native-tls"
));

/// `raw` checked as a base URL: `https`, or `http` on a loopback host
/// (`127.0.0.0/8`, `::1`, `localhost`), with no query or fragment, returned
/// without a trailing slash. The `Err` says why not.
///
/// ```
/// assert_eq!(pinelabs_http::base_url("https://x.example/api/").unwrap(), "https://x.example/api");
/// assert!(pinelabs_http::base_url("http://10.0.0.1").is_err());
/// ```
pub fn base_url(raw: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(raw).map_err(|e| format!("`{raw}` is not a URL ({e})"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "`{raw}` is plain http on a non-loopback host, so the access token would travel in clear text; use https"
            ));
        }
        other => return Err(format!("scheme `{other}` is not supported; use https")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("a base URL has no query or fragment".to_owned());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A reqwest client with the TLS stack of the features and `connect`
/// as its connection limit. reqwest's own protocol-level retry is off:
/// [`Attempts`](crate::Attempts) retries (that also saves reqwest cloning
/// every request).
pub fn http_client(connect: Duration) -> Result<reqwest::Client, BoxError> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "rustls-ring")]
    let builder = builder.tls_backend_preconfigured(ring_config()?);
    let client = builder
        .connect_timeout(connect)
        .retry(reqwest::retry::never().max_retries_per_request(0))
        .build()?;
    Ok(client)
}

/// rustls with the ring provider and the platform's certificate verifier,
/// given to reqwest as its configuration: no process-wide default provider
/// is installed, so the service's own choice elsewhere is left alone.
#[cfg(feature = "rustls-ring")]
fn ring_config() -> Result<rustls_crate::ClientConfig, BoxError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = std::sync::Arc::new(rustls_crate::crypto::ring::default_provider());
    let config = rustls_crate::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_https_or_loopback_http() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3:1/",
            "http://[::1]:9000",
            "http://localhost:1234",
            "https://pine.example/prefix/",
        ] {
            assert!(base_url(ok).is_ok(), "{ok} should be accepted");
        }
        for bad in [
            "http://pluraluat.v2.pinepg.in",
            "http://10.0.0.1",
            "http://localhost.evil.example",
            "ftp://127.0.0.1",
            "not a url",
            "https://x.example/?q=1",
        ] {
            assert!(base_url(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn the_chosen_tls_stack_builds_a_client() {
        assert!(http_client(Duration::from_secs(1)).is_ok());
    }
}
