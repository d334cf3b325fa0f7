//! The one reader of answer bodies: whole, capped, and seen by the caller
//! before any of it is handed on.

use bytes::{Bytes, BytesMut};

/// The failure of an answer whose body is over the limit of [`read_whole`]
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
/// wrapping the body for a later reader ([`whole`]), stacks no body of
/// ours on reqwest's: two fewer allocations an answer.
pub async fn read_whole(
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
    let head = Head::of(&mut response);
    Ok(head.with(finish(body.into_bytes())))
}

/// `response`'s body read now (see [`read_whole`]): the response, its body
/// in memory, and the body.
pub async fn read(
    response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<(reqwest::Response, Bytes)> {
    let mut kept = Bytes::new();
    let response = read_whole(response, limit, |body| {
        kept = body.clone();
        body
    });
    Ok((response.await?, kept))
}

/// `response`, whose body is read whole on its first read and handed on as
/// one chunk: at most `limit` bytes (an endless or larger body fails
/// carrying [`BodyTooLarge`] after at most `limit` bytes are held), and
/// `finish` sees the whole body first and gives the bytes handed on (the
/// same, or another view of them). Nothing is read until the body is.
#[deprecated(note = "use `read_whole`, which reads at once and allocates two boxes fewer")]
pub fn whole(
    mut response: reqwest::Response,
    limit: usize,
    finish: impl FnOnce(Bytes) -> Bytes + Send + Sync + Unpin + 'static,
) -> reqwest::Response {
    let head = Head::of(&mut response);
    let inner = http::Response::<reqwest::Body>::from(response).into_body();
    let whole = Whole {
        inner,
        limit,
        body: Collected::default(),
        finish: Some(finish),
    };
    head.with(reqwest::Body::wrap(whole))
}

/// What a rebuilt response keeps of the one it replaces.
struct Head {
    status: reqwest::StatusCode,
    version: http::Version,
    headers: reqwest::header::HeaderMap,
    url: reqwest::Url,
}

impl Head {
    /// `response`'s head; its headers are taken.
    fn of(response: &mut reqwest::Response) -> Self {
        Head {
            status: response.status(),
            version: response.version(),
            headers: std::mem::take(response.headers_mut()),
            url: response.url().clone(),
        }
    }

    /// A response with this head and `body`.
    fn with(self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        use reqwest::ResponseBuilderExt;
        // Only the URL, which reqwest keeps private, takes a builder; a
        // builder given nothing else does not fail.
        let url = http::Response::builder().url(self.url).body(());
        let (mut head, ()) = url.unwrap_or_default().into_parts();
        (head.status, head.version, head.headers) = (self.status, self.version, self.headers);
        http::Response::from_parts(head, body.into()).into()
    }
}

/// A body read whole before it is handed on (see [`whole`]).
struct Whole<F> {
    inner: reqwest::Body,
    limit: usize,
    body: Collected,
    /// `None` once the body was handed on.
    finish: Option<F>,
}

impl<F: FnOnce(Bytes) -> Bytes + Unpin> http_body::Body for Whole<F> {
    type Data = Bytes;
    type Error = crate::cause::BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        use std::task::{Poll, ready};
        let this = &mut *self;
        while this.finish.is_some() {
            match ready!(std::pin::Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    let fits = frame
                        .into_data()
                        .map_or(true, |c| this.body.push(c, this.limit));
                    if !fits {
                        this.finish = None;
                        let too_large = BodyTooLarge { limit: this.limit };
                        return Poll::Ready(Some(Err(Box::new(too_large))));
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e.into()))),
                None => {
                    let body = std::mem::take(&mut this.body).into_bytes();
                    let finish = this.finish.take().map(|finish| finish(body));
                    return Poll::Ready(finish.map(|body| Ok(http_body::Frame::data(body))));
                }
            }
        }
        Poll::Ready(None)
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
            // The first chunk moves to the rest once; then it is empty.
            self.rest
                .extend_from_slice(&std::mem::take(&mut self.first));
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

    /// A reader of the tests: `response` read with `limit`, `finish`, and
    /// the body handed on.
    type Reader = fn(
        reqwest::Response,
        usize,
        Box<dyn FnOnce(Bytes) -> Bytes + Send + Sync + Unpin>,
    ) -> BoxFuture<reqwest::Result<Bytes>>;

    type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

    /// The eager reader, and the deprecated lazy one.
    const READERS: [Reader; 2] = [
        |response, limit, finish| {
            Box::pin(async move { read_whole(response, limit, finish).await?.bytes().await })
        },
        #[allow(deprecated)]
        |response, limit, finish| Box::pin(whole(response, limit, finish).bytes()),
    ];

    #[tokio::test]
    async fn a_body_over_the_limit_fails_and_one_within_is_read_once() {
        let answer = |body: &'static str| reqwest::Response::from(http::Response::new(body));
        let endless = |n| reqwest::Response::from(http::Response::new(chunks(n)));
        let same = || Box::new(|b| b);
        for read in READERS {
            let error = read(answer("0123456789"), 4, same()).await;
            let error = error.expect_err("over the limit");
            assert_eq!(carried(&error), Some(&BodyTooLarge { limit: 4 }));
            let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let keep = seen.clone();
            let within = read(
                answer("0123"),
                4,
                Box::new(move |b| {
                    keep.lock().expect("lock").push(b.clone());
                    Bytes::from_static(b"view")
                }),
            );
            assert_eq!(&within.await.expect("within")[..], b"view");
            assert_eq!(*seen.lock().expect("lock"), [Bytes::from_static(b"0123")]);
            let error = read(endless(usize::MAX), 4, same()).await;
            let error = error.expect_err("endless");
            assert_eq!(carried(&error), Some(&BodyTooLarge { limit: 4 }));
            // Chunks are joined, up to and including the limit.
            let three = read(endless(3), 6, same()).await.expect("three chunks");
            assert_eq!(&three[..], b"xxxxxx");
        }
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
        // Read now, then wrapped for a later read: both keep the head.
        let (response, body) = read(answer.into(), 64).await.expect("read");
        assert_eq!(&body[..], b"body");
        #[allow(deprecated)]
        let response = whole(response, 64, |b| b);
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
