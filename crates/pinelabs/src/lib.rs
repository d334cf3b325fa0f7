//! A production client for the Pine Labs Online customer-token API: the
//! thin layer services use over the client generated from the spec
//! (`pinelabs-api`), on the HTTP layer `pinelabs-http`. The README says
//! what it does for a service; this page is an index.
//!
//! ```no_run
//! use pinelabs::{prelude::*, Client, DeleteToken, Environment};
//!
//! # async fn run() -> pinelabs::Result<()> {
//! let client = Client::builder()
//!     .environment(Environment::Uat)
//!     .client_credentials("my-client-id", "my-client-secret")
//!     .build()?;
//! let tokens = client.list_tokens("cust-v1-0811030624-aa-RBDgpR").await?;
//! for token in tokens.active() {
//!     println!("{}", token.token_id);
//! }
//! let delete = DeleteToken::new("del-ref-001");
//! match client.delete_token("cust-v1-0811030624-aa-RBDgpR", "token-v1-1234567890-aa-ABCDEF", &delete).await {
//!     Ok(deleted) => assert!(deleted.is_deleted()),
//!     Err(e) if e.is_retryable() => eprintln!("try again later: {e}"),
//!     Err(e) => eprintln!("{e}; {}", e.advice()),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Index
//!
//! * [`Client`] and [`ClientBuilder`]: the environment, [`auth`]
//!   credentials, [`Timeouts`], [`RetryPolicy`], [`RetryBudget`],
//!   [`DriftDetection`], the TLS stack (features `rustls` (default),
//!   `rustls-ring`, `native-tls`; [`reqwest`] is the matching reqwest).
//! * The calls: [`Client::list_tokens`], [`Client::delete_token`]
//!   ([`DeleteToken`]), and every operation of the spec through
//!   [`Client::api`] and [`Client::call`]. Each is a [`Call`] with
//!   [`CallOptions`] and, on request, its [`Response`] metadata.
//! * [`Error`]: the one error type, with [`Error::advice`].
//! * Spec drift: [`Client::spec_drift`] ([`DriftReport`], [`drift`]).
//! * [`telemetry`]: metric names and spans. [`types`] and [`spec`]: the
//!   generated types and the spec's facts. [`prelude`]: conveniences.
//!
//! # Anatomy of a call
//!
//! The files `client.list_tokens(id).await` passes through, in order:
//!
//! 1. `pinelabs/src/client.rs`: `list_tokens` checks the id and builds the
//!    generated request; it is a `Call`.
//! 2. `pinelabs/src/call.rs`: the `Call`'s future puts its options in the
//!    call's scope and polls the generated `send()` there.
//! 3. `pinelabs-api/src/hooks.rs`: the generated `send()` builds the
//!    request and its `exec` hook hands it to the pipeline.
//! 4. `pinelabs/src/pipeline.rs`: headers, the bearer, the attempts, the
//!    call's record (written once, into its scope) and the drift monitor.
//! 5. `pinelabs-http/src/attempts.rs`: the attempt loop, then the final
//!    body, read once and capped.
//!
//! And back: the pipeline hands the answer to the generated code, which
//! decodes it, and `call.rs` returns the value or maps the error (the one
//! mapping) with the record.
//!
//! # Layers
//!
//! Each module imports only from the modules on the lines below its own
//! (`cargo xtask lint` checks it):
//!
//! ```text
//! client                      Client, ClientBuilder, the typed calls
//! pipeline                    the one path of every call into the API
//! auth                        credentials and the token exchange
//! call                        one call: options, future, the one error mapping
//! config decode ext telemetry settings, decoding, conveniences, metric names
//! error                       the one error type
//! ```
//!
//! # Why these dependencies
//! * `pinelabs-api`: the generated client and the spec's facts.
//!   `pinelabs-http`: attempts, retries, the body cap and the TLS stacks
//!   (HTTP only). `reqwest`: the HTTP client progenitor generates for.
//! * `thiserror`: the one error type. `secrecy`: secrets that do not print.
//! * `tokio`: the clock and the call's task-local scope. `tracing`,
//!   `metrics`: spans and the metrics facade.
//! * `futures-util`: `Shared`, the token fetch every waiting call polls.
//!   `pin-project-lite`: the call's future without a box.
//! * `serde_json`, `serde_path_to_error`: decoding, with the JSON path of
//!   a decode failure.
#![deny(missing_docs)]

pub mod auth;
mod call;
mod client;
mod config;
mod decode;
mod error;
mod ext;
mod pipeline;
pub mod telemetry;

pub use call::{Call, CallFuture, CallOptions, Response};
pub use client::{Client, ClientBuilder, DeleteToken, USER_AGENT};
pub use config::{Environment, Timeouts};
pub use decode::decode_json;
pub use error::{ApiError, Error, Result};
pub use pinelabs_api::monitor::{DriftDetection, DriftReport};
pub use pinelabs_http::{
    NOT_PROCESSED_STATUSES, RETRYABLE_STATUSES, RetryBudget, RetryPolicy, TransportCause,
};

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

/// Spec drift: where a live answer departs from the spec ([`check`](drift::check)
/// compares one answer with it; a [`Client`] watches its own answers).
pub mod drift {
    pub use pinelabs_api::drift::{DriftKind, Finding, MAX_VALUE_CHARS, check};
}

/// The extension traits, for `use pinelabs::prelude::*`.
pub mod prelude {
    pub use crate::ext::{CustomerTokenExt, CustomerTokensExt, DeletedTokenExt};
}
