//! The submitter's side of the API: fetch the election, post signed notes, check receipts; and
//! the officials' sign-in and sealed reads.
//!
//! A receipt is only trusted after it is checked here: the checkpoint must be signed by the
//! log key the election published, and the inclusion proof must put exactly our note at the
//! receipt's index under that checkpoint's root.

use anyhow::{anyhow, bail, Context, Result};
use skytale_model::{decode_hash, Definition, ValidDefinition};
use skytale_note::{Note, SigningKey, VerifierKey};
use skytale_tlog::{leaf_hash, verify_inclusion, Checkpoint};

use crate::approvals::ApprovalsDoc;

pub struct Client {
    http: reqwest::Client,
    base: String,
}

/// What the server answered to one submission.
#[derive(Debug)]
pub enum Answer {
    Accepted {
        index: u64,
        tree_size: u64,
        duplicate: bool,
        receipt: serde_json::Value,
    },
    Held {
        id: i64,
        reasons: Vec<String>,
    },
    Rejected {
        status: u16,
        code: String,
        message: String,
        field: Option<String>,
    },
}

/// What the server answered to a batch.
#[derive(Debug)]
pub enum BatchAnswer {
    /// Sequenced: one answer per note, in order (accepted or held).
    Done(Vec<Answer>),
    /// Nothing was appended; these notes (by position) were refused.
    Refused {
        status: u16,
        code: String,
        message: String,
        refused: Vec<Refused>,
    },
}

/// One refused note of a batch.
#[derive(Debug)]
pub struct Refused {
    pub position: usize,
    /// The HTTP status the note would have got alone.
    pub status: u16,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

/// The reasons of a held statement as lines (`field: why`).
fn held_reasons(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    format!(
                        "{}: {}",
                        r["field"].as_str().unwrap_or(""),
                        r["why"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub struct ElectionInfo {
    pub definition: ValidDefinition,
    pub log_key: VerifierKey,
    pub origin: String,
}

impl Client {
    pub fn new(base: &str) -> Result<Client> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET url` as JSON; a failure names the URL, and an error answer its status and body.
    async fn get_json(&self, url: &str) -> Result<serde_json::Value> {
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        if !resp.status().is_success() {
            bail!(
                "GET {url}: {} {}",
                resp.status(),
                resp.text().await.unwrap_or_default()
            );
        }
        resp.json()
            .await
            .with_context(|| format!("GET {url}: not JSON"))
    }

    pub async fn election(&self, id: &str) -> Result<ElectionInfo> {
        let url = format!("{}/api/v1/elections/{id}", self.base);
        let v = self.get_json(&url).await?;
        let def: Definition = serde_json::from_value(v["definition"].clone())
            .with_context(|| format!("GET {url}: the definition does not parse"))?;
        let definition = def
            .validate()
            .map_err(|e| anyhow!("the server's definition is invalid: {e}"))?;
        let log_key = VerifierKey::parse(v["log"]["verifier_key"].as_str().unwrap_or(""))
            .map_err(|e| anyhow!("the server's log key is invalid: {e}"))?;
        let origin = v["log"]["origin"].as_str().unwrap_or("").to_string();
        Ok(ElectionInfo {
            definition,
            log_key,
            origin,
        })
    }

    /// Posts one signed note. A server over a rate limit or with a full queue (429 or 503 with
    /// `Retry-After`) is asked again after the time it names, up to [`RETRIES`] times: sending
    /// the same note again is safe (a note already in the log answers its receipt).
    pub async fn submit(&self, election: &str, note: &[u8]) -> Result<Answer> {
        let url = format!("{}/api/v1/elections/{election}/submissions", self.base);
        let resp = self
            .post_waiting(&url, || {
                self.http
                    .post(&url)
                    .header("content-type", "text/plain; charset=utf-8")
                    .body(note.to_vec())
            })
            .await?;
        let status = resp.status().as_u16();
        let v: serde_json::Value = resp
            .json()
            .await
            .with_context(|| format!("POST {url}: the answer is not JSON"))?;
        Ok(match status {
            200 | 201 => Answer::Accepted {
                index: v["index"].as_u64().unwrap_or(0),
                tree_size: v["tree_size"].as_u64().unwrap_or(0),
                duplicate: v["duplicate"].as_bool().unwrap_or(false),
                receipt: v,
            },
            202 => Answer::Held {
                id: v["held"]["id"].as_i64().unwrap_or(0),
                reasons: held_reasons(&v["held"]["reasons"]),
            },
            _ => Answer::Rejected {
                status,
                code: v["error"]["code"].as_str().unwrap_or("unknown").to_string(),
                message: v["error"]["message"].as_str().unwrap_or("").to_string(),
                field: v["error"]["field"].as_str().map(str::to_string),
            },
        })
    }

    /// Sends the request `make` builds, again after the time a 429 or 503 names in
    /// `Retry-After`, up to [`RETRIES`] times; the last answer is returned whatever it is.
    async fn post_waiting(
        &self,
        url: &str,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let mut tries = 0;
        loop {
            let resp = make().send().await.with_context(|| format!("POST {url}"))?;
            match retry_after(&resp) {
                Some(wait) if tries < RETRIES => {
                    tries += 1;
                    tokio::time::sleep(wait).await;
                }
                _ => return Ok(resp),
            }
        }
    }

    /// Posts signed notes as one batch, admitted all or none
    /// (`POST /api/v1/elections/<id>/submissions/batch`). A 429 or 503 with `Retry-After` is
    /// waited out as for one note: a batch sent again gets the receipts of its entries.
    pub async fn submit_batch(&self, election: &str, notes: &[Vec<u8>]) -> Result<BatchAnswer> {
        let url = format!(
            "{}/api/v1/elections/{election}/submissions/batch",
            self.base
        );
        let body: Vec<String> = notes
            .iter()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect();
        let resp = self
            .post_waiting(&url, || self.http.post(&url).json(&body))
            .await?;
        let status = resp.status().as_u16();
        let v: serde_json::Value = resp
            .json()
            .await
            .with_context(|| format!("POST {url}: the answer is not JSON"))?;
        if status != 200 && status != 201 {
            let refused = v["refused"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|r| Refused {
                            position: r["position"].as_u64().unwrap_or(0) as usize,
                            status: r["status"].as_u64().unwrap_or(u64::from(status)) as u16,
                            code: r["code"].as_str().unwrap_or("unknown").to_string(),
                            message: r["message"].as_str().unwrap_or("").to_string(),
                            field: r["field"].as_str().map(str::to_string),
                        })
                        .collect()
                })
                .unwrap_or_default();
            return Ok(BatchAnswer::Refused {
                status,
                code: v["error"]["code"].as_str().unwrap_or("unknown").to_string(),
                message: v["error"]["message"].as_str().unwrap_or("").to_string(),
                refused,
            });
        }
        let results = v["results"]
            .as_array()
            .ok_or_else(|| anyhow!("POST {url}: the answer has no results"))?;
        if results.len() != notes.len() {
            bail!(
                "POST {url}: {} results for {} notes",
                results.len(),
                notes.len()
            );
        }
        Ok(BatchAnswer::Done(
            results
                .iter()
                .map(|r| match r["status"].as_str() {
                    Some("accepted") => {
                        let receipt = r["receipt"].clone();
                        Answer::Accepted {
                            index: receipt["index"].as_u64().unwrap_or(0),
                            tree_size: receipt["tree_size"].as_u64().unwrap_or(0),
                            duplicate: receipt["duplicate"].as_bool().unwrap_or(false),
                            receipt,
                        }
                    }
                    Some("held") => Answer::Held {
                        id: r["held"]["id"].as_i64().unwrap_or(0),
                        reasons: held_reasons(&r["held"]["reasons"]),
                    },
                    other => Answer::Rejected {
                        status,
                        code: other.unwrap_or("unknown").to_string(),
                        message: r["error"]["message"].as_str().unwrap_or("").to_string(),
                        field: None,
                    },
                })
                .collect(),
        ))
    }

    /// The published results document (`GET /api/v1/elections/<id>/results`), as JSON.
    pub async fn results(&self, election: &str) -> Result<serde_json::Value> {
        self.get_json(&format!(
            "{}/api/v1/elections/{election}/results",
            self.base
        ))
        .await
    }

    /// The approval rounds (`GET /api/v1/elections/<id>/approvals`), unverified: see
    /// [`crate::approvals`]. `None` when the server predates them (it answers 404).
    pub async fn approvals(&self, election: &str) -> Result<Option<ApprovalsDoc>> {
        let url = format!("{}/api/v1/elections/{election}/approvals", self.base);
        let resp = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.with_context(|| format!("GET {url}"))?;
        crate::approvals::from_response(status, &body, &url)
    }

    /// The value of one series of the server's `/metrics` (Prometheus text), the first line
    /// whose name and labels start with `series` (e.g. `name{election="x"`); `None` when the
    /// server has not exported it yet.
    pub async fn metric(&self, series: &str) -> Result<Option<f64>> {
        let url = format!("{}/metrics", self.base);
        let text = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?
            .error_for_status()
            .with_context(|| format!("GET {url}"))?
            .text()
            .await
            .with_context(|| format!("GET {url}"))?;
        Ok(text
            .lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok()))
    }

    /// What the public sees now (`GET /api/v1/elections/<id>/snapshot`): the published tree
    /// size, and the size whose pages are all rendered.
    pub async fn snapshot(&self, election: &str) -> Result<PublicSnapshot> {
        let url = format!("{}/api/v1/elections/{election}/snapshot", self.base);
        let v: serde_json::Value = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?
            .error_for_status()
            .with_context(|| format!("GET {url}"))?
            .json()
            .await
            .with_context(|| format!("GET {url}: not JSON"))?;
        let tree_size = v["tree_size"]
            .as_u64()
            .ok_or_else(|| anyhow!("{url}: no tree_size"))?;
        let site = &v["site"];
        let site_complete_at = match (site["tree_size"].as_u64(), site["complete"].as_bool()) {
            (Some(n), Some(true)) => Some(n),
            _ => None,
        };
        Ok(PublicSnapshot {
            tree_size,
            site_complete_at,
        })
    }

    /// The current checkpoint, verified with the log key.
    pub async fn checkpoint(&self, election: &str, log_key: &VerifierKey) -> Result<Checkpoint> {
        let url = format!("{}/log/{election}/checkpoint", self.base);
        let bytes = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?
            .bytes()
            .await?;
        let note = Note::parse(&bytes).map_err(|e| anyhow!("{url}: not a signed note: {e}"))?;
        note.verify(std::slice::from_ref(log_key))
            .map_err(|e| anyhow!("{url}: {e}"))?;
        Checkpoint::parse(&note.text).map_err(|e| anyhow!("{url}: {e}"))
    }
}

/// The public snapshot's position, as the snapshot document gives it.
#[derive(Clone, Copy, Debug)]
pub struct PublicSnapshot {
    /// Tree size of the published results.
    pub tree_size: u64,
    /// Tree size at which every page of the site is rendered, if they all are.
    pub site_complete_at: Option<u64>,
}

/// The first line of a sign-in challenge (the server's `skytale_server::auth::PURPOSE`).
const SIGN_IN_PURPOSE: &str = "skytale sign-in";

impl Client {
    /// Signs in to `election` as the holder of `key`: asks for a challenge, checks that it is
    /// one (so the server cannot make us sign a statement), signs it and returns the bearer
    /// token of the session.
    pub async fn sign_in(&self, election: &str, key: &SigningKey) -> Result<String> {
        let url = format!("{}/api/v1/elections/{election}/auth/challenge", self.base);
        let c = self.json(self.http.post(&url), &url).await?;
        let text = c["challenge"]
            .as_str()
            .ok_or_else(|| anyhow!("POST {url}: the answer has no challenge"))?;
        check_challenge(text, election).with_context(|| format!("POST {url}"))?;
        let note = key
            .sign_note(text)
            .map_err(|e| anyhow!("cannot sign the challenge: {e}"))?
            .to_bytes();
        let url = format!("{}/api/v1/elections/{election}/auth/session", self.base);
        let req = self
            .http
            .post(&url)
            .header("content-type", "text/plain; charset=utf-8")
            .body(note);
        let s = self.json(req, &url).await?;
        s["token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("POST {url}: the answer has no token"))
    }

    /// One page of the sealed log entries the session may read, from index `from`.
    pub async fn sealed_entries(
        &self,
        election: &str,
        token: &str,
        from: u64,
        limit: u64,
    ) -> Result<serde_json::Value> {
        let url = format!(
            "{}/api/v1/elections/{election}/sealed/entries?from={from}&limit={limit}",
            self.base
        );
        self.json(self.http.get(&url).bearer_auth(token), &url)
            .await
    }

    /// One page of the held submissions the session may read, after store id `after`.
    pub async fn held(&self, election: &str, token: &str, after: i64) -> Result<serde_json::Value> {
        let url = format!(
            "{}/api/v1/elections/{election}/held?after={after}",
            self.base
        );
        self.json(self.http.get(&url).bearer_auth(token), &url)
            .await
    }

    /// Registers a webhook of `election` (`events`: `publication` or `change`); the answer
    /// carries its id and secret.
    pub async fn webhook_add(
        &self,
        election: &str,
        token: &str,
        url: &str,
        events: &str,
    ) -> Result<serde_json::Value> {
        let u = format!("{}/api/v1/elections/{election}/webhooks", self.base);
        let req = self
            .http
            .post(&u)
            .bearer_auth(token)
            .json(&serde_json::json!({"url": url, "events": events}));
        self.json(req, &u).await
    }

    /// The webhooks of `election`.
    pub async fn webhooks(&self, election: &str, token: &str) -> Result<serde_json::Value> {
        let u = format!("{}/api/v1/elections/{election}/webhooks", self.base);
        self.json(self.http.get(&u).bearer_auth(token), &u).await
    }

    /// Removes webhook `id` of `election`.
    pub async fn webhook_remove(&self, election: &str, token: &str, id: i64) -> Result<()> {
        let u = format!("{}/api/v1/elections/{election}/webhooks/{id}", self.base);
        let resp = self
            .http
            .delete(&u)
            .bearer_auth(token)
            .send()
            .await
            .with_context(|| u.clone())?;
        if resp.status().is_success() {
            return Ok(());
        }
        let status = resp.status();
        let v: serde_json::Value = resp.json().await.unwrap_or_default();
        bail!(
            "{u}: {status}: {}: {}",
            v["error"]["code"].as_str().unwrap_or("unknown"),
            v["error"]["message"].as_str().unwrap_or("")
        )
    }

    /// The delivery log of webhook `id`, newest first.
    pub async fn webhook_deliveries(
        &self,
        election: &str,
        token: &str,
        id: i64,
        limit: u64,
    ) -> Result<serde_json::Value> {
        let u = format!(
            "{}/api/v1/elections/{election}/webhooks/{id}/deliveries?limit={limit}",
            self.base
        );
        self.json(self.http.get(&u).bearer_auth(token), &u).await
    }

    /// Sends a request and reads a JSON answer; an error answer becomes an error that carries
    /// the server's code and message.
    async fn json(&self, req: reqwest::RequestBuilder, url: &str) -> Result<serde_json::Value> {
        let resp = req.send().await.with_context(|| url.to_string())?;
        let status = resp.status();
        let v: serde_json::Value = resp
            .json()
            .await
            .with_context(|| format!("{url}: the answer ({status}) is not JSON"))?;
        if !status.is_success() {
            bail!(
                "{url}: {status}: {}: {}",
                v["error"]["code"].as_str().unwrap_or("unknown"),
                v["error"]["message"].as_str().unwrap_or("")
            );
        }
        Ok(v)
    }
}

/// Refuses to sign anything but a sign-in challenge for `election`: five lines, the purpose
/// first and the election third. A statement is JSON, so it can never pass.
fn check_challenge(text: &str, election: &str) -> Result<()> {
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    if !text.ends_with('\n')
        || lines.len() != 5
        || lines[0] != SIGN_IN_PURPOSE
        || lines[2] != election
    {
        bail!("the server sent something other than a sign-in challenge for {election:?}; not signing it: {text:?}");
    }
    Ok(())
}

/// Checks a receipt against our note and the log key: signed checkpoint, matching leaf,
/// valid inclusion proof.
pub fn check_receipt(
    receipt: &serde_json::Value,
    note: &[u8],
    log_key: &VerifierKey,
) -> Result<u64> {
    let index = receipt["index"]
        .as_u64()
        .ok_or_else(|| anyhow!("receipt has no index"))?;
    let cp_text = receipt["checkpoint"]
        .as_str()
        .ok_or_else(|| anyhow!("receipt has no checkpoint"))?;
    let cp_note =
        Note::parse(cp_text.as_bytes()).map_err(|e| anyhow!("receipt checkpoint: {e}"))?;
    cp_note
        .verify(std::slice::from_ref(log_key))
        .map_err(|e| anyhow!("receipt checkpoint is not signed by the log key: {e}"))?;
    let cp = Checkpoint::parse(&cp_note.text).map_err(|e| anyhow!("receipt checkpoint: {e}"))?;
    let leaf = leaf_hash(note);
    let proof: Vec<[u8; 32]> = receipt["inclusion_proof"]
        .as_array()
        .ok_or_else(|| anyhow!("receipt has no inclusion proof"))?
        .iter()
        .map(|h| {
            h.as_str()
                .and_then(decode_hash)
                .ok_or_else(|| anyhow!("receipt proof hash is not base64 of 32 bytes"))
        })
        .collect::<Result<_>>()?;
    verify_inclusion(&leaf, index, cp.size, &proof, &cp.root)
        .map_err(|e| anyhow!("the receipt does not prove our note is in the log: {e}"))?;
    Ok(index)
}

/// How often [`Client::submit`] asks again when told to retry later.
pub const RETRIES: u32 = 20;

/// The wait a 429 or 503 answer asks for (`Retry-After` in seconds, at most a minute).
fn retry_after(resp: &reqwest::Response) -> Option<std::time::Duration> {
    if !matches!(resp.status().as_u16(), 429 | 503) {
        return None;
    }
    let secs: u64 = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(std::time::Duration::from_secs(secs.clamp(1, 60)))
}

#[cfg(test)]
mod tests {
    use super::check_challenge;

    #[test]
    fn only_sign_in_challenges_for_the_election_are_signed() {
        let ok = "skytale sign-in\nskytale.invalid/e\ne\n00ff\n2026-11-25T20:02:00Z\n";
        assert!(check_challenge(ok, "e").is_ok());
        assert!(check_challenge(ok, "other").is_err());
        assert!(check_challenge(ok.trim_end(), "e").is_err());
        let statement = r#"{"type":"publication","election":"e","tree_size":9}"#;
        assert!(check_challenge(&format!("{statement}\n"), "e").is_err());
        assert!(check_challenge(&format!("{ok}extra\n"), "e").is_err());
    }
}
