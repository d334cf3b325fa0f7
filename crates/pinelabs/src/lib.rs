//! A production client for the Pine Labs Online customer-token API.
//!
//! This is the crate services depend on. It is a thin layer over the
//! client generated from the OpenAPI spec (the `pinelabs-api` crate, reached
//! through [`Client::api`]; its types are re-exported as [`types`]) that
//! adds what a payment client needs in production:
//!
//! * **auth** ([`auth`]): a static token, the client-credentials grant with a
//!   cached, single-flight refreshed token, or your own [`auth::TokenProvider`];
//! * **configuration** ([`ClientBuilder`]): UAT / production / custom base
//!   URL (`https` only, except on loopback), timeouts, retry policy, user
//!   agent, an optional shared `reqwest::Client`;
//! * **retries** ([`RetryPolicy`]): exponential backoff with full jitter,
//!   `Retry-After`, and rules that respect idempotency (a delete is only
//!   retried where it provably did not happen);
//! * **validation**: every documented input limit is checked before a byte
//!   is sent;
//! * **one error type** ([`Error`]) that says what failed and what to do, and
//!   carries the `Request-ID` to quote to support;
//! * **every operation of the spec** through [`Client::api`] (the generated
//!   client, built once) with the same middleware, present operations and
//!   future ones alike; [`Client::call`] maps their errors with the call's
//!   full context;
//! * **tracing**, shaped for OpenTelemetry (through `tracing-opentelemetry`):
//!   one `pinelabs.call` span per call (exported under its operationId, with
//!   `pinelabs.operation_id`, `pinelabs.request_id`, `http.request.method`,
//!   `url.template`, `http.response.status_code`, `error.type`,
//!   `pinelabs.attempts`) and one client span per HTTP attempt named
//!   `{method} {url.template}` with the stable HTTP client conventions'
//!   attributes (`server.address`, `server.port`,
//!   `http.request.resend_count` on retries, ...). Never an id, a secret or a
//!   body: paths appear as their template;
//! * **metrics** ([`telemetry`]): `http.client.request.duration` per
//!   attempt, retry and token-fetch counters, through the `metrics` facade;
//! * **spec drift** ([`drift`], on by default): answers that depart from the
//!   hand-written spec (a new field or enum value, a missing field, an
//!   undocumented status) are counted, logged once and listed by
//!   [`Client::spec_drift`]; `pinelabs spec-check` prints the spec edit each
//!   one implies (README: "When the live API changes").
//!
//! # Example
//!
//! ```no_run
//! use pinelabs::{prelude::*, Client, DeleteToken, Environment};
//!
//! # async fn run() -> pinelabs::Result<()> {
//! let client = Client::builder()
//!     .environment(Environment::Uat)
//!     .client_credentials("my-client-id", "my-client-secret")
//!     .build()?;
//!
//! let tokens = client.list_tokens("cust-v1-0811030624-aa-RBDgpR").await?;
//! for token in tokens.active() {
//!     println!("{} {:?}", token.token_id, token.card().and_then(|c| c.last4_digit.as_deref()));
//! }
//!
//! match client
//!     .delete_token(
//!         "cust-v1-0811030624-aa-RBDgpR",
//!         "token-v1-1234567890-aa-ABCDEF",
//!         &DeleteToken::new("del-ref-001").metadata("reason", "customer request"),
//!     )
//!     .await
//! {
//!     Ok(deleted) => assert!(deleted.is_deleted()),
//!     Err(e) if e.is_retryable() => eprintln!("try again later: {e}"),
//!     Err(e) => eprintln!("{e} (status {:?})", e.status()),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Testing your service
//!
//! The `pinelabs-sandbox` crate (a dev-dependency) is a stateful fake of
//! the API on loopback: tokens, deletes, the token endpoint, errors, and
//! injected faults. Point the client at it:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> pinelabs::Result<()> {
//! use pinelabs_sandbox::{Fault, Sandbox, SEED_CUSTOMER_ID};
//!
//! let sandbox = Sandbox::start().await.expect("loopback port");
//! let client = pinelabs::Client::builder()
//!     .base_url(sandbox.base_url())
//!     .access_token(sandbox.access_token())
//!     .build()?;
//! sandbox.inject_faults(1, Fault::status(503).retry_after(0));
//! let tokens = client.list_tokens(SEED_CUSTOMER_ID).await?; // retried once
//! assert_eq!(tokens.tokens.len(), 1);
//! assert_eq!(sandbox.requests().len(), 2);
//! # Ok(())
//! # }
//! ```
//!
//! `Sandbox::set_chaos` injects seeded random faults for load tests, and
//! `Sandbox::applied_deletes` is its ledger of deletes that took effect.
//! From a shell, `pinelabs sandbox --port 8080` runs it standalone.
//!
//! # TLS
//!
//! Choose the TLS stack with one feature (the generated `pinelabs-api`
//! enables none):
//!
//! | feature | stack | builds |
//! |---|---|---|
//! | `rustls` (default) | rustls + aws-lc-rs | `aws-lc-sys` (a C build) |
//! | `rustls-ring` | rustls + ring, platform verifier | no aws-lc |
//! | `native-tls` | the platform's (OpenSSL on Linux) | needs `libssl-dev` |
//!
//! `pinelabs = { version = "0.2", default-features = false, features =
//! ["rustls-ring"] }`. With none of them only `http://` base URLs work, and
//! [`ClientBuilder::build`] refuses an `https://` one. CI builds and tests
//! each choice and checks that `aws-lc-sys` is absent from the other two.
//!
//! # Why these dependencies
//! * `pinelabs-api` / `progenitor-client`: the generated client and its runtime.
//! * `reqwest`: the HTTP client progenitor generates for (re-exported as
//!   [`reqwest`]). `rustls` and `rustls-platform-verifier`
//!   (only with the `rustls-ring` feature): reqwest's own TLS crates, to
//!   give it a ring-based configuration.
//! * `thiserror`: the one error type. `secrecy`: secrets that do not print.
//! * `tokio`: timers, the single-flight refresh lock. `tracing`: spans.
//!   `metrics`: the metrics facade (why not the OpenTelemetry API: see
//!   [`telemetry`]). `hyper`: to read a closed connection in an error chain.
//! * `uuid`: `Request-ID`s. `chrono`: timestamps (already in the generated types).
//! * `http`, `http-body-util`: `Limited`, the response-size cap.
//! * `futures-util`: `Shared`/`WeakShared`, the token refresh that every
//!   waiting call polls and that is dropped with its last waiter.
//! * `fastrand`: backoff jitter, no need for a CSPRNG. `httpdate`: `Retry-After`
//!   dates. `serde_path_to_error`: the JSON path of a decode failure. `url`:
//!   base-URL checks.
//!
//! # Layers
//!
//! Each module imports only from the modules on the lines below its own
//! (`cargo xtask lint` reads this table and fails on an upward import,
//! naming it; the crate root may use every module):
//!
//! ```text
//! client                                 Client, ClientBuilder, the calls
//! call                                   one call: its options, its future, its metadata
//! map                                    generated errors -> Error, with the call's context
//! transport                              the middleware: retry loop, auth headers, spans
//! auth                                   tokens: static, client credentials, providers
//! monitor                                the drift monitor: which answers to check, what is said
//! config decode telemetry tls validate   settings, decoding, metrics and spans, inputs
//! error                                  the one error type and its names
//! budget drift ext retry wire            pure: retry budget, spec drift, extension traits, retry rules, wire facts
//! ```
#![deny(missing_docs)]

pub mod auth;
mod budget;
mod call;
mod client;
mod config;
mod decode;
pub mod drift;
mod error;
pub mod ext;
mod map;
mod monitor;
mod retry;
pub mod telemetry;
mod tls;
mod transport;
pub mod validate;
mod wire;

pub use budget::RetryBudget;
pub use call::{Call, CallOptions, Response};
pub use client::{Client, ClientBuilder, DeleteToken, USER_AGENT};
pub use config::{
    DEFAULT_MAX_RESPONSE_BYTES, Environment, PRODUCTION_BASE_URL, Timeouts, UAT_BASE_URL,
};
pub use decode::{decode_answer, decode_json};
pub use error::{ApiError, Error, Result, TransportCause};
pub use monitor::{DriftDetection, DriftReport, MAX_DISTINCT_FINDINGS};
#[allow(deprecated)]
pub use retry::REFUSED_STATUSES;
pub use retry::{NOT_PROCESSED_STATUSES, RETRYABLE_STATUSES, RetryPolicy};
pub use wire::{REQUEST_ID_HEADER, REQUEST_TIMESTAMP_HEADER};

/// The `reqwest` this crate is built with: a service passing its own client
/// to [`ClientBuilder::http_client`] builds it from `pinelabs::reqwest`, so
/// the versions always match.
pub use reqwest;

/// The API's request and response types, generated from the spec, with the
/// open enums (`Unknown(String)` for values the docs do not list).
pub use pinelabs_api::types;

/// The spec's facts, generated from it: operations, documented answers,
/// schema shapes, examples, limits, servers.
pub use pinelabs_api::spec;

/// The extension traits, for `use pinelabs::prelude::*`.
pub mod prelude {
    pub use crate::ext::{CustomerTokenExt, CustomerTokensExt, DeletedTokenExt};
}
