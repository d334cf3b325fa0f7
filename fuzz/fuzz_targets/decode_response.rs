//! Fuzzes response decoding: any bytes must decode into a value or fail as
//! `Error::Decode` with a path, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinelabs::{
    Error, decode_json,
    types::{CustomerTokens, DeletedToken, ErrorResponse},
};

fn check<T: serde_json_check::Decode>(data: &[u8]) {
    T::check(data);
}

mod serde_json_check {
    use super::*;

    pub trait Decode {
        fn check(data: &[u8]);
    }

    macro_rules! decode {
        ($($t:ty),*) => {$(
            impl Decode for $t {
                fn check(data: &[u8]) {
                    match decode_json::<$t>(data) {
                        Ok(_) => {}
                        Err(Error::Decode { path, .. }) => assert!(!path.is_empty()),
                        Err(other) => panic!("decode_json returned {other:?}"),
                    }
                }
            }
        )*};
    }

    decode!(CustomerTokens, DeletedToken, ErrorResponse);
}

fuzz_target!(|data: &[u8]| {
    check::<CustomerTokens>(data);
    check::<DeletedToken>(data);
    check::<ErrorResponse>(data);
});
