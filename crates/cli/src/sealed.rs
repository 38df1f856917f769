//! `skytale sealed` and `skytale held list`: an official's reads of what the public does not
//! see yet (entries under an `approval` embargo, held submissions). Both sign in with the
//! official's key (a signed challenge, see `skytale_server::auth`) and page through the
//! answers; the server leaves out what lies outside the key's scope.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::client::Client;
use crate::commands::load_key;

/// Entries asked for per request (the server's own cap).
const PAGE: u64 = 1_000;

pub struct SealedOptions {
    pub server: String,
    pub election: String,
    /// The official's signing key file.
    pub key: PathBuf,
    /// First log index to read.
    pub from: u64,
    /// Most log indexes to read (all to the end of the log when `None`).
    pub limit: Option<u64>,
    /// Write the entries as JSON here instead of printing them.
    pub out: Option<PathBuf>,
}

/// `skytale sealed`: the committed entries the key may read, printed or written as JSON
/// (`{"log_size", "entries": [{"index", "note"}], "withheld": [indexes]}`). Returns what to print.
pub async fn sealed(opts: &SealedOptions) -> Result<String> {
    let key = load_key(&opts.key)?;
    let client = Client::new(&opts.server)?;
    let token = client.sign_in(&opts.election, &key).await?;
    let want = opts.limit.unwrap_or(u64::MAX);
    let (mut entries, mut withheld) = (Vec::new(), Vec::new());
    let mut from = opts.from;
    let mut log_size = 0;
    while from - opts.from < want {
        let limit = (want - (from - opts.from)).min(PAGE);
        let page = client
            .sealed_entries(&opts.election, &token, from, limit)
            .await?;
        log_size = page["log_size"].as_u64().unwrap_or(0);
        entries.extend(page["entries"].as_array().cloned().unwrap_or_default());
        withheld.extend(page["withheld"].as_array().cloned().unwrap_or_default());
        let next = page["next"].as_u64().unwrap_or(from);
        if next <= from || next >= log_size {
            break;
        }
        from = next;
    }
    let summary = format!(
        "{} entries read, {} withheld (outside this key's scope), log size {log_size}",
        entries.len(),
        withheld.len()
    );
    if let Some(out) = &opts.out {
        let doc = json!({"log_size": log_size, "entries": entries, "withheld": withheld});
        std::fs::write(out, serde_json::to_vec_pretty(&doc)?)
            .with_context(|| format!("cannot write {}", out.display()))?;
        return Ok(format!("{summary}; written to {}\n", out.display()));
    }
    let mut text = String::new();
    for e in &entries {
        let _ = write!(
            text,
            "--- entry {}\n{}",
            e["index"],
            e["note"].as_str().unwrap_or("")
        );
    }
    if !withheld.is_empty() {
        let list: Vec<String> = withheld.iter().map(Value::to_string).collect();
        let _ = writeln!(text, "--- withheld: {}", list.join(", "));
    }
    let _ = writeln!(text, "{summary}");
    Ok(text)
}

/// `skytale held list`: every held submission the key may read, oldest first, with the
/// reasons it was held. Returns what to print.
pub async fn held_list(server: &str, election: &str, key: &std::path::Path) -> Result<String> {
    let key = load_key(key)?;
    let client = Client::new(server)?;
    let token = client.sign_in(election, &key).await?;
    let mut text = String::new();
    let mut count = 0usize;
    let mut after = 0i64;
    loop {
        let page = client.held(election, &token, after).await?;
        for h in page["held"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            count += 1;
            let reasons: Vec<String> = h["reasons"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .map(|r| {
                    format!(
                        "{}: {}",
                        r["field"].as_str().unwrap_or(""),
                        r["why"].as_str().unwrap_or("")
                    )
                })
                .collect();
            let _ = write!(
                text,
                "--- held #{} ({}, received {})\nreasons: {}\n{}",
                h["id"],
                h["state"].as_str().unwrap_or(""),
                h["received_at"].as_str().unwrap_or(""),
                reasons.join("; "),
                h["note"].as_str().unwrap_or("")
            );
        }
        match page["next_after"].as_i64() {
            Some(next) if next > after => after = next,
            _ => break,
        }
    }
    let _ = writeln!(text, "{count} held submissions");
    Ok(text)
}

/// What `skytale held release|reject` asks for.
pub struct ReviewRequest<'a> {
    pub server: &'a str,
    pub election: &'a str,
    pub key: &'a std::path::Path,
    /// The held submission's id, as `held list` and the console show it.
    pub id: i64,
    pub decision: skytale_model::ReviewDecision,
    pub reason: &'a str,
}

/// `skytale held release|reject`: signs a review of one held submission (the authority's root
/// key or an approver) and sends it like any statement; the receipt is checked. Returns what
/// to print.
pub async fn held_review(req: &ReviewRequest<'_>) -> Result<String> {
    use skytale_model::{ReviewStatement, Statement};

    use crate::client::{check_receipt, Answer};

    if req.reason.trim().is_empty() {
        anyhow::bail!("give a reason (--reason): it is published with the decision");
    }
    let key = load_key(req.key)?;
    let client = Client::new(req.server)?;
    let info = client.election(req.election).await?;
    let token = client.sign_in(req.election, &key).await?;
    let mut after = 0i64;
    let note = loop {
        let page = client.held(req.election, &token, after).await?;
        let rows = page["held"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        if let Some(h) = rows.iter().find(|h| h["id"].as_i64() == Some(req.id)) {
            break h["note"].as_str().unwrap_or_default().to_string();
        }
        match page["next_after"].as_i64() {
            Some(next) if next > after => after = next,
            _ => anyhow::bail!(
                "no held submission #{} waits for review in election {} (see `skytale held list`): decided, overtaken by a newer version, or outside this key's scope",
                req.id,
                req.election
            ),
        }
    };
    let rv = ReviewStatement::new(
        req.election,
        req.decision,
        note.as_bytes(),
        req.reason,
        &crate::now_rfc3339(),
    )
    .map_err(|e| anyhow::anyhow!("held #{}: {e}", req.id))?;
    let signed = crate::submit::sign_statement(&key, &Statement::Review(rv))?;
    let index = match client.submit(req.election, &signed).await? {
        Answer::Accepted { receipt, .. } => check_receipt(&receipt, &signed, &info.log_key)?,
        Answer::Held { .. } => anyhow::bail!("the review was held; this should not happen"),
        Answer::Rejected { code, message, .. } => {
            anyhow::bail!("review refused: {code}: {message}")
        }
    };
    Ok(format!(
        "held #{} {}; recorded at index {index}\n",
        req.id,
        match req.decision {
            skytale_model::ReviewDecision::Release => "released into the count",
            skytale_model::ReviewDecision::Reject => "rejected",
        }
    ))
}
