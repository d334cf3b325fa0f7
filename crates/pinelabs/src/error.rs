//! The one error type of the client.
//!
//! Every failure says what failed and what to do, carries the `Request-ID`
//! to quote to Pine Labs support where a request was made, and never contains
//! the access token or the client secret.
//!
//! The error and each of its variants are `#[non_exhaustive]`: a new
//! variant or field is not a breaking change, so a `match` needs a `_` arm
//! and a pattern needs `..`. Errors are made by the client, never by
//! services; [`Error::from`] turns the generated client's error into this
//! one (see [`Client::call`](crate::Client::call) for the fuller mapping).

use std::{sync::Arc, time::Duration};

use pinelabs_api::types::{AdditionalErrorDetails, ErrorResponse};
use pinelabs_http::{RETRYABLE_STATUSES, TransportCause};

/// The generated client's error, with the spec's shared error body.
pub type ApiError = pinelabs_api::Error<ErrorResponse>;

fn rid(request_id: &Option<String>) -> String {
    request_id
        .as_deref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

/// What the `Display` of a failure adds when the retry budget stopped it.
fn budget(exhausted: &bool) -> &'static str {
    if *exhausted {
        "; not retried: the client's retry budget is exhausted"
    } else {
        ""
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a call.
///
/// `Display` is one short line: what failed, with the status, Pine Labs'
/// code and message and the `Request-ID` where there are some (the Rust API
/// guidelines' C-GOOD-ERR: concise, lowercase, no trailing punctuation, no
/// response body). What to do about it is [`Error::advice`], a separate
/// line, so that a service's logs and a CLI can show it or not.
/// `Clone`: one failed token fetch is the error of every call waiting on
/// it, and an error travels through the generated client inside its
/// `reqwest::Error`.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Pine Labs answered with an error status.
    #[error(
        "Pine Labs answered {status} {code}: {message}{rid}{budget}",
        code = code.as_deref().unwrap_or("(no error code)"),
        rid = rid(request_id),
        budget = budget(retry_budget_exhausted)
    )]
    #[non_exhaustive]
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
        /// (e.g. a gateway's HTML page). Never part of `Display`.
        excerpt: Option<String>,
        /// The `Retry-After` the server asked for, if any.
        retry_after: Option<Duration>,
        /// The `Request-ID` this client sent; quote it to Pine Labs support.
        /// `None` only for an error converted without its call's context.
        request_id: Option<String>,
        /// Whether the client's retry budget, not the retry policy, stopped
        /// a retry (see [`RetryBudget`](crate::RetryBudget)).
        retry_budget_exhausted: bool,
    },

    /// The token endpoint refused the credentials (a 4xx answer other than
    /// 408 and 429): retrying will not help.
    #[error("the token endpoint refused the credentials: {reason}")]
    #[non_exhaustive]
    Auth {
        /// Why, without any secret or response body: the status and, when
        /// the answer has Pine Labs' error shape, its code and message.
        reason: String,
        /// The HTTP status of the token endpoint.
        status: Option<u16>,
    },

    /// No access token could be obtained for another reason: the token
    /// endpoint could not be reached, failed (5xx, 408, 429), gave an answer
    /// without a token, or took longer than the call's timeout. Retryable.
    #[error("no access token: {reason}")]
    #[non_exhaustive]
    TokenUnavailable {
        /// Why, without any secret or response body.
        reason: String,
        /// The HTTP status of the token endpoint, when it answered.
        status: Option<u16>,
        /// What the transport reported, when the endpoint was not reached.
        cause: Option<TransportCause>,
    },

    /// The call did not finish within the configured time.
    #[error(
        "no answer from Pine Labs within {after:?}{rid}{budget}",
        rid = rid(request_id),
        budget = budget(retry_budget_exhausted)
    )]
    #[non_exhaustive]
    Timeout {
        /// The bound that was exceeded: the call's timeout (the client's,
        /// or a shorter one of the call's options), or one attempt's.
        after: Duration,
        /// The `Request-ID` of the call.
        request_id: Option<String>,
        /// Requests sent before the time was up.
        attempts: u32,
        /// Whether the retry budget, not the policy, stopped a retry.
        retry_budget_exhausted: bool,
    },

    /// The request could not be sent or the answer could not be read.
    #[error(
        "could not reach Pine Labs: {message}{rid}{budget}",
        rid = rid(request_id),
        budget = budget(retry_budget_exhausted)
    )]
    #[non_exhaustive]
    Transport {
        /// What failed, from the error chain: DNS, connection refused, TLS,
        /// a connection closed before the answer, or another failure.
        cause: TransportCause,
        /// The cause and the innermost error's words (no URL).
        message: String,
        /// The `Request-ID` of the call.
        request_id: Option<String>,
        /// Whether the retry budget, not the policy, stopped a retry.
        retry_budget_exhausted: bool,
        /// The underlying error.
        #[source]
        source: Arc<reqwest::Error>,
    },

    /// A success response did not match the expected shape.
    #[error(
        "cannot decode Pine Labs' answer at `{path}`: {message}{rid}",
        rid = rid(request_id)
    )]
    #[non_exhaustive]
    Decode {
        /// The JSON path of the field that failed, e.g. `tokens[0].is_compliant`
        /// (`.` when the body is not JSON at all).
        path: String,
        /// What was wrong there.
        message: String,
        /// The start of the body. Never part of `Display`.
        excerpt: String,
        /// The `Request-ID` of the call; `None` from [`decode_json`](crate::decode_json).
        request_id: Option<String>,
    },

    /// The response body was larger than the client's limit
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)),
    /// or endless: reading stopped at the limit.
    #[error(
        "Pine Labs' answer is larger than the {limit}-byte limit{rid}",
        rid = rid(request_id)
    )]
    #[non_exhaustive]
    ResponseTooLarge {
        /// The client's limit, in bytes (the default one when the error was
        /// converted with `Error::from`, outside `Client::call`).
        limit: usize,
        /// The `Request-ID` of the call.
        request_id: Option<String>,
    },

    /// The client could not be built: the HTTP client or its TLS
    /// configuration could not be set up. Not retryable: the same
    /// configuration fails the same way (the CLI exits 2, as for a usage
    /// error).
    #[error("the client could not be built: {message}")]
    #[non_exhaustive]
    Build {
        /// What failed, without secrets.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },

    /// An input was rejected before anything was sent.
    #[error("invalid {field}: {rule}; nothing was sent")]
    #[non_exhaustive]
    InvalidInput {
        /// The input, e.g. `customer_id`.
        field: &'static str,
        /// The rule it breaks.
        rule: String,
    },
}

fn advice(status: u16) -> &'static str {
    match status {
        401 => "check the credentials; the access token was refused",
        403 => "these credentials may not perform this operation",
        429 => "rate limited: retry after the Retry-After delay",
        400..=499 => "correct the request before sending it again",
        _ => "Pine Labs failed to process it: retry later",
    }
}

impl Error {
    /// The HTTP status Pine Labs answered with, if the error comes from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::Auth { status, .. } | Error::TokenUnavailable { status, .. } => *status,
            _ => None,
        }
    }

    /// Whether the same call may succeed if made again later.
    ///
    /// True for timeouts, transport failures, an unavailable token endpoint
    /// ([`Error::TokenUnavailable`]) and the
    /// [`RETRYABLE_STATUSES`](crate::RETRYABLE_STATUSES); false for refused
    /// credentials ([`Error::Auth`]). The client has already retried where that was safe
    /// (see [`RetryPolicy`](crate::RetryPolicy)); a caller retrying a delete
    /// must reuse the same `merchant_unique_reference`.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { status, .. } => RETRYABLE_STATUSES.contains(status),
            Error::Timeout { .. } | Error::Transport { .. } | Error::TokenUnavailable { .. } => {
                true
            }
            Error::Auth { .. }
            | Error::Build { .. }
            | Error::Decode { .. }
            | Error::InvalidInput { .. }
            | Error::ResponseTooLarge { .. } => false,
        }
    }

    /// The failure's low-cardinality name: the one table of error names,
    /// used for `error.type` in logs, spans and metrics (where an
    /// [`Error::Api`] is named by its status instead).
    ///
    /// ```
    /// let e = pinelabs::Client::builder().build().unwrap_err();
    /// assert_eq!(e.kind(), "invalid_input");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Api { .. } => "api_error",
            Error::Auth { .. } => "credentials_refused",
            Error::TokenUnavailable { .. } => "token_unavailable",
            Error::Timeout { .. } => "timeout",
            Error::Transport { cause, .. } => cause.name(),
            Error::Decode { .. } => "decode",
            Error::ResponseTooLarge { .. } => "response_too_large",
            Error::Build { .. } => "client_build",
            Error::InvalidInput { .. } => "invalid_input",
        }
    }

    /// The `Request-ID` of the call that failed, if a request was made.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. }
            | Error::Timeout { request_id, .. }
            | Error::Transport { request_id, .. }
            | Error::ResponseTooLarge { request_id, .. }
            | Error::Decode { request_id, .. } => request_id.as_deref(),
            Error::Auth { .. }
            | Error::TokenUnavailable { .. }
            | Error::Build { .. }
            | Error::InvalidInput { .. } => None,
        }
    }

    /// Whether the client's retry budget refused a retry that the retry
    /// policy allowed: the API is failing for many calls at once, and the
    /// client stopped adding retries to its load.
    pub fn retry_budget_exhausted(&self) -> bool {
        matches!(self, Error::Api { retry_budget_exhausted, .. }
            | Error::Timeout { retry_budget_exhausted, .. }
            | Error::Transport { retry_budget_exhausted, .. } if *retry_budget_exhausted)
    }

    /// Pine Labs' error code (e.g. `INVALID_REQUEST`), if it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// What to do about it, in one short sentence (kept out of `Display`;
    /// the CLI prints it as a `hint:` line).
    pub fn advice(&self) -> &'static str {
        match self {
            Error::Api { status, .. } => advice(*status),
            Error::Auth { .. } => {
                "check the client id and secret, and that they belong to this environment (UAT or production)"
            }
            Error::TokenUnavailable { .. } => {
                "the token endpoint is unreachable or failing: retry later; check the network and base URL if it lasts"
            }
            Error::Timeout { .. } => "retry later, or raise the timeout",
            Error::Transport { cause, .. } => transport_advice(*cause),
            Error::Decode { .. } => "report it to the client's maintainers with the request id",
            Error::ResponseTooLarge { .. } => {
                "raise max_response_bytes if such answers are expected"
            }
            Error::Build { .. } => {
                "check the TLS feature chosen for pinelabs and the system's certificates; retrying will not help"
            }
            Error::InvalidInput { .. } => "correct the input",
        }
    }

    pub(crate) fn invalid(field: &'static str, rule: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            rule: rule.into(),
        }
    }

    /// A failure to build the client.
    /// The message names what failed and the innermost cause's words.
    pub(crate) fn build(what: &str, source: impl Into<pinelabs_http::BoxError>) -> Self {
        let source: Arc<dyn std::error::Error + Send + Sync> = Arc::from(source.into());
        let cause = pinelabs_http::chain(&*source)
            .last()
            .map(ToString::to_string);
        Error::Build {
            message: match cause {
                Some(cause) if cause != what => format!("{what} ({cause})"),
                _ => what.to_owned(),
            },
            source: Some(source),
        }
    }

    /// A success body that does not decode: the one place `Error::Decode`
    /// is built. The excerpt never holds `secret`.
    pub(crate) fn decode(
        path: String,
        message: String,
        body: &[u8],
        secret: &str,
        request_id: Option<String>,
    ) -> Self {
        Error::Decode {
            path,
            message,
            excerpt: pinelabs_http::excerpt(body, &[secret]),
            request_id,
        }
    }
}

/// An input the spec's limits refuse.
impl From<pinelabs_api::input::InvalidInput> for Error {
    fn from(e: pinelabs_api::input::InvalidInput) -> Self {
        Error::InvalidInput {
            field: e.field,
            rule: e.rule,
        }
    }
}

/// A call option the client refuses.
impl From<pinelabs_http::InvalidOption> for Error {
    fn from(e: pinelabs_http::InvalidOption) -> Self {
        Error::InvalidInput {
            field: e.field,
            rule: e.rule,
        }
    }
}

/// What to do about a transport failure.
fn transport_advice(cause: TransportCause) -> &'static str {
    match cause {
        TransportCause::Dns => "check the base URL's host name and the machine's DNS",
        TransportCause::ConnectionRefused => {
            "check the base URL's host and port; nothing listens there"
        }
        TransportCause::Tls => {
            "check that the base URL is Pine Labs' https address, the system's CA certificates and any proxy that intercepts TLS"
        }
        TransportCause::ConnectionClosed => {
            "retry later; a delete may have taken effect, so resend it with the same merchant_unique_reference"
        }
        _ => "check the network path to Pine Labs and the base URL, then retry",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client that cannot be built is not worth retrying, and says why.
    #[test]
    fn a_build_failure_is_not_retryable() {
        let io = std::io::Error::other("no CA certificates found");
        let e = Error::build("the HTTP client could not be built", io);
        assert!(!e.is_retryable());
        assert_eq!(e.kind(), "client_build");
        assert_eq!(
            e.to_string(),
            "the client could not be built: the HTTP client could not be built (no CA certificates found)"
        );
        assert!(std::error::Error::source(&e).is_some());
        assert!(e.advice().contains("retrying will not help"));
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
            request_id: Some("rid".into()),
            retry_budget_exhausted: false,
        };
        assert!(api(404).advice().contains("correct the request"));
        assert!(api(503).advice().contains("retry later"));
        assert_eq!(
            api(503).to_string(),
            "Pine Labs answered 503 X: m (request id rid)"
        );
        assert!(api(503).is_retryable());
        assert!(!api(400).is_retryable());
        assert_eq!(api(404).status(), Some(404));
    }
}
