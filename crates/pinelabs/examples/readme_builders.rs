//! The README's example of building generated values in tests.
use pinelabs::types::{CustomerToken, TokenStatus};

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Builders start from the defaults; `try_into` checks the required fields.
    let token: CustomerToken = CustomerToken::builder()
        .token_id("token-1")
        .status(TokenStatus::Active)
        .try_into()?;
    assert_eq!(token.status, Some(TokenStatus::Active));
    let example = pinelabs_api::spec::response_example("list_customer_tokens", 200);
    assert!(example.is_some(), "the spec documents the list's answer");
    Ok(())
}
