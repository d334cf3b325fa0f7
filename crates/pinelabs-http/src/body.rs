//! The one reader of answer bodies: whole, capped, and seen by the caller
//! before any of it is handed on.

use bytes::{Bytes, BytesMut};

use crate::fail;

/// The failure of an answer whose body is over the limit of [`read`]
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

/// `response` with its body read now, whole, and handed on in memory: at
/// most `limit` bytes (a declared length over it fails before the body is
/// read; an endless or longer body fails after at most `limit` bytes are
/// held), both failures carrying [`BodyTooLarge`]. `finish` sees the whole
/// body first and gives the bytes handed on (the same, or another view of
/// them). The status, version, headers and URL are kept.
pub async fn read(
    mut response: reqwest::Response,
    limit: usize,
    finish: impl FnOnce(Bytes) -> Bytes,
) -> reqwest::Result<reqwest::Response> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return fail(BodyTooLarge { limit });
    }
    let mut body = Whole::default();
    while let Some(chunk) = response.chunk().await? {
        if !body.push(chunk, limit) {
            return fail(BodyTooLarge { limit });
        }
    }
    use reqwest::ResponseBuilderExt;
    let mut builder = http::Response::builder()
        .status(response.status())
        .version(response.version())
        .url(response.url().clone());
    if let Some(headers) = builder.headers_mut() {
        *headers = std::mem::take(response.headers_mut());
    }
    match builder.body(reqwest::Body::from(finish(body.bytes()))) {
        Ok(read) => Ok(read.into()),
        // The parts come from a response, so they are valid: not reached.
        Err(e) => fail(e),
    }
}

/// A body's chunks so far.
#[derive(Default)]
struct Whole {
    /// The first chunk, kept as it is: a body of one chunk is not copied.
    first: Bytes,
    rest: BytesMut,
}

impl Whole {
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

    fn bytes(self) -> Bytes {
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
    async fn a_body_over_the_limit_fails_and_one_within_is_seen_once() {
        let answer = |body: reqwest::Body| reqwest::Response::from(http::Response::new(body));
        let error = read(answer("0123456789".into()), 4, |b| b).await;
        assert_eq!(
            carried(&error.expect_err("over")),
            Some(&BodyTooLarge { limit: 4 })
        );
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = seen.clone();
        let within = read(answer("0123".into()), 4, move |b| {
            keep.lock().expect("lock").push(b.clone());
            Bytes::from_static(b"view")
        });
        let within = within.await.expect("within");
        assert_eq!(&within.bytes().await.expect("body")[..], b"view");
        assert_eq!(*seen.lock().expect("lock"), [Bytes::from_static(b"0123")]);
        let endless = read(answer(reqwest::Body::wrap(Endless(None))), 4, |b| b).await;
        assert_eq!(
            carried(&endless.expect_err("endless")),
            Some(&BodyTooLarge { limit: 4 })
        );
        // A declared length over the limit fails before the body is read:
        // this body would fail otherwise, and with another error.
        let declared = read(answer(reqwest::Body::wrap(Endless(Some(5)))), 4, |b| b).await;
        assert_eq!(
            carried(&declared.expect_err("declared")),
            Some(&BodyTooLarge { limit: 4 })
        );
    }

    #[tokio::test]
    async fn read_keeps_the_status_version_headers_and_url() {
        use reqwest::ResponseBuilderExt;
        let url = reqwest::Url::parse("https://x.example/a").expect("url");
        let answer = http::Response::builder()
            .status(409)
            .version(http::Version::HTTP_2)
            .header("x-a", "1")
            .url(url.clone())
            .body(reqwest::Body::wrap(Chunks(vec!["dy", "bo"])))
            .expect("answer");
        let response = read(answer.into(), 64, |b| b).await.expect("read");
        assert_eq!(response.status(), 409);
        assert_eq!(response.version(), http::Version::HTTP_2);
        assert_eq!(
            (response.headers()["x-a"].as_bytes(), response.url()),
            (&b"1"[..], &url)
        );
        assert_eq!(&response.bytes().await.expect("body")[..], b"body");
    }

    /// A body of these chunks, last first.
    struct Chunks(Vec<&'static str>);

    impl http_body::Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            let chunk = self
                .0
                .pop()
                .map(|c| Ok(http_body::Frame::data(Bytes::from(c))));
            std::task::Poll::Ready(chunk)
        }
    }

    /// A body that never ends (declaring `Some` length: then its first read
    /// fails).
    struct Endless(Option<u64>);

    impl http_body::Body for Endless {
        type Data = Bytes;
        type Error = crate::cause::BoxError;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            std::task::Poll::Ready(Some(match self.0 {
                Some(_) => Err("read".into()),
                None => Ok(http_body::Frame::data(Bytes::from_static(b"xx"))),
            }))
        }

        fn size_hint(&self) -> http_body::SizeHint {
            self.0
                .map_or_else(Default::default, http_body::SizeHint::with_exact)
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
