//! What the generated types tell the drift monitor while they decode.
//!
//! The `pinelabs` wrapper checks live answers against the spec (its `drift`
//! module). A full check of every answer would cost a second pass over the
//! body, so the decode itself says when an answer needs one, at no cost
//! when nothing has drifted:
//!
//! * every open enum notes a value the spec does not list;
//! * every generated struct notes a key it skips: the structs derive serde
//!   through [`serde`] (`#[serde(crate = "crate::drift::serde")]`, set by
//!   the generator), which is serde itself except for `de::IgnoredAny`, the
//!   type a derived struct decodes an unknown key into.
//!
//! The notes are a per-thread count. [`Watch`] wraps a future and returns
//! the notes made while it was polled, so that a decode (always inside one
//! poll) is attributed to the call that ran it.
//!
//! ```
//! use pinelabs_api::{drift, types::CustomerToken};
//!
//! let before = drift::take();
//! let _: CustomerToken = serde_json::from_str(r#"{"token_id": "t", "new_key": 1}"#).unwrap();
//! assert_eq!(drift::take(), 1);
//! drift::restore(before);
//! ```

use std::{
    cell::Cell,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

thread_local! {
    static NOTES: Cell<u32> = const { Cell::new(0) };
}

/// Notes one surprise (an unknown key or enum value) on this thread.
pub fn note() {
    NOTES.with(|n| n.set(n.get().saturating_add(1)));
}

/// The notes made on this thread since the last `take`, and resets them.
pub fn take() -> u32 {
    NOTES.with(|n| n.replace(0))
}

/// Puts back notes taken by an enclosing [`Watch`] (or [`take`]).
pub fn restore(notes: u32) {
    NOTES.with(|n| n.set(n.get().saturating_add(notes)));
}

/// `future`, counting the notes made while it is polled.
pub fn watch<F: Future>(future: F) -> Watch<F> {
    Watch { future, notes: 0 }
}

pin_project_lite::pin_project! {
    /// A future that counts the notes made while it is polled; see [`watch`].
    #[derive(Debug)]
    pub struct Watch<F> {
        #[pin]
        future: F,
        notes: u32,
    }
}

impl<F> Watch<F> {
    /// The notes made so far.
    pub fn notes(&self) -> u32 {
        self.notes
    }
}

impl<F: Future> Future for Watch<F> {
    type Output = (F::Output, u32);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outer = take();
        let polled = this.future.poll(cx);
        *this.notes = this.notes.saturating_add(take());
        restore(outer);
        let notes = *this.notes;
        polled.map(|output| (output, notes))
    }
}

/// The serde path of the generated structs: serde, with a `de::IgnoredAny`
/// that [notes](note) each key it skips.
pub mod serde {
    pub use ::serde::*;

    /// serde's `de`, with the noting `IgnoredAny`.
    pub mod de {
        pub use super::super::IgnoredAny;
        pub use ::serde::de::*;
    }
}

/// serde's `IgnoredAny`, noting each value it skips: what a generated
/// struct decodes a key the spec does not have into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IgnoredAny;

impl<'de> ::serde::Deserialize<'de> for IgnoredAny {
    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        note();
        ::serde::de::IgnoredAny::deserialize(deserializer).map(|_| IgnoredAny)
    }
}
