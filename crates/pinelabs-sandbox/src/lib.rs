//! A stateful fake of the Pine Labs Online customer-token API.
//!
//! Start it in-process from a test, or standalone with
//! `pinelabs sandbox --port 8080`. It listens on loopback only, needs no
//! network, and emulates the documented behaviour:
//!
//! * `POST /api/auth/v1/token` issues tokens that expire (client id
//!   [`SANDBOX_CLIENT_ID`], secret [`SANDBOX_CLIENT_SECRET`]); every other
//!   endpoint requires `Authorization: Bearer <token>` and answers `401`
//!   with the Pine Labs error body otherwise. [`SANDBOX_ACCESS_TOKEN`] is
//!   always valid.
//! * `GET /api/v1/customer/{customer_id}/tokens` lists a customer's tokens
//!   (`404` for an unknown customer).
//! * `POST /api/v1/customer/{customer_id}/tokens/{token_id}/delete` deletes a
//!   token: the answer has `status: "DELETED"` and the token is gone from the
//!   list afterwards.
//! * Ids over 50 characters, a body that is not a valid delete request, a
//!   missing or over-long reference, or more than 10 metadata pairs give
//!   `400 INVALID_REQUEST`.
//!
//! **Drift on purpose.** [`Sandbox::set_drift`] (or `pinelabs sandbox
//! --drift KIND`) makes the successful answers depart from the spec in a
//! chosen [`Drift`] way (an extra field, an unknown enum value, a required
//! field missing, an undocumented status, ...), so that a service can prove
//! its drift detection end to end. Without it the answers match the spec
//! exactly.
//!
//! **Replay semantics (the sandbox's choice; Pine Labs does not document
//! it):** a `merchant_unique_reference` identifies one delete operation.
//! Sending a delete with a reference already used returns the first answer
//! again, unchanged, whatever the ids, and changes nothing.
//!
//! It starts seeded with the spec's example answer to the list
//! (`pinelabs_api::spec`): customer [`SEED_CUSTOMER_ID`] and token
//! [`SEED_TOKEN_ID`], whose expiry is moved to a year from today so that an
//! `ACTIVE` token is not already expired.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use pinelabs_sandbox::{Fault, Sandbox};
//!
//! let sandbox = Sandbox::start().await?;
//! sandbox.inject_faults(1, Fault::status(503).retry_after(0));
//! let url = format!("{}/api/v1/customer/{}/tokens", sandbox.base_url(), pinelabs_sandbox::SEED_CUSTOMER_ID);
//! assert!(url.starts_with("http://127.0.0.1:"));
//! assert!(sandbox.tokens_of(pinelabs_sandbox::SEED_CUSTOMER_ID).is_some());
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Why these dependencies
//! `axum` (HTTP server on tokio, small and well kept), `pinelabs-api` (the
//! generated types, so the sandbox serialises exactly what the spec says),
//! `uuid` (issued tokens), `chrono` (timestamps), `fastrand` (the seeded
//! generator of [`Chaos`]: small, no dependencies), `futures-util` (the
//! failing body stream of a dropped connection).

//!
//! # Layers
//!
//! Each module imports only from the modules on the lines below its own
//! (checked by `cargo xtask lint`):
//!
//! ```text
//! routes         the HTTP side: the router and the handlers
//! inject         the chaos middleware on the API routes
//! answers        the state the handlers share; error and fault answers
//! store          the in-memory state
//! chaos config drift   seeded fault draws; settings, credentials and the clock; answers that drift
//! ```

#![deny(missing_docs)]

mod answers;
mod chaos;
mod config;
mod drift;
mod inject;
mod routes;
mod store;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use pinelabs_api::types::{CustomerToken, CustomerTokens};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use answers::Shared;
pub use chaos::Chaos;
pub use config::{
    SANDBOX_ACCESS_TOKEN, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxConfig, TokenShape,
};
pub use drift::Drift;
pub use store::{AppliedDelete, Fault, LoggedRequest, card_token};
use store::{Customer, Store};

/// The customer of the documentation's example.
pub const SEED_CUSTOMER_ID: &str = "cust-v1-0811030624-aa-RBDgpR";
/// The token of the documentation's example.
pub const SEED_TOKEN_ID: &str = "token-v1-1234567890-aa-ABCDEF";

/// A running sandbox. Dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts a seeded sandbox on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(
            SandboxConfig::default(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
    }

    /// Starts a sandbox with `config` on `addr` (port 0 picks a free port).
    pub async fn start_with(config: SandboxConfig, addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let mut store = Store::default();
        if config.seed {
            seed(&mut store);
        }
        let shared = Arc::new(Shared {
            config,
            store: Mutex::new(store),
        });
        let app = routes::router(shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = server.await {
                tracing::error!(error = %e, "sandbox server stopped");
            }
        });
        Ok(Self {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the sandbox listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A bearer token the sandbox accepts.
    pub fn access_token(&self) -> &str {
        &self.shared.config.access_token
    }

    /// Adds a customer with no tokens (no-op if it exists).
    pub fn add_customer(&self, customer_id: &str) {
        let now = config::timestamp();
        self.shared
            .store()
            .customers
            .entry(customer_id.to_owned())
            .or_insert(Customer {
                created_at: now.clone(),
                updated_at: now,
                tokens: Vec::new(),
            });
    }

    /// Adds a token to a customer, creating the customer if needed.
    pub fn add_token(&self, customer_id: &str, token: CustomerToken) {
        self.add_customer(customer_id);
        if let Some(customer) = self.shared.store().customers.get_mut(customer_id) {
            customer.tokens.push(token);
        }
    }

    /// What `GET .../tokens` would answer for `customer_id` (`None` if unknown).
    pub fn tokens_of(&self, customer_id: &str) -> Option<CustomerTokens> {
        self.shared.store().list(customer_id)
    }

    /// The next `count` API calls (not the token endpoint) answer with `fault`.
    pub fn inject_faults(&self, count: usize, fault: Fault) {
        let mut store = self.shared.store();
        store.faults.extend(std::iter::repeat_n(fault, count));
    }

    /// Every API call waits `latency` before answering (for timeout tests).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.store().latency = latency;
    }

    /// The token endpoint waits `latency` before answering (for tests of
    /// callers waiting on a shared token refresh).
    pub fn set_token_latency(&self, latency: Duration) {
        self.shared.store().token_latency = latency;
    }

    /// Injects random faults into a share of the API calls from now on
    /// (`None` stops them). See [`Chaos`].
    pub fn set_chaos(&self, chaos: Option<Chaos>) {
        self.shared.store().chaos = chaos.map(chaos::ChaosState::new);
    }

    /// From now on, the API's successful answers depart from the spec in
    /// each of these ways (none: they follow it exactly). See [`Drift`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use pinelabs_sandbox::{Drift, Sandbox};
    ///
    /// let sandbox = Sandbox::start().await?;
    /// sandbox.set_drift(&[Drift::ExtraField, Drift::UnknownEnumValue]);
    /// assert_eq!(sandbox.drift(), [Drift::ExtraField, Drift::UnknownEnumValue]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn set_drift(&self, drifts: &[Drift]) {
        self.shared.store().drift = drifts.iter().copied().collect();
    }

    /// The drifts set, in order.
    pub fn drift(&self) -> Vec<Drift> {
        self.shared.store().drift.iter().copied().collect()
    }

    /// The ledger: every delete that took effect, oldest first. A replayed
    /// `merchant_unique_reference` adds nothing, so a token deleted twice
    /// would appear twice.
    pub fn applied_deletes(&self) -> Vec<AppliedDelete> {
        self.shared.store().ledger.clone()
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.store().log.clone()
    }

    /// Stops the server and waits for it to finish.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until `signal` completes, then stops (for the standalone mode).
    pub async fn serve_until(self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The spec's example of a list answer, seeded with expiries from today.
fn seed(store: &mut Store) {
    let example = pinelabs_api::spec::response_example("list_customer_tokens", 200);
    let list = example.map(serde_json::from_str::<CustomerTokens>);
    let Some(Ok(mut list)) = list else {
        tracing::error!("the spec's list example is missing or does not decode");
        return;
    };
    let now = config::now();
    for token in &mut list.tokens {
        token.expired_at = Some((now + chrono::Duration::days(365)).into());
    }
    let now = pinelabs_api::types::Timestamp::from(now);
    store.customers.insert(
        list.customer_id,
        Customer {
            created_at: list.created_at.unwrap_or_else(|| now.clone()),
            updated_at: list.updated_at.unwrap_or(now),
            tokens: list.tokens,
        },
    );
}
