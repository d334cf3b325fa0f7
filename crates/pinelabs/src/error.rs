//! The one error type of the client.
//!
//! Every failure says what failed and what to do, carries the `Request-ID`
//! to quote to Pine Labs support where a request was made, and never contains
//! the access token or the client secret.

use std::time::Duration;

use pinelabs_api::types::AdditionalErrorDetails;

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Pine Labs answered with an error status.
    #[error(
        "Pine Labs answered {status} {code}: {message}. {advice} (request id {request_id})",
        code = code.as_deref().unwrap_or("(no error code)"),
        advice = advice(*status)
    )]
    Api {
        /// The HTTP status.
        status: u16,
        /// Pine Labs' error code, e.g. `INVALID_REQUEST`; `None` when the
        /// body was not the documented error shape.
        code: Option<String>,
        /// Pine Labs' message, or a description of the undocumented body.
        message: String,
        /// `additional_error_details` of the body, when present.
        details: Option<Box<AdditionalErrorDetails>>,
        /// The start of the body when it was not the documented JSON shape
        /// (e.g. a gateway's HTML page).
        excerpt: Option<String>,
        /// The `Retry-After` the server asked for, if any.
        retry_after: Option<Duration>,
        /// The `Request-ID` this client sent; quote it to Pine Labs support.
        request_id: String,
    },

    /// No access token could be obtained.
    #[error(
        "authentication failed: {reason}. Check the client id and secret (or the token provider)"
    )]
    Auth {
        /// Why, without any secret.
        reason: String,
        /// The HTTP status of the token endpoint, when it answered.
        status: Option<u16>,
    },

    /// The call did not finish within the configured time.
    #[error(
        "no answer from Pine Labs within {after:?}; retry later or raise the timeout (request id {request_id})"
    )]
    Timeout {
        /// The bound that was exceeded.
        after: Duration,
        /// The `Request-ID` of the call.
        request_id: String,
    },

    /// The request could not be sent or the answer could not be read
    /// (DNS, connection refused or reset, TLS, ...).
    #[error(
        "could not reach Pine Labs: {message}; check the network and base URL, then retry (request id {request_id})"
    )]
    Transport {
        /// What the HTTP stack reported.
        message: String,
        /// The `Request-ID` of the call.
        request_id: String,
        /// The underlying error.
        #[source]
        source: Option<reqwest::Error>,
    },

    /// A success response did not match the expected shape.
    #[error(
        "cannot decode Pine Labs' answer at `{path}`: {message}; body starts with {excerpt:?}. Report it to the client's maintainers{}",
        request_id.as_ref().map(|id| format!(" with the request id {id}")).unwrap_or_default()
    )]
    Decode {
        /// The JSON path of the field that failed, e.g. `tokens[0].is_compliant`
        /// (`.` when the body is not JSON at all).
        path: String,
        /// What was wrong there.
        message: String,
        /// The start of the body.
        excerpt: String,
        /// The `Request-ID` of the call; `None` from [`decode_json`](crate::decode_json).
        request_id: Option<String>,
    },

    /// An input was rejected before anything was sent.
    #[error("invalid {field}: {rule}. Nothing was sent; correct the input")]
    InvalidInput {
        /// The input, e.g. `customer_id`.
        field: &'static str,
        /// The rule it breaks.
        rule: String,
    },
}

fn advice(status: u16) -> &'static str {
    match status {
        401 => "Check the credentials; the access token was refused",
        403 => "These credentials may not perform this operation",
        429 => "Rate limited: retry later, after the Retry-After delay",
        400..=499 => "Correct the request before sending it again",
        _ => "Pine Labs failed to process it: retry later",
    }
}

impl Error {
    /// The HTTP status Pine Labs answered with, if the error comes from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::Auth { status, .. } => *status,
            _ => None,
        }
    }

    /// Whether the same call may succeed if made again later.
    ///
    /// True for timeouts, transport failures and the statuses 408, 429, 500,
    /// 502, 503 and 504. The client has already retried where that was safe
    /// (see [`RetryPolicy`](crate::RetryPolicy)); a caller retrying a delete
    /// must reuse the same `merchant_unique_reference`.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::Auth { status, .. } => status.is_none_or(|s| s >= 500),
            Error::Decode { .. } | Error::InvalidInput { .. } => false,
        }
    }

    /// The `Request-ID` of the call that failed, if a request was made.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. }
            | Error::Timeout { request_id, .. }
            | Error::Transport { request_id, .. } => Some(request_id),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            Error::Auth { .. } | Error::InvalidInput { .. } => None,
        }
    }

    /// Pine Labs' error code (e.g. `INVALID_REQUEST`), if it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn invalid(field: &'static str, rule: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            rule: rule.into(),
        }
    }
}

/// At most this many bytes of a body are kept in an error.
pub(crate) const EXCERPT_BYTES: usize = 512;

/// The start of `body` as text, without any of `secrets`.
pub(crate) fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = redact(&text, secrets);
    if out.len() > EXCERPT_BYTES {
        let mut end = EXCERPT_BYTES;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

/// Replaces every occurrence of each non-empty secret with `[REDACTED]`.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_owned(), |acc, secret| {
            acc.replace(secret, "[REDACTED]")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_bounded_on_a_char_boundary_and_redacted() {
        let body = format!("{}é{}", "a".repeat(EXCERPT_BYTES - 1), "b".repeat(100));
        let e = excerpt(body.as_bytes(), &[]);
        assert!(e.len() <= EXCERPT_BYTES + '…'.len_utf8());
        assert!(e.ends_with('…'));
        assert_eq!(
            excerpt(b"secret=s3cr3t!", &["s3cr3t"]),
            "secret=[REDACTED]!"
        );
        assert_eq!(excerpt(b"x", &[""]), "x");
    }

    #[test]
    fn advice_depends_on_the_status_class() {
        let api = |status| Error::Api {
            status,
            code: Some("X".into()),
            message: "m".into(),
            details: None,
            excerpt: None,
            retry_after: None,
            request_id: "rid".into(),
        };
        assert!(api(404).to_string().contains("Correct the request"));
        assert!(api(503).to_string().contains("retry later"));
        assert!(api(503).to_string().contains("request id rid"));
        assert!(api(503).is_retryable());
        assert!(!api(400).is_retryable());
        assert_eq!(api(404).status(), Some(404));
    }
}
