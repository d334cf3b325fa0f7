//! Fuzzes response decoding: any bytes must decode into a value or fail as
//! `Error::Decode` with a path, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinelabs::{
    Error, decode_json,
    types::{CustomerTokens, DeletedToken, ErrorResponse},
};

fn check<T: serde::de::DeserializeOwned>(data: &[u8]) {
    match decode_json::<T>(data) {
        Ok(_) => {}
        Err(Error::Decode { path, .. }) => assert!(!path.is_empty()),
        Err(other) => panic!("decode_json returned {other}"),
    }
}

fuzz_target!(|data: &[u8]| {
    check::<CustomerTokens>(data);
    check::<DeletedToken>(data);
    check::<ErrorResponse>(data);
});
