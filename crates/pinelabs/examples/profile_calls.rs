//! Runs N sequential list calls with one client, for instruction counting:
//!
//! ```sh
//! cargo build --release -p pinelabs --example profile_calls
//! valgrind --tool=callgrind target/release/examples/profile_calls wrapper 1200
//! ```
//!
//! The difference between runs with N = 1200 and N = 200, divided by 1000,
//! is the cost of one call (client and server). See BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../benches/support/mod.rs"]
mod support;

use std::hint::black_box;

use support::{CUSTOMER, clients, runtime};

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "wrapper".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let rt = runtime();
    let cl = clients(&rt);
    rt.block_on(async {
        // Warm up the pooled connections.
        cl.wrapper.list_tokens(CUSTOMER).await.expect("ok");
        cl.hand.list_tokens(CUSTOMER).await.expect("ok");
        cl.hyper.get().await;
        for _ in 0..n {
            match which.as_str() {
                "wrapper" => drop(black_box(
                    cl.wrapper.list_tokens(CUSTOMER).await.expect("ok"),
                )),
                "hand" => drop(black_box(cl.hand.list_tokens(CUSTOMER).await.expect("ok"))),
                "bare" => drop(black_box(
                    cl.hand.list_tokens_bare(CUSTOMER).await.expect("ok"),
                )),
                _ => drop(black_box(cl.hyper.get().await)),
            }
        }
    });
}
