//! Criterion benchmarks: the `pinelabs` wrapper against a hand-written
//! reqwest + serde client and raw hyper (the floor), side by side on the same
//! in-process loopback server returning the documentation's list body; and
//! decoding a 1,000-token body with the generated types vs plain serde
//! structs. Method and figures: BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::{collections::HashMap, hint::black_box, net::SocketAddr, time::Duration};

use axum::{Router, http::header, routing::get};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client as HyperClient, rt::TokioExecutor};
use pinelabs::types::CustomerTokens;
use serde::Deserialize;

const LIST_200: &str = include_str!("../../pinelabs-api/tests/fixtures/list_tokens_200.json");
const CUSTOMER: &str = "cust-v1-0811030624-aa-RBDgpR";
const TOKEN: &str = "bench-token";
const CONCURRENCY: usize = 64;

// ---- What a team would write without codegen (kept in the bench only). ----

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct PlainList {
    customer_id: String,
    total_tokens: Option<i64>,
    tokens: Vec<PlainToken>,
    created_at: Option<chrono::DateTime<chrono::Utc>>,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct PlainToken {
    token_id: String,
    merchant_token_reference: Option<String>,
    customer_id: Option<String>,
    status: Option<String>,
    payment_method: Option<String>,
    expired_at: Option<chrono::DateTime<chrono::Utc>>,
    created_at: Option<chrono::DateTime<chrono::Utc>>,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
    status_reason: Option<String>,
    merchant_metadata: Option<HashMap<String, String>>,
    card_data: Option<PlainCard>,
    is_compliant: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct PlainCard {
    last4_digit: Option<String>,
    card_type: Option<String>,
    network_name: Option<String>,
    issuer_name: Option<String>,
    card_category: Option<String>,
    country_code: Option<String>,
    international: Option<bool>,
    emi: Option<bool>,
    cvv_required: Option<bool>,
}

struct HandWritten {
    http: reqwest::Client,
    base: String,
}

impl HandWritten {
    async fn list_tokens(&self, customer_id: &str) -> reqwest::Result<PlainList> {
        self.http
            .get(format!(
                "{}/api/v1/customer/{customer_id}/tokens",
                self.base
            ))
            .bearer_auth(TOKEN)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }
}

struct RawHyper {
    http: HyperClient<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>,
    uri: hyper::Uri,
}

impl RawHyper {
    async fn get(&self) -> Bytes {
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

// ---- The shared server. ----

async fn serve() -> SocketAddr {
    let app = Router::new().route(
        "/api/v1/customer/{customer_id}/tokens",
        get(|| async { ([(header::CONTENT_TYPE, "application/json")], LIST_200) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

struct Clients {
    wrapper: pinelabs::Client,
    hand: HandWritten,
    hyper: RawHyper,
}

fn clients(rt: &tokio::runtime::Runtime) -> Clients {
    let addr = rt.block_on(serve());
    let base = format!("http://{addr}");
    Clients {
        wrapper: pinelabs::Client::builder()
            .base_url(&base)
            .access_token(TOKEN)
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

fn latency(c: &mut Criterion) {
    let rt = runtime();
    let cl = clients(&rt);
    let mut group = c.benchmark_group("latency");
    group.bench_function("pinelabs", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(cl.wrapper.list_tokens(CUSTOMER).await.expect("ok")) })
    });
    group.bench_function("hand_written", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(cl.hand.list_tokens(CUSTOMER).await.expect("ok")) })
    });
    group.bench_function("raw_hyper", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(cl.hyper.get().await) })
    });
    group.finish();
}

fn throughput(c: &mut Criterion) {
    let rt = runtime();
    let cl = clients(&rt);
    let mut group = c.benchmark_group("throughput_c64");
    group.throughput(Throughput::Elements(CONCURRENCY as u64));
    group.bench_function("pinelabs", |b| {
        b.to_async(&rt).iter(|| async {
            let calls = (0..CONCURRENCY).map(|_| cl.wrapper.list_tokens(CUSTOMER));
            for r in futures::future::join_all(calls).await {
                black_box(r.expect("ok"));
            }
        })
    });
    group.bench_function("hand_written", |b| {
        b.to_async(&rt).iter(|| async {
            let calls = (0..CONCURRENCY).map(|_| cl.hand.list_tokens(CUSTOMER));
            for r in futures::future::join_all(calls).await {
                black_box(r.expect("ok"));
            }
        })
    });
    group.bench_function("raw_hyper", |b| {
        b.to_async(&rt).iter(|| async {
            let calls = (0..CONCURRENCY).map(|_| cl.hyper.get());
            black_box(futures::future::join_all(calls).await);
        })
    });
    group.finish();
}

/// The documentation's list body with 1,000 tokens.
fn thousand_tokens() -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_str(LIST_200).expect("fixture");
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

fn decode(c: &mut Criterion) {
    let body = thousand_tokens();
    let mut group = c.benchmark_group("decode_1000_tokens");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("generated", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<CustomerTokens>(black_box(&body)).expect("ok"))
        })
    });
    group.bench_function("plain_serde", |b| {
        b.iter(|| black_box(serde_json::from_slice::<PlainList>(black_box(&body)).expect("ok")))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(40)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = latency, throughput, decode
}
criterion_main!(benches);
