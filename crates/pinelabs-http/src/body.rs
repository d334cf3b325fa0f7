//! The one reader of answer bodies: whole, capped, and seen by the caller
//! before any of it is handed on.

use bytes::{Bytes, BytesMut};

/// The failure of an answer whose body is over the limit of [`whole`]
/// (carried: see [`carried`](crate::carried)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTooLarge {
    /// The limit, in bytes.
    pub limit: usize,
}

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the body is larger than the {}-byte limit", self.limit)
    }
}

impl std::error::Error for BodyTooLarge {}

/// `response` with its body read now, whole: at most `limit` bytes (a
/// larger or endless body fails carrying [`BodyTooLarge`] after at most
/// `limit` bytes are held). `finish` sees the whole body first and gives
/// the bytes handed on (the same, or another view of them), which the
/// response handed on carries in memory. Reading here, rather than
/// wrapping the body for a later reader, keeps reqwest's body as it is:
/// no body of ours stacked on it, and the rebuilt response's body is the
/// bytes themselves.
pub async fn whole(
    mut response: reqwest::Response,
    limit: usize,
    finish: impl FnOnce(Bytes) -> Bytes,
) -> reqwest::Result<reqwest::Response> {
    let mut body = Collected::default();
    while let Some(chunk) = response.chunk().await? {
        if !body.push(chunk, limit) {
            return crate::fail(BodyTooLarge { limit });
        }
    }
    Ok(rebuild(response, finish(body.into_bytes())))
}

/// A response with `response`'s status, version, headers and URL, and
/// `body`.
fn rebuild(mut response: reqwest::Response, body: Bytes) -> reqwest::Response {
    use reqwest::ResponseBuilderExt;
    let builder = http::Response::builder().status(response.status());
    let mut builder = builder
        .version(response.version())
        .url(response.url().clone());
    if let Some(slot) = builder.headers_mut() {
        *slot = std::mem::take(response.headers_mut());
    }
    match builder.body(body) {
        Ok(response) => response.into(),
        // A status taken from a response is valid: not reached.
        Err(_) => http::Response::new(reqwest::Body::from(Bytes::new())).into(),
    }
}

/// A body as it is read: its first chunk kept as it is (a body of one
/// chunk is not copied), and the rest.
#[derive(Default)]
struct Collected {
    first: Bytes,
    rest: BytesMut,
}

impl Collected {
    /// Adds a chunk; `false` past `limit`.
    fn push(&mut self, chunk: Bytes, limit: usize) -> bool {
        if self.first.len() + self.rest.len() + chunk.len() > limit {
            return false;
        }
        if self.first.is_empty() && self.rest.is_empty() {
            self.first = chunk;
        } else {
            if self.rest.is_empty() {
                self.rest
                    .extend_from_slice(&std::mem::take(&mut self.first));
            }
            self.rest.extend_from_slice(&chunk);
        }
        true
    }

    /// The whole body.
    fn into_bytes(self) -> Bytes {
        match self.rest.is_empty() {
            true => self.first,
            false => self.rest.freeze(),
        }
    }
}

/// At most this many bytes of a body are kept in an error.
const EXCERPT_BYTES: usize = 512;

/// The start of `body` as text, without any of `secrets`.
pub fn excerpt(body: &[u8], secrets: &[&str]) -> String {
    let mut out = redact(&String::from_utf8_lossy(body), secrets);
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
pub fn redact(text: &str, secrets: &[&str]) -> String {
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
    use crate::carried;

    #[tokio::test]
    async fn a_body_over_the_limit_fails_and_one_within_is_read_once() {
        let answer = |body: &'static str| reqwest::Response::from(http::Response::new(body));
        let error = whole(answer("0123456789"), 4, |b| b).await;
        let error = error.expect_err("over the limit");
        assert_eq!(carried(&error), Some(&BodyTooLarge { limit: 4 }));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = seen.clone();
        let within = whole(answer("0123"), 4, move |b| {
            keep.lock().expect("lock").push(b.clone());
            Bytes::from_static(b"view")
        });
        let within = within.await.expect("within");
        assert_eq!(*seen.lock().expect("lock"), [Bytes::from_static(b"0123")]);
        assert_eq!(&within.bytes().await.expect("in memory")[..], b"view");
        let endless = |n| reqwest::Response::from(http::Response::new(chunks(n)));
        let error = whole(endless(usize::MAX), 4, |b| b).await;
        let error = error.expect_err("endless");
        assert_eq!(carried(&error), Some(&BodyTooLarge { limit: 4 }));
        // Chunks are joined, up to and including the limit.
        let three = whole(endless(3), 6, |b| b).await.expect("three chunks");
        assert_eq!(&three.bytes().await.expect("in memory")[..], b"xxxxxx");
    }

    #[tokio::test]
    async fn the_rebuilt_response_keeps_the_status_version_headers_and_url() {
        use reqwest::ResponseBuilderExt;
        let url = reqwest::Url::parse("http://pinelabs.test/api/x").expect("url");
        let answer = http::Response::builder()
            .status(409)
            .version(http::Version::HTTP_2)
            .header("x-a", "1")
            .url(url.clone())
            .body("body")
            .expect("response");
        let response = whole(answer.into(), 64, |b| b).await.expect("read");
        assert_eq!(response.status(), reqwest::StatusCode::CONFLICT);
        assert_eq!(response.version(), http::Version::HTTP_2);
        assert_eq!(
            (response.headers()["x-a"].as_bytes(), response.url()),
            (&b"1"[..], &url)
        );
        assert_eq!(&response.bytes().await.expect("body")[..], b"body");
    }

    /// A body without a declared length: `n` chunks of `xx`.
    fn chunks(n: usize) -> reqwest::Body {
        reqwest::Body::wrap(Chunks(n))
    }

    struct Chunks(usize);

    impl http_body::Body for Chunks {
        type Data = Bytes;
        type Error = crate::cause::BoxError;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            let left = self.0.checked_sub(1);
            let frame = left.map(|left| {
                self.0 = left;
                Ok(http_body::Frame::data(Bytes::from_static(b"xx")))
            });
            std::task::Poll::Ready(frame)
        }
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
