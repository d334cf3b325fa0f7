//! Metrics, through the [`metrics`] facade, named by the OpenTelemetry HTTP
//! client semantic conventions, and the call span.
//!
//! | name | kind | unit | labels |
//! |---|---|---|---|
//! | [`REQUEST_DURATION`] `http.client.request.duration` | histogram | seconds | `http.request.method`, `url.template`, `server.address`, `server.port`, `http.response.status_code` (when answered), `error.type` (on failure) |
//! | [`RETRIES`] `pinelabs.client.retries` | counter | | `url.template`, `error.type` (what was retried) |
//! | [`RETRIES_REFUSED`] `pinelabs.client.retries_refused` | counter | | `url.template`, `error.type` (a retry the policy allowed and the retry budget refused) |
//! | [`RETRY_BUDGET`] `pinelabs.client.retry_budget` | gauge | tokens | (none): the tokens left in the client's retry budget, set when it changes |
//! | [`TOKEN_FETCHES`] `pinelabs.client.token_fetches` | counter | | `outcome`: `ok`, `credentials_refused`, `token_unavailable`, `timeout` |
//! | [`SPEC_DRIFT`] `pinelabs.client.spec_drift` | counter | | `operation` (operationId), `kind` (e.g. `unknown_field`), `path` (e.g. `tokens[].card_data.tokenised_by`): one per answer that shows the finding; never a value |
//!
//! The first four are the HTTP layer's (`pinelabs_http::telemetry`, with
//! the client span of each attempt); the call span is here: one
//! `pinelabs.call` span per call, exported under its operationId, with
//! `pinelabs.operation_id`, `pinelabs.request_id`, `http.request.method`,
//! `url.template`, `http.response.status_code`, `error.type` and
//! `pinelabs.attempts`. Never an id of a customer, a secret or a body.
//!
//! **Why the `metrics` facade, not the OpenTelemetry metrics API:** a
//! library that called `opentelemetry` directly would make its
//! `opentelemetry` version part of its public contract. The facade is small
//! and stable, and a service picks the exporter: Prometheus, OpenTelemetry
//! through a bridge recorder, or none (then the cost is building a few
//! labels; see `BENCHMARKS.md`).
//!
//! ```
//! assert_eq!(pinelabs::telemetry::REQUEST_DURATION, "http.client.request.duration");
//! ```

use pinelabs_api::{drift::Finding, spec::Operation};
pub use pinelabs_http::telemetry::{REQUEST_DURATION, RETRIES, RETRIES_REFUSED, RETRY_BUDGET};
use pinelabs_http::{
    Outcome,
    telemetry::{ErrorType, Route, Server, record_error},
};
use reqwest::header::HeaderValue;
use tracing::{Span, field};

use crate::error::Unsent;

/// Counter of token-endpoint fetches, by outcome.
pub const TOKEN_FETCHES: &str = "pinelabs.client.token_fetches";
/// Counter of answers departing from the spec, by operation, kind and path.
pub const SPEC_DRIFT: &str = "pinelabs.client.spec_drift";

/// Describes the metrics to the installed recorder (units, help).
pub(crate) fn describe() {
    pinelabs_http::telemetry::describe();
    metrics::describe_counter!(TOKEN_FETCHES, "Token endpoint fetches, by outcome.");
    metrics::describe_counter!(
        SPEC_DRIFT,
        "Answers that depart from the spec, by operation, kind and path."
    );
}

/// The method and path template of `op` (from the spec).
pub(crate) fn route<'a>(op: &Operation, server: &'a Server) -> Route<'a> {
    Route {
        method: op.method,
        template: op.path,
        server,
    }
}

/// The span of one call; its fields are only computed when a subscriber
/// wants it.
pub(crate) fn call_span(op: &Operation, request_id: &HeaderValue) -> Span {
    tracing::info_span!(
        "pinelabs.call",
        otel.name = op.operation_id,
        pinelabs.operation_id = op.operation_id,
        pinelabs.request_id = request_id.to_str().unwrap_or_default(),
        http.request.method = op.method,
        url.template = op.path,
        http.response.status_code = field::Empty,
        error.type = field::Empty,
        otel.status_code = field::Empty,
        pinelabs.attempts = field::Empty,
    )
}

/// Records how the call's attempts ended on its span.
pub(crate) fn end_call(span: &Span, outcome: &Outcome) {
    if span.is_disabled() {
        return;
    }
    span.record("pinelabs.attempts", i64::from(outcome.attempts));
    match &outcome.result {
        Ok(response) => {
            let status = response.status();
            span.record("http.response.status_code", i64::from(status.as_u16()));
            if status.as_u16() >= 400 {
                record_error(span, ErrorType::Status(status));
            }
        }
        Err(e) if e.is_timeout() => record_error(span, ErrorType::Named("timeout")),
        Err(e) => {
            let cause = pinelabs_http::TransportCause::of(e);
            record_error(span, ErrorType::Named(cause.name()));
        }
    }
}

/// Records on its span that a call sent nothing.
pub(crate) fn unsent(span: &Span, unsent: &Unsent) {
    if !span.is_disabled() {
        record_error(span, ErrorType::Named(unsent_name(Some(unsent))));
        let _entered = span.enter();
        tracing::warn!(error = %unsent, "pinelabs call sent nothing");
    }
}

fn unsent_name(unsent: Option<&Unsent>) -> &'static str {
    match unsent {
        None => "ok",
        Some(Unsent::Refused { .. }) => "credentials_refused",
        Some(Unsent::Unavailable { .. }) => "token_unavailable",
        Some(Unsent::Late(_)) => "timeout",
    }
}

/// Counts a token fetch with its outcome (`None`: a token).
pub(crate) fn token_fetch(failure: Option<&Unsent>) {
    metrics::counter!(TOKEN_FETCHES, "outcome" => unsent_name(failure)).increment(1);
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
