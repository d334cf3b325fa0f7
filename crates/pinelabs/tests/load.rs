//! Load: 10,000 calls at concurrency 100 through the wrapper against the
//! sandbox. Ignored by default (it is a measurement, not a unit test); run it
//! with `cargo xtask load`, i.e.
//! `cargo test --release -p pinelabs --test load -- --ignored --nocapture`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use pinelabs::{Client, DeleteToken};
use pinelabs_sandbox::{SEED_CUSTOMER_ID, Sandbox, card_token};
use tokio::sync::Semaphore;

const CALLS: usize = 10_000;
const CONCURRENCY: usize = 100;
/// One call in this many is a delete (of its own token); the rest are lists.
const DELETE_EVERY: usize = 10;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "load measurement: run with `cargo xtask load`"]
async fn ten_thousand_calls_at_concurrency_100() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let customer = "cust-load";
    for i in 0..CALLS / DELETE_EVERY {
        sandbox.add_token(
            customer,
            card_token(customer, &format!("tok-{i}"), "4242").expect("token"),
        );
    }
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("config");

    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(CALLS);
    for i in 0..CALLS {
        let permit = permits.clone().acquire_owned().await.expect("semaphore");
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            if i % DELETE_EVERY == 0 {
                let n = i / DELETE_EVERY;
                client
                    .delete_token(
                        customer,
                        &format!("tok-{n}"),
                        &DeleteToken::new(format!("load-{n}")),
                    )
                    .await
                    .map(|_| ())
            } else {
                client.list_tokens(SEED_CUSTOMER_ID).await.map(|_| ())
            }
        }));
    }
    let mut failures = 0;
    for task in tasks {
        if !matches!(task.await, Ok(Ok(()))) {
            failures += 1;
        }
    }
    let elapsed = started.elapsed();
    let throughput = CALLS as f64 / elapsed.as_secs_f64();
    println!(
        "load: {CALLS} calls at concurrency {CONCURRENCY}: {failures} failures, {:.2} s, {throughput:.0} calls/s",
        elapsed.as_secs_f64()
    );
    assert_eq!(failures, 0);
    assert_eq!(
        sandbox.requests().len(),
        CALLS,
        "every call made exactly one request"
    );
    assert!(
        sandbox
            .tokens_of(customer)
            .is_some_and(|l| l.tokens.is_empty()),
        "every delete happened"
    );
}
