//! The one reader of answer bodies: whole, capped, and seen by the caller
//! before any of it is handed on.

use std::{
    pin::Pin,
    task::{Context, Poll, ready},
};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame};
use reqwest::{StatusCode, Url, header::HeaderMap};

use crate::cause::BoxError;

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

/// `response`, whose body is read whole on its first read and handed on as
/// one chunk: at most `limit` bytes (an endless or larger body fails
/// carrying [`BodyTooLarge`] after at most `limit` bytes are held), and
/// `finish` sees the whole body first and gives the bytes handed on (the
/// same, or another view of them). Nothing is read until the body is.
pub fn whole(
    response: reqwest::Response,
    limit: usize,
    finish: impl FnOnce(Bytes) -> Bytes + Send + Sync + Unpin + 'static,
) -> reqwest::Response {
    let (status, url) = (response.status(), response.url().clone());
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let head = Head {
        status,
        version: parts.version,
        headers: parts.headers,
        url,
    };
    let whole = Whole {
        inner: body,
        limit,
        first: Bytes::new(),
        rest: BytesMut::new(),
        finish: Some(finish),
    };
    rebuild(head, reqwest::Body::wrap(whole))
}

/// `response`'s body read now (see [`whole`]): the response, its body in
/// memory, and the body.
pub async fn read(
    response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<(reqwest::Response, Bytes)> {
    let head = Head {
        status: response.status(),
        version: response.version(),
        headers: response.headers().clone(),
        url: response.url().clone(),
    };
    let body = whole(response, limit, |body| body).bytes().await?;
    Ok((rebuild(head, body.clone().into()), body))
}

/// What a rebuilt response keeps of the one it replaces.
struct Head {
    status: StatusCode,
    version: http::Version,
    headers: HeaderMap,
    url: Url,
}

/// A response with `head` and `body`.
fn rebuild(head: Head, body: reqwest::Body) -> reqwest::Response {
    use reqwest::ResponseBuilderExt;
    let builder = http::Response::builder().status(head.status);
    let mut builder = builder.version(head.version).url(head.url);
    if let Some(slot) = builder.headers_mut() {
        *slot = head.headers;
    }
    match builder.body(body) {
        Ok(response) => response.into(),
        // A status taken from a response is valid: not reached.
        Err(_) => http::Response::new(reqwest::Body::from(Bytes::new())).into(),
    }
}

/// A body read whole before it is handed on (see [`whole`]).
struct Whole<F> {
    inner: reqwest::Body,
    limit: usize,
    /// The first chunk, kept as it is: a body of one chunk is not copied.
    first: Bytes,
    rest: BytesMut,
    /// `None` once the body was handed on.
    finish: Option<F>,
}

impl<F> Whole<F> {
    /// Adds a chunk; `false` past the limit.
    fn push(&mut self, chunk: Bytes) -> bool {
        if self.first.len() + self.rest.len() + chunk.len() > self.limit {
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
}

impl<F: FnOnce(Bytes) -> Bytes + Unpin> Body for Whole<F> {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        while this.finish.is_some() {
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    let fits = frame.into_data().map_or(true, |chunk| this.push(chunk));
                    if !fits {
                        this.finish = None;
                        let too_large = BodyTooLarge { limit: this.limit };
                        return Poll::Ready(Some(Err(Box::new(too_large))));
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e.into()))),
                None => {
                    let body = match this.rest.is_empty() {
                        true => std::mem::take(&mut this.first),
                        false => std::mem::take(&mut this.rest).freeze(),
                    };
                    let finish = this.finish.take().map(|finish| finish(body));
                    return Poll::Ready(finish.map(|body| Ok(Frame::data(body))));
                }
            }
        }
        Poll::Ready(None)
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
        let error = whole(answer("0123456789"), 4, |b| b).bytes().await;
        let error = error.expect_err("over the limit");
        assert_eq!(carried(&error), Some(&BodyTooLarge { limit: 4 }));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = seen.clone();
        let within = whole(answer("0123"), 4, move |b| {
            keep.lock().expect("lock").push(b.clone());
            Bytes::from_static(b"view")
        });
        assert_eq!(&within.bytes().await.expect("within")[..], b"view");
        assert_eq!(*seen.lock().expect("lock"), [Bytes::from_static(b"0123")]);
        let endless = reqwest::Body::wrap(Endless);
        let response = reqwest::Response::from(http::Response::new(endless));
        let error = whole(response, 4, |b| b)
            .bytes()
            .await
            .expect_err("endless");
        assert_eq!(carried(&error), Some(&BodyTooLarge { limit: 4 }));
    }

    #[tokio::test]
    async fn read_keeps_the_status_version_headers_and_body() {
        let mut answer = http::Response::new("body");
        *answer.status_mut() = StatusCode::CONFLICT;
        *answer.version_mut() = http::Version::HTTP_2;
        answer
            .headers_mut()
            .insert("x-a", "1".parse().expect("value"));
        let (response, body) = read(answer.into(), 64).await.expect("read");
        assert_eq!(
            (response.status(), &body[..]),
            (StatusCode::CONFLICT, &b"body"[..])
        );
        assert_eq!(response.headers()["x-a"], "1");
        assert_eq!(response.version(), http::Version::HTTP_2);
        let lazy = whole(response, 64, |b| b);
        assert_eq!(lazy.version(), http::Version::HTTP_2);
        assert_eq!(&lazy.bytes().await.expect("again")[..], b"body");
    }

    /// A body without a declared length that never ends.
    struct Endless;

    impl Body for Endless {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"xx")))))
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
