//! The HTTP layer under the `pinelabs` client: the attempt loop, backoff,
//! the retry budget, the body cap and attempt telemetry, over reqwest.
//!
//! **Why a crate of its own.** It knows HTTP and nothing of Pine Labs: it
//! does not depend on `pinelabs-api`, so the compiler, not a convention,
//! keeps every spec fact (an operation, a status list of the spec, a header
//! of the API) out of it. The `pinelabs` wrapper above it names the
//! operation, the credentials and the errors; this crate decides, per
//! attempt, whether to send again and when. Services use it through
//! `pinelabs`, which re-exports what they configure ([`RetryPolicy`],
//! [`RetryBudget`], [`TransportCause`]).
//!
//! **Why a hand-written loop.** The loop runs inside a generated client's
//! `exec` hook, where it holds the exact request the generated code built:
//! every attempt resends the same bytes, it sees the raw status and headers
//! (`Retry-After`, the idempotency rules), and it can swap only the
//! credentials after a `401`. `tower::retry::Policy` could classify, but its
//! `Budget` has no per-retry cost (AWS's quota charges a timeout double),
//! and an asynchronous credential refresh between attempts would need a
//! boxed future per retry; retry crates such as `backon` retry a closure
//! that rebuilds the request and see only the final typed error.
//!
//! ```
//! use std::time::Duration;
//! use pinelabs_http::{RetryBudget, RetryPolicy};
//!
//! let policy = RetryPolicy::default().max_attempts(2).max_backoff(Duration::from_secs(1));
//! let budget = RetryBudget::default().capacity(200);
//! assert_eq!((policy.max_attempts, budget.capacity), (2, 200));
//! ```
//!
//! # Why these dependencies
//! * `reqwest`, `http`, `http-body`, `bytes`: the HTTP types; the body
//!   reader caps a body chunk by chunk as it reads it.
//! * `url`: the base URL and proxy checks. `secrecy`: a bearer that does
//!   not print. `futures-util`: `Shared`, one token fetch for every
//!   waiting call. `rustls`, `rustls-platform-verifier` (feature
//!   `rustls-ring` only): reqwest's own TLS crates, ring-based.
//! * `hyper`: to read a closed connection in an error chain (reqwest's own).
//! * `tokio`: the clock and the backoff sleep (a paused clock in tests).
//! * `tracing`, `metrics`: the attempt span and the metrics facade.
//! * `fastrand`: backoff jitter (no CSPRNG needed). `httpdate`: `Retry-After` dates.
//!
//! # Layers
//!
//! ```text
//! body                        the one reader of bodies: whole, capped
//! attempts                    the attempt loop, and failures carried in reqwest errors
//! options                     a call's options
//! connect scope telemetry token   where to connect; a call's scope; spans and metrics; bearer tokens
//! budget cause policy         the retry budget, transport causes, retry rules
//! ```
#![deny(missing_docs)]

mod attempts;
mod body;
mod budget;
mod cause;
mod connect;
mod options;
mod policy;
pub mod scope;
pub mod telemetry;
mod token;

pub use attempts::{Attempts, Outcome, Reauthorize, carried, fail};
#[allow(deprecated)]
pub use body::whole;
pub use body::{BodyTooLarge, excerpt, read, read_whole, redact};
pub use budget::{Bucket, RetryBudget};
pub use cause::{BoxError, TransportCause, chain};
pub use connect::{HAS_TLS, base_url, http_client};
pub use options::{CallOptions, InvalidOption};
pub use policy::{
    NOT_PROCESSED_STATUSES, RETRYABLE_STATUSES, Retry, RetryPolicy, exponential, jitter,
    retry_after,
};
pub use token::{AccessToken, TokenCache};
