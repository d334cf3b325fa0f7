//! The headers every operation of the spec declares and a client fills in:
//! `Request-ID` (a GUID, kept across the retries of a call) and
//! `Request-Timestamp` (ISO-8601 UTC with milliseconds).

use reqwest::header::{Entry, HeaderMap, HeaderName, HeaderValue};

/// `Request-ID`.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
/// `Request-Timestamp`.
pub static REQUEST_TIMESTAMP: HeaderName = HeaderName::from_static("request-timestamp");

/// `api-version`, which progenitor's generated client sends on every
/// request (the spec's `info.version`). Pine Labs documents no such
/// header, so [`identify`] takes it off: a request carries only the
/// headers Pine Labs documents.
pub static API_VERSION: HeaderName = HeaderName::from_static("api-version");

/// Fills in `Request-ID` (`request_id`, else the one already set, else a
/// fresh UUID) and `Request-Timestamp` (unless already set); the
/// `Request-ID` sent. Both are on shared bytes: the copy of a request each
/// attempt sends shares them instead of copying them.
pub fn identify(headers: &mut HeaderMap, request_id: Option<&HeaderValue>) -> HeaderValue {
    headers.remove(&API_VERSION);
    let request_id = match (headers.entry(REQUEST_ID.clone()), request_id) {
        (Entry::Occupied(mut sent), Some(id)) => {
            sent.insert(id.clone());
            id.clone()
        }
        (Entry::Vacant(unset), Some(id)) => unset.insert(id.clone()).clone(),
        (Entry::Occupied(sent), None) => sent.get().clone(),
        (Entry::Vacant(unset), None) => {
            let mut id = [0u8; 36];
            uuid::Uuid::new_v4().hyphenated().encode_lower(&mut id);
            let id = shared(id).unwrap_or_else(|| HeaderValue::from_static("unset"));
            unset.insert(id).clone()
        }
    };
    if let Entry::Vacant(unset) = headers.entry(REQUEST_TIMESTAMP.clone())
        && let Some(now) = shared(timestamp(chrono::Utc::now()))
    {
        unset.insert(now);
    }
    request_id
}

/// A header value over shared bytes: every copy of the request (one per
/// attempt) shares them instead of copying them.
fn shared(bytes: impl AsRef<[u8]> + Send + Sync + 'static) -> Option<HeaderValue> {
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(bytes)).ok()
}

/// `now` as `Request-Timestamp` documents it, UTC with milliseconds:
/// `2024-07-09T07:57:08.022Z`, written digit by digit.
fn timestamp(now: chrono::DateTime<chrono::Utc>) -> [u8; 24] {
    use chrono::{Datelike, Timelike};
    let mut out = *b"0000-00-00T00:00:00.000Z";
    let fields = [
        (4, u32::try_from(now.year()).unwrap_or(0)),
        (7, now.month()),
        (10, now.day()),
        (13, now.hour()),
        (16, now.minute()),
        (19, now.second()),
        (23, now.timestamp_subsec_millis().min(999)),
    ];
    for (end, mut value) in fields {
        for digit in out
            .iter_mut()
            .take(end)
            .rev()
            .take_while(|d| d.is_ascii_digit())
        {
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_milliseconds() {
        let at = chrono::DateTime::parse_from_rfc3339("2024-07-09T07:57:08.022123Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .expect("valid");
        assert_eq!(&timestamp(at), b"2024-07-09T07:57:08.022Z");
        let late = chrono::DateTime::parse_from_rfc3339("0999-12-31T23:59:59.9999Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .expect("valid");
        assert_eq!(&timestamp(late), b"0999-12-31T23:59:59.999Z");
    }
}
