//! Attempt telemetry, named by the OpenTelemetry HTTP client semantic
//! conventions: the client span of each attempt, its duration, the retry
//! counters and the retry budget gauge (through the `metrics` facade).
//!
//! Nothing here records a path, an id, a header value or a body: a request
//! is named by its method and path template ([`Route`]).

use std::sync::{Arc, Mutex};

use metrics::{Key, Label, SharedString, Unit};
use reqwest::{StatusCode, header::HeaderValue};
use tracing::{Span, field};

use crate::cause::TransportCause;

/// Histogram of HTTP attempt durations, in seconds.
pub const REQUEST_DURATION: &str = "http.client.request.duration";
/// Counter of retries (and 401 resends), by what was retried.
pub const RETRIES: &str = "pinelabs.client.retries";
/// Counter of retries the retry budget refused.
pub const RETRIES_REFUSED: &str = "pinelabs.client.retries_refused";
/// Gauge of the tokens left in the retry budget.
pub const RETRY_BUDGET: &str = "pinelabs.client.retry_budget";

/// Describes this crate's metrics to the installed recorder (units, help).
pub fn describe() {
    metrics::describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Duration of HTTP client requests, per attempt."
    );
    metrics::describe_counter!(RETRIES, "Retries, by error type.");
    metrics::describe_counter!(
        RETRIES_REFUSED,
        "Retries the policy allowed and the retry budget refused."
    );
    metrics::describe_gauge!(RETRY_BUDGET, "Tokens left in the client's retry budget.");
}

/// The server a client talks to, as labels (built once per client), and
/// the keys of its duration metric built so far: an attempt's measure then
/// builds no label set (a few keys: routes times outcomes seen; bounded).
#[derive(Debug, Default)]
pub struct Server {
    address: Arc<str>,
    port: u16,
    port_label: Arc<str>,
    keys: Mutex<Vec<(Outcome, Arc<Key>)>>,
}

/// A route template, and how an attempt of it ended.
type Outcome = (&'static str, Option<ErrorType>, Option<u16>);

impl Server {
    /// The host and port of `base_url` (empty when it is not a URL).
    pub fn of(base_url: &str) -> Self {
        let url = reqwest::Url::parse(base_url).ok();
        let address = url.as_ref().and_then(|u| u.host_str()).unwrap_or_default();
        let port = url
            .as_ref()
            .and_then(reqwest::Url::port_or_known_default)
            .unwrap_or_default();
        Self {
            address: address.into(),
            port,
            port_label: port.to_string().into(),
            keys: Mutex::default(),
        }
    }
}

/// What spans and metrics say of a request: its method, its path template
/// (never the path itself) and the server.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, e.g. `/api/v1/customer/{customer_id}/tokens`.
    pub template: &'static str,
    /// The server.
    pub server: &'a Server,
}

/// `error.type` of the HTTP semantic conventions: the status code of an
/// error status, else a low-cardinality name of the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// An error status.
    Status(StatusCode),
    /// A named failure, e.g. `timeout` or `connection_refused`.
    Named(&'static str),
}

impl ErrorType {
    /// Of one attempt's result: `None` for a success status.
    pub fn of(result: &reqwest::Result<reqwest::Response>) -> Option<Self> {
        match result {
            Ok(response) if response.status().as_u16() >= 400 => {
                Some(ErrorType::Status(response.status()))
            }
            Ok(_) => None,
            Err(e) if e.is_timeout() => Some(ErrorType::Named("timeout")),
            Err(e) => Some(ErrorType::Named(TransportCause::of(e).name())),
        }
    }

    /// Its text, e.g. `503` or `timeout`.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorType::Status(status) => status.as_str(),
            ErrorType::Named(name) => name,
        }
    }

    fn label(self) -> SharedString {
        match self {
            ErrorType::Named(name) => SharedString::const_str(name),
            ErrorType::Status(status) => status_label(status.as_u16()),
        }
    }
}

/// `status` as a label value, e.g. `200` (built with a key that is kept,
/// or for a retry).
fn status_label(status: u16) -> SharedString {
    SharedString::from_owned(status.to_string())
}

/// The client span of one attempt: `{method} {url.template}`, kind client,
/// `http.request.resend_count` from the second attempt on. Its fields are
/// only computed when a subscriber wants the span.
pub(crate) fn attempt_span(route: Route<'_>, resend_count: u32) -> Span {
    let span = tracing::info_span!(
        "pinelabs.attempt",
        otel.name = %format_args!("{} {}", route.method, route.template),
        otel.kind = "client",
        http.request.method = route.method,
        url.template = route.template,
        server.address = &*route.server.address,
        server.port = i64::from(route.server.port),
        http.request.resend_count = field::Empty,
        http.response.status_code = field::Empty,
        error.type = field::Empty,
        otel.status_code = field::Empty,
    );
    if resend_count > 0 && !span.is_disabled() {
        span.record("http.request.resend_count", i64::from(resend_count));
    }
    span
}

/// The span of one call, exported under its operationId, with the request
/// id it sends; its fields are only computed when a subscriber wants it.
pub fn call_span(operation_id: &str, route: Route<'_>, request_id: &HeaderValue) -> Span {
    tracing::info_span!(
        "pinelabs.call",
        otel.name = operation_id,
        pinelabs.operation_id = operation_id,
        pinelabs.request_id = request_id.to_str().unwrap_or_default(),
        http.request.method = route.method,
        url.template = route.template,
        http.response.status_code = field::Empty,
        error.type = field::Empty,
        otel.status_code = field::Empty,
        pinelabs.attempts = field::Empty,
    )
}

/// Records how a call's `attempts` ended on its span.
pub fn end_call(span: &Span, attempts: u32, result: &reqwest::Result<reqwest::Response>) {
    if !span.is_disabled() {
        span.record("pinelabs.attempts", i64::from(attempts));
        record_result(span, result);
    }
}

/// Records an attempt's (or a call's) status, `error.type` and OTel status.
pub fn record_result(span: &Span, result: &reqwest::Result<reqwest::Response>) {
    if span.is_disabled() {
        return;
    }
    if let Ok(response) = result {
        // i64: tracing-opentelemetry exports integers given as i64.
        span.record(
            "http.response.status_code",
            i64::from(response.status().as_u16()),
        );
    }
    if let Some(error_type) = ErrorType::of(result) {
        record_error(span, error_type);
    }
}

/// Marks `span` failed with `error_type`.
pub fn record_error(span: &Span, error_type: ErrorType) {
    span.record("error.type", error_type.as_str());
    span.record("otel.status_code", "ERROR");
}

/// Records one attempt's duration.
pub(crate) fn attempt(route: Route<'_>, result: &reqwest::Result<reqwest::Response>, seconds: f64) {
    static METADATA: metrics::Metadata<'static> =
        metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));
    let status = result.as_ref().ok().map(|r| r.status().as_u16());
    let outcome = (route.template, ErrorType::of(result), status);
    let mut keys = route.server.keys.lock().unwrap_or_else(|e| e.into_inner());
    // Templates are the spec's constants: the same text, the same pointer.
    let same = |(t, e, s): &(&str, _, _)| {
        std::ptr::eq(*t, outcome.0) && (*e, *s) == (outcome.1, outcome.2)
    };
    let key = match keys.iter().position(|(o, _)| same(o)) {
        Some(at) => keys[at].1.clone(),
        None => {
            let key = Arc::new(duration_key(route, result));
            if keys.len() < 64 {
                keys.push((outcome, key.clone()));
            }
            key
        }
    };
    drop(keys);
    metrics::with_recorder(|r| r.register_histogram(&key, &METADATA)).record(seconds);
}

/// The key of one attempt's duration, with the conventions' labels.
fn duration_key(route: Route<'_>, result: &reqwest::Result<reqwest::Response>) -> Key {
    let server = route.server;
    let mut labels = Vec::with_capacity(6);
    labels.extend([
        Label::new("http.request.method", SharedString::const_str(route.method)),
        Label::new("url.template", SharedString::const_str(route.template)),
        Label::new(
            "server.address",
            SharedString::from_shared(server.address.clone()),
        ),
        Label::new(
            "server.port",
            SharedString::from_shared(server.port_label.clone()),
        ),
    ]);
    if let Ok(response) = result {
        let status = status_label(response.status().as_u16());
        labels.push(Label::new("http.response.status_code", status));
    }
    if let Some(error) = ErrorType::of(result) {
        labels.push(Label::new("error.type", error.label()));
    }
    Key::from_parts(REQUEST_DURATION, labels)
}

/// Counts a retry (`refused` by the budget, or made) of `template` after `error`.
pub(crate) fn retry(template: &'static str, error: Option<ErrorType>, refused: bool) {
    let error = error.map_or(SharedString::const_str("_OTHER"), ErrorType::label);
    let name = if refused { RETRIES_REFUSED } else { RETRIES };
    metrics::counter!(name, "url.template" => template, "error.type" => error).increment(1);
}

/// Sets the tokens left in the retry budget.
pub(crate) fn retry_budget(tokens: u32) {
    metrics::gauge!(RETRY_BUDGET).set(f64::from(tokens));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_labels_are_the_status_as_text() {
        assert_eq!(&*status_label(503), "503");
        assert_eq!(ErrorType::Status(StatusCode::NOT_FOUND).as_str(), "404");
    }

    #[test]
    fn the_server_is_read_from_the_base_url() {
        let server = Server::of("https://pluraluat.v2.pinepg.in");
        assert_eq!(
            (&*server.address, server.port),
            ("pluraluat.v2.pinepg.in", 443)
        );
        assert_eq!(&*Server::of("http://127.0.0.1:8080").port_label, "8080");
    }
}
