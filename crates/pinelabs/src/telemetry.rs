//! Metrics, through the [`metrics`] facade, named by the OpenTelemetry HTTP
//! client semantic conventions.
//!
//! | name | kind | unit | labels |
//! |---|---|---|---|
//! | [`REQUEST_DURATION`] `http.client.request.duration` | histogram | seconds | `http.request.method`, `url.template`, `server.address`, `server.port`, `http.response.status_code` (when answered), `error.type` (on failure) |
//! | [`RETRIES`] `pinelabs.client.retries` | counter | | `url.template`, `error.type` (what was retried) |
//! | [`TOKEN_FETCHES`] `pinelabs.client.token_fetches` | counter | | `outcome`: `ok`, `credentials_refused`, `token_unavailable` |
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

use crate::transport::ErrorType;

/// Histogram of HTTP attempt durations, in seconds.
pub const REQUEST_DURATION: &str = "http.client.request.duration";
/// Counter of retries (and 401 resends), by what was retried.
pub const RETRIES: &str = "pinelabs.client.retries";
/// Counter of token-endpoint fetches, by outcome.
pub const TOKEN_FETCHES: &str = "pinelabs.client.token_fetches";

/// Describes the metrics to the installed recorder (units, help).
pub(crate) fn describe() {
    metrics::describe_histogram!(
        REQUEST_DURATION,
        Unit::Seconds,
        "Duration of HTTP client requests to Pine Labs, per attempt."
    );
    metrics::describe_counter!(RETRIES, "Retries of Pine Labs calls, by error type.");
    metrics::describe_counter!(TOKEN_FETCHES, "Token endpoint fetches, by outcome.");
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
        ErrorType::Status(status) => SharedString::from_owned(status.as_str().to_owned()),
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
        let status = SharedString::from_owned(status.to_string());
        labels.push(Label::new("http.response.status_code", status));
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

/// Counts a token fetch with its outcome.
pub(crate) fn token_fetch(outcome: &'static str) {
    metrics::counter!(TOKEN_FETCHES, "outcome" => outcome).increment(1);
}
