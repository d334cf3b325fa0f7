//! The sandbox's in-memory state.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    time::{Duration, Instant},
};

use pinelabs_api::types::{
    CustomerToken, CustomerTokens, DeletedToken, DeletionStatus, Timestamp, TokenStatus,
};

/// One customer and their tokens.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub tokens: Vec<CustomerToken>,
}

/// A fault to answer with instead of the real response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The status to answer with.
    pub status: u16,
    /// A `Retry-After` header (seconds) to send, if any.
    pub retry_after: Option<u64>,
    /// Answer with an HTML page instead of the JSON error body, as a gateway would.
    pub html: bool,
}

impl Fault {
    /// A JSON error answer with `status` and no `Retry-After`.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            retry_after: None,
            html: false,
        }
    }

    /// Adds `Retry-After: seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Answers with an HTML page instead of JSON.
    pub fn html(mut self) -> Self {
        self.html = true;
        self
    }
}

/// One request the sandbox received (never its `Authorization` header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// The path as received (percent-encoded).
    pub path: String,
    /// The `Request-ID` header, if sent.
    pub request_id: Option<String>,
    /// The status the sandbox answered with.
    pub status: u16,
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    pub customers: BTreeMap<String, Customer>,
    /// Answers to deletes, by `merchant_unique_reference`.
    pub deletes: HashMap<String, DeletedToken>,
    /// Issued access tokens and when they expire.
    pub issued: HashMap<String, Instant>,
    pub faults: VecDeque<Fault>,
    pub latency: Duration,
    pub log: Vec<LoggedRequest>,
}

/// Why a delete did not happen.
pub(crate) enum DeleteRefusal {
    NoCustomer,
    NoToken,
}

impl Store {
    pub fn list(&self, customer_id: &str) -> Option<CustomerTokens> {
        let customer = self.customers.get(customer_id)?;
        Some(CustomerTokens {
            customer_id: customer_id.to_owned(),
            total_tokens: Some(customer.tokens.len() as i64),
            tokens: customer.tokens.clone(),
            created_at: Some(customer.created_at.clone()),
            updated_at: Some(customer.updated_at.clone()),
        })
    }

    /// Deletes a token. A replayed reference gets the first answer again.
    pub fn delete(
        &mut self,
        customer_id: &str,
        token_id: &str,
        reference: &str,
    ) -> Result<DeletedToken, DeleteRefusal> {
        if let Some(previous) = self.deletes.get(reference) {
            return Ok(previous.clone());
        }
        let customer = self
            .customers
            .get_mut(customer_id)
            .ok_or(DeleteRefusal::NoCustomer)?;
        let index = customer
            .tokens
            .iter()
            .position(|t| t.token_id == token_id)
            .ok_or(DeleteRefusal::NoToken)?;
        customer.tokens.remove(index);
        customer.updated_at = chrono::Utc::now().into();
        let answer = DeletedToken {
            token_id: Some(token_id.to_owned()),
            customer_id: Some(customer_id.to_owned()),
            status: Some(DeletionStatus::Deleted),
            merchant_unique_reference: Some(reference.to_owned()),
        };
        self.deletes.insert(reference.to_owned(), answer.clone());
        Ok(answer)
    }
}

/// A plausible active card token for `customer_id`, for seeding.
pub fn card_token(customer_id: &str, token_id: &str, last4: &str) -> CustomerToken {
    let now = chrono::Utc::now();
    CustomerToken {
        token_id: token_id.to_owned(),
        merchant_token_reference: Some(format!("ref-{token_id}")),
        customer_id: Some(customer_id.to_owned()),
        status: Some(TokenStatus::Active),
        payment_method: Some(pinelabs_api::types::PaymentMethod::Card),
        expired_at: Some((now + chrono::Duration::days(365)).into()),
        created_at: Some(now.into()),
        updated_at: Some(now.into()),
        status_reason: Some("Token activated successfully".to_owned()),
        merchant_metadata: None,
        card_data: Some(pinelabs_api::types::CardData {
            last4_digit: Some(last4.to_owned()),
            card_type: Some(pinelabs_api::types::CardType::Debit),
            network_name: Some("VISA".to_owned()),
            issuer_name: Some("Sandbox Bank".to_owned()),
            card_category: Some(pinelabs_api::types::CardCategory::Consumer),
            country_code: Some("IND".to_owned()),
            international: Some(false),
            emi: Some(false),
            cvv_required: Some(true),
        }),
        is_compliant: Some(true),
    }
}
