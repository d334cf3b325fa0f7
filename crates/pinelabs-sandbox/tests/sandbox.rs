//! The sandbox's documented behaviour, with every response checked against
//! the spec's schemas.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{net::SocketAddr, sync::OnceLock, time::Duration};

use pinelabs_sandbox::{
    Fault, SANDBOX_ACCESS_TOKEN, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SEED_CUSTOMER_ID,
    SEED_TOKEN_ID, Sandbox, SandboxConfig, TokenShape, card_token,
};
use serde_json::{Value, json};
use xtask::schemas::SpecSchemas;

const LIST_ROUTE: &str = "/api/v1/customer/{customer_id}/tokens";
const TOKEN_ROUTE: &str = "/api/auth/v1/token";
const DELETE_ROUTE: &str = "/api/v1/customer/{customer_id}/tokens/{token_id}/delete";

fn schemas() -> &'static SpecSchemas {
    static SCHEMAS: OnceLock<SpecSchemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        // The spec pinelabs-api builds from, found when the test runs.
        let dir = std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo");
        let spec = std::path::Path::new(&dir)
            .join("../pinelabs-api")
            .join(pinelabs_codegen::SPEC_FILE);
        SpecSchemas::new(&pinelabs_codegen::load_json(&spec).expect("spec"))
    })
}

struct Answer {
    status: u16,
    body: Value,
    headers: reqwest::header::HeaderMap,
}

fn enc(id: &str) -> String {
    id.replace('%', "%25")
        .replace('/', "%2F")
        .replace('?', "%3F")
        .replace('#', "%23")
}

/// Calls the sandbox and checks the answer against the spec.
async fn call(
    sandbox: &Sandbox,
    method: &str,
    route: &str,
    ids: &[&str],
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut path = route.to_owned();
    for (placeholder, id) in ["{customer_id}", "{token_id}"].iter().zip(ids) {
        path = path.replace(placeholder, &enc(id));
    }
    let http = reqwest::Client::new();
    let mut request = match method {
        "GET" => http.get(format!("{}{path}", sandbox.base_url())),
        _ => http.post(format!("{}{path}", sandbox.base_url())),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("sandbox answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if let Err(errors) = schemas().validate_response(method, route, status, &body) {
        panic!("{method} {path} -> {status} does not match the spec: {errors:#?}\n{body}");
    }
    Answer {
        status,
        body,
        headers,
    }
}

/// The seeded token is still listed: a refused delete changed nothing.
fn assert_nothing_deleted(sandbox: &Sandbox) {
    let tokens = sandbox
        .tokens_of(SEED_CUSTOMER_ID)
        .expect("seeded customer");
    assert_eq!(tokens.tokens.len(), 1, "nothing deleted");
}

async fn list(sandbox: &Sandbox, customer: &str) -> Answer {
    call(
        sandbox,
        "GET",
        LIST_ROUTE,
        &[customer],
        Some(SANDBOX_ACCESS_TOKEN),
        None,
    )
    .await
}

async fn delete(sandbox: &Sandbox, customer: &str, token: &str, body: Value) -> Answer {
    call(
        sandbox,
        "POST",
        DELETE_ROUTE,
        &[customer, token],
        Some(SANDBOX_ACCESS_TOKEN),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn seeded_list_is_the_documentation_example() {
    let sandbox = Sandbox::start().await.expect("start");
    let answer = list(&sandbox, SEED_CUSTOMER_ID).await;
    assert_eq!(answer.status, 200);
    let expected: Value = serde_json::from_str(
        pinelabs_api::spec::response_example("list_customer_tokens", 200).expect("documented"),
    )
    .expect("example");
    assert_eq!(
        answer.body["tokens"][0]["token_id"],
        expected["tokens"][0]["token_id"]
    );
    assert_eq!(
        answer.body["tokens"][0]["merchant_metadata"],
        expected["tokens"][0]["merchant_metadata"]
    );
    assert_eq!(
        answer.body["tokens"][0]["card_data"],
        expected["tokens"][0]["card_data"]
    );
    assert_eq!(answer.body["total_tokens"], 1);
    // The example's expiry is in the past; the seed's is a year from now.
    let expires = answer.body["tokens"][0]["expired_at"]
        .as_str()
        .expect("expiry");
    let expires = chrono::DateTime::parse_from_rfc3339(expires).expect("rfc 3339");
    assert!(
        expires > chrono::Utc::now() + chrono::Duration::days(300),
        "{expires}"
    );
}

#[tokio::test]
async fn auth_is_required_and_checked() {
    let sandbox = Sandbox::start().await.expect("start");
    for token in [None, Some("wrong-token"), Some("")] {
        let answer = call(
            &sandbox,
            "GET",
            LIST_ROUTE,
            &[SEED_CUSTOMER_ID],
            token,
            None,
        )
        .await;
        assert_eq!(answer.status, 401, "{token:?}");
        assert_eq!(answer.body["code"], "USER_AUTHENTICATION_FAILED");
    }
    let answer = call(
        &sandbox,
        "POST",
        DELETE_ROUTE,
        &[SEED_CUSTOMER_ID, SEED_TOKEN_ID],
        None,
        Some(json!({"merchant_unique_reference": "r"})),
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_nothing_deleted(&sandbox);
}

/// Paused clock: a token is valid just before its 300 ms TTL and refused
/// after it, whatever the machine's load.
#[tokio::test(start_paused = true)]
async fn the_token_endpoint_issues_expiring_tokens_in_each_shape() {
    for shape in [
        TokenShape::ExpiresAt,
        TokenShape::ExpiresIn,
        TokenShape::Wrapped,
    ] {
        let config = SandboxConfig {
            token_ttl: Duration::from_millis(300),
            token_shape: shape,
            ..SandboxConfig::default()
        };
        let sandbox = Sandbox::start_with(config, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("start");
        let http = reqwest::Client::new();
        let answer: Value = http
            .post(format!("{}/api/auth/v1/token", sandbox.base_url()))
            .json(&json!({"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET, "grant_type": "client_credentials"}))
            .send().await.expect("send").json().await.expect("json");
        schemas()
            .validate_response("POST", TOKEN_ROUTE, 200, &answer)
            .expect("a documented token answer");
        let body = if shape == TokenShape::Wrapped {
            &answer["data"]
        } else {
            &answer
        };
        let token = body["access_token"].as_str().expect("a token").to_owned();
        match shape {
            TokenShape::ExpiresIn => assert!(body["expires_in"].is_u64()),
            _ => assert!(
                body["expires_at"]
                    .as_str()
                    .is_some_and(|s| s.len() == "2024-06-28T13:26:06.909140Z".len())
            ),
        }
        let status_with_token = async || {
            let answer = call(
                &sandbox,
                "GET",
                LIST_ROUTE,
                &[SEED_CUSTOMER_ID],
                Some(&token),
                None,
            )
            .await;
            answer.status
        };
        assert_eq!(status_with_token().await, 200);
        tokio::time::advance(Duration::from_millis(299)).await;
        assert_eq!(status_with_token().await, 200, "valid until its TTL");
        tokio::time::advance(Duration::from_millis(2)).await;
        assert_eq!(status_with_token().await, 401, "issued tokens expire");
    }
}

#[tokio::test]
async fn the_token_endpoint_refuses_bad_credentials() {
    let sandbox = Sandbox::start().await.expect("start");
    let http = reqwest::Client::new();
    let url = format!("{}/api/auth/v1/token", sandbox.base_url());
    let wrong = http.post(&url).json(&json!({"client_id": SANDBOX_CLIENT_ID, "client_secret": "nope", "grant_type": "client_credentials"})).send().await.expect("send");
    assert_eq!(wrong.status(), 422, "the documented refusal");
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(body["code"], "INVALID_REQUEST");
    schemas()
        .validate_response("POST", TOKEN_ROUTE, 422, &body)
        .expect("the spec's 422");
    let missing = http
        .post(&url)
        .json(&json!({"client_id": SANDBOX_CLIENT_ID}))
        .send()
        .await
        .expect("send");
    assert_eq!(missing.status(), 422);
    let get = http.get(&url).send().await.expect("send");
    assert_eq!(get.status(), 405);
    let body: Value = get.json().await.expect("a JSON error body");
    schemas()
        .validate_response("POST", TOKEN_ROUTE, 405, &body)
        .expect("the spec's 405");
}

/// Every timestamp the sandbox writes has microseconds (6 decimals), as the
/// documentation writes them: the seed's expiry, a customer added now, and
/// `updated_at` after a delete.
#[tokio::test]
async fn timestamps_have_exactly_six_decimals() {
    let sandbox = Sandbox::start().await.expect("start");
    sandbox.add_customer("cust-new");
    let deleted = delete(
        &sandbox,
        SEED_CUSTOMER_ID,
        SEED_TOKEN_ID,
        json!({"merchant_unique_reference": "ref-six"}),
    )
    .await;
    assert_eq!(deleted.status, 200);
    sandbox.add_token(
        SEED_CUSTOMER_ID,
        pinelabs_sandbox::card_token(SEED_CUSTOMER_ID, "token-new", "4242").expect("token"),
    );
    let mut stamps = Vec::new();
    for customer in [SEED_CUSTOMER_ID, "cust-new"] {
        collect_timestamps(&list(&sandbox, customer).await.body, &mut stamps);
    }
    assert!(stamps.len() >= 7, "{stamps:?}");
    for stamp in stamps {
        let decimals = stamp
            .strip_suffix('Z')
            .and_then(|s| s.rsplit_once('.'))
            .map(|(_, d)| d.len());
        assert_eq!(decimals, Some(6), "{stamp}");
    }
}

/// Every string under a key ending in `_at`.
fn collect_timestamps(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match value.as_str() {
                    Some(s) if key.ends_with("_at") => out.push(s.to_owned()),
                    _ => collect_timestamps(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_timestamps(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn validation_errors_are_400_invalid_request() {
    let sandbox = Sandbox::start().await.expect("start");
    let long = "x".repeat(51);
    let cases: Vec<(Answer, &str)> = vec![
        (list(&sandbox, &long).await, "long customer id"),
        (delete(&sandbox, SEED_CUSTOMER_ID, &long, json!({"merchant_unique_reference": "r"})).await, "long token id"),
        (delete(&sandbox, SEED_CUSTOMER_ID, SEED_TOKEN_ID, json!({})).await, "missing reference"),
        (delete(&sandbox, SEED_CUSTOMER_ID, SEED_TOKEN_ID, json!({"merchant_unique_reference": ""})).await, "empty reference"),
        (delete(&sandbox, SEED_CUSTOMER_ID, SEED_TOKEN_ID, json!({"merchant_unique_reference": "r".repeat(51)})).await, "long reference"),
        (delete(&sandbox, SEED_CUSTOMER_ID, SEED_TOKEN_ID, json!({"merchant_unique_reference": 5})).await, "bad type"),
        (delete(&sandbox, SEED_CUSTOMER_ID, SEED_TOKEN_ID, json!({"merchant_unique_reference": "r", "extra": 1})).await, "unknown field"),
        (
            delete(&sandbox, SEED_CUSTOMER_ID, SEED_TOKEN_ID, json!({
                "merchant_unique_reference": "r",
                "merchant_metadata": (0..11).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()
            })).await,
            "11 metadata pairs",
        ),
        (delete(&sandbox, SEED_CUSTOMER_ID, SEED_TOKEN_ID, json!({"merchant_unique_reference": "r", "merchant_metadata": {"k": "v".repeat(257)}})).await, "long metadata value"),
    ];
    for (answer, case) in cases {
        assert_eq!(answer.status, 400, "{case}: {}", answer.body);
        assert_eq!(answer.body["code"], "INVALID_REQUEST", "{case}");
    }
    let not_json = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/customer/{SEED_CUSTOMER_ID}/tokens/{SEED_TOKEN_ID}/delete",
            sandbox.base_url()
        ))
        .bearer_auth(SANDBOX_ACCESS_TOKEN)
        .body("merchant_unique_reference=r")
        .send()
        .await
        .expect("send");
    assert_eq!(not_json.status(), 400);
    assert_nothing_deleted(&sandbox);
}

#[tokio::test]
async fn unknown_customer_or_token_is_404() {
    let sandbox = Sandbox::start().await.expect("start");
    let answer = list(&sandbox, "cust-unknown").await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (404, Some("CUSTOMER_NOT_FOUND"))
    );
    let answer = delete(
        &sandbox,
        "cust-unknown",
        SEED_TOKEN_ID,
        json!({"merchant_unique_reference": "r1"}),
    )
    .await;
    assert_eq!(answer.status, 404);
    let answer = delete(
        &sandbox,
        SEED_CUSTOMER_ID,
        "token-unknown",
        json!({"merchant_unique_reference": "r2"}),
    )
    .await;
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (404, Some("TOKEN_NOT_FOUND"))
    );
}

#[tokio::test]
async fn delete_removes_the_token_and_a_replay_returns_the_same_answer() {
    let sandbox = Sandbox::start().await.expect("start");
    let body = json!({"merchant_unique_reference": "del-ref-001", "merchant_metadata": {"tid": "9000990"}});
    let first = delete(&sandbox, SEED_CUSTOMER_ID, SEED_TOKEN_ID, body.clone()).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["status"], "DELETED");
    assert_eq!(first.body["token_id"], SEED_TOKEN_ID);
    assert_eq!(first.body["merchant_unique_reference"], "del-ref-001");

    let after = list(&sandbox, SEED_CUSTOMER_ID).await;
    assert_eq!(after.body["tokens"], json!([]));
    assert_eq!(after.body["total_tokens"], 0);

    let replay = delete(&sandbox, SEED_CUSTOMER_ID, SEED_TOKEN_ID, body).await;
    assert_eq!(
        (replay.status, &replay.body),
        (200, &first.body),
        "a replay gets the first answer"
    );

    let fresh_reference = delete(
        &sandbox,
        SEED_CUSTOMER_ID,
        SEED_TOKEN_ID,
        json!({"merchant_unique_reference": "del-ref-002"}),
    )
    .await;
    assert_eq!(
        fresh_reference.status, 404,
        "a new delete of a deleted token finds nothing"
    );
}

#[tokio::test]
async fn ids_with_reserved_characters_work_end_to_end() {
    let sandbox = Sandbox::start().await.expect("start");
    let customer = "cust/with?odd#chars%é";
    sandbox.add_token(
        customer,
        card_token(customer, "tok/1", "4242").expect("token"),
    );
    let answer = list(&sandbox, customer).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["tokens"][0]["token_id"], "tok/1");
    let answer = delete(
        &sandbox,
        customer,
        "tok/1",
        json!({"merchant_unique_reference": "r"}),
    )
    .await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn injected_faults_answer_then_clear() {
    let sandbox = Sandbox::start().await.expect("start");
    sandbox.inject_faults(2, Fault::status(503).retry_after(7));
    sandbox.inject_faults(1, Fault::status(429));
    let first = list(&sandbox, SEED_CUSTOMER_ID).await;
    assert_eq!(first.status, 503);
    assert_eq!(
        first
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("7")
    );
    assert_eq!(list(&sandbox, SEED_CUSTOMER_ID).await.status, 503);
    assert_eq!(list(&sandbox, SEED_CUSTOMER_ID).await.status, 429);
    assert_eq!(list(&sandbox, SEED_CUSTOMER_ID).await.status, 200);

    sandbox.inject_faults(1, Fault::status(503).html());
    let http = reqwest::Client::new();
    let html = http
        .get(format!(
            "{}/api/v1/customer/{SEED_CUSTOMER_ID}/tokens",
            sandbox.base_url()
        ))
        .bearer_auth(SANDBOX_ACCESS_TOKEN)
        .send()
        .await
        .expect("send");
    assert_eq!(html.status(), 503);
    assert!(html.text().await.expect("text").contains("<html>"));
}

#[tokio::test]
async fn the_request_log_records_every_call_without_secrets() {
    let sandbox = Sandbox::start().await.expect("start");
    let http = reqwest::Client::new();
    http.get(format!(
        "{}/api/v1/customer/{SEED_CUSTOMER_ID}/tokens",
        sandbox.base_url()
    ))
    .bearer_auth(SANDBOX_ACCESS_TOKEN)
    .header("Request-ID", "req-42")
    .send()
    .await
    .expect("send");
    list(&sandbox, "nobody").await;
    let log = sandbox.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].request_id.as_deref(), Some("req-42"));
    assert_eq!((log[0].method.as_str(), log[0].status), ("GET", 200));
    assert_eq!(log[1].status, 404);
}

#[tokio::test]
async fn latency_delays_answers() {
    let sandbox = Sandbox::start().await.expect("start");
    sandbox.set_latency(Duration::from_millis(300));
    let started = std::time::Instant::now();
    assert_eq!(list(&sandbox, SEED_CUSTOMER_ID).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}
