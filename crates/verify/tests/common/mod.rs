//! A real election log made by the real server (in-process), its published mirror, and the
//! tools an insider with database access and the log key would use to forge one.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use skytale_model::{Definition, DefinitionFormat};
use skytale_note::SigningKey;
use skytale_tlog::tiles::{encode_entry_bundle, tiles_for_size, TilePath};
use skytale_tlog::{Checkpoint, Tree};

pub const ID: &str = "tamper-2026";

pub fn key(name: &str, n: u8) -> SigningKey {
    SigningKey::from_seed(name, [n; 32]).unwrap()
}

pub struct Keys {
    pub authority: SigningKey,
    pub north: SigningKey,
    pub south: SigningKey,
    pub north_backup: SigningKey,
}

pub fn keys() -> Keys {
    Keys {
        authority: key("authority", 1),
        north: key("north-office", 2),
        south: key("south-office", 3),
        north_backup: key("north-backup", 6),
    }
}

pub fn definition(k: &Keys) -> Definition {
    let text = format!(
        r#"
id = "{ID}"
name = {{ en = "Tamper test" }}
date = "2026-11-25"
default_language = "en"
languages = ["en"]
authority_key = "{auth}"
[[units]]
id = "nation"
name = {{ en = "Nation" }}
[[units]]
id = "north"
parent = "nation"
name = {{ en = "North" }}
[[units]]
id = "south"
parent = "nation"
name = {{ en = "South" }}
[[units]]
id = "n1"
parent = "north"
name = {{ en = "N1" }}
registered = 1000
[[units]]
id = "n2"
parent = "north"
name = {{ en = "N2" }}
registered = 1000
[[units]]
id = "s1"
parent = "south"
name = {{ en = "S1" }}
registered = 1000
[[units]]
id = "s2"
parent = "south"
name = {{ en = "S2" }}
registered = 1000
[[contests]]
id = "mayor"
name = {{ en = "Mayor" }}
kind = "candidate"
area = ["nation"]
[[contests.selections]]
id = "alice"
name = {{ en = "Alice" }}
[[contests.selections]]
id = "bob"
name = {{ en = "Bob" }}
[[reporters]]
name = "North office"
key = "{north}"
scope = ["north"]
[[reporters]]
name = "South office"
key = "{south}"
scope = ["south"]
"#,
        auth = k.authority.verifier(),
        north = k.north.verifier(),
        south = k.south.verifier(),
    );
    Definition::parse(&text, DefinitionFormat::Toml).unwrap()
}

/// The entries that carry the definition at the head of the log.
pub fn head(k: &Keys) -> Vec<Vec<u8>> {
    skytale_model::sign_definition(&definition(k), &k.authority).unwrap()
}

pub fn sign(key: &SigningKey, json: &str) -> Vec<u8> {
    key.sign_note(&format!("{json}\n")).unwrap().to_bytes()
}

pub fn results(key: &SigningKey, unit: &str, version: u64, alice: u64, bob: u64) -> Vec<u8> {
    sign(
        key,
        &format!(
            r#"{{"type":"results","election":"{ID}","unit":"{unit}","version":{version},"status":"complete","submitted_at":"2026-11-25T20:0{version}:00Z","contests":[{{"contest":"mayor","ballots":{b},"selections":{{"alice":{{"election_day":{alice}}},"bob":{{"election_day":{bob}}}}}}}]}}"#,
            b = alice + bob
        ),
    )
}

pub fn key_add(k: &Keys) -> Vec<u8> {
    sign(
        &k.authority,
        &format!(
            r#"{{"type":"key","election":"{ID}","action":"add","name":"North backup","key":"{}","scope":["north"]}}"#,
            k.north_backup.verifier()
        ),
    )
}

pub fn key_revoke(k: &Keys) -> Vec<u8> {
    sign(
        &k.authority,
        &format!(
            r#"{{"type":"key","election":"{ID}","action":"revoke","key":"{}"}}"#,
            k.north_backup.verifier()
        ),
    )
}

/// The statements of the real night, in submission order (entries 1..).
pub fn night(k: &Keys) -> Vec<Vec<u8>> {
    vec![
        results(&k.north, "n1", 1, 300, 200),
        results(&k.south, "s1", 1, 250, 260),
        key_add(k),
        results(&k.north_backup, "n2", 1, 410, 390),
        key_revoke(k),
        results(&k.south, "s2", 1, 120, 180),
        results(&k.north, "n1", 2, 310, 200),
    ]
}

pub struct Election {
    pub dir: tempfile::TempDir,
    pub url: String,
    pub shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<()>,
}

impl Election {
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        let _ = self.task.await;
        self.dir
    }
}

/// Starts a real server on 127.0.0.1:0 over a fresh store.
pub async fn start_server(
    data: &Path,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let state = skytale_server::AppState::open(data).unwrap();
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = skytale_server::serve(state, listener, async {
            let _ = rx.await;
        })
        .await;
    });
    (format!("http://{addr}"), tx, task)
}

pub async fn submit(url: &str, note: &[u8]) -> u16 {
    let r = reqwest::Client::new()
        .post(format!("{url}/api/v1/elections/{ID}/submissions"))
        .body(note.to_vec())
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

/// A real election: created with the server's own `create_election`, served, and fed the
/// night's statements over HTTP. Waits until the published results catch up.
pub async fn real_election(k: &Keys) -> Election {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let store = skytale_store::Store::open(&data).unwrap();
        skytale_server::create_election(&store, &head(k)).unwrap();
    }
    let (url, tx, task) = start_server(&data).await;
    for n in night(k) {
        let s = submit(&url, &n).await;
        assert_eq!(s, 201, "submission refused");
    }
    wait_published(&url, 1 + night(k).len() as u64).await;
    Election {
        dir,
        url,
        shutdown: Some(tx),
        task,
    }
}

pub async fn wait_published(url: &str, size: u64) {
    for _ in 0..100 {
        let v: serde_json::Value = reqwest::get(format!("{url}/api/v1/elections/{ID}/results"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["tree_size"].as_u64() == Some(size) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("results never reached size {size}");
}

async fn get(url: &str, path: &str) -> Vec<u8> {
    get_typed(url, path).await.0
}

async fn get_typed(url: &str, path: &str) -> (Vec<u8>, String) {
    let r = reqwest::get(format!("{url}/{path}")).await.unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    (r.bytes().await.unwrap().to_vec(), ct)
}

fn write(dir: &Path, path: &str, bytes: &[u8]) {
    let mut p = dir.join(path);
    // A path that must also be a directory is stored as <path>/index.json.
    if [
        format!("api/v1/elections/{ID}"),
        format!("api/v1/elections/{ID}/results"),
    ]
    .iter()
    .any(|x| x == path)
    {
        p = p.join("index.json");
    }
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// Waits until the server's pages and feeds show the same snapshot as its results document.
pub async fn wait_site(url: &str) {
    for _ in 0..400 {
        let v: serde_json::Value = reqwest::get(format!("{url}/api/v1/elections/{ID}/snapshot"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["site"]["tree_size"] == v["tree_size"] && v["site"]["complete"] == true {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the site never caught up with the results document");
}

/// Mirrors everything verify reads from a (quiet) server into a published directory, in the
/// layout of `skytale publish` (identity bodies only; no compressed siblings).
pub async fn mirror(url: &str, dir: &Path) {
    wait_site(url).await;
    let cp = get(url, &format!("log/{ID}/checkpoint")).await;
    let note = skytale_note::Note::parse(&cp).unwrap();
    let size = Checkpoint::parse(&note.text).unwrap().size;
    write(dir, &format!("log/{ID}/checkpoint"), &cp);
    let snapshot: serde_json::Value =
        serde_json::from_slice(&get(url, &format!("api/v1/elections/{ID}/snapshot")).await)
            .unwrap();
    let approvals: serde_json::Value =
        serde_json::from_slice(&get(url, &format!("api/v1/elections/{ID}/approvals")).await)
            .unwrap();
    let published = if approvals["mode"] == "approval" {
        approvals["published"]["tree_size"].as_u64().unwrap_or(1)
    } else {
        size
    };
    for t in tiles_for_size(size) {
        if matches!(t, TilePath::Entries { .. }) {
            continue;
        }
        let p = format!("log/{ID}/{}", t.to_path());
        write(dir, &p, &get(url, &p).await);
    }
    for t in tiles_for_size(published) {
        if matches!(t, TilePath::Entries { .. }) {
            let p = format!("log/{ID}/{}", t.to_path());
            write(dir, &p, &get(url, &p).await);
        }
    }
    let _ = snapshot;
    let mut urls = vec![
        format!("/api/v1/elections/{ID}"),
        format!("/api/v1/elections/{ID}/snapshot"),
        format!("/api/v1/elections/{ID}/approvals"),
        format!("/api/v1/elections/{ID}/results"),
        format!("/api/v1/elections/{ID}/results/mayor"),
        format!("/api/v1/elections/{ID}/results/mayor.csv"),
        format!("/api/v1/elections/{ID}/cdf.json"),
        format!("/api/v1/elections/{ID}/cdf.xml"),
        format!("/api/v1/elections/{ID}/cdf.google.xml"),
        format!("/api/v1/elections/{ID}/eml.510.xml"),
        format!("/api/v1/elections/{ID}/eml.520.xml"),
    ];
    let def = std::sync::Arc::new(definition(&keys()).validate().unwrap());
    let site = skytale_render::Site::new(def)
        .unwrap()
        .with_feeds(false)
        .with_precompression(false);
    urls.extend(skytale_verify::checks::pages::site_paths(&site));
    let mut typed = Vec::new();
    for u in &urls {
        let (b, ct) = get_typed(url, u.trim_start_matches('/')).await;
        typed.push((u.clone(), ct, b));
    }
    let folders: std::collections::HashSet<String> = {
        let mut set = std::collections::HashSet::new();
        for (u, _, _) in &typed {
            let t = u.trim_end_matches('/');
            for (i, _) in t.match_indices('/').skip(1) {
                set.insert(t[..i].to_string());
            }
        }
        set
    };
    for (u, ct, b) in typed {
        let rel = skytale_server::site::file_for(&u, &ct, &folders).unwrap();
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    }
}

/// The log's entries as stored (an insider reads them from the database).
pub fn stored_entries(data: &Path) -> Vec<Vec<u8>> {
    let store = skytale_store::Store::open(data).unwrap();
    let n = store.size(ID).unwrap();
    store.entries(ID, 0, n).unwrap()
}

/// The log's signing key (an insider has it).
pub fn log_key(data: &Path) -> SigningKey {
    let store = skytale_store::Store::open(data).unwrap();
    SigningKey::parse(&store.load_log_key(ID).unwrap()).unwrap()
}

/// Writes a log (tiles and a checkpoint signed with `signer`) for `entries` into `dir`,
/// replacing what was there: what an insider publishes after rewriting the database.
pub fn write_log(dir: &Path, entries: &[Vec<u8>], signer: &SigningKey) -> Vec<u8> {
    let _ = std::fs::remove_dir_all(dir.join(format!("log/{ID}")));
    let mut tree = Tree::new();
    for e in entries {
        tree.push_entry(e);
    }
    let size = tree.len();
    for t in tiles_for_size(size) {
        let bytes = match t {
            TilePath::Hash {
                level,
                index,
                width,
            } => tree.hash_tile(level, index, width, size).unwrap(),
            TilePath::Entries { index, width } => {
                let s = (index * 256) as usize;
                let refs: Vec<&[u8]> = entries[s..s + usize::from(width)]
                    .iter()
                    .map(|e| &e[..])
                    .collect();
                encode_entry_bundle(&refs).unwrap()
            }
        };
        write(dir, &format!("log/{ID}/{}", t.to_path()), &bytes);
    }
    let cp = Checkpoint {
        origin: signer.name().to_string(),
        size,
        root: tree.root(),
        extensions: vec![],
    };
    let note = signer.sign_note(&cp.to_text()).unwrap().to_bytes();
    write(dir, &format!("log/{ID}/checkpoint"), &note);
    note
}

pub fn opts(source: &str) -> skytale_verify::Options {
    skytale_verify::Options {
        source: source.to_string(),
        ..Default::default()
    }
}

/// Asserts the report failed with a failure of kind `what` whose location contains `at`
/// and whose reason contains `why`.
pub fn assert_caught(r: &skytale_verify::Report, what: &str, at: &str, why: &str) {
    assert!(!r.ok, "not detected:\n{}", r.to_text());
    assert!(
        r.failures()
            .any(|f| f.what == what && f.location.contains(at) && f.why.contains(why)),
        "expected [{what}] at {at:?} with {why:?}, got:\n{}",
        r.to_text()
    );
}
