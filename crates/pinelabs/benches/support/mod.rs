//! What the benchmarks (and `examples/profile_calls.rs`) share: the loopback
//! server, the hand-written reqwest + serde client a team would write without
//! codegen (kept here only), plain serde structs, and raw hyper.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use axum::{Router, http::header, routing::get};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client as HyperClient, rt::TokioExecutor};
use serde::Deserialize;

/// The spec's documented answer to the list.
pub fn list_200() -> &'static str {
    pinelabs_api::spec::response_example("list_customer_tokens", 200).expect("documented")
}
pub const CUSTOMER: &str = "cust-v1-0811030624-aa-RBDgpR";
pub const TOKEN: &str = "bench-token";

#[derive(Debug, Deserialize)]
pub struct PlainList {
    pub customer_id: String,
    pub total_tokens: Option<i64>,
    pub tokens: Vec<PlainToken>,
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Deserialize)]
pub struct PlainToken {
    pub token_id: String,
    pub merchant_token_reference: Option<String>,
    pub customer_id: Option<String>,
    pub status: Option<String>,
    pub payment_method: Option<String>,
    pub expired_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub status_reason: Option<String>,
    pub merchant_metadata: Option<HashMap<String, String>>,
    pub card_data: Option<PlainCard>,
    pub is_compliant: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct PlainCard {
    pub last4_digit: Option<String>,
    pub card_type: Option<String>,
    pub network_name: Option<String>,
    pub issuer_name: Option<String>,
    pub card_category: Option<String>,
    pub country_code: Option<String>,
    pub international: Option<bool>,
    pub emi: Option<bool>,
    pub cvv_required: Option<bool>,
}

/// The hand-written client. `list_tokens` sends the same request as the
/// wrapper (bearer token, `Accept`, `Request-ID`, `Request-Timestamp`,
/// `User-Agent`, a timeout), so the comparison is of client code paths, not
/// of different traffic. `list_tokens_bare` is the minimal version.
pub struct HandWritten {
    pub http: reqwest::Client,
    pub base: String,
}

impl HandWritten {
    pub async fn list_tokens(&self, customer_id: &str) -> reqwest::Result<PlainList> {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.http
            .get(format!(
                "{}/api/v1/customer/{customer_id}/tokens",
                self.base
            ))
            .bearer_auth(TOKEN)
            .header(reqwest::header::ACCEPT, "application/json")
            .header("Request-ID", uuid::Uuid::new_v4().to_string())
            .header("Request-Timestamp", now)
            .header(reqwest::header::USER_AGENT, "hand-written/1.0")
            .timeout(Duration::from_secs(10))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }

    pub async fn list_tokens_bare(&self, customer_id: &str) -> reqwest::Result<PlainList> {
        self.http
            .get(format!(
                "{}/api/v1/customer/{customer_id}/tokens",
                self.base
            ))
            .bearer_auth(TOKEN)
            .send()
            .await?
            .json()
            .await
    }
}

/// The floor: hyper's pooled client, no decoding.
pub struct RawHyper {
    pub http: HyperClient<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>,
    pub uri: hyper::Uri,
}

impl RawHyper {
    pub async fn get(&self) -> Bytes {
        let request = hyper::Request::get(self.uri.clone())
            .header(hyper::header::AUTHORIZATION, "Bearer bench-token")
            .body(Empty::new())
            .expect("request");
        let response = self.http.request(request).await.expect("response");
        response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
    }
}

/// The loopback server: the documentation's list body for any customer.
pub async fn serve() -> SocketAddr {
    let app = Router::new().route(
        "/api/v1/customer/{customer_id}/tokens",
        get(|| async { ([(header::CONTENT_TYPE, "application/json")], list_200()) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// One thread for client and server: the figures are CPU cost per request,
/// free of cross-core scheduling noise on the 2-core machine.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

pub struct Clients {
    pub wrapper: pinelabs::Client,
    pub hand: HandWritten,
    pub hyper: RawHyper,
}

/// Starts the server on `rt` and builds the three clients against it.
pub fn clients(rt: &tokio::runtime::Runtime) -> Clients {
    let addr = rt.block_on(serve());
    let base = format!("http://{addr}");
    Clients {
        wrapper: pinelabs::Client::builder()
            .base_url(&base)
            .access_token(TOKEN)
            // `PROFILE_DRIFT=off` measures the cost of drift detection.
            .drift_detection(match std::env::var("PROFILE_DRIFT").as_deref() {
                Ok("off") => pinelabs::DriftDetection::Off,
                _ => pinelabs::DriftDetection::OnSurprise,
            })
            .build()
            .expect("wrapper"),
        hand: HandWritten {
            http: reqwest::Client::new(),
            base: base.clone(),
        },
        hyper: RawHyper {
            http: HyperClient::builder(TokioExecutor::new()).build_http(),
            uri: format!("{base}/api/v1/customer/{CUSTOMER}/tokens")
                .parse()
                .expect("uri"),
        },
    }
}

/// The documentation's list body with 1,000 tokens.
pub fn thousand_tokens() -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_str(list_200()).expect("fixture");
    let token = doc["tokens"][0].clone();
    let tokens: Vec<_> = (0..1000)
        .map(|i| {
            let mut t = token.clone();
            t["token_id"] = format!("token-v1-{i:010}-aa-ABCDEF").into();
            t
        })
        .collect();
    doc["tokens"] = tokens.into();
    doc["total_tokens"] = 1000.into();
    serde_json::to_vec(&doc).expect("json")
}

/// Decodes a list answer as the client does with drift detection on: the
/// decode, with its notes taken before and after, and the full check only
/// when the decode noted a surprise or the spec says so.
pub fn decode_detecting(body: &[u8]) -> (pinelabs::types::CustomerTokens, usize) {
    use pinelabs_api::drift;
    let op = pinelabs::spec::operation("list_customer_tokens").expect("operation");
    drift::take();
    let list = serde_json::from_slice(body).expect("decodes");
    let findings = if drift::take() > 0 || drift::must_check(op, 200) {
        drift::check(op.operation_id, 200, body).len()
    } else {
        0
    };
    (list, findings)
}
