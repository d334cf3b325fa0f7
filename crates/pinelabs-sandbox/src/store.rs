//! The sandbox's in-memory state.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    time::Duration,
};

use pinelabs_api::types::{
    CardCategory, CardData, CardType, CustomerToken, CustomerTokens, DeletedToken, DeletionStatus,
    PaymentMethod, Timestamp, TokenStatus, error::ConversionError,
};

use crate::{chaos::ChaosState, config, drift::Drift};

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
    pub issued: HashMap<String, tokio::time::Instant>,
    pub faults: VecDeque<Fault>,
    pub latency: Duration,
    /// How long the token endpoint waits before answering.
    pub token_latency: Duration,
    /// How the API's successful answers depart from the spec.
    pub drift: std::collections::BTreeSet<Drift>,
    pub log: Vec<LoggedRequest>,
    pub chaos: Option<ChaosState>,
    /// Every delete that took effect, in order.
    pub ledger: Vec<AppliedDelete>,
}

/// A delete that took effect (replays of its reference are not listed again).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppliedDelete {
    /// The customer whose token was deleted.
    pub customer_id: String,
    /// The deleted token.
    pub token_id: String,
    /// The `merchant_unique_reference` of the request that deleted it.
    pub reference: String,
}

/// Why a delete did not happen.
pub(crate) enum DeleteRefusal {
    NoCustomer,
    NoToken,
    /// The answer could not be built (a required field the sandbox does
    /// not know of was added to the spec).
    Internal(String),
}

impl Store {
    pub fn list(&self, customer_id: &str) -> Option<CustomerTokens> {
        let customer = self.customers.get(customer_id)?;
        CustomerTokens::builder()
            .customer_id(customer_id)
            .total_tokens(customer.tokens.len() as i64)
            .tokens(customer.tokens.clone())
            .created_at(customer.created_at.clone())
            .updated_at(customer.updated_at.clone())
            .try_into()
            .ok()
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
            // Read as if optional, so that adopting a missing `token_id`
            // (`cargo xtask adopt`) leaves the sandbox compiling.
            .position(|t| Option::<&String>::from(&t.token_id).is_some_and(|id| id == token_id))
            .ok_or(DeleteRefusal::NoToken)?;
        let answer: DeletedToken = DeletedToken::builder()
            .token_id(token_id.to_owned())
            .customer_id(customer_id.to_owned())
            .status(DeletionStatus::Deleted)
            .merchant_unique_reference(reference.to_owned())
            .try_into()
            .map_err(|e: ConversionError| DeleteRefusal::Internal(e.to_string()))?;
        customer.tokens.remove(index);
        customer.updated_at = config::timestamp();
        self.deletes.insert(reference.to_owned(), answer.clone());
        self.ledger.push(AppliedDelete {
            customer_id: customer_id.to_owned(),
            token_id: token_id.to_owned(),
            reference: reference.to_owned(),
        });
        Ok(answer)
    }
}

/// A plausible active card token for `customer_id`, for seeding: it
/// expires a year from now.
///
/// Built with the generated builders, so a field added to the spec needs no
/// change here. Fails only if the spec gains a required field.
pub fn card_token(
    customer_id: &str,
    token_id: &str,
    last4: &str,
) -> Result<CustomerToken, ConversionError> {
    let now = config::now();
    let card: CardData = CardData::builder()
        .last4_digit(last4.to_owned())
        .card_type(CardType::Debit)
        .network_name("VISA".to_owned())
        .issuer_name("Sandbox Bank".to_owned())
        .card_category(CardCategory::Consumer)
        .country_code("IND".to_owned())
        .international(false)
        .emi(false)
        .cvv_required(true)
        .try_into()?;
    CustomerToken::builder()
        .token_id(token_id.to_owned())
        .merchant_token_reference(format!("ref-{token_id}"))
        .customer_id(customer_id.to_owned())
        .status(TokenStatus::Active)
        .payment_method(PaymentMethod::Card)
        .expired_at(Timestamp::from(now + chrono::Duration::days(365)))
        .created_at(Timestamp::from(now))
        .updated_at(Timestamp::from(now))
        .status_reason("Token activated successfully".to_owned())
        .card_data(card)
        .is_compliant(true)
        .try_into()
}
