//! `skytale submit` and `skytale approve`: the reporting authority's and approver's side.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};
use skytale_model::{
    encode_hash, ContestReport, PublicationStatement, ResultType, ResultsStatement, SourceFile,
    Statement, StatusStatement, ValidDefinition,
};
use skytale_note::{SigningKey, VerifierKey};

use crate::approvals::Choice;
use crate::client::{check_receipt, Answer, BatchAnswer, Client, ElectionInfo};
use crate::preview::preview;

/// Options of `skytale submit`.
pub struct SubmitOptions {
    pub server: String,
    pub election: String,
    pub key: PathBuf,
    pub format: Option<String>,
    pub files: Vec<PathBuf>,
    pub version: Option<u64>,
    pub receipts: PathBuf,
    pub dry_run: bool,
    /// Name mapping / CSV layout file (TOML) for tabulator exports.
    pub mapping: Option<PathBuf>,
}

/// Parses a native results file: one results statement or an array of them. `election`,
/// `submitted_at` and (with `--version`) `version` may be left out and are filled in.
pub fn parse_native(
    bytes: &[u8],
    name: &str,
    election: &str,
    version: Option<u64>,
    now: &str,
) -> Result<Vec<ResultsStatement>> {
    // A byte-order mark before the JSON is skipped (serde refuses it); the hash is the file's.
    let json = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let v: serde_json::Value = serde_json::from_slice(json).map_err(|e| {
        anyhow!(
            "{name}: not JSON: {e} (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let items = match v {
        serde_json::Value::Array(a) => a,
        o @ serde_json::Value::Object(_) => vec![o],
        _ => bail!("{name}: expected a results object or an array of them"),
    };
    let sha = hex::encode(Sha256::digest(bytes));
    let mut out = Vec::with_capacity(items.len());
    for (i, mut item) in items.into_iter().enumerate() {
        let Some(obj) = item.as_object_mut() else {
            bail!("{name}: item {i} is not an object");
        };
        // A report's status is never guessed: "partial" by default would publish a finished
        // count as unfinished (or the reverse with another default).
        if !obj.contains_key("status") {
            bail!("{name}: item {i}: missing field `status` (one of partial, complete, certified)");
        }
        obj.insert("type".into(), "results".into());
        obj.entry("election").or_insert_with(|| election.into());
        obj.entry("submitted_at").or_insert_with(|| now.into());
        if let Some(ver) = version {
            obj.entry("version").or_insert_with(|| ver.into());
        }
        obj.entry("source").or_insert_with(|| {
            serde_json::json!({"format": "native", "sha256": sha, "name": Path::new(name).file_name().map(|n| n.to_string_lossy().into_owned())})
        });
        let text = serde_json::to_string(&item)?;
        match Statement::parse(&text) {
            Ok(Statement::Results(r)) => out.push(r),
            Ok(_) => bail!("{name}: item {i} is not a results statement"),
            Err(e) => bail!("{name}: item {i}: {e}"),
        }
    }
    Ok(out)
}

/// Opens a results or tabulator file for streaming and tells its format: the one given with
/// `--format`, else the one its structure shows (`Format::detect` reads as far as it needs,
/// then the file is read again from its start). `expected` says which formats the command
/// reads, for the error when the structure fits none.
pub fn open_results(
    path: &Path,
    format: Option<skytale_formats::Format>,
    expected: &str,
) -> Result<(BufReader<File>, skytale_formats::Format)> {
    let name = path.display().to_string();
    let mut file = File::open(path).with_context(|| format!("cannot read {name}"))?;
    let format = match format {
        Some(f) => f,
        None => {
            let found = skytale_formats::Format::detect(BufReader::new(&mut file));
            file.rewind()
                .with_context(|| format!("cannot read {name}"))?;
            found.map_err(|e| {
                anyhow!(
                    "{}; {expected}: name the format with --format ({})",
                    e.with_file(&name),
                    skytale_formats::Format::names()
                )
            })?
        }
    };
    Ok((BufReader::with_capacity(1 << 16, file), format))
}

/// The value of `--format`, if given: one of the format names (the error lists them). Read
/// before anything else is done, so a misspelt name costs nothing.
pub fn parse_format(name: Option<&str>) -> Result<Option<skytale_formats::Format>> {
    name.map(|n| {
        n.parse::<skytale_formats::Format>()
            .map_err(|e| anyhow!("--format: {e}"))
    })
    .transpose()
}

/// A short human summary of what a statement asserts (shown before signing).
pub fn describe(def: &ValidDefinition, r: &ResultsStatement) -> String {
    let mut s = String::new();
    let unit = def
        .unit_index(&r.unit)
        .map(|u| def.text(&def.units()[u].name, "en").to_string())
        .unwrap_or_else(|| "?".into());
    let _ = writeln!(
        s,
        "  unit {} ({unit}), version {}, {:?}",
        r.unit, r.version, r.status
    );
    for c in &r.contests {
        let total: u64 = c
            .selections
            .values()
            .map(ContestReport::selection_total)
            .sum();
        let _ = writeln!(
            s,
            "    {}: {} votes over {} selections, ballots {}",
            c.contest,
            total,
            c.selections.len(),
            c.ballots
                .map(|b| b.get().to_string())
                .unwrap_or_else(|| "-".into())
        );
    }
    s
}

/// The mapping table at `path`, if one is given, its errors prefixed with the file.
pub(crate) fn load_mapping(path: Option<&Path>) -> Result<Option<skytale_formats::Mapping>> {
    let Some(p) = path else {
        return Ok(None);
    };
    let text = fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
    skytale_formats::Mapping::from_toml(&text)
        .map(Some)
        .map_err(|e| anyhow!("{}: {e}", p.display()))
}

pub async fn submit(opts: SubmitOptions) -> Result<bool> {
    let named_format = parse_format(opts.format.as_deref())?;
    let key = crate::commands::load_key(&opts.key)?;
    let client = Client::new(&opts.server)?;
    let info = client.election(&opts.election).await?;
    let now = crate::now_rfc3339();
    let mapping = load_mapping(opts.mapping.as_deref())?;
    let mut statements = Vec::new();
    // The dry run's preview, file by file: every number with the line it came from.
    let mut previews = Vec::new();
    for f in &opts.files {
        let name = f.display().to_string();
        let (mut input, format) = open_results(
            f,
            named_format,
            "results are read from native JSON, NIST SP 1500-100 JSON or XML, Clarity XML or CSV",
        )?;
        if format == skytale_formats::Format::Native {
            let mut bytes = Vec::new();
            input
                .read_to_end(&mut bytes)
                .with_context(|| format!("cannot read {name}"))?;
            let parsed = parse_native(&bytes, &name, &opts.election, opts.version, &now)?;
            if opts.dry_run {
                let none = skytale_formats::Trace::default();
                previews.push(preview(&info.definition, &name, &parsed, &none));
            }
            statements.extend(parsed);
        } else {
            let io = skytale_formats::ImportOptions {
                election: &opts.election,
                version: opts.version.unwrap_or(1),
                submitted_at: &now,
                status: skytale_model::ReportStatus::Partial,
                mapping: mapping.as_ref(),
                source_name: Some(&name),
            };
            // Streamed: a state's precinct file is parsed record by record, never held whole.
            if opts.dry_run {
                let (parsed, trace) =
                    skytale_formats::import_results_traced(format, input, &info.definition, &io)
                        .map_err(|e| anyhow!("{e}"))?;
                previews.push(preview(&info.definition, &name, &parsed, &trace));
                statements.extend(parsed);
            } else {
                statements.extend(
                    skytale_formats::import_results_from(format, input, &info.definition, &io)
                        .map_err(|e| anyhow!("{e}"))?,
                );
            }
        }
    }
    // Every statement is checked against the definition before anything is signed or sent:
    // a file with one unknown id sends nothing.
    check_against_definition(&info.definition, &statements)?;
    if opts.dry_run {
        // On standard output: the preview is what the command was asked for.
        for p in &previews {
            println!("{p}");
        }
        println!(
            "dry run: {} statement(s) checked against the definition; nothing signed or sent",
            statements.len()
        );
        return Ok(true);
    }
    eprintln!(
        "{} statement(s) to sign with {}:",
        statements.len(),
        key.verifier()
    );
    for r in &statements {
        eprint!("{}", describe(&info.definition, r));
    }
    let dir = opts.receipts.join(&opts.election);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut signed = Vec::with_capacity(statements.len());
    for r in &statements {
        let note = sign_statement(&key, &Statement::Results(r.clone()))?;
        let path = dir.join(format!("{}-v{}.json", r.unit, r.version));
        let what = format!("unit {} version {}", r.unit, r.version);
        signed.push((note, path, what));
    }
    send_batches(&client, &opts.election, &info.log_key, &signed).await
}

/// Most notes per batch request (the server's `MAX_BATCH_STATEMENTS`).
pub const BATCH_NOTES: usize = 10_000;
/// Most bytes of notes per batch request, under the server's 32 MiB body limit with room for
/// the JSON string escapes of the notes' quotes and newlines.
pub const BATCH_BYTES: usize = 24 * 1024 * 1024;

/// Sends signed notes (with where to save each receipt and what to call it) as batches the
/// server admits all or none: one batch for a file up to [`BATCH_NOTES`] notes and
/// [`BATCH_BYTES`], otherwise consecutive batches, each all or none, stopping at the first
/// refused one. Whether every note was accepted.
pub(crate) async fn send_batches(
    client: &Client,
    election: &str,
    log_key: &VerifierKey,
    signed: &[(Vec<u8>, PathBuf, String)],
) -> Result<bool> {
    let mut chunks: Vec<&[(Vec<u8>, PathBuf, String)]> = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, (note, _, _)) in signed.iter().enumerate() {
        if i > start && (i - start == BATCH_NOTES || bytes + note.len() > BATCH_BYTES) {
            chunks.push(&signed[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += note.len();
    }
    if start < signed.len() {
        chunks.push(&signed[start..]);
    }
    if chunks.len() > 1 {
        eprintln!(
            "{} statements go in {} batches, each admitted all or none",
            signed.len(),
            chunks.len()
        );
    }
    let mut all_ok = true;
    for (k, chunk) in chunks.iter().enumerate() {
        let notes: Vec<Vec<u8>> = chunk.iter().map(|(n, _, _)| n.clone()).collect();
        match client.submit_batch(election, &notes).await? {
            BatchAnswer::Done(answers) => {
                for ((note, path, what), answer) in chunk.iter().zip(answers) {
                    all_ok &= report_answer(answer, note, log_key, path, what)?;
                }
            }
            BatchAnswer::Refused {
                status,
                code,
                message,
                refused,
            } => {
                println!("REFUSED batch: {code} ({status}): {message}");
                for r in refused {
                    let what = chunk.get(r.position).map(|(_, _, w)| w.as_str());
                    println!(
                        "REJECTED {}: {} ({}): {}{}",
                        what.unwrap_or("?"),
                        r.code,
                        r.status,
                        r.message,
                        r.field.map(|f| format!(" [field {f}]")).unwrap_or_default()
                    );
                }
                if k > 0 {
                    println!(
                        "the {k} batch(es) before this one were accepted; nothing of this one or the ones after it was sent"
                    );
                }
                return Ok(false);
            }
        }
    }
    Ok(all_ok)
}

/// The close matches of `id` among `known` (edit distance at most a third of its length, at
/// least 1), nearest first, at most three.
fn close_matches<'a>(id: &str, known: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let limit = (id.chars().count() / 3).max(1);
    let mut near: Vec<(usize, &str)> = known
        .map(|k| (strsim::levenshtein(id, k), k))
        .filter(|(d, _)| *d <= limit)
        .collect();
    near.sort();
    near.into_iter().take(3).map(|(_, k)| k).collect()
}

fn suggest(near: &[&str]) -> String {
    if near.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = near.iter().map(|n| format!("{n:?}")).collect();
        format!(" (did you mean {}?)", quoted.join(" or "))
    }
}

/// Every unit, contest and selection id of `statements` must be in the definition, and every
/// contest held in its unit: the problems are listed (up to 20, with close matches) and
/// nothing is sent.
pub fn check_against_definition(
    def: &ValidDefinition,
    statements: &[ResultsStatement],
) -> Result<()> {
    const SHOWN: usize = 20;
    let mut problems = Vec::new();
    for (i, r) in statements.iter().enumerate() {
        let at = format!(
            "statement {} (unit {:?}, version {})",
            i + 1,
            r.unit,
            r.version
        );
        let Some(unit) = def.unit_index(&r.unit) else {
            let near = close_matches(&r.unit, def.units().iter().map(|u| u.id.as_str()));
            problems.push(format!(
                "{at}: unit {:?} is not in the election{}",
                r.unit,
                suggest(&near)
            ));
            continue;
        };
        for c in &r.contests {
            let Some(ci) = def.contest_index(&c.contest) else {
                let near = close_matches(&c.contest, def.contests().iter().map(|c| c.id.as_str()));
                problems.push(format!(
                    "{at}: contest {:?} is not in the election{}",
                    c.contest,
                    suggest(&near)
                ));
                continue;
            };
            if !def.contest_held_in(ci, unit) {
                problems.push(format!(
                    "{at}: contest {:?} is not held in unit {:?}",
                    c.contest, r.unit
                ));
            }
            let selections = &def.contests()[ci].selections;
            for sel in c.selections.keys() {
                if def.selection_index(ci, sel).is_none() {
                    let near = close_matches(sel, selections.iter().map(|s| s.id.as_str()));
                    problems.push(format!(
                        "{at}: contest {:?} has no selection {sel:?}{}",
                        c.contest,
                        suggest(&near)
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let mut msg = format!(
        "{} problem(s) with the file against the election's definition; nothing was signed or sent:",
        problems.len()
    );
    for p in problems.iter().take(SHOWN) {
        msg.push_str("\n  ");
        msg.push_str(p);
    }
    if problems.len() > SHOWN {
        let _ = write!(msg, "\n  … and {} more", problems.len() - SHOWN);
    }
    bail!("{msg}")
}

/// Sends one signed note and reports the answer for `what` ("unit ps1 version 2", "batch 1 of
/// 3"): an accepted note's receipt is checked against the log key and saved with the note at
/// `path`. Whether the note was accepted.
pub(crate) async fn send_note(
    client: &Client,
    election: &str,
    note: &[u8],
    log_key: &VerifierKey,
    path: &Path,
    what: &str,
) -> Result<bool> {
    let answer = client.submit(election, note).await?;
    report_answer(answer, note, log_key, path, what)
}

/// Reports the server's answer for one note: an accepted note's receipt is checked against the
/// log key and saved with the note at `path` (also when it was already in the log: the receipt
/// of the first time). Whether the note is in the log.
fn report_answer(
    answer: Answer,
    note: &[u8],
    log_key: &VerifierKey,
    path: &Path,
    what: &str,
) -> Result<bool> {
    match answer {
        Answer::Accepted {
            receipt, duplicate, ..
        } => {
            let index = match receipt["entry"].as_str() {
                Some(entry) if duplicate && entry.as_bytes() != note => {
                    check_retry_receipt(&receipt, entry.as_bytes(), note, log_key)?
                }
                _ => check_receipt(&receipt, note, log_key)?,
            };
            let saved =
                serde_json::json!({"note": String::from_utf8_lossy(note), "receipt": receipt});
            fs::write(path, serde_json::to_vec_pretty(&saved)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
            if duplicate {
                println!(
                    "{what} already in the log as entry {index} (receipt checked, saved to {})",
                    path.display()
                );
            } else {
                println!(
                    "accepted {what} at index {index} (receipt checked, saved to {})",
                    path.display()
                );
            }
            Ok(true)
        }
        Answer::Held { id, reasons } => {
            println!("HELD for review (id {id}) {what}:");
            for reason in reasons {
                println!("  {reason}");
            }
            Ok(false)
        }
        Answer::Rejected {
            status,
            code,
            message,
            field,
        } => {
            println!(
                "REJECTED {what}: {code} ({status}): {message}{}",
                field.map(|f| format!(" [field {f}]")).unwrap_or_default()
            );
            Ok(false)
        }
    }
}

/// A retry with a new time is answered with the entry first accepted, not with this note:
/// the proof is checked for that entry, which must be signed by the same key (name and key
/// id; the server checked the signature when it admitted it, and anyone can check it again in
/// the log) and say the same as `ours` in everything but `submitted_at`.
fn check_retry_receipt(
    receipt: &serde_json::Value,
    entry: &[u8],
    ours: &[u8],
    log_key: &VerifierKey,
) -> Result<u64> {
    let index = check_receipt(receipt, entry, log_key)?;
    let parse = |b: &[u8]| -> Result<(skytale_note::Note, Statement)> {
        let n = skytale_note::Note::parse(b).map_err(|e| anyhow!("not a signed note: {e}"))?;
        let st = Statement::parse(&n.text).map_err(|e| anyhow!("{e}"))?;
        Ok((n, st))
    };
    let (their_note, theirs) =
        parse(entry).map_err(|e| anyhow!("the receipt's entry {index}: {e}"))?;
    let (our_note, ours) = parse(ours)?;
    let same_key = our_note.signatures.iter().any(|s| {
        their_note
            .signatures
            .iter()
            .any(|t| t.name == s.name && t.key_id == s.key_id)
    });
    let same = match (theirs, ours) {
        (Statement::Results(mut t), Statement::Results(o)) => {
            t.submitted_at.clone_from(&o.submitted_at);
            t == o
        }
        _ => false,
    };
    if !same_key || !same {
        bail!("the server answered with entry {index}, which is not this statement sent before");
    }
    Ok(index)
}

pub fn sign_statement(key: &SigningKey, st: &Statement) -> Result<Vec<u8>> {
    Ok(key
        .sign_note(&st.to_note_text())
        .map_err(|e| anyhow!("cannot sign: {e}"))?
        .to_bytes())
}

/// `skytale approve`: sign "publish tree size N". With a server that lists the approval
/// rounds, N is the round this approver should join (or `size`), proved against the log's
/// signed checkpoint first, and the answer says how far the round got; with an older server,
/// N is the log's current size (or `size`, which must be it).
pub async fn approve(
    server: &str,
    election: &str,
    key: &Path,
    size: Option<u64>,
) -> Result<String> {
    let key = crate::commands::load_key(key)?;
    let client = Client::new(server)?;
    let (_, message) = approve_with(&client, election, &key, size).await?;
    Ok(message)
}

/// [`approve`] with a key in hand: the tree size approved and what to tell the approver.
pub async fn approve_with(
    client: &Client,
    election: &str,
    key: &SigningKey,
    size: Option<u64>,
) -> Result<(u64, String)> {
    let info = client.election(election).await?;
    let Some(doc) = client.approvals(election).await? else {
        return approve_current_size(client, &info, election, key, size).await;
    };
    if doc.election != election {
        bail!(
            "the server's approvals are of election {:?}, not {election:?}",
            doc.election
        );
    }
    if doc.mode != "approval" {
        bail!(
            "election {election} is in publication mode {:?}: its results are published without approvals",
            doc.mode
        );
    }
    let me = key.name();
    if !info
        .definition
        .definition()
        .publication
        .approvers
        .contains(&key.verifier())
    {
        bail!("the key {me:?} is not one of the approvers of election {election}");
    }
    let checkpoint = doc.verified_checkpoint(&info.log_key, &info.origin)?;
    let tree_size = match doc.choose(me, size)? {
        Choice::AlreadyApproved(n) => {
            return Ok((
                n,
                format!("{me} already approved tree size {n}: {}\n", doc.progress(n)),
            ))
        }
        Choice::Approve(n) => n,
    };
    let root = doc.proved_root(&checkpoint, tree_size)?;
    let index = sign_and_send_approval(client, &info, election, key, tree_size, &root).await?;
    let progress = match client.approvals(election).await {
        Ok(Some(after)) => after.progress(tree_size),
        Ok(None) => "the server no longer lists the approvals".to_string(),
        Err(e) => format!("the approvals could not be read again ({e:#})"),
    };
    Ok((
        tree_size,
        format!(
            "approved tree size {tree_size} (root {}), recorded at index {index}: {progress}\n",
            encode_hash(&root)
        ),
    ))
}

/// `approve` against a server without `/approvals`: the log's current size, the only one whose
/// root the client can get from a signed checkpoint.
async fn approve_current_size(
    client: &Client,
    info: &ElectionInfo,
    election: &str,
    key: &SigningKey,
    size: Option<u64>,
) -> Result<(u64, String)> {
    let cp = client.checkpoint(election, &info.log_key).await?;
    let tree_size = size.unwrap_or(cp.size);
    if tree_size != cp.size {
        bail!(
            "approving an older size needs its root; the log is at {} (approve the current size, or wait)",
            cp.size
        );
    }
    let index = sign_and_send_approval(client, info, election, key, tree_size, &cp.root).await?;
    Ok((
        tree_size,
        format!(
            "approved publication of tree size {tree_size} (root {}); recorded at index {index}\n",
            encode_hash(&cp.root)
        ),
    ))
}

/// Signs and submits "publish `tree_size` with `root`"; the checked receipt's log index.
async fn sign_and_send_approval(
    client: &Client,
    info: &ElectionInfo,
    election: &str,
    key: &SigningKey,
    tree_size: u64,
    root: &[u8; 32],
) -> Result<u64> {
    let st = Statement::Publication(PublicationStatement {
        election: election.to_string(),
        tree_size,
        root_hash: encode_hash(root),
        signed_at: crate::now_rfc3339(),
    });
    let note = sign_statement(key, &st)?;
    match client.submit(election, &note).await? {
        Answer::Accepted { receipt, .. } => check_receipt(&receipt, &note, &info.log_key),
        Answer::Held { .. } => bail!("the publication was held; this should not happen"),
        Answer::Rejected { code, message, .. } => bail!("approval refused: {code}: {message}"),
    }
}

/// What `skytale status` is asked to sign.
pub struct ResultTypeRequest<'a> {
    pub election: &'a str,
    pub result_type: ResultType,
    pub contest: Option<&'a str>,
    pub unit: Option<&'a str>,
    pub reason: Option<&'a str>,
}

/// Signs the officials' result type for an election, a contest or a unit and sends it; what
/// to tell the official. The contest, the unit and the key's role are checked against the
/// definition first, so a typo is named before anything is signed.
pub async fn set_result_type(
    server: &str,
    key: &Path,
    req: &ResultTypeRequest<'_>,
) -> Result<String> {
    let key = crate::commands::load_key(key)?;
    let client = Client::new(server)?;
    let info = client.election(req.election).await?;
    let def = &info.definition;
    let d = def.definition();
    let me = key.verifier();
    if d.authority_key != me && !d.publication.approvers.contains(&me) {
        bail!(
            "the key {:?} is neither the authority's root key nor an approver of election {}; only they give result types",
            key.name(),
            req.election
        );
    }
    if let Some(c) = req.contest {
        if def.contest_index(c).is_none() {
            bail!("election {} has no contest {c:?}", req.election);
        }
    }
    if let Some(u) = req.unit {
        if def.unit_index(u).is_none() {
            bail!("election {} has no unit {u:?}", req.election);
        }
    }
    let st = Statement::Status(StatusStatement {
        election: req.election.to_string(),
        contest: req.contest.map(str::to_string),
        unit: req.unit.map(str::to_string),
        result_type: req.result_type,
        signed_at: crate::now_rfc3339(),
        reason: req.reason.map(str::to_string),
    });
    let note = sign_statement(&key, &st)?;
    let index = match client.submit(req.election, &note).await? {
        Answer::Accepted { receipt, .. } => check_receipt(&receipt, &note, &info.log_key)?,
        Answer::Held { .. } => bail!("the result type was held; this should not happen"),
        Answer::Rejected { code, message, .. } => bail!("result type refused: {code}: {message}"),
    };
    let scope = match (req.contest, req.unit) {
        (Some(c), Some(u)) => format!("contest {c} in unit {u}"),
        (Some(c), None) => format!("contest {c}"),
        (None, Some(u)) => format!("every contest in unit {u}"),
        (None, None) => "every contest".to_string(),
    };
    Ok(format!(
        "{scope}: {}; recorded at index {index}\n",
        req.result_type.as_str()
    ))
}

/// Records the source file of a statement (format and hash).
pub fn source_of(format: &str, bytes: &[u8], name: &str) -> SourceFile {
    SourceFile {
        format: format.to_string(),
        sha256: hex::encode(Sha256::digest(bytes)),
        name: Some(name.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every unknown id of a file is listed with its close matches before anything is sent.
    #[test]
    fn unknown_ids_are_listed_with_close_matches() {
        let k = skytale_testkit::keys();
        let def = skytale_testkit::valid(&k);
        let text = |unit: &str, contest: &str, sel: &str| {
            format!(
                r#"{{"unit": "{unit}", "version": 1, "status": "complete", "contests": [{{"contest": "{contest}", "selections": {{"{sel}": {{"total": 1}}}}}}]}}"#
            )
        };
        let file = format!(
            "[{}, {}, {}, {}]",
            text("n1", "mayor", "alice"),
            text("n9", "mayor", "alice"),
            text("n2", "mayr", "alice"),
            text("s1", "mayor", "alise"),
        );
        let st = parse_native(
            file.as_bytes(),
            "f.json",
            "test-2026",
            None,
            "2026-11-25T20:00:00Z",
        )
        .unwrap();
        let e = check_against_definition(&def, &st).unwrap_err().to_string();
        assert!(e.starts_with("3 problem(s)"), "{e}");
        assert!(
            e.contains(r#"unit "n9" is not in the election (did you mean "n1" or "n2"?)"#),
            "{e}"
        );
        assert!(
            e.contains(r#"contest "mayr" is not in the election (did you mean "mayor"?)"#),
            "{e}"
        );
        assert!(
            e.contains(r#"has no selection "alise" (did you mean "alice"?)"#),
            "{e}"
        );
        assert!(check_against_definition(&def, &st[..1]).is_ok());
    }

    #[test]
    fn a_native_item_without_status_is_refused() {
        let e = parse_native(
            br#"{"unit": "n1", "version": 1, "contests": []}"#,
            "f.json",
            "test-2026",
            None,
            "2026-11-25T20:00:00Z",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("item 0: missing field `status`"), "{e}");
    }
}
