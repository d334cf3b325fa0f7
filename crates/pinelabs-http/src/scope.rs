//! A call's scope: its limits in, the record of what its attempts saw out.
//!
//! A generated client builds each request itself and hands it to a hook,
//! so a call's own settings reach the hook only through the task: the call
//! runs its request future in a scope ([`scoped`]), the hook reads the
//! [`limits`] and writes the [`Record`] once ([`write()`]), and the call takes
//! the record back when the future ends ([`record_of`]).

use std::{cell::Cell, future::Future, pin::Pin, time::Duration};

use reqwest::header::{HeaderMap, HeaderValue};
use tokio::{task::futures::TaskLocalFuture, time::Instant};

tokio::task_local! {
    // Boxed: the task-local is swapped in and out on every poll.
    static SCOPE: Box<Scope>;
}

/// What one call may do: the client's settings narrowed by its options.
#[derive(Debug, Clone)]
pub struct Limits {
    /// When the whole call must be over.
    pub deadline: Instant,
    /// The whole call's time limit (for its timeout error).
    pub total: Duration,
    /// At most this many attempts, if fewer than the policy's.
    pub max_attempts: Option<u32>,
    /// The caller's `Request-ID`, sent on every attempt.
    pub request_id: Option<HeaderValue>,
    /// Extra headers, sent on every attempt.
    pub headers: HeaderMap,
    /// The most bytes of the answer's body read, if less than the client's.
    pub max_body: Option<usize>,
}

/// What a call saw: written once, when its request ends; read once, when
/// the call ends. Empty for a call made without a scope.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// The `Request-ID` sent.
    pub request_id: Option<HeaderValue>,
    /// Requests sent, a `401` resend included.
    pub attempts: u32,
    /// The final answer's status, if one came.
    pub status: Option<u16>,
    /// Whether the retry budget refused a retry that the policy allowed.
    pub budget_exhausted: bool,
    /// The bound a timeout of the last attempt exceeded: the call's own
    /// when its deadline cut the attempt short, else one attempt's.
    pub timeout: Duration,
    /// The `Authorization` value sent (sensitive): never part of an excerpt.
    pub bearer: Option<HeaderValue>,
}

impl Record {
    /// The `Request-ID` sent, as text.
    pub fn request_id(&self) -> Option<String> {
        let id = self.request_id.as_ref()?;
        id.to_str().ok().map(str::to_owned)
    }

    /// The bearer token sent, to keep it out of excerpts (empty if none).
    pub fn secret(&self) -> &str {
        let bearer = self.bearer.as_ref().and_then(|b| b.to_str().ok());
        bearer.and_then(|b| b.strip_prefix("Bearer ")).unwrap_or("")
    }
}

/// The scope of one call.
pub struct Scope {
    limits: Limits,
    record: Cell<Option<Record>>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let limits = &self.limits;
        f.debug_struct("Scope")
            .field("limits", limits)
            .finish_non_exhaustive()
    }
}

/// A future run in a call's scope.
pub type Scoped<F> = TaskLocalFuture<Box<Scope>, F>;

/// `future`, run in a scope of its own with `limits`.
#[inline(always)] // the future is large: built in the caller's place, not copied
pub fn scoped<F: Future>(limits: Limits, future: F) -> Scoped<F> {
    let record = Cell::new(None);
    SCOPE.scope(Box::new(Scope { limits, record }), future)
}

/// The record a finished scoped future's call wrote, if any.
pub fn record_of<F: Future>(scoped: Pin<&mut Scoped<F>>) -> Option<Record> {
    scoped
        .take_value()
        .and_then(|scope| scope.record.into_inner())
}

/// The limits of the call being made, if it runs in a scope.
pub fn limits() -> Option<Limits> {
    SCOPE.try_with(|scope| scope.limits.clone()).ok()
}

/// Hands the call's record back to its scope (a no-op without one).
pub fn write(record: Record) {
    let _outside_a_scope = SCOPE.try_with(|scope| scope.record.set(Some(record)));
}
