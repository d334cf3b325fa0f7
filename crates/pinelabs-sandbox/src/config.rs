//! How the sandbox runs: its settings, credentials and clock format.

use std::time::Duration;

use chrono::SubsecRound;
use pinelabs_api::types::Timestamp;

/// The static bearer token the sandbox always accepts.
pub const SANDBOX_ACCESS_TOKEN: &str = "sandbox-access-token";
/// The client id the sandbox's token endpoint accepts.
pub const SANDBOX_CLIENT_ID: &str = "sandbox-client";
/// The client secret the sandbox's token endpoint accepts.
pub const SANDBOX_CLIENT_SECRET: &str = "sandbox-secret";
/// Default lifetime of issued tokens.
pub(crate) const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// How the token endpoint shapes its answer (all three are documented).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenShape {
    /// `{"access_token", "expires_at"}` (ISO-8601, 6 decimals). The default.
    #[default]
    ExpiresAt,
    /// `{"access_token", "expires_in"}` (seconds).
    ExpiresIn,
    /// `{"data": {"access_token", "expires_at"}}`.
    Wrapped,
}

/// How to run the sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// A bearer token that is always valid.
    pub access_token: String,
    /// The client id the token endpoint accepts.
    pub client_id: String,
    /// The client secret the token endpoint accepts.
    pub client_secret: String,
    /// How long issued tokens live.
    pub token_ttl: Duration,
    /// The token endpoint's answer shape.
    pub token_shape: TokenShape,
    /// Whether to start with the documentation's example data.
    pub seed: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            access_token: SANDBOX_ACCESS_TOKEN.to_owned(),
            client_id: SANDBOX_CLIENT_ID.to_owned(),
            client_secret: SANDBOX_CLIENT_SECRET.to_owned(),
            token_ttl: DEFAULT_TOKEN_TTL,
            token_shape: TokenShape::default(),
            seed: true,
        }
    }
}

/// Now, with microseconds: the precision Pine Labs' documentation writes
/// (`2024-10-04T13:11:29.645591Z`). Stricter parsers in other languages
/// reject the nanoseconds the system clock gives.
///
/// A [`Timestamp`] prints as few decimals as its value needs (0, 3, 6 or 9),
/// so a time whose last three digits of microseconds are zero would print
/// with 3: such a time is moved on by 1 µs, and every timestamp the
/// sandbox writes has exactly 6 decimals.
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now().trunc_subsecs(6);
    if now.timestamp_subsec_micros().is_multiple_of(1000) {
        now + chrono::Duration::microseconds(1)
    } else {
        now
    }
}

/// [`now`] as a [`Timestamp`].
pub(crate) fn timestamp() -> Timestamp {
    now().into()
}
