//! Fuzzes response decoding with the property of
//! `crates/pinelabs/tests/decoding` (shared with the stable proptest suite):
//! a faithful, stable value only for one JSON document, otherwise
//! `Error::Decode` naming a place that exists in it; never another error,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/pinelabs/tests/decoding/mod.rs"]
mod decoding;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = decoding::decoding_holds(data) {
        panic!("decoding property broken: {broken}");
    }
});
