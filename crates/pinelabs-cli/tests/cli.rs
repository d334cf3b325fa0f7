//! End-to-end tests of the `pinelabs` binary against the sandbox (loopback only).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    io::{BufRead, BufReader},
    process::{Output, Stdio},
    time::Duration,
};

use assert_cmd::cargo::CommandCargoExt;
use pinelabs_sandbox::{
    Drift, SANDBOX_ACCESS_TOKEN, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SEED_CUSTOMER_ID,
    SEED_TOKEN_ID, Sandbox,
};

const WRONG_TOKEN: &str = "wrong-bearer-token-5e7d";

/// The binary with a clean environment (no credentials, no RUST_LOG).
fn pinelabs() -> std::process::Command {
    let mut cmd = std::process::Command::cargo_bin("pinelabs").expect("binary built");
    for var in [
        "PINELABS_ACCESS_TOKEN",
        "PINELABS_CLIENT_ID",
        "PINELABS_CLIENT_SECRET",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut std::process::Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("runs");
    (
        status.code().expect("exit code"),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// Runs the binary while `sandbox` (in this process) keeps serving.
async fn run_async(mut cmd: std::process::Command) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .expect("join")
}

fn redacted() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    settings.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[REQUEST-ID]",
    );
    settings.add_filter(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z",
        "[TIMESTAMP]",
    );
    // The sandbox seeds expiries a year from today.
    settings.add_filter(r"\b20\d\d-\d\d-\d\d\b", "[DATE]");
    settings
}

#[test]
fn sandbox_list_prints_a_table() {
    let (code, stdout, stderr) =
        run(pinelabs().args(["tokens", "--sandbox", "list", SEED_CUSTOMER_ID]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    redacted().bind(|| insta::assert_snapshot!("list_table", stdout));
}

#[test]
fn sandbox_list_as_json() {
    let (code, stdout, _) =
        run(pinelabs().args(["tokens", "--sandbox", "--json", "list", SEED_CUSTOMER_ID]));
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is JSON");
    assert_eq!(json["customer_id"], SEED_CUSTOMER_ID);
    assert_eq!(json["tokens"][0]["token_id"], SEED_TOKEN_ID);
    assert_eq!(json["tokens"][0]["card_data"]["last4_digit"], "1112");
}

#[test]
fn sandbox_delete_prints_the_outcome() {
    let (code, stdout, stderr) = run(pinelabs().args([
        "tokens",
        "--sandbox",
        "delete",
        SEED_CUSTOMER_ID,
        SEED_TOKEN_ID,
        "--reference",
        "cli-ref-1",
        "--metadata",
        "reason=test",
    ]));
    assert_eq!(code, 0, "{stderr}");
    redacted().bind(|| insta::assert_snapshot!("delete_line", stdout));
    let (code, stdout, _) = run(pinelabs().args([
        "tokens",
        "--sandbox",
        "--json",
        "delete",
        SEED_CUSTOMER_ID,
        SEED_TOKEN_ID,
        "--reference",
        "cli-ref-2",
    ]));
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(json["status"], "DELETED");
    assert_eq!(json["merchant_unique_reference"], "cli-ref-2");
}

#[test]
fn demo_narrates_the_whole_flow() {
    let (code, stdout, stderr) = run(pinelabs().arg("demo"));
    assert_eq!(code, 0, "{stderr}");
    redacted().bind(|| insta::assert_snapshot!("demo", stdout));
}

/// The demo's closing hint works exactly as printed: the command after
/// `cargo run -q -p pinelabs-cli --` is this binary's arguments, and it
/// lists the seeded token (a fresh sandbox).
#[test]
fn the_demo_hint_works_as_printed() {
    let (_, stdout, _) = run(pinelabs().arg("demo"));
    let hint = stdout.lines().last().expect("a closing line").trim();
    let args = hint
        .strip_prefix("cargo run -q -p pinelabs-cli -- ")
        .unwrap_or_else(|| panic!("the hint is a cargo run command: {hint}"));
    let (code, listed, stderr) = run(pinelabs().args(args.split_whitespace()));
    assert_eq!(code, 0, "{hint}: {stderr}");
    assert!(listed.contains(SEED_TOKEN_ID), "{listed}");
}

/// Options appear only on the commands they affect.
#[test]
fn sandbox_and_demo_help_list_only_their_own_options() {
    for command in ["sandbox", "demo"] {
        let (code, help, _) = run(pinelabs().args([command, "--help"]));
        assert_eq!(code, 0);
        for option in ["--env", "--base-url", "--sandbox", "--json", "--timeout"] {
            assert!(
                !help.contains(option),
                "`{command} --help` lists {option}:\n{help}"
            );
        }
        insta::assert_snapshot!(format!("help_{command}"), help);
    }
    let (_, help, _) = run(pinelabs().args(["tokens", "list", "--help"]));
    for option in ["--env", "--base-url", "--sandbox", "--json", "--timeout"] {
        assert!(help.contains(option), "`tokens list --help` lacks {option}");
    }
}

/// Logs on a stderr that is not a terminal carry no ANSI escape codes.
#[test]
fn logs_have_no_colour_when_stderr_is_not_a_terminal() {
    let (code, _, stderr) = run(pinelabs().env("RUST_LOG", "debug").args([
        "tokens",
        "list",
        "--sandbox",
        SEED_CUSTOMER_ID,
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("DEBUG"), "logs were written: {stderr}");
    assert!(!stderr.contains('\u{1b}'), "ANSI codes in: {stderr:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn static_token_from_env_against_a_running_sandbox_keeps_state_across_commands() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let base = sandbox.base_url();
    let cmd = |args: &[&str]| {
        let mut cmd = pinelabs();
        cmd.env("PINELABS_ACCESS_TOKEN", SANDBOX_ACCESS_TOKEN)
            .args(args)
            .arg("--base-url")
            .arg(&base);
        cmd
    };
    let (code, _, stderr) = run_async(cmd(&[
        "tokens",
        "delete",
        SEED_CUSTOMER_ID,
        SEED_TOKEN_ID,
        "--reference",
        "r1",
    ]))
    .await;
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = run_async(cmd(&["tokens", "list", SEED_CUSTOMER_ID])).await;
    assert_eq!(code, 0);
    assert!(stdout.contains("has no tokens"), "{stdout}");
    assert!(!stdout.contains(SANDBOX_ACCESS_TOKEN) && !stderr.contains(SANDBOX_ACCESS_TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn client_credentials_from_env() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let mut cmd = pinelabs();
    cmd.env("PINELABS_CLIENT_ID", SANDBOX_CLIENT_ID)
        .env("PINELABS_CLIENT_SECRET", SANDBOX_CLIENT_SECRET)
        .args([
            "tokens",
            "--base-url",
            &sandbox.base_url(),
            "list",
            SEED_CUSTOMER_ID,
        ]);
    let (code, stdout, stderr) = run_async(cmd).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(SEED_TOKEN_ID));
    assert!(!stdout.contains(SANDBOX_CLIENT_SECRET) && !stderr.contains(SANDBOX_CLIENT_SECRET));
    assert!(
        sandbox
            .requests()
            .iter()
            .any(|r| r.path == "/api/auth/v1/token")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn api_error_exits_1_with_an_error_and_a_hint_and_no_token() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let mut cmd = pinelabs();
    cmd.env("PINELABS_ACCESS_TOKEN", SANDBOX_ACCESS_TOKEN)
        .args([
            "tokens",
            "--base-url",
            &sandbox.base_url(),
            "list",
            "cust-nobody",
        ]);
    let (code, stdout, stderr) = run_async(cmd).await;
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "an error line and a hint: {stderr}");
    assert!(lines[0].starts_with("error: ") && lines[1].starts_with("hint: "));
    assert!(
        stderr.contains("CUSTOMER_NOT_FOUND") && stderr.contains("no customer with this id"),
        "{stderr}"
    );
    let request_id = sandbox.requests()[0]
        .request_id
        .clone()
        .expect("sent a request id");
    assert!(
        stderr.contains(&request_id),
        "the request id is quoted: {stderr}"
    );
    redacted().bind(|| insta::assert_snapshot!("api_error", stderr));

    let mut cmd = pinelabs();
    cmd.env("PINELABS_ACCESS_TOKEN", WRONG_TOKEN).args([
        "tokens",
        "--base-url",
        &sandbox.base_url(),
        "list",
        SEED_CUSTOMER_ID,
    ]);
    let (code, stdout, stderr) = run_async(cmd).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("401"), "{stderr}");
    assert!(
        !stdout.contains(WRONG_TOKEN) && !stderr.contains(WRONG_TOKEN),
        "the token is never printed"
    );
}

/// Refused credentials exit 1 with advice about the credentials and no
/// raw body; an unreachable token endpoint exits 3 (retryable) with advice
/// about the network.
#[tokio::test(flavor = "multi_thread")]
async fn refused_credentials_exit_1_and_an_unreachable_token_endpoint_exits_3() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let mut cmd = pinelabs();
    cmd.env("PINELABS_CLIENT_ID", SANDBOX_CLIENT_ID)
        .env("PINELABS_CLIENT_SECRET", "wrong-secret-1f0e")
        .args([
            "tokens",
            "--base-url",
            &sandbox.base_url(),
            "list",
            SEED_CUSTOMER_ID,
        ]);
    let (code, stdout, stderr) = run_async(cmd).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("refused the credentials"), "{stderr}");
    assert!(
        stderr.contains("hint: check the client id and secret"),
        "{stderr}"
    );
    assert!(!stderr.contains('{'), "no raw JSON body: {stderr}");
    assert!(!stderr.contains("wrong-secret-1f0e"), "{stderr}");
    redacted().bind(|| insta::assert_snapshot!("credentials_refused", stderr));

    // A bound, never-listening socket: the token endpoint refuses to connect.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(([127, 0, 0, 1], 0).into()).expect("bind");
    let port = socket.local_addr().expect("addr").port();
    let mut cmd = pinelabs();
    cmd.env("PINELABS_CLIENT_ID", SANDBOX_CLIENT_ID)
        .env("PINELABS_CLIENT_SECRET", SANDBOX_CLIENT_SECRET)
        .args([
            "tokens",
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "list",
            SEED_CUSTOMER_ID,
        ]);
    let (code, _, stderr) = run_async(cmd).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("no access token"), "{stderr}");
    assert!(stderr.contains("connection refused"), "{stderr}");
    assert!(
        stderr.contains("hint: the token endpoint is unreachable"),
        "{stderr}"
    );
    drop(socket);
}

/// A client that cannot be built (here: TLS with no CA certificate at all,
/// as on a machine whose certificate store is missing) is a setup error:
/// exit 2, like a usage error, with advice that says retrying will not help.
#[test]
fn a_client_that_cannot_be_built_exits_2() {
    let mut cmd = pinelabs();
    cmd.env("PINELABS_ACCESS_TOKEN", SANDBOX_ACCESS_TOKEN)
        .env("SSL_CERT_FILE", "/dev/null")
        .env("SSL_CERT_DIR", "/nonexistent-pinelabs-test")
        .args([
            "tokens",
            "--base-url",
            "https://127.0.0.1:9",
            "list",
            "cust-1",
        ]);
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("error: the client could not be built"),
        "{stderr}"
    );
    assert!(stderr.contains("retrying will not help"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_exits_2_and_sends_nothing() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let long = "x".repeat(51);
    for args in [
        vec!["tokens", "list", long.as_str()],
        vec![
            "tokens",
            "delete",
            SEED_CUSTOMER_ID,
            SEED_TOKEN_ID,
            "--reference",
            "",
        ],
    ] {
        let mut cmd = pinelabs();
        cmd.env("PINELABS_ACCESS_TOKEN", SANDBOX_ACCESS_TOKEN)
            .args(&args)
            .arg("--base-url")
            .arg(sandbox.base_url());
        let (code, _, stderr) = run_async(cmd).await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("nothing was sent"), "{stderr}");
    }
    assert!(
        sandbox.requests().is_empty(),
        "the sandbox received nothing"
    );
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, stderr) = run(pinelabs().args([
        "tokens",
        "--sandbox",
        "delete",
        "c",
        "t",
        "--reference",
        "r",
        "--metadata",
        "no-equals",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("KEY=VALUE"), "{stderr}");
    let (code, _, _) = run(pinelabs().args(["tokens", "frobnicate"]));
    assert_eq!(code, 2);
    // --sandbox cannot be combined with a target of its own, and a zero
    // timeout is refused, not silently raised.
    for args in [
        &[
            "tokens",
            "--base-url",
            "http://127.0.0.1:9",
            "--sandbox",
            "list",
            "c",
        ][..],
        &["tokens", "--env", "production", "--sandbox", "list", "c"],
        &["tokens", "--sandbox", "--timeout", "0", "list", "c"],
    ] {
        let (code, _, stderr) = run(pinelabs().args(args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("--"), "{args:?} names the option: {stderr}");
    }
}

#[test]
fn missing_credentials_are_named() {
    let (code, _, stderr) = run(pinelabs().args(["tokens", "list", SEED_CUSTOMER_ID]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("PINELABS_ACCESS_TOKEN") && stderr.contains("PINELABS_CLIENT_ID"),
        "{stderr}"
    );
    let (code, _, stderr) =
        run(pinelabs()
            .env("PINELABS_CLIENT_ID", "id")
            .args(["tokens", "list", SEED_CUSTOMER_ID]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("PINELABS_CLIENT_SECRET is not set"),
        "{stderr}"
    );
    let (code, _, stderr) = run(pinelabs()
        .env("PINELABS_CLIENT_SECRET", "s3cr3t-value")
        .args(["tokens", "list", SEED_CUSTOMER_ID]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("PINELABS_CLIENT_ID is not set") && !stderr.contains("s3cr3t-value"),
        "{stderr}"
    );
    let (code, _, stderr) = run(pinelabs().env("PINELABS_ACCESS_TOKEN", "t").args([
        "tokens",
        "--base-url",
        "http://pine.example",
        "list",
        "c",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("clear text"), "{stderr}");
}

#[test]
fn unreachable_server_exits_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (code, stdout, stderr) = run(pinelabs().env("PINELABS_ACCESS_TOKEN", WRONG_TOKEN).args([
        "tokens",
        "--base-url",
        &format!("http://127.0.0.1:{port}"),
        "list",
        "c",
    ]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("could not reach Pine Labs"), "{stderr}");
    assert!(!stdout.contains(WRONG_TOKEN) && !stderr.contains(WRONG_TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_exits_3() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.set_latency(Duration::from_secs(5));
    let mut cmd = pinelabs();
    cmd.env("PINELABS_ACCESS_TOKEN", SANDBOX_ACCESS_TOKEN)
        .args([
            "tokens",
            "--timeout",
            "1",
            "--base-url",
            &sandbox.base_url(),
            "list",
            SEED_CUSTOMER_ID,
        ]);
    let (code, _, stderr) = run_async(cmd).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("no answer from Pine Labs within"),
        "{stderr}"
    );
}

/// A child process killed when dropped, so a failing test leaks nothing.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn standalone_sandbox_serves_until_killed() {
    // Port 0: the sandbox binds a free port itself and prints its URL (no
    // bind-then-drop race).
    let mut child = KillOnDrop(
        pinelabs()
            .args(["sandbox", "--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let url = standalone_url(&mut child);
    let (code, stdout, stderr) = run(pinelabs()
        .env("PINELABS_ACCESS_TOKEN", SANDBOX_ACCESS_TOKEN)
        .args(["tokens", "--base-url", &url, "list", SEED_CUSTOMER_ID]));
    drop(child);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(SEED_TOKEN_ID));
}

/// `pinelabs spec-check` with the sandbox's token against `base`.
fn spec_check(base: &str, extra: &[&str]) -> std::process::Command {
    let mut cmd = pinelabs();
    cmd.env("PINELABS_ACCESS_TOKEN", SANDBOX_ACCESS_TOKEN)
        .args(["spec-check", "--base-url", base])
        .args(extra)
        .arg(SEED_CUSTOMER_ID);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn spec_check_prints_each_finding_with_its_spec_edit_and_exits_4() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.set_drift(&[Drift::ExtraField, Drift::UnknownEnumValue]);
    let (code, stdout, stderr) = run_async(spec_check(&sandbox.base_url(), &[])).await;
    assert_eq!(code, 4, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("departs from the spec (2 findings)"),
        "{stderr}"
    );
    for expected in [
        "drift: list_customer_tokens: unknown field tokens[].card_data.tokenised_by (1 answer)",
        "spec edit, under components/schemas/CardData/properties:",
        "      type: string",
        "drift: list_customer_tokens: unknown enum value at tokens[].status (\"PAUSED\")",
        "spec edit, under components/schemas/TokenStatus:",
        "      - PAUSED",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
    redacted().bind(|| insta::assert_snapshot!("spec_check_drift", stdout));
    // Read-only: the customer's token is still there.
    assert!(
        sandbox
            .tokens_of(SEED_CUSTOMER_ID)
            .is_some_and(|l| l.tokens.len() == 1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn spec_check_json_lists_the_findings_and_exits_4() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.set_drift(&[Drift::ExtraField, Drift::UnknownEnumValue]);
    let (code, stdout, stderr) = run_async(spec_check(&sandbox.base_url(), &["--json"])).await;
    assert_eq!(code, 4, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["drift"], true);
    assert_eq!(report["answers"], 2, "the customer and the probe");
    let findings = report["findings"].as_array().expect("findings");
    let kinds: Vec<_> = findings
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["unknown_field", "unknown_enum_value"]);
    assert_eq!(findings[0]["path"], "tokens[].card_data.tokenised_by");
    assert_eq!(
        findings[0]["spec_location"],
        "components/schemas/CardData/properties"
    );
    assert!(
        findings[0]["spec_edit"]
            .as_str()
            .unwrap()
            .starts_with("tokenised_by:\n")
    );
    assert_eq!(findings[1]["value"], "PAUSED");
}

#[tokio::test(flavor = "multi_thread")]
async fn spec_check_against_the_normal_sandbox_finds_nothing_and_exits_0() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let (code, stdout, stderr) = run_async(spec_check(&sandbox.base_url(), &[])).await;
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("no drift: every answer matches the spec"),
        "{stdout}"
    );
    assert!(!stdout.contains("\ndrift:"), "{stdout}");
    let (code, stdout, _) = run_async(spec_check(&sandbox.base_url(), &["--json"])).await;
    assert_eq!(code, 0);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["drift"], false);
    assert_eq!(report["findings"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn spec_check_with_refused_credentials_exits_1() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let mut cmd = spec_check(&sandbox.base_url(), &[]);
    cmd.env("PINELABS_ACCESS_TOKEN", WRONG_TOKEN);
    let (code, stdout, stderr) = run_async(cmd).await;
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(!stdout.contains("drift"), "{stdout}");
}

/// The standalone sandbox drifts with `--drift`; spec-check sees it.
#[test]
fn the_standalone_sandbox_drifts_on_request() {
    let mut child = KillOnDrop(
        pinelabs()
            .args(["sandbox", "--port", "0", "--drift", "undocumented-status"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let url = standalone_url(&mut child);
    let (code, stdout, stderr) = run(&mut spec_check(&url, &[]));
    drop(child);
    assert_eq!(code, 4, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("drift: list_customer_tokens: undocumented status 409"),
        "{stdout}"
    );
    assert!(stdout.contains("'409':"), "{stdout}");
}

/// The URL a standalone sandbox prints first (its pipe stays drained).
fn standalone_url(child: &mut KillOnDrop) -> String {
    let stdout = child.0.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    // The pipe stays open in this thread while the sandbox runs.
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        let _ = reader.read_line(&mut first);
        let _ = tx.send(first);
        let mut rest = String::new();
        while reader.read_line(&mut rest).is_ok_and(|n| n > 0) {}
    });
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the sandbox prints its URL");
    first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .trim_end_matches(['.', ','])
        .to_owned()
}
