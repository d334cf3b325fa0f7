//! Metrics, through the [`metrics`] facade, named by the OpenTelemetry HTTP
//! client semantic conventions.
//!
//! | name | kind | unit | labels |
//! |---|---|---|---|
//! | [`REQUEST_DURATION`] `http.client.request.duration` | histogram | seconds | `http.request.method`, `url.template`, `server.address`, `server.port`, `http.response.status_code` (when answered), `error.type` (on failure) |
//! | [`RETRIES`] `pinelabs.client.retries` | counter | | `url.template`, `error.type` (what was retried) |
//! | [`TOKEN_FETCHES`] `pinelabs.client.token_fetches` | counter | | `outcome`: `ok`, `credentials_refused`, `token_unavailable` |
//! | [`RETRIES_REFUSED`] `pinelabs.client.retries_refused` | counter | | `url.template`, `error.type` (a retry the policy allowed and the retry budget refused) |
//! | [`RETRY_BUDGET`] `pinelabs.client.retry_budget` | gauge | tokens | (none): the tokens left in the client's retry budget, set when it changes |
//! | [`SPEC_DRIFT`] `pinelabs.client.spec_drift` | counter | | `operation` (operationId), `kind` (e.g. `unknown_field`), `path` (e.g. `tokens[].card_data.tokenised_by`): one per answer that shows the finding (see [`drift`](crate::drift)); never a value |
//!
//! The spans are here too: the call span and the client span of each HTTP
//! attempt (see the crate docs), and `ErrorType`, the one way a failure
//! is named in logs, spans and metrics (from [`Error::kind`] and
//! [`TransportCause::name`]).
//!
//! One duration is recorded per HTTP attempt (as the conventions define a
//! request), until the response headers arrive.
//!
//! **Why the `metrics` facade, not the OpenTelemetry metrics API:** a
//! library that called `opentelemetry` directly would make its
//! `opentelemetry` version part of its public contract (the meter provider
//! a service installs must come from the same major version, and those
//! versions move every few months). The facade is small and stable, and a
//! service picks the exporter: Prometheus (`metrics-exporter-prometheus`),
//! OpenTelemetry through a bridge recorder, or none. With no recorder
//! installed the macros reach a no-op recorder: no metric is kept, and the
//! cost is building a few labels (see `BENCHMARKS.md`).
//!
//! ```
//! // A service installs its recorder once, e.g.
//! // metrics_exporter_prometheus::PrometheusBuilder::new().install()?;
//! assert_eq!(pinelabs::telemetry::REQUEST_DURATION, "http.client.request.duration");
//! ```

use std::sync::Arc;

use metrics::{Label, SharedString, Unit};
use pinelabs_api::spec;
use reqwest::StatusCode;
use tracing::{Span, field};

use crate::{
    drift::Finding,
    error::{Error, TransportCause},
};

/// Histogram of HTTP attempt durations, in seconds.
pub const REQUEST_DURATION: &str = "http.client.request.duration";
/// Counter of retries (and 401 resends), by what was retried.
pub const RETRIES: &str = "pinelabs.client.retries";
/// Counter of token-endpoint fetches, by outcome.
pub const TOKEN_FETCHES: &str = "pinelabs.client.token_fetches";
/// Counter of retries the retry budget refused.
pub const RETRIES_REFUSED: &str = "pinelabs.client.retries_refused";
/// Gauge of the tokens left in the retry budget.
pub const RETRY_BUDGET: &str = "pinelabs.client.retry_budget";
/// Counter of answers departing from the spec, by operation, kind and path.
pub const SPEC_DRIFT: &str = "pinelabs.client.spec_drift";

/// Describes the metrics to the installed recorder (units, help).
pub(crate) fn describe() {
    metrics::describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Duration of HTTP client requests to Pine Labs, per attempt."
    );
    metrics::describe_counter!(RETRIES, "Retries of Pine Labs calls, by error type.");
    metrics::describe_counter!(TOKEN_FETCHES, "Token endpoint fetches, by outcome.");
    metrics::describe_counter!(
        RETRIES_REFUSED,
        "Retries the policy allowed and the retry budget refused."
    );
    metrics::describe_gauge!(RETRY_BUDGET, "Tokens left in the client's retry budget.");
    metrics::describe_counter!(
        SPEC_DRIFT,
        "Answers that depart from the spec, by operation, kind and path."
    );
}

/// The server a client talks to, as labels (shared, never copied per call).
#[derive(Debug, Clone)]
pub(crate) struct Server {
    address: Arc<str>,
    port: Arc<str>,
}

impl Server {
    pub(crate) fn of(base_url: &str) -> Self {
        let url = url::Url::parse(base_url).ok();
        let address = url.as_ref().and_then(|u| u.host_str()).unwrap_or_default();
        let port = url.as_ref().and_then(url::Url::port_or_known_default);
        Self {
            address: address.into(),
            port: port.map(|p| p.to_string()).unwrap_or_default().into(),
        }
    }
}

fn shared(s: &Arc<str>) -> SharedString {
    SharedString::from_shared(s.clone())
}

fn error_label(error: ErrorType) -> SharedString {
    match error {
        ErrorType::Named(name) => SharedString::const_str(name),
        ErrorType::Status(status) => status_label(status.as_u16()),
    }
}

/// Every three-digit status as text, built at compile time: a status label
/// costs no allocation (and no formatting) per call.
static STATUS_TEXT: [[u8; 3]; 1000] = {
    let mut table = [[0u8; 3]; 1000];
    let mut i = 0;
    while i < 1000 {
        table[i] = [
            b'0' + (i / 100) as u8,
            b'0' + (i / 10 % 10) as u8,
            b'0' + (i % 10) as u8,
        ];
        i += 1;
    }
    table
};

/// `status` as a label value, e.g. `200`.
fn status_label(status: u16) -> SharedString {
    match STATUS_TEXT
        .get(usize::from(status))
        .map(|t| std::str::from_utf8(t))
    {
        Some(Ok(text)) => SharedString::const_str(text),
        _ => SharedString::from_owned(status.to_string()),
    }
}

/// Records one attempt's duration.
pub(crate) fn attempt(
    method: &'static str,
    template: &'static str,
    server: &Server,
    status: Option<u16>,
    error: Option<ErrorType>,
    seconds: f64,
) {
    let mut labels = Vec::with_capacity(6);
    labels.extend([
        Label::new("http.request.method", SharedString::const_str(method)),
        Label::new("url.template", SharedString::const_str(template)),
        Label::new("server.address", shared(&server.address)),
        Label::new("server.port", shared(&server.port)),
    ]);
    if let Some(status) = status {
        labels.push(Label::new(
            "http.response.status_code",
            status_label(status),
        ));
    }
    if let Some(error) = error {
        labels.push(Label::new("error.type", error_label(error)));
    }
    metrics::histogram!(REQUEST_DURATION, labels).record(seconds);
}

/// Counts a retry of `template` after `error`.
pub(crate) fn retry(template: &'static str, error: Option<ErrorType>) {
    let error = error.map_or(SharedString::const_str("_OTHER"), error_label);
    metrics::counter!(RETRIES, "url.template" => template, "error.type" => error).increment(1);
}

/// Counts a retry of `template` after `error` that the budget refused.
pub(crate) fn retry_refused(template: &'static str, error: Option<ErrorType>) {
    let error = error.map_or(SharedString::const_str("_OTHER"), error_label);
    metrics::counter!(RETRIES_REFUSED, "url.template" => template, "error.type" => error)
        .increment(1);
}

/// Sets the tokens left in the retry budget.
pub(crate) fn retry_budget(tokens: u32) {
    metrics::gauge!(RETRY_BUDGET).set(f64::from(tokens));
}

/// Counts one answer showing `finding` (its value is never a label).
pub(crate) fn spec_drift(finding: &Finding) {
    metrics::counter!(
        SPEC_DRIFT,
        "operation" => finding.operation_id,
        "kind" => finding.kind.as_str(),
        "path" => finding.path.clone()
    )
    .increment(1);
}

/// Counts a token fetch with its outcome.
pub(crate) fn token_fetch(outcome: &'static str) {
    metrics::counter!(TOKEN_FETCHES, "outcome" => outcome).increment(1);
}

/// `error.type` of the HTTP semantic conventions: the status code of an
/// error status, else a low-cardinality name of the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorType {
    Status(StatusCode),
    Named(&'static str),
}

impl ErrorType {
    /// Of one attempt's result: `None` for a success status.
    pub(crate) fn of(result: &reqwest::Result<reqwest::Response>) -> Option<Self> {
        match result {
            Ok(response) if response.status().as_u16() >= 400 => {
                Some(ErrorType::Status(response.status()))
            }
            Ok(_) => None,
            Err(e) if e.is_timeout() => Some(ErrorType::Named("timeout")),
            Err(e) => Some(ErrorType::Named(TransportCause::of(e).name())),
        }
    }

    /// Of a whole call that failed: the HTTP status where there was one.
    pub(crate) fn of_error(error: &Error) -> Self {
        match error {
            Error::Api { status, .. } => {
                StatusCode::from_u16(*status).map_or(ErrorType::Named("_OTHER"), ErrorType::Status)
            }
            other => ErrorType::Named(other.kind()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            ErrorType::Status(status) => status.as_str(),
            ErrorType::Named(name) => name,
        }
    }
}

/// An operation's method and path template (from the spec), for spans and
/// metrics; empty for an operationId the spec does not have.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Route {
    pub method: &'static str,
    pub template: &'static str,
}

impl Route {
    pub(crate) fn of(operation: Option<&spec::Operation>) -> Self {
        operation.map_or(Route::default(), |op| Route {
            method: op.method,
            template: op.path,
        })
    }
}

/// The span of one call, exported under its operationId. The field values
/// are only computed when a subscriber wants the span.
pub(crate) fn call_span(operation_id: &str, request_id: Option<&str>) -> Span {
    let route = || Route::of(spec::operation(operation_id));
    tracing::info_span!(
        "pinelabs.call",
        otel.name = operation_id,
        pinelabs.operation_id = operation_id,
        pinelabs.request_id = request_id.unwrap_or_default(),
        http.request.method = route().method,
        url.template = route().template,
        http.response.status_code = field::Empty,
        error.type = field::Empty,
        otel.status_code = field::Empty,
        pinelabs.attempts = field::Empty,
    )
}

/// The client span of one HTTP attempt, named and attributed by the stable
/// HTTP client semantic conventions: `{method} {url.template}`, kind client,
/// `http.request.resend_count` from the second attempt on. No ids, tokens or
/// bodies: the URL is given as its template and the server's address.
pub(crate) fn attempt_span(route: Route, url: &url::Url, resend_count: u32) -> Span {
    let span = tracing::info_span!(
        "pinelabs.attempt",
        otel.name = %format_args!("{} {}", route.method, route.template),
        otel.kind = "client",
        http.request.method = route.method,
        url.template = route.template,
        server.address = url.host_str().unwrap_or_default(),
        server.port = i64::from(url.port_or_known_default().unwrap_or_default()),
        http.request.resend_count = field::Empty,
        http.response.status_code = field::Empty,
        error.type = field::Empty,
        otel.status_code = field::Empty,
    );
    if resend_count > 0 {
        span.record("http.request.resend_count", i64::from(resend_count));
    }
    span
}

/// Records an attempt's (or call's) status, `error.type` and OTel status.
pub(crate) fn record_result(span: &Span, result: &reqwest::Result<reqwest::Response>) {
    if span.is_disabled() {
        return;
    }
    if let Ok(response) = result {
        // i64: tracing-opentelemetry exports integers given as i64 (a u64
        // would become a string).
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
pub(crate) fn record_error(span: &Span, error_type: ErrorType) {
    span.record("error.type", error_type.as_str());
    span.record("otel.status_code", "ERROR");
}
