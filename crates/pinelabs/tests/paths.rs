//! Every path into the API is the same pipeline: a typed call,
//! `client.call(api()...)` and a bare `client.api()...send()` each get the
//! 401 refresh and the drift monitor, exactly alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use common::*;
use pinelabs::{Client, drift::DriftKind};
use serde_json::json;
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{header, method, path},
};

/// The three ways to list a customer's tokens.
#[derive(Debug, Clone, Copy)]
enum Path {
    Typed,
    Call,
    Bare,
}

const PATHS: [Path; 3] = [Path::Typed, Path::Call, Path::Bare];

async fn list(client: &Client, path: Path) -> pinelabs::Result<usize> {
    let tokens = match path {
        Path::Typed => client.list_tokens(CUSTOMER).await?,
        Path::Call => {
            let request = client.api().list_customer_tokens().customer_id(CUSTOMER);
            client.call(request.send()).await?
        }
        Path::Bare => client
            .api()
            .list_customer_tokens()
            .customer_id(CUSTOMER)
            .send()
            .await?
            .into_inner(),
    };
    Ok(tokens.tokens.len())
}

/// Hands out `tok-1`, `tok-2`, ...
struct Tokens(Arc<AtomicUsize>);

impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200)
            .set_body_json(json!({"access_token": format!("tok-{n}"), "expires_in": 3600}))
    }
}

/// A client-credentials client whose first token is refused with a `401`
/// fetches a second one and succeeds, on every path.
#[tokio::test]
async fn the_401_refresh_is_on_every_path() {
    for way in PATHS {
        let server = MockServer::start().await;
        let issued = Arc::new(AtomicUsize::new(0));
        Mock::given(method("POST"))
            .and(path(token_path()))
            .respond_with(Tokens(issued.clone()))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(LIST_PATH))
            .and(header("authorization", "Bearer tok-1"))
            .respond_with(ResponseTemplate::new(401).set_body_json(error_body("UNAUTHORIZED")))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(LIST_PATH))
            .and(header("authorization", "Bearer tok-2"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(list_200(), "application/json"))
            .mount(&server)
            .await;
        let client = Client::builder()
            .base_url(server.uri())
            .client_credentials("id", "secret")
            .retry_policy(fast_retries())
            .build()
            .expect("config");
        let listed = list(&client, way).await;
        assert_eq!(listed.as_ref().ok(), Some(&1), "{way:?}: {listed:?}");
        assert_eq!(
            issued.load(Ordering::SeqCst),
            2,
            "{way:?}: two token requests"
        );
        let lists = requests(&server).await;
        let lists = lists.iter().filter(|r| r.url.path() == LIST_PATH).count();
        assert_eq!(lists, 2, "{way:?}: refused once, resent once");
    }
}

/// An answer with a field the spec does not have shows up in
/// `client.spec_drift()`, on every path.
#[tokio::test]
async fn the_drift_monitor_is_on_every_path() {
    let mut answer: serde_json::Value = serde_json::from_str(list_200()).expect("fixture");
    answer["tokens"][0]["tokenised_by"] = json!("network");
    for way in PATHS {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&answer))
            .mount(&server)
            .await;
        let client = client(&server);
        assert_eq!(list(&client, way).await.ok(), Some(1), "{way:?}");
        let seen: Vec<_> = client
            .spec_drift()
            .into_iter()
            .map(|r| (r.finding.kind, r.finding.path, r.count))
            .collect();
        assert_eq!(
            seen,
            [(
                DriftKind::UnknownField,
                "tokens[].tokenised_by".to_owned(),
                1
            )],
            "{way:?}"
        );
    }
}

/// A success body that does not decode is reported too: by the call's own
/// mapping, and for a bare call when its error is converted.
#[tokio::test]
async fn an_undecodable_answer_is_reported_on_every_path() {
    for way in PATHS {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"customer_id": "c", "tokens": "none"})),
            )
            .mount(&server)
            .await;
        let client = client(&server);
        let err = list(&client, way).await.expect_err("does not decode");
        assert!(
            matches!(err, pinelabs::Error::Decode { .. }),
            "{way:?}: {err:?}"
        );
        let kinds: Vec<_> = client
            .spec_drift()
            .into_iter()
            .map(|r| r.finding.kind)
            .collect();
        assert_eq!(kinds, [DriftKind::Undecodable], "{way:?}");
    }
}
