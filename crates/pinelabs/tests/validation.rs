//! Every input rule is enforced before a byte is sent, and ids always land
//! in exactly one path segment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use pinelabs::{DeleteToken, Error};
use proptest::prelude::*;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

async fn server_that_counts() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(list_200(), "application/json"))
        .mount(&server)
        .await;
    server
}

fn expect_invalid(result: Result<impl std::fmt::Debug, Error>, field: &str, rule_part: &str) {
    match result {
        Err(Error::InvalidInput {
            field: got, rule, ..
        }) => {
            assert_eq!(got, field);
            assert!(
                rule.contains(rule_part),
                "rule `{rule}` should mention `{rule_part}`"
            );
        }
        other => panic!("expected InvalidInput on {field}, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_inputs_are_refused_and_nothing_is_sent() {
    let server = server_that_counts().await;
    let client = client(&server);
    // Far past any documented limit; the limits themselves are the spec's
    // (checked against it in pinelabs-api's tests/spec.rs).
    let long = "x".repeat(1000);
    let ok = DeleteToken::new("ref");

    expect_invalid(client.list_tokens("").await, "customer_id", "empty");
    expect_invalid(
        client.list_tokens(&long).await,
        "customer_id",
        "longer than",
    );
    expect_invalid(
        client.list_tokens("cust\n1").await,
        "customer_id",
        "control",
    );
    expect_invalid(client.list_tokens("..").await, "customer_id", "`..`");
    expect_invalid(
        client.delete_token(CUSTOMER, "", &ok).await,
        "token_id",
        "empty",
    );
    expect_invalid(
        client.delete_token(CUSTOMER, &long, &ok).await,
        "token_id",
        "longer than",
    );
    expect_invalid(
        client.delete_token(CUSTOMER, "t\u{0}", &ok).await,
        "token_id",
        "control",
    );
    expect_invalid(
        client.delete_token(&long, TOKEN, &ok).await,
        "customer_id",
        "longer than",
    );
    expect_invalid(
        client
            .delete_token(CUSTOMER, TOKEN, &DeleteToken::new(""))
            .await,
        "merchant_unique_reference",
        "empty",
    );
    expect_invalid(
        client
            .delete_token(CUSTOMER, TOKEN, &DeleteToken::new(long.clone()))
            .await,
        "merchant_unique_reference",
        "longer than",
    );
    let max = pinelabs::spec::max_properties("DeleteTokenRequest", "merchant_metadata")
        .expect("the spec limits the pairs");
    let too_many = (0..=max).fold(DeleteToken::new("ref"), |d, i| {
        d.metadata(format!("k{i}"), "v")
    });
    expect_invalid(
        client.delete_token(CUSTOMER, TOKEN, &too_many).await,
        "merchant_metadata",
        &format!("at most {max} pairs"),
    );
    let long_value = DeleteToken::new("ref").metadata("k", long.clone());
    expect_invalid(
        client.delete_token(CUSTOMER, TOKEN, &long_value).await,
        "merchant_metadata",
        "the value of `k` is 1000 characters, longer than",
    );
    let long_key = DeleteToken::new("ref").metadata(long.clone(), "v");
    expect_invalid(
        client.delete_token(CUSTOMER, TOKEN, &long_key).await,
        "merchant_metadata",
        "key `xxxxxxxxxxxxxxxxxxxx…` is 1000 characters, longer than",
    );

    assert_eq!(
        requests(&server).await.len(),
        0,
        "the server received nothing"
    );
}

#[tokio::test]
async fn limits_are_inclusive() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(delete_200(), "application/json"))
        .mount(&server)
        .await;
    let max = pinelabs::spec::max_properties("DeleteTokenRequest", "merchant_metadata")
        .expect("the spec limits the pairs");
    let ten = (0..max).fold(DeleteToken::new("r".repeat(50)), |d, i| {
        d.metadata(format!("{i}{}", "k".repeat(255)), "v".repeat(256))
    });
    client(&server)
        .delete_token(&"c".repeat(50), &"é".repeat(50), &ten)
        .await
        .expect("every limit reached but none exceeded");
    assert_eq!(requests(&server).await.len(), 1);
}

#[test]
fn an_http_base_url_is_refused_unless_loopback() {
    let err = pinelabs::Client::builder()
        .base_url("http://pluraluat.v2.pinepg.in")
        .access_token("t")
        .build()
        .expect_err("clear-text token");
    expect_invalid(Err::<(), _>(err), "base_url", "clear text");
    assert!(
        pinelabs::Client::builder()
            .base_url("http://127.0.0.1:9")
            .access_token("t")
            .build()
            .is_ok()
    );
    expect_invalid(
        pinelabs::Client::builder().build().map(|_| ()),
        "credentials",
        "none given",
    );
}

/// Any valid id: 1 to 50 non-control characters, not `.`/`..`, no `\`.
fn valid_id() -> impl Strategy<Value = String> {
    prop_oneof![
        // Mostly the characters that matter for URLs, plus ASCII and unicode.
        proptest::collection::vec(
            prop_oneof![
                Just('/'),
                Just('?'),
                Just('#'),
                Just('%'),
                Just('.'),
                Just(' '),
                Just('+'),
                Just('&'),
                Just('='),
                Just(';'),
                Just('@'),
                Just(':'),
                Just('é'),
                Just('日'),
                Just('🙂'),
                Just('\u{200b}'),
                proptest::char::range('a', 'z'),
                proptest::prelude::any::<char>(),
            ],
            1..=50,
        )
        .prop_map(|chars| chars.into_iter().collect::<String>()),
        Just("..a".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("...".to_owned()),
    ]
    .prop_filter("valid ids only", |s| {
        s != "." && s != ".." && !s.contains('\\') && !s.chars().any(char::is_control)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn any_valid_id_is_one_path_segment_that_round_trips(customer_id in valid_id(), token_id in valid_id()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let server = MockServer::start().await;
            Mock::given(any())
                .respond_with(ResponseTemplate::new(200).set_body_raw(delete_200(), "application/json"))
                .mount(&server)
                .await;
            client(&server)
                .delete_token(&customer_id, &token_id, &DeleteToken::new("ref"))
                .await
                .expect("valid ids are sent");
            let sent = requests(&server).await;
            let segments: Vec<&str> = sent[0].url.path_segments().expect("path").collect();
            // api, v1, customer, {customer_id}, tokens, {token_id}, delete
            assert_eq!(segments.len(), 7, "{segments:?}");
            assert_eq!(&segments[..3], ["api", "v1", "customer"]);
            assert_eq!(segments[4], "tokens");
            assert_eq!(segments[6], "delete");
            let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().expect("utf8").into_owned();
            assert_eq!(decode(segments[3]), customer_id);
            assert_eq!(decode(segments[5]), token_id);
        });
    }
}
