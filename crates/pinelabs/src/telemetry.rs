//! Metrics, through the [`metrics`] facade, named by the OpenTelemetry HTTP
//! client semantic conventions, and the call span.
//!
//! | name | kind | unit | labels |
//! |---|---|---|---|
//! | [`REQUEST_DURATION`] `http.client.request.duration` | histogram | seconds | `http.request.method`, `url.template`, `server.address`, `server.port`, `http.response.status_code` (when answered), `error.type` (on failure) |
//! | [`RETRIES`] `pinelabs.client.retries` | counter | | `url.template`, `error.type` (what was retried) |
//! | [`RETRIES_REFUSED`] `pinelabs.client.retries_refused` | counter | | `url.template`, `error.type` (a retry the policy allowed and the retry budget refused) |
//! | [`RETRY_BUDGET`] `pinelabs.client.retry_budget` | gauge | tokens | (none): the tokens left in the client's retry budget, set when it changes |
//! | [`TOKEN_FETCHES`] `pinelabs.client.token_fetches` | counter | | `outcome`: `ok`, `credentials_refused`, `token_unavailable` |
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

pub use pinelabs_api::monitor::SPEC_DRIFT;
use pinelabs_api::spec::Operation;
use pinelabs_http::telemetry::{ErrorType, Route, Server, record_error};
pub use pinelabs_http::telemetry::{REQUEST_DURATION, RETRIES, RETRIES_REFUSED, RETRY_BUDGET};
use tracing::Span;

use crate::error::Error;

/// Counter of token-endpoint fetches, by outcome.
pub const TOKEN_FETCHES: &str = "pinelabs.client.token_fetches";

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

/// Records on its span that a call sent nothing, and why.
pub(crate) fn unsent(span: &Span, error: &Error) {
    if !span.is_disabled() {
        record_error(span, ErrorType::Named(error.kind()));
        let _entered = span.enter();
        tracing::warn!(error = %error, "pinelabs call sent nothing");
    }
}

/// Counts a token fetch with its outcome (`None`: a token).
pub(crate) fn token_fetch(failure: Option<&Error>) {
    let outcome = failure.map_or("ok", Error::kind);
    metrics::counter!(TOKEN_FETCHES, "outcome" => outcome).increment(1);
}
