//! The token endpoint's answer: the token and how long it lives, from
//! whichever shape Pine Labs documents: `access_token` with `expires_at`
//! (ISO-8601, any number of decimals) or `expires_in` (seconds, a number or
//! a numeric string), either of them at the top level or wrapped in `data`.

use std::time::Duration;

use crate::types::TokenResponse;

/// A token the endpoint issued.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Issued {
    /// The token itself (handle with care: never log it).
    pub token: String,
    /// How long it lives, when the answer says.
    pub lifetime: Option<Duration>,
}

/// The token of `answer`; the `Err` says why there is none (it never holds
/// the token).
///
/// ```
/// let answer = serde_json::from_str(r#"{"data": {"access_token": "t", "expires_in": "60"}}"#).unwrap();
/// let issued = pinelabs_api::token::issued(answer).unwrap();
/// assert_eq!(issued.lifetime, Some(std::time::Duration::from_secs(60)));
/// ```
pub fn issued(answer: TokenResponse) -> Result<Issued, String> {
    let fields = TokenFields::of(answer);
    let lifetime = fields.lifetime()?;
    let token = fields
        .token
        .ok_or("the token answer has no usable access_token")?;
    Ok(Issued { token, lifetime })
}

/// The token and its lifetime, from whichever documented shape the answer
/// has: top-level fields, or the same wrapped in `data`.
struct TokenFields {
    token: Option<String>,
    expires_at: Option<crate::types::Timestamp>,
    expires_in: Option<serde_json::Value>,
}

impl TokenFields {
    fn of(answer: TokenResponse) -> Self {
        match answer.data {
            Some(data) if data.access_token.is_some() => Self {
                token: data.access_token,
                expires_at: data.expires_at,
                expires_in: data.expires_in,
            },
            _ => Self {
                token: answer.access_token,
                expires_at: answer.expires_at,
                expires_in: answer.expires_in,
            },
        }
    }

    /// How long the token lives, from `expires_in` (seconds, as a number or
    /// a numeric string) or `expires_at` (ISO-8601, any number of decimals).
    fn lifetime(&self) -> Result<Option<Duration>, String> {
        if let Some(v) = &self.expires_in {
            let secs = match v {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| format!("`expires_in` is not a number of seconds: {v}"))?;
            return Ok(Some(Duration::from_secs_f64(secs.min(1e9))));
        }
        let Some(at) = &self.expires_at else {
            return Ok(None);
        };
        let at = at
            .as_datetime()
            .ok_or("`expires_at` is not an ISO-8601 timestamp")?;
        Ok(Some(
            (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifetime(json: &str) -> Option<Duration> {
        let answer: TokenResponse = serde_json::from_str(json).expect("decodes");
        let fields = TokenFields::of(answer);
        assert_eq!(fields.token.as_deref(), Some("t"));
        fields.lifetime().expect("valid lifetime")
    }

    #[test]
    fn every_documented_token_shape_decodes() {
        let in_an_hour = (chrono::Utc::now() + chrono::Duration::hours(1))
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let six = lifetime(&format!(
            r#"{{"access_token":"t","expires_at":"{in_an_hour}"}}"#
        ));
        assert!(six.is_some_and(|d| d > Duration::from_secs(3500)));
        let three = lifetime(r#"{"access_token":"t","expires_at":"2024-08-28T15:00:12.213Z"}"#);
        assert_eq!(three, Some(Duration::ZERO), "a past expiry means stale now");
        assert_eq!(
            lifetime(r#"{"access_token":"t","expires_in":3600}"#),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            lifetime(r#"{"data":{"access_token":"t","expires_in":"60"}}"#),
            Some(Duration::from_secs(60))
        );
        assert_eq!(lifetime(r#"{"access_token":"t"}"#), None);
    }
}
