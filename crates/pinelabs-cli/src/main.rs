//! `pinelabs`: the command-line client. See `pinelabs --help`.
//!
//! Why these dependencies: `clap` (arguments, help and usage errors with exit
//! code 2), `comfy-table` (aligned tables), `tracing-subscriber` (logs on
//! stderr when `RUST_LOG` is set), `tokio` (runtime), `chrono` (the day a
//! drift finding was first seen, in its spec edit), and the project's
//! `pinelabs` client and `pinelabs-sandbox`.

mod check;
mod cli;
mod edit;
mod output;

use std::{process::ExitCode, time::Duration};

use clap::Parser;
use cli::{Cli, Command, Connection, Env, Tokens};
use pinelabs::{Client, DeleteToken, Environment, Error, auth::Credentials};
use pinelabs_sandbox::Sandbox;

/// Exit code: the API answered with an error, or the token endpoint refused
/// the credentials.
const EXIT_API: u8 = 1;
/// Exit code: invalid input or usage, or a client that cannot be built (its
/// TLS setup, say); nothing was sent.
const EXIT_USAGE: u8 = 2;
/// Exit code: transport, timeout or decode failure, or no access token for
/// another reason (token endpoint unreachable or failing): retryable.
const EXIT_TRANSPORT: u8 = 3;
/// Exit code: `spec-check` found answers that depart from the spec.
const EXIT_DRIFT: u8 = 4;

/// A failure to report: an `error:` line, maybe a `hint:` line, and an exit
/// code.
struct Failure {
    code: u8,
    line: String,
    hint: Option<&'static str>,
}

impl Failure {
    fn new(code: u8, line: impl Into<String>) -> Self {
        Failure {
            code,
            line: line.into(),
            hint: None,
        }
    }
}

/// The error's short `Display` (never a response body: Pine Labs' code and
/// message at most) and its advice as the hint.
impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::Api { .. } | Error::Auth { .. } => EXIT_API,
            // Nothing was sent, and retrying the same setup fails the same way.
            Error::InvalidInput { .. } | Error::Build { .. } => EXIT_USAGE,
            _ => EXIT_TRANSPORT,
        };
        Failure {
            code,
            line: e.to_string(),
            hint: Some(e.advice()),
        }
    }
}

/// Colour only on a terminal, and never with `NO_COLOR` set (no-color.org).
fn colour_on_stderr() -> bool {
    use std::io::IsTerminal;
    colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR"),
    )
}

fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_default_env() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(colour_on_stderr())
            .init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_TRANSPORT);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.line);
            if let Some(hint) = failure.hint {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(failure.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Sandbox(args) => serve_sandbox(args.port, &args.drift).await,
        Command::SpecCheck(args) => spec_check(&args).await,
        Command::Demo => demo().await,
        Command::Tokens(tokens) => run_tokens(&tokens.connection, &tokens.action).await,
    }
}

async fn run_tokens(connection: &Connection, action: &Tokens) -> Result<(), Failure> {
    // Keep the embedded sandbox alive for the whole command.
    let sandbox = if connection.sandbox {
        Some(start_sandbox().await?)
    } else {
        None
    };
    let client = client(connection, sandbox.as_ref())?;
    let json = connection.json;
    let text = match action {
        Tokens::List { customer_id } => {
            let list = client.list_tokens(customer_id).await?;
            if json {
                output::json(&list)
            } else {
                output::tokens_table(&list)
            }
        }
        Tokens::Delete(args) => {
            let delete = args
                .metadata
                .iter()
                .fold(DeleteToken::new(&args.reference), |d, (k, v)| {
                    d.metadata(k, v)
                });
            let deleted = client
                .delete_token(&args.customer_id, &args.token_id, &delete)
                .await?;
            if json {
                output::json(&deleted)
            } else {
                output::deleted_line(&deleted)
            }
        }
    };
    println!("{text}");
    Ok(())
}

async fn start_sandbox() -> Result<Sandbox, Failure> {
    Sandbox::start().await.map_err(|e| {
        Failure::new(
            EXIT_TRANSPORT,
            format!("cannot start the embedded sandbox: {e}"),
        )
    })
}

/// Credentials from the environment; a clear message says what is missing.
fn credentials_from_env() -> Result<Credentials, Failure> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let missing = |line: &str| Failure::new(EXIT_USAGE, line);
    if let Some(token) = var("PINELABS_ACCESS_TOKEN") {
        return Ok(Credentials::access_token(token));
    }
    match (var("PINELABS_CLIENT_ID"), var("PINELABS_CLIENT_SECRET")) {
        (Some(id), Some(secret)) => Ok(Credentials::client_credentials(id, secret)),
        (Some(_), None) => Err(missing(
            "PINELABS_CLIENT_SECRET is not set (PINELABS_CLIENT_ID is); set both, or PINELABS_ACCESS_TOKEN",
        )),
        (None, Some(_)) => Err(missing(
            "PINELABS_CLIENT_ID is not set (PINELABS_CLIENT_SECRET is); set both, or PINELABS_ACCESS_TOKEN",
        )),
        (None, None) => Err(missing(
            "no credentials: set PINELABS_ACCESS_TOKEN, or PINELABS_CLIENT_ID and PINELABS_CLIENT_SECRET (or use --sandbox)",
        )),
    }
}

/// `pinelabs spec-check`: every answer checked in full; drift exits 4.
async fn spec_check(args: &cli::SpecCheckArgs) -> Result<(), Failure> {
    let connection = &args.connection;
    let sandbox = if connection.sandbox {
        let sandbox = start_sandbox().await?;
        sandbox.set_drift(&args.drift);
        Some(sandbox)
    } else {
        None
    };
    let client = client_builder(connection, sandbox.as_ref())?
        .drift_detection(pinelabs::DriftDetection::EveryAnswer)
        .build()?;
    let answers = check::call_all(&client, &args.customer_ids).await?;
    let reports = client.spec_drift();
    let base_url = client.base_url();
    if connection.json {
        println!("{}", check::json(base_url, answers, &reports));
    } else {
        print!("{}", check::text(base_url, answers, &reports));
    }
    if reports.is_empty() {
        Ok(())
    } else {
        let n = reports.len();
        let plural = if n == 1 { "" } else { "s" };
        Err(Failure::new(
            EXIT_DRIFT,
            format!("the live API departs from the spec ({n} finding{plural})"),
        ))
    }
}

fn client(cli: &Connection, sandbox: Option<&Sandbox>) -> Result<Client, Failure> {
    Ok(client_builder(cli, sandbox)?.build()?)
}

fn client_builder(
    cli: &Connection,
    sandbox: Option<&Sandbox>,
) -> Result<pinelabs::ClientBuilder, Failure> {
    let (environment, credentials) = match sandbox {
        Some(sandbox) => (
            Environment::Custom(sandbox.base_url()),
            Credentials::access_token(sandbox.access_token()),
        ),
        None => {
            let environment = match (&cli.base_url, cli.env) {
                (Some(url), _) => Environment::Custom(url.clone()),
                (None, Env::Uat) => Environment::Uat,
                (None, Env::Production) => Environment::Production,
            };
            (environment, credentials_from_env()?)
        }
    };
    let total = Duration::from_secs(cli.timeout);
    Ok(Client::builder()
        .environment(environment)
        .credentials(credentials)
        .timeouts(
            pinelabs::Timeouts::default()
                .total(total)
                .attempt(total.min(pinelabs::Timeouts::default().attempt)),
        ))
}

async fn serve_sandbox(port: u16, drift: &[pinelabs_sandbox::Drift]) -> Result<(), Failure> {
    let config = pinelabs_sandbox::SandboxConfig::default();
    let sandbox = Sandbox::start_with(config, std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .map_err(|e| {
            Failure::new(
                EXIT_TRANSPORT,
                format!("cannot listen on 127.0.0.1:{port}: {e}"),
            )
        })?;
    sandbox.set_drift(drift);
    println!("Pine Labs sandbox listening on {}", sandbox.base_url());
    if !drift.is_empty() {
        let names: Vec<_> = drift.iter().map(|d| d.name()).collect();
        println!("  drifting on purpose: {}", names.join(", "));
    }
    println!(
        "  bearer token:       {}",
        pinelabs_sandbox::SANDBOX_ACCESS_TOKEN
    );
    println!(
        "  client credentials: {} / {}",
        pinelabs_sandbox::SANDBOX_CLIENT_ID,
        pinelabs_sandbox::SANDBOX_CLIENT_SECRET
    );
    println!(
        "  seeded customer:    {}",
        pinelabs_sandbox::SEED_CUSTOMER_ID
    );
    println!("Press Ctrl-C to stop.");
    sandbox
        .serve_until(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    Ok(())
}

/// The demo's closing hint: a command that works as printed from the
/// repository, on a fresh machine (`cargo install --path crates/pinelabs-cli`
/// makes it `pinelabs tokens list --sandbox ...`).
const DEMO_HINT_INTRO: &str =
    "Done. Run it yourself, from the repository (a fresh sandbox: the token is listed again):";
const DEMO_HINT_COMMAND: &str = "cargo run -q -p pinelabs-cli -- tokens list --sandbox";

async fn demo() -> Result<(), Failure> {
    use pinelabs::prelude::*;
    let sandbox = start_sandbox().await?;
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .build()?;
    let customer = pinelabs_sandbox::SEED_CUSTOMER_ID;
    let token = pinelabs_sandbox::SEED_TOKEN_ID;
    println!(
        "Pine Labs Online client demo against the embedded sandbox at {}",
        sandbox.base_url()
    );
    println!("(no network, no credentials; the data is the API documentation's example)\n");

    println!("1. List the tokens saved for customer {customer}");
    let before = client.list_tokens(customer).await?;
    println!("{}\n", output::tokens_table(&before));

    let reference = "demo-delete-001";
    println!("2. Delete token {token} with merchant reference {reference}");
    let deleted = client
        .delete_token(customer, token, &DeleteToken::new(reference))
        .await?;
    println!("{}\n", output::deleted_line(&deleted));
    if !deleted.is_deleted() {
        return Err(Failure::new(
            EXIT_API,
            "the sandbox did not report the token as deleted",
        ));
    }

    println!("3. List again: the token is gone");
    let after = client.list_tokens(customer).await?;
    println!("{}\n", output::tokens_table(&after));

    println!("{DEMO_HINT_INTRO}");
    println!("  {DEMO_HINT_COMMAND} {customer}");
    sandbox.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        assert!(super::colour(true, None));
        assert!(
            super::colour(true, Some("".into())),
            "an empty NO_COLOR is unset"
        );
        assert!(!super::colour(true, Some("1".into())));
        assert!(!super::colour(false, None));
    }
}
