//! `skytale webhook add|list|remove|deliveries`: an official's management of the election's
//! webhooks. Each signs in with the official's key (the election authority or an approver;
//! see `skytale_server::auth`) and calls the server's webhook API.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;

use crate::client::Client;
use crate::commands::load_key;

/// Where and as whom.
#[derive(clap::Args, Debug, Clone)]
pub struct Official {
    #[arg(long, env = "SKYTALE_SERVER")]
    pub server: String,
    #[arg(long, env = "SKYTALE_ELECTION")]
    pub election: String,
    /// The official's signing key file (the election authority or an approver).
    #[arg(long, env = "SKYTALE_KEY")]
    pub key: PathBuf,
}

/// Which events an endpoint receives.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Events {
    /// Each publication (under `automatic`, at most one per announcement interval).
    Publication,
    /// Each snapshot the server serves, linking the change feed.
    Change,
}

#[derive(clap::Subcommand, Debug)]
pub enum WebhookCommand {
    /// Register an endpoint; prints its id and its signing secret (shown only now).
    Add {
        #[command(flatten)]
        official: Official,
        /// The endpoint (http or https).
        #[arg(long)]
        url: String,
        #[arg(long, value_enum, default_value_t = Events::Publication)]
        events: Events,
    },
    /// List the registered endpoints.
    List {
        #[command(flatten)]
        official: Official,
    },
    /// Remove an endpoint; what waits for it is cancelled.
    Remove {
        #[command(flatten)]
        official: Official,
        /// The endpoint's id (from `list`).
        id: i64,
    },
    /// The delivery log of an endpoint, newest first.
    Deliveries {
        #[command(flatten)]
        official: Official,
        id: i64,
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
}

/// Runs a webhook command; returns what to print.
pub async fn run(cmd: &WebhookCommand) -> Result<String> {
    let o = match cmd {
        WebhookCommand::Add { official, .. }
        | WebhookCommand::List { official }
        | WebhookCommand::Remove { official, .. }
        | WebhookCommand::Deliveries { official, .. } => official,
    };
    let key = load_key(&o.key)?;
    let client = Client::new(&o.server)?;
    let token = client.sign_in(&o.election, &key).await?;
    let mut out = String::new();
    match cmd {
        WebhookCommand::Add { url, events, .. } => {
            let events = match events {
                Events::Publication => "publication",
                Events::Change => "change",
            };
            let h = client.webhook_add(&o.election, &token, url, events).await?;
            let _ = writeln!(
                out,
                "webhook {} registered for {} events to {}\nsecret: {}\n(keep the secret: it is shown only now; receivers verify `webhook-signature` with it)",
                h["id"],
                h["events"].as_str().unwrap_or(""),
                h["url"].as_str().unwrap_or(""),
                h["secret"].as_str().unwrap_or("")
            );
        }
        WebhookCommand::List { .. } => {
            let v = client.webhooks(&o.election, &token).await?;
            let list = v["webhooks"].as_array().cloned().unwrap_or_default();
            for h in &list {
                let _ = writeln!(
                    out,
                    "{}\t{}\t{}\tby {} at {}",
                    h["id"],
                    h["events"].as_str().unwrap_or(""),
                    h["url"].as_str().unwrap_or(""),
                    h["created_by"].as_str().unwrap_or(""),
                    h["created_at"].as_str().unwrap_or("")
                );
            }
            let _ = writeln!(out, "{} webhooks", list.len());
        }
        WebhookCommand::Remove { id, .. } => {
            client.webhook_remove(&o.election, &token, *id).await?;
            let _ = writeln!(out, "webhook {id} removed");
        }
        WebhookCommand::Deliveries { id, limit, .. } => {
            let v = client
                .webhook_deliveries(&o.election, &token, *id, *limit)
                .await?;
            for d in v["deliveries"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                let _ = writeln!(
                    out,
                    "{}\t{}\tattempts {}\tlast status {}\t{}",
                    d["event_id"].as_str().unwrap_or(""),
                    d["state"].as_str().unwrap_or(""),
                    d["attempts"],
                    d["last_status"],
                    d["last_error"].as_str().unwrap_or("")
                );
            }
        }
    }
    Ok(out)
}
