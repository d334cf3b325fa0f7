//! The README's per-call example: a deadline, no retries, the service's own
//! `Request-ID` and a header for one call, and the metadata of its answer.
use std::time::Duration;

use pinelabs::CallOptions;
use pinelabs_sandbox::{SEED_CUSTOMER_ID, Sandbox};

#[tokio::main(flavor = "current_thread")]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?;
    let client = pinelabs::Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .build()?;
    // Inside a request handler with 800 ms of its own budget left:
    let options = CallOptions::new()
        .timeout(Duration::from_millis(800)) // the whole call, retries included
        .max_attempts(1) // no retry
        .request_id("order-7781-tokens") // sent on every attempt, for your audit log
        .header("x-correlation-id", "order-7781");
    let answer = client
        .list_tokens(SEED_CUSTOMER_ID)
        .options(options)
        .with_metadata() // or `.await` alone for the value
        .await?;
    println!(
        "{} {:?} in {} attempt(s)",
        answer.status(),
        answer.request_id(),
        answer.attempts()
    );
    assert_eq!(answer.request_id(), Some("order-7781-tokens"));
    assert_eq!(answer.into_inner().tokens.len(), 1);
    Ok(())
}
