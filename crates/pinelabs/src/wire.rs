//! Facts of the wire, each read or written in one place: the header names
//! this client fills in, the readers of `Request-ID` and `Retry-After`, the
//! walk down an error's source chain, the response-size cap, the
//! `Request-Timestamp` format and body excerpts.
//!
//! The bottom layer: nothing here imports another module of the crate.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};

/// The `Request-ID` header: filled in with a fresh UUID when the caller
/// passes none, and kept unchanged across retries.
pub const REQUEST_ID_HEADER: &str = "Request-ID";
/// The `Request-Timestamp` header: filled in (UTC, milliseconds) when the
/// caller passes none.
pub const REQUEST_TIMESTAMP_HEADER: &str = "Request-Timestamp";

/// [`REQUEST_ID_HEADER`] as a header name.
pub(crate) static REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
/// [`REQUEST_TIMESTAMP_HEADER`] as a header name.
pub(crate) static REQUEST_TIMESTAMP: HeaderName = HeaderName::from_static("request-timestamp");

/// The `Request-ID` in `headers`, if it is there and is text.
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The `Retry-After` in `headers` as a delay: delta-seconds or an HTTP date
/// (a date in the past is no delay).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// `error` and every error below it, outermost first.
pub(crate) fn chain<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}

/// Whether `error` comes from the body limit ([`cap_body`]).
pub(crate) fn is_body_limit(error: &reqwest::Error) -> bool {
    chain(error).any(|e| e.is::<http_body_util::LengthLimitError>())
}

/// `response`, whose body fails with `LengthLimitError` past `limit` bytes
/// instead of being read to the end. A body whose `Content-Length` is
/// within the limit is left as it is (hyper reads no more than that).
pub(crate) fn cap_body(response: reqwest::Response, limit: usize) -> reqwest::Response {
    let declared = response.content_length();
    if declared.is_some_and(|len| len <= limit as u64) {
        return response;
    }
    let response: http::Response<reqwest::Body> = response.into();
    let (parts, body) = response.into_parts();
    let limited = reqwest::Body::wrap(http_body_util::Limited::new(body, limit));
    reqwest::Response::from(http::Response::from_parts(parts, limited))
}

/// `response` read to the end: the same response (status, headers, URL;
/// not the HTTP version, which nothing reads) with its body in memory, and
/// that body.
pub(crate) async fn buffered(
    mut response: reqwest::Response,
) -> reqwest::Result<(reqwest::Response, bytes::Bytes)> {
    use reqwest::ResponseBuilderExt;
    // Chunk by chunk: a body in one chunk (the usual JSON answer) is kept
    // as it is, without collecting it into a list first.
    let mut first = bytes::Bytes::new();
    let mut rest = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if first.is_empty() {
            first = chunk;
        } else {
            if rest.is_empty() {
                rest.extend_from_slice(&first);
            }
            rest.extend_from_slice(&chunk);
        }
    }
    let body = if rest.is_empty() {
        first
    } else {
        rest.freeze()
    };
    let mut rebuilt = http::Response::builder()
        .status(response.status())
        .url(response.url().clone());
    if let Some(slot) = rebuilt.headers_mut() {
        *slot = std::mem::take(response.headers_mut());
    }
    // A status taken from a response is always valid, so the fallback (the
    // body alone) is never taken.
    let rebuilt = rebuilt
        .body(reqwest::Body::from(body.clone()))
        .unwrap_or_else(|_| http::Response::new(reqwest::Body::from(body.clone())));
    Ok((reqwest::Response::from(rebuilt), body))
}

/// `now` as `Request-Timestamp` documents it: UTC with milliseconds,
/// `2024-07-09T07:57:08.022Z`.
pub(crate) fn timestamp(now: chrono::DateTime<chrono::Utc>) -> Option<HeaderValue> {
    HeaderValue::try_from(now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).ok()
}

/// At most this many bytes of a body are kept in an error.
pub(crate) const EXCERPT_BYTES: usize = 512;

/// The start of `body` as text, without any of `secrets`.
pub(crate) fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = redact(&text, secrets);
    if out.len() > EXCERPT_BYTES {
        let mut end = EXCERPT_BYTES;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

/// Replaces every occurrence of each non-empty secret with `[REDACTED]`.
pub(crate) fn redact(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text.to_owned(), |acc, secret| {
            acc.replace(secret, "[REDACTED]")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_retry_after(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::try_from(value) {
            headers.insert(RETRY_AFTER, value);
        }
        headers
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(
            retry_after(&with_retry_after("7")),
            Some(Duration::from_secs(7))
        );
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let delay = retry_after(&with_retry_after(&future));
        assert!(
            delay.is_some_and(|d| d > Duration::from_secs(100) && d <= Duration::from_secs(120))
        );
        let past = with_retry_after("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
        assert_eq!(retry_after(&with_retry_after("soon")), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn request_ids_are_read_from_either_spelling() {
        let mut headers = HeaderMap::new();
        headers.insert("Request-ID", HeaderValue::from_static("rid-1"));
        assert_eq!(request_id(&headers).as_deref(), Some("rid-1"));
        assert_eq!(REQUEST_ID.as_str(), REQUEST_ID_HEADER.to_ascii_lowercase());
        assert_eq!(
            REQUEST_TIMESTAMP.as_str(),
            REQUEST_TIMESTAMP_HEADER.to_ascii_lowercase()
        );
    }

    #[test]
    fn timestamps_have_milliseconds() {
        let at = chrono::DateTime::parse_from_rfc3339("2024-07-09T07:57:08.022123Z")
            .map(|t| t.with_timezone(&chrono::Utc))
            .expect("valid");
        assert_eq!(
            timestamp(at).as_ref().and_then(|v| v.to_str().ok()),
            Some("2024-07-09T07:57:08.022Z")
        );
    }

    #[test]
    fn excerpt_is_bounded_on_a_char_boundary_and_redacted() {
        let body = format!("{}é{}", "a".repeat(EXCERPT_BYTES - 1), "b".repeat(100));
        let e = excerpt(body.as_bytes(), &[]);
        assert!(e.len() <= EXCERPT_BYTES + '…'.len_utf8());
        assert!(e.ends_with('…'));
        assert_eq!(
            excerpt(b"secret=s3cr3t!", &["s3cr3t"]),
            "secret=[REDACTED]!"
        );
        assert_eq!(excerpt(b"x", &[""]), "x");
    }
}
