//! The README's `client.api()` example: any operation of the spec through
//! the generated client, with the wrapper's middleware and error mapping.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = pinelabs::Client::builder()
        .base_url("https://pluraluat.v2.pinepg.in")
        .access_token(std::env::var("PINELABS_ACCESS_TOKEN").unwrap_or_default())
        .build()?;
    // `client.call(..)` maps errors with everything the call saw (request id,
    // deadline, body of an undocumented status); `?` alone converts too.
    let request = client
        .api()
        .list_customer_tokens()
        .customer_id("cust-v1-0811030624-aa-RBDgpR");
    let tokens = client.call(request.send()).await?;
    println!("{} tokens", tokens.tokens.len());
    Ok(())
}
