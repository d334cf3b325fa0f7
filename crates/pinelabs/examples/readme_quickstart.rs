//! The README's first example: list a customer's tokens and delete one.
use pinelabs::{Client, DeleteToken, Environment, prelude::*};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Build one client at start-up and share it (it is Clone + Send + Sync).
    let client = Client::builder()
        .environment(Environment::Uat) // or Production, or .base_url("https://...")
        .client_credentials(
            std::env::var("PINELABS_CLIENT_ID").unwrap_or_default(),
            std::env::var("PINELABS_CLIENT_SECRET").unwrap_or_default(),
        )
        .build()?;

    let tokens = client.list_tokens("cust-v1-0811030624-aa-RBDgpR").await?;
    for token in tokens.active() {
        println!("{} {:?}", token.token_id, token.status);
    }

    // Keep the DeleteToken to retry: the same reference lets Pine Labs spot a replay.
    let delete = DeleteToken::new("del-ref-001").metadata("reason", "customer request");
    let customer = "cust-v1-0811030624-aa-RBDgpR";
    match client
        .delete_token(customer, "token-v1-1234567890-aa-ABCDEF", &delete)
        .await
    {
        Ok(deleted) => println!("deleted: {}", deleted.is_deleted()),
        Err(e) if e.is_retryable() => eprintln!("retry later with the same reference: {e}"),
        Err(e) => eprintln!("{e}\nhint: {}", e.advice()),
    }
    Ok(())
}
