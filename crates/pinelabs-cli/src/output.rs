//! Human and JSON output.

use comfy_table::{Table, presets::ASCII_MARKDOWN};
use pinelabs::types::{CustomerTokens, DeletedToken, Timestamp};

/// A readable table of a customer's tokens.
pub fn tokens_table(list: &CustomerTokens) -> String {
    if list.tokens.is_empty() {
        return format!("Customer {} has no tokens.", list.customer_id);
    }
    let mut table = Table::new();
    table
        .load_style(ASCII_MARKDOWN)
        .set_header(["TOKEN ID", "STATUS", "METHOD", "CARD", "EXPIRES"]);
    for token in &list.tokens {
        let card = token.card_data.as_ref().map(|c| {
            format!(
                "{} {}",
                c.network_name.as_deref().unwrap_or("?"),
                c.last4_digit
                    .as_deref()
                    .map(|d| format!("…{d}"))
                    .unwrap_or_default()
            )
        });
        // Read as if optional, so that adopting a missing `token_id`
        // (`cargo xtask adopt`) leaves this compiling.
        let id = Option::<&String>::from(&token.token_id);
        table.add_row([
            id.cloned().unwrap_or_else(|| "?".to_owned()),
            show(token.status.as_ref()),
            show(token.payment_method.as_ref()),
            card.unwrap_or_else(|| "-".to_owned()),
            match &token.expired_at {
                Some(Timestamp::Utc(t)) => t.format("%Y-%m-%d").to_string(),
                Some(Timestamp::Unparsed(raw)) => raw.clone(),
                None => "-".to_owned(),
            },
        ]);
    }
    format!(
        "Customer {} has {} token(s):\n{table}",
        list.customer_id,
        list.tokens.len()
    )
}

/// One line about a delete's answer.
pub fn deleted_line(deleted: &DeletedToken) -> String {
    format!(
        "Token {} of customer {}: {}",
        deleted.token_id.as_deref().unwrap_or("?"),
        deleted.customer_id.as_deref().unwrap_or("?"),
        show(deleted.status.as_ref()),
    )
}

fn show(value: Option<&impl std::fmt::Display>) -> String {
    value
        .map(|v| v.to_string())
        .unwrap_or_else(|| "-".to_owned())
}

/// Pretty JSON of a response.
pub fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
