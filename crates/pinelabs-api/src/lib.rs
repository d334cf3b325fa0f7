//! The Pine Labs Online customer-token client, **generated** at build time.
//!
//! `build.rs` runs [`pinelabs_codegen`](https://docs.rs/pinelabs-codegen) on
//! the spec shipped with this package (`pinelabs-online.yaml`, from
//! `openapi/pinelabs-online.yaml`) and this crate `include!`s the result. The
//! generated source is never edited by hand; a reviewable copy of it lives in
//! `xtask/snapshots/pinelabs_api.snap` and is kept in step by `cargo xtask codegen`.
//!
//! Services normally use the `pinelabs` wrapper crate instead of this one: it
//! adds authentication, retries, timeouts, tracing and input validation on top
//! of the hooks this crate exposes, and hands out this [`Client`] through
//! `pinelabs::Client::api()`.
//!
//! Hand-written parts of this crate:
//! * [`open_enum`]: the macro every enum of the spec is generated with, so
//!   unknown values decode as `Unknown(String)`;
//! * [`timestamp`]: the lenient type every `date-time` field decodes into;
//! * [`hooks`]: the `ClientHooks` implementation that forwards every request
//!   to a [`hooks::Middleware`];
//! * [`spec`]: the types of the spec's generated facts (operations, examples,
//!   limits, answer shapes);
//! * [`headers`]: `Request-ID` and `Request-Timestamp`, filled in as the
//!   spec describes them;
//! * [`monitor`]: a client's drift monitor: which answers are checked, and
//!   what is counted, logged and kept of each finding;
//! * [`token`]: the token endpoint's answer, in each documented shape;
//! * [`input`]: the operations' inputs checked against the spec's limits
//!   (and the few rules it cannot express) before a byte is sent;
//! * [`drift`]: spec drift, the spec's side of it: what the generated types
//!   note while decoding (a key or an enum value the spec does not have),
//!   which answers need a full check, and the check itself.
//!
//! # Building values (in tests, for example)
//!
//! Every struct is `#[non_exhaustive]`, so that a field added to the spec is
//! not a breaking change. Build one with its builder, which starts from the
//! defaults, or decode it from JSON:
//!
//! ```
//! use pinelabs_api::types::{CustomerToken, TokenStatus};
//!
//! let token: CustomerToken = CustomerToken::builder()
//!     .token_id("token-1")
//!     .status(Some(TokenStatus::Active))
//!     .try_into()
//!     .unwrap();
//! assert_eq!(token.status, Some(TokenStatus::Active));
//!
//! let body = r#"{"customer_id": "cust-1", "tokens": [{"token_id": "t-1", "status": "DELETED"}]}"#;
//! let list: pinelabs_api::types::CustomerTokens = serde_json::from_str(body).unwrap();
//! assert_eq!(list.tokens[0].status, Some(TokenStatus::Unknown("DELETED".into())));
//! ```
#![deny(missing_docs)]

pub mod drift;
pub mod headers;
pub mod hooks;
pub mod input;
pub mod monitor;
pub mod open_enum;
pub mod spec;
pub mod timestamp;
pub mod token;

// Lints are relaxed for generated code only. `Client::new` unwraps the
// reqwest builder; the wrapper never calls it (it uses `new_with_client`).
#[allow(
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    clippy::all,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/client.rs"));
}

/// The generated client: one method per operation of the spec, each
/// returning a request builder (`.send().await`).
pub use generated::Client;
/// The generated request builders, one per operation.
pub use generated::builder;
/// Errors and values returned by the generated methods (from `progenitor_client`).
pub use generated::{ByteStream, ClientInfo, Error, ResponseValue};
/// The generated request and response types, their builders (`types::builder`),
/// and the open enums they use.
pub mod types {
    pub use crate::generated::types::*;
    pub use crate::open_enum::*;
    pub use crate::timestamp::Timestamp;
}

/// Items most users need: the [`Client`].
pub mod prelude {
    pub use super::generated::prelude::*;
}
