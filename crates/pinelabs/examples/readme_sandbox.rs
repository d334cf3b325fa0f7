//! The README's example of testing a service against the sandbox.
use pinelabs_sandbox::{Fault, SEED_CUSTOMER_ID, Sandbox};

#[tokio::main(flavor = "current_thread")]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start().await?; // seeded, on a free loopback port
    let client = pinelabs::Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .build()?;
    sandbox.inject_faults(1, Fault::status(503).retry_after(0)); // the next call fails once
    let tokens = client.list_tokens(SEED_CUSTOMER_ID).await?; // retried, succeeds
    assert_eq!(tokens.tokens.len(), 1);
    assert_eq!(sandbox.requests().len(), 2);
    Ok(())
}
