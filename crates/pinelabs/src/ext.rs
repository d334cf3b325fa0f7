//! Conveniences on the generated result types (import them with
//! `use pinelabs::prelude::*`).

use std::collections::BTreeMap;

use pinelabs_api::types::{
    CardData, CustomerToken, CustomerTokens, DeletedToken, DeletionStatus, TokenStatus,
};

static NO_METADATA: BTreeMap<String, String> = BTreeMap::new();

/// Conveniences on a customer's token list.
///
/// ```
/// use pinelabs::prelude::*;
/// use pinelabs::types::CustomerTokens;
///
/// let list: CustomerTokens = serde_json::from_str(r#"{"customer_id": "c",
///     "tokens": [{"token_id": "a", "status": "ACTIVE"}, {"token_id": "b", "status": "SUSPENDED"}]}"#).unwrap();
/// assert_eq!(list.active().map(|t| t.token_id.as_str()).collect::<Vec<_>>(), ["a"]);
/// assert!(list.find("b").is_some());
/// ```
pub trait CustomerTokensExt {
    /// The tokens whose status is `ACTIVE`.
    fn active(&self) -> impl Iterator<Item = &CustomerToken>;
    /// The token with this id, if the customer has it.
    fn find(&self, token_id: &str) -> Option<&CustomerToken>;
}

impl CustomerTokensExt for CustomerTokens {
    fn active(&self) -> impl Iterator<Item = &CustomerToken> {
        self.tokens.iter().filter(|t| t.is_active())
    }

    fn find(&self, token_id: &str) -> Option<&CustomerToken> {
        // Read as if optional (`From<&T>` and `From<&Option<T>>` both give
        // `Option<&T>`): if live answers stop sending `token_id`,
        // `cargo xtask adopt` takes it out of `required` and this compiles on.
        self.tokens
            .iter()
            .find(|t| Option::<&String>::from(&t.token_id).is_some_and(|id| id == token_id))
    }
}

/// Conveniences on one token.
pub trait CustomerTokenExt {
    /// Whether the status is `ACTIVE`.
    fn is_active(&self) -> bool;
    /// The merchant metadata as a map (empty when absent or null).
    fn metadata(&self) -> &BTreeMap<String, String>;
    /// The card behind a card token.
    fn card(&self) -> Option<&CardData>;
}

impl CustomerTokenExt for CustomerToken {
    fn is_active(&self) -> bool {
        self.status == Some(TokenStatus::Active)
    }

    fn metadata(&self) -> &BTreeMap<String, String> {
        self.merchant_metadata.as_deref().unwrap_or(&NO_METADATA)
    }

    fn card(&self) -> Option<&CardData> {
        self.card_data.as_ref()
    }
}

/// Conveniences on a delete's answer.
pub trait DeletedTokenExt {
    /// Whether Pine Labs reports the token as `DELETED`.
    fn is_deleted(&self) -> bool;
}

impl DeletedTokenExt for DeletedToken {
    fn is_deleted(&self) -> bool {
        self.status == Some(DeletionStatus::Deleted)
    }
}
