//! What a transport failure was, read from reqwest's error chain.

/// A boxed error, as reqwest and `http-body` carry them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a transport failure was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportCause {
    /// The host name could not be resolved.
    Dns,
    /// Nobody listens at the address (TCP connection refused).
    ConnectionRefused,
    /// The TCP connection failed otherwise (unreachable network, reset).
    Connect,
    /// The TLS handshake failed (certificate, protocol, not a TLS server).
    Tls,
    /// The connection was closed or reset before the whole answer arrived.
    ConnectionClosed,
    /// Anything else the HTTP stack reported.
    Other,
}

impl std::fmt::Display for TransportCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportCause::Dns => "DNS lookup failed",
            TransportCause::ConnectionRefused => "connection refused",
            TransportCause::Connect => "could not connect",
            TransportCause::Tls => "TLS handshake failed",
            TransportCause::ConnectionClosed => "connection closed before the answer",
            TransportCause::Other => "transport error",
        })
    }
}

impl TransportCause {
    /// Reads the cause from `error`'s chain (hyper-util's connector errors,
    /// `std::io::Error` kinds, hyper's incomplete message).
    pub fn of(error: &reqwest::Error) -> Self {
        let io_kind = |kinds: &[std::io::ErrorKind]| {
            chain(error).any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| kinds.contains(&io.kind()))
            })
        };
        // hyper-util names the connector's step in its ConnectError.
        let step = |name: &str| chain(error).any(|e| e.to_string() == name);
        let closed = || {
            chain(error).any(|e| {
                e.downcast_ref::<hyper::Error>()
                    .is_some_and(|h| h.is_incomplete_message() || h.is_closed())
            })
        };
        use std::io::ErrorKind::*;
        if step("dns error") {
            TransportCause::Dns
        } else if io_kind(&[ConnectionRefused]) {
            TransportCause::ConnectionRefused
        } else if step("tcp connect error") {
            TransportCause::Connect
        } else if error.is_connect() {
            // Past DNS and TCP, the connector's only step left is TLS.
            TransportCause::Tls
        } else if io_kind(&[
            ConnectionReset,
            ConnectionAborted,
            BrokenPipe,
            UnexpectedEof,
        ]) || closed()
        {
            TransportCause::ConnectionClosed
        } else {
            TransportCause::Other
        }
    }

    /// Its low-cardinality name, for `error.type` in logs, spans and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            TransportCause::Dns => "dns",
            TransportCause::ConnectionRefused => "connection_refused",
            TransportCause::Connect => "connect",
            TransportCause::Tls => "tls",
            TransportCause::ConnectionClosed => "connection_closed",
            TransportCause::Other => "_OTHER",
        }
    }

    /// The cause and the innermost error's words, without the URL.
    pub fn message(&self, error: &reqwest::Error) -> String {
        let innermost = chain(error)
            .last()
            .map(ToString::to_string)
            .filter(|words| !words.contains("://"));
        match innermost {
            Some(words) if words != self.to_string() => format!("{self} ({words})"),
            _ => self.to_string(),
        }
    }
}

/// `error` and every error below it, outermost first.
pub fn chain<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}
