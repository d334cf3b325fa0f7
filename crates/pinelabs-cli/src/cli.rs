//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// List and delete Pine Labs Online customer tokens.
///
/// Credentials come from the environment: PINELABS_ACCESS_TOKEN (a static
/// bearer token), or PINELABS_CLIENT_ID and PINELABS_CLIENT_SECRET (client
/// credentials). --sandbox needs neither.
///
/// Exit codes: 0 success; 1 the API answered with an error, or the token
/// endpoint refused the credentials; 2 invalid input or usage (nothing was
/// sent); 3 transport, timeout or decode failure, or the token endpoint
/// could not be reached or failed (retry later); 4 `spec-check` found drift.
#[derive(Debug, Parser)]
#[command(name = "pinelabs", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where and how `tokens` commands call Pine Labs (only they take these).
#[derive(Debug, Args)]
pub struct Connection {
    /// Pine Labs environment.
    #[arg(long, value_enum, global = true, default_value_t = Env::Uat)]
    pub env: Env,

    /// Base URL; wins over --env. Must be https, or http on loopback.
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,

    /// Start the embedded sandbox in-process and point the client at it
    /// (not with --env or --base-url). Its data is fresh each time.
    #[arg(long, global = true, conflicts_with_all = ["env", "base_url"])]
    pub sandbox: bool,

    /// Print responses as JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,

    /// Limit on each call, retries included (at least 1).
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub timeout: u64,
}

/// A Pine Labs environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Env {
    /// UAT (test).
    Uat,
    /// Production.
    Production,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Customer tokens.
    Tokens(TokensCommand),
    /// Run the sandbox standalone on loopback until interrupted.
    Sandbox(SandboxArgs),
    /// Check the live API's answers against the spec (read-only calls) and
    /// print the spec edit each departure implies. Exit 0: no drift; 4:
    /// drift found; 1, 2, 3: as for `tokens`.
    SpecCheck(SpecCheckArgs),
    /// Show the whole flow against the embedded sandbox: list, delete, list.
    Demo,
}

/// `pinelabs tokens [OPTIONS] <COMMAND>`
#[derive(Debug, Args)]
pub struct TokensCommand {
    /// Where and how to call.
    #[command(flatten)]
    pub connection: Connection,
    /// What to do with tokens.
    #[command(subcommand)]
    pub action: Tokens,
}

/// `pinelabs tokens list|delete ...`
#[derive(Debug, Subcommand)]
pub enum Tokens {
    /// List every token saved for a customer.
    List {
        /// The customer's id.
        customer_id: String,
    },
    /// Delete one token of a customer.
    Delete(DeleteArgs),
}

/// `pinelabs tokens delete ...`
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The customer's id.
    pub customer_id: String,
    /// The token's id.
    pub token_id: String,
    /// Your unique reference of this delete (1 to 50 characters). Reuse it to
    /// retry the same delete.
    #[arg(long, value_name = "REF")]
    pub reference: String,
    /// Merchant metadata, repeatable (at most 10 pairs).
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub metadata: Vec<(String, String)>,
}

/// `pinelabs sandbox ...`
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// The loopback port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Serve answers that depart from the spec this way (repeatable), to
    /// try drift detection: extra-field, unknown-enum-value, missing-field,
    /// null-field, wrong-type, not-json, undocumented-status.
    #[arg(long, value_name = "KIND", value_parser = parse_drift)]
    pub drift: Vec<pinelabs_sandbox::Drift>,
}

/// `pinelabs spec-check [OPTIONS] <CUSTOMER_ID>...`
#[derive(Debug, Args)]
pub struct SpecCheckArgs {
    /// Where and how to call (`--json` prints the findings as JSON).
    #[command(flatten)]
    pub connection: Connection,
    /// With --sandbox: the embedded sandbox drifts this way (repeatable),
    /// to try the maintainer's loop without credentials.
    #[arg(long, value_name = "KIND", value_parser = parse_drift, requires = "sandbox")]
    pub drift: Vec<pinelabs_sandbox::Drift>,
    /// Customers whose tokens to list (read-only; nothing is deleted).
    #[arg(required = true, value_name = "CUSTOMER_ID")]
    pub customer_ids: Vec<String>,
}

fn parse_drift(raw: &str) -> Result<pinelabs_sandbox::Drift, String> {
    pinelabs_sandbox::Drift::from_name(raw).ok_or_else(|| {
        let names: Vec<_> = pinelabs_sandbox::Drift::ALL
            .iter()
            .map(|d| d.name())
            .collect();
        format!("`{raw}` is not one of {}", names.join(", "))
    })
}

fn parse_pair(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{raw}` is not KEY=VALUE"))
}
