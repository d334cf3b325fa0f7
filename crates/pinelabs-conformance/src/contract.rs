//! `cargo xtask contract`: the client and the sandbox against Stoplight Prism,
//! an independent implementation of the spec.
//!
//! 1. **Prism mock, static**: Prism answers with the spec's examples. The
//!    wrapper lists and deletes, and every documented error status (asked for
//!    with `Prefer: code=N`) becomes the right `Error::Api`.
//! 2. **Prism mock, dynamic** (`-d --seed`): Prism invents bodies from the
//!    schemas; the wrapper must decode every one.
//! 3. **Prism proxy** (`prism proxy --errors`) between the wrapper and the
//!    sandbox: every request the client sends and every response the sandbox
//!    gives is validated against the spec; a violation turns into an error
//!    status, and the flows below check exactly which status they expect.
//!    Prism's log is also scanned for violations.
//!
//! Servers listen on free loopback ports, are killed when done, and every
//! wait is bounded.

use std::{process::Command, time::Duration};

use anyhow::{Context, bail, ensure};
use pinelabs::{Client, DeleteToken, Error, RetryPolicy, prelude::*};
use pinelabs_api::spec;
use pinelabs_sandbox::{
    Fault, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SEED_CUSTOMER_ID, SEED_TOKEN_ID, Sandbox,
};

use crate::{
    root,
    server::{Server, free_port},
    tools,
};
/// How long the whole contract run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

/// Starts Prism with `args` on a free loopback port.
fn start_prism(args: &[&str], name: &str) -> anyhow::Result<Server> {
    let port = free_port()?;
    let mut command = Command::new(tools::npm_bin("prism")?);
    command
        .args(args)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .current_dir(root());
    Server::spawn(command, port, &format!("prism-{name}"))
}

fn make_client(
    base_url: &str,
    token: &str,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
) -> anyhow::Result<Client> {
    let mut builder = Client::builder()
        .base_url(base_url)
        .access_token(token)
        .retry_policy(retry)
        .timeouts(pinelabs::Timeouts::default().total(Duration::from_secs(20)));
    if let Some(http) = http {
        builder = builder.http_client(http);
    }
    Ok(builder.build()?)
}

/// A client with client credentials: every call first exchanges them at
/// the token endpoint (`generate_token`).
fn credentials_client(
    base_url: &str,
    secret: &str,
    http: Option<reqwest::Client>,
) -> anyhow::Result<Client> {
    let mut builder = Client::builder()
        .base_url(base_url)
        .client_credentials(SANDBOX_CLIENT_ID, secret)
        .retry_policy(RetryPolicy::default().max_attempts(1))
        .timeouts(pinelabs::Timeouts::default().total(Duration::from_secs(20)));
    if let Some(http) = http {
        builder = builder.http_client(http);
    }
    Ok(builder.build()?)
}

/// The token exchange against Prism's examples: a token is had and used,
/// and each documented error of the token endpoint is the right failure
/// (4xx: the credentials were refused; 5xx: no token for now).
async fn mock_token_exchange(prism: &Server) -> anyhow::Result<()> {
    let client = credentials_client(&prism.url(), "contract-secret", None)?;
    client
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .context("a list with a token from Prism's token example")?;
    let errors = error_table("generate_token");
    ensure!(
        errors.len() == 3,
        "the token endpoint documents 405, 422, 500"
    );
    for (status, _) in &errors {
        let asking =
            credentials_client(&prism.url(), "contract-secret", Some(prefer_code(*status)?))?;
        match asking.list_tokens(SEED_CUSTOMER_ID).await {
            Err(Error::Auth {
                status: Some(s), ..
            }) if s == *status && *status < 500 => {}
            Err(Error::TokenUnavailable {
                status: Some(s), ..
            }) if s == *status && *status >= 500 => {}
            other => bail!(
                "the token endpoint's {status} should refuse or fail the token, got {other:?}"
            ),
        }
    }
    Ok(())
}

/// The documented error table of `operation_id`: every 4xx and 5xx status
/// with the `code` of its example body (empty when the example has none).
pub fn error_table(operation_id: &str) -> Vec<(u16, String)> {
    spec::documented_errors(operation_id)
        .map(|(status, body)| {
            let code = serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v.get("code")?.as_str().map(str::to_owned))
                .unwrap_or_default();
            (status, code)
        })
        .collect()
}

/// A reqwest client that asks Prism for a given status.
fn prefer_code(code: u16) -> anyhow::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "prefer",
        reqwest::header::HeaderValue::try_from(format!("code={code}"))?,
    );
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .build()?)
}

/// Checks that `result` is the documented error `status` / `code`.
fn expect_api_error(result: Result<(), Error>, status: u16, code: &str) -> anyhow::Result<()> {
    match result {
        Err(Error::Api {
            status: got,
            code: Some(got_code),
            ..
        }) if got == status && got_code == code => Ok(()),
        other => bail!("Prism's {status} example should be Error::Api {code}, got {other:?}"),
    }
}

async fn mock_static(prism: &Server) -> anyhow::Result<()> {
    let client = make_client(
        &prism.url(),
        "contract-token",
        RetryPolicy::default().max_attempts(1),
        None,
    )?;
    let list = client.list_tokens(SEED_CUSTOMER_ID).await?;
    ensure!(
        list.find(SEED_TOKEN_ID).is_some(),
        "the example token is listed"
    );
    ensure!(list.total_tokens == Some(1));
    let deleted = client
        .delete_token(
            SEED_CUSTOMER_ID,
            SEED_TOKEN_ID,
            &DeleteToken::new("del-ref-001").metadata("tid", "9000990"),
        )
        .await?;
    ensure!(
        deleted.is_deleted(),
        "the example delete answer says DELETED"
    );

    // A client whose requests ask Prism for the documented `status`.
    let asking = |status: u16| -> anyhow::Result<Client> {
        let prefer = Some(prefer_code(status)?);
        make_client(
            &prism.url(),
            "contract-token",
            RetryPolicy::default().max_attempts(1),
            prefer,
        )
    };
    let list_errors = error_table("list_customer_tokens");
    for (status, code) in &list_errors {
        let result = asking(*status)?.list_tokens(SEED_CUSTOMER_ID).await;
        expect_api_error(result.map(drop), *status, code)?;
    }
    let delete_errors = error_table("delete_customer_token");
    let delete = DeleteToken::new("r");
    for (status, code) in &delete_errors {
        let client = asking(*status)?;
        let result = client
            .delete_token(SEED_CUSTOMER_ID, SEED_TOKEN_ID, &delete)
            .await;
        expect_api_error(result.map(drop), *status, code)?;
    }
    mock_token_exchange(prism).await?;
    prism.assert_no_violations()?;
    println!(
        "contract: mock (examples): token exchange, list, delete and {} documented errors OK",
        list_errors.len() + delete_errors.len() + 3
    );
    Ok(())
}

async fn mock_dynamic(prism: &Server) -> anyhow::Result<()> {
    let client = make_client(
        &prism.url(),
        "contract-token",
        RetryPolicy::default().max_attempts(1),
        None,
    )?;
    const CALLS: usize = 25;
    for i in 0..CALLS {
        client
            .list_tokens(&format!("cust-{i}"))
            .await
            .with_context(|| format!("dynamic list #{i} did not decode"))?;
        client
            .delete_token(
                &format!("cust-{i}"),
                &format!("tok-{i}"),
                &DeleteToken::new(format!("ref-{i}")),
            )
            .await
            .with_context(|| format!("dynamic delete #{i} did not decode"))?;
        // The token operation itself, through the wrapper's middleware
        // (which sends no bearer on it): every invented answer decodes.
        let body = pinelabs::types::TokenRequest::builder()
            .client_id(format!("client-{i}"))
            .client_secret("contract-secret")
            .grant_type(pinelabs::types::GrantType::ClientCredentials);
        client
            .call(client.api().generate_token().body(body).send())
            .await
            .with_context(|| format!("dynamic token answer #{i} did not decode"))?;
    }
    prism.assert_no_violations()?;
    println!(
        "contract: mock (dynamic, seeded): {CALLS} token answers, lists and deletes each decoded"
    );
    Ok(())
}

fn expect_status<T: std::fmt::Debug>(
    result: pinelabs::Result<T>,
    status: u16,
    what: &str,
) -> anyhow::Result<()> {
    match result {
        Err(e) if e.status() == Some(status) => Ok(()),
        other => bail!("{what}: expected status {status}, got {other:?}"),
    }
}

async fn proxy(prism: &Server, sandbox: &Sandbox) -> anyhow::Result<()> {
    let fast = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20));
    let client = make_client(&prism.url(), sandbox.access_token(), fast, None)?;

    let before = client
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .context("list through the proxy")?;
    ensure!(before.find(SEED_TOKEN_ID).is_some());
    let delete = DeleteToken::new("contract-del-1").metadata("reason", "contract test");
    let deleted = client
        .delete_token(SEED_CUSTOMER_ID, SEED_TOKEN_ID, &delete)
        .await
        .context("delete")?;
    ensure!(deleted.is_deleted());
    let after = client
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .context("list after delete")?;
    ensure!(after.tokens.is_empty(), "the deleted token is gone");
    let replay = client
        .delete_token(SEED_CUSTOMER_ID, SEED_TOKEN_ID, &delete)
        .await
        .context("replay")?;
    ensure!(replay == deleted, "a replay gets the same answer");

    expect_status(
        client.list_tokens("cust-nobody").await,
        404,
        "unknown customer",
    )?;
    expect_status(
        client
            .delete_token(
                SEED_CUSTOMER_ID,
                "token-nobody",
                &DeleteToken::new("contract-del-2"),
            )
            .await,
        404,
        "unknown token",
    )?;
    let wrong = make_client(
        &prism.url(),
        "wrong-token",
        RetryPolicy::default().max_attempts(1),
        None,
    )?;
    expect_status(
        wrong.list_tokens(SEED_CUSTOMER_ID).await,
        401,
        "wrong token",
    )?;

    sandbox.inject_faults(1, Fault::status(503).retry_after(0));
    client
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .context("503 then retried")?;
    sandbox.inject_faults(1, Fault::status(429).retry_after(0));
    client
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .context("429 then retried")?;
    sandbox.inject_faults(1, Fault::status(500));
    expect_status(
        client
            .delete_token(
                SEED_CUSTOMER_ID,
                SEED_TOKEN_ID,
                &DeleteToken::new("contract-del-3"),
            )
            .await,
        500,
        "delete not retried on 500",
    )?;

    proxy_token_exchange(prism).await?;
    prism.assert_no_violations()?;

    // Self-check: the proxy really validates. An HTML body is not in the
    // spec, so Prism must flag it instead of passing it through.
    sandbox.inject_faults(1, Fault::status(503).html());
    let flagged = make_client(
        &prism.url(),
        sandbox.access_token(),
        RetryPolicy::default().max_attempts(1),
        None,
    )?
    .list_tokens(SEED_CUSTOMER_ID)
    .await;
    match flagged {
        Err(Error::Api {
            status: 500,
            excerpt: Some(body),
            ..
        }) if body.contains("VIOLATIONS") => {}
        other => bail!("the proxy should have flagged an HTML body as a violation, got {other:?}"),
    }
    let logged = async {
        while prism.assert_no_violations().is_ok() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), logged)
        .await
        .context("Prism's log should show the violation")?;
    println!("contract: proxy (--errors) client <-> sandbox: every request and response conforms");
    Ok(())
}

/// The token exchange through the proxy: the request the client sends and
/// the sandbox's answers (a token; the documented 422 for a wrong secret)
/// are validated by Prism.
async fn proxy_token_exchange(prism: &Server) -> anyhow::Result<()> {
    let client = credentials_client(&prism.url(), SANDBOX_CLIENT_SECRET, None)?;
    let list = client
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .context("a list with a token from the sandbox, through the proxy")?;
    ensure!(list.customer_id == SEED_CUSTOMER_ID);
    let wrong = credentials_client(&prism.url(), "not-the-secret", None)?;
    match wrong.list_tokens(SEED_CUSTOMER_ID).await {
        Err(Error::Auth {
            status: Some(422), ..
        }) => Ok(()),
        other => bail!("a wrong secret should be refused with 422, got {other:?}"),
    }
}

/// Runs the three contract suites.
pub fn run() -> anyhow::Result<()> {
    let spec = crate::spec_path();
    let spec = spec.to_string_lossy().into_owned();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        tokio::time::timeout(RUN_TIMEOUT, async {
            {
                let prism = start_prism(&["mock", &spec], "mock")?;
                mock_static(&prism).await?;
            }
            {
                let prism = start_prism(
                    &["mock", &spec, "--dynamic", "--seed", "20261121"],
                    "dynamic",
                )?;
                mock_dynamic(&prism).await?;
            }
            let sandbox = Sandbox::start().await?;
            let prism = start_prism(&["proxy", &spec, &sandbox.base_url(), "--errors"], "proxy")?;
            proxy(&prism, &sandbox).await?;
            drop(prism);
            sandbox.shutdown().await;
            anyhow::Ok(())
        })
        .await
        .map_err(|_| anyhow::anyhow!("the contract run took longer than {RUN_TIMEOUT:?}"))?
    })
}
