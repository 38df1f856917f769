//! The embargo over real HTTP: before the approvers' go-ahead no public URL reveals a number
//! of a sealed statement, the officials read the sealed entries within their scope, and once
//! the approving statement is sequenced everything up to the approved size is public and
//! verify proves it consistent with the sealed checkpoints it saw before.

mod common;

use std::time::{Duration, Instant};

use common::*;
use skytale_model::{encode_hash, PublicationMode, PublicationPolicy};
use skytale_tlog::tiles::{tiles_for_size, TilePath};
use skytale_tlog::Checkpoint;
use skytale_verify::verify;

/// Figures nobody would write by chance: if any public byte shows them, the embargo leaked.
const ALICE: u64 = 73_517;
const BOB: u64 = 64_029;

/// The server's metrics are process-wide and both tests serve the same election id: a test
/// that counts renders would count the other's too, so they run one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn approver() -> skytale_note::SigningKey {
    key("approver", 7)
}

async fn body(url: &str) -> (u16, Vec<u8>) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

/// Every URL the public can read of the election, with what it answered.
async fn public_bytes(url: &str) -> Vec<(String, u16, Vec<u8>)> {
    let mut urls = vec![
        "/".to_string(),
        "/en/".to_string(),
        "/api/v1/elections".to_string(),
        format!("/api/v1/elections/{ID}"),
        format!("/api/v1/elections/{ID}/results"),
        format!("/api/v1/elections/{ID}/results/mayor"),
        format!("/api/v1/elections/{ID}/results/mayor.csv"),
        format!("/api/v1/elections/{ID}/cdf.json"),
        format!("/api/v1/elections/{ID}/cdf.xml"),
        format!("/api/v1/elections/{ID}/cdf.google.xml"),
        format!("/api/v1/elections/{ID}/snapshot"),
        format!("/api/v1/elections/{ID}/approvals"),
        format!("/api/v1/elections/{ID}/held"),
        format!("/api/v1/elections/{ID}/changes"),
        format!("/log/{ID}/checkpoint"),
    ];
    let (_, cp) = body(&format!("{url}/log/{ID}/checkpoint")).await;
    let note = skytale_note::Note::parse(&cp).unwrap();
    let size = Checkpoint::parse(&note.text).unwrap().size;
    // Every tile of the sealed checkpoint, entry bundles included (those must be refused).
    for t in tiles_for_size(size) {
        urls.push(format!("/log/{ID}/{}", t.to_path()));
    }
    let def = embargoed(&keys());
    let site = skytale_render::Site::new(std::sync::Arc::new(def.validate().unwrap()))
        .unwrap()
        .with_feeds(false);
    urls.extend(skytale_verify::checks::pages::site_paths(&site));
    let mut out = Vec::new();
    for u in urls {
        let (s, b) = body(&format!("{url}{u}")).await;
        out.push((u, s, b));
    }
    out
}

/// The tamper election under approval, with stations large enough for the figures above.
fn embargoed(k: &Keys) -> skytale_model::Definition {
    let mut def = definition(k);
    def.publication = policy();
    for u in &mut def.units {
        if u.registered.is_some() {
            u.registered = Some(200_000);
        }
    }
    def
}

fn policy() -> PublicationPolicy {
    PublicationPolicy {
        mode: PublicationMode::Approval,
        approvers: vec![approver().verifier()],
        quorum: 1,
    }
}

fn reveals(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    [ALICE, BOB].iter().any(|n| {
        let plain = n.to_string();
        let grouped = format!("{},{:03}", n / 1000, n % 1000);
        text.contains(&plain) || text.contains(&grouped)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_sealed_is_public_until_the_go_ahead_then_everything_is_and_verifies() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = keys();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let def = embargoed(&k);
        let head = skytale_model::sign_definition(&def, &k.authority).unwrap();
        let store = skytale_store::Store::open(&data).unwrap();
        skytale_server::create_election(&store, &head).unwrap();
    }
    let (url, stop, task) = start_server(&data).await;
    // North reports its two stations: 73,517 for Alice at N1, 64,029 for Bob at N2.
    assert_eq!(
        submit(&url, &results(&k.north, "n1", 1, ALICE, 10)).await,
        201
    );
    assert_eq!(
        submit(&url, &results(&k.north, "n2", 1, 10, BOB)).await,
        201
    );
    // South too, to check the reporters' scopes.
    assert_eq!(submit(&url, &results(&k.south, "s1", 1, 20, 30)).await, 201);
    wait_site(&url).await;

    // Before the go-ahead: no public byte shows a sealed figure; entry bundles past the
    // published size (1: the definition) are refused as sealed.
    for (u, status, b) in public_bytes(&url).await {
        assert!(!reveals(&b), "{u} ({status}) reveals a sealed figure");
        if u.contains("/tile/entries/") {
            assert_eq!(status, 404, "{u} is sealed");
            assert!(String::from_utf8_lossy(&b).contains("sealed"), "{u}");
        }
        if u.ends_with("/held") {
            assert_eq!(status, 401, "{u} is for signed-in officials");
        }
    }
    // The server-sent events stay silent: nothing was published.
    let mut events = reqwest::get(format!("{url}/api/v1/elections/{ID}/events"))
        .await
        .unwrap();
    let quiet = tokio::time::timeout(Duration::from_millis(300), events.chunk()).await;
    if let Ok(Ok(Some(chunk))) = quiet {
        assert!(!reveals(&chunk), "an event reveals a sealed figure");
        assert!(!String::from_utf8_lossy(&chunk).contains("publication"));
    }
    // An open event stream would hold the server's graceful shutdown.
    drop(events);

    // A verifier sees the sealed checkpoint, proves the public prefix and remembers it.
    let state = dir.path().join("verify-state.json");
    let mut o = opts(&url);
    o.state = Some(state.clone());
    let r = verify(&o).await;
    assert!(r.ok, "{}", r.to_text());
    assert!(r.to_text().contains("sealed"), "{}", r.to_text());

    // The officials read the sealed entries, each within its scope.
    let read = |who: skytale_note::SigningKey| {
        let url = url.clone();
        async move {
            let c: serde_json::Value = reqwest::Client::new()
                .post(format!("{url}/api/v1/elections/{ID}/auth/challenge"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let note = who
                .sign_note(c["challenge"].as_str().unwrap())
                .unwrap()
                .to_bytes();
            let s: serde_json::Value = reqwest::Client::new()
                .post(format!("{url}/api/v1/elections/{ID}/auth/session"))
                .body(note)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let token = s["token"].as_str().expect("a session").to_string();
            reqwest::Client::new()
                .get(format!("{url}/api/v1/elections/{ID}/sealed/entries?from=0"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let north = read(k.north.clone()).await;
    assert!(reveals(north.as_bytes()), "North reads its own: {north}");
    let south = read(k.south.clone()).await;
    assert!(
        !reveals(south.as_bytes()),
        "South reads North's figures: {south}"
    );
    let unsigned = reqwest::get(format!("{url}/api/v1/elections/{ID}/sealed/entries?from=0"))
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);

    // The go-ahead: the approver publishes the log as it is (4 entries).
    let (_, cp) = body(&format!("{url}/log/{ID}/checkpoint")).await;
    let note = skytale_note::Note::parse(&cp).unwrap();
    let cp = Checkpoint::parse(&note.text).unwrap();
    assert_eq!(cp.size, 4);
    let approval = sign(
        &approver(),
        &format!(
            r#"{{"type":"publication","election":"{ID}","tree_size":4,"root_hash":"{}","signed_at":"2026-11-25T23:00:00Z"}}"#,
            encode_hash(&cp.root)
        ),
    );
    let t0 = Instant::now();
    assert_eq!(submit(&url, &approval).await, 201);
    wait_published(&url, 4).await;
    eprintln!(
        "embargo lifted: results public {:?} after the approval's receipt",
        t0.elapsed()
    );
    wait_site(&url).await;
    let (_, results_doc) = body(&format!("{url}/api/v1/elections/{ID}/results/mayor")).await;
    assert!(reveals(&results_doc));
    for t in tiles_for_size(4) {
        if let TilePath::Entries { .. } = t {
            let (s, _) = body(&format!("{url}/log/{ID}/{}", t.to_path())).await;
            assert_eq!(s, 200, "{} is public now", t.to_path());
        }
    }
    // The verifier proves the published prefix consistent with the sealed checkpoint it saw.
    let r = verify(&o).await;
    assert!(r.ok, "{}", r.to_text());
    assert!(
        r.to_text()
            .contains("consistent with the last seen checkpoint (size 4 → 5"),
        "{}",
        r.to_text()
    );
    let _ = stop.send(());
    let _ = task.await;
}

/// One figure of the server's `/metrics` for this election (0 when not there yet).
async fn metric(url: &str, name: &str, label: &str) -> f64 {
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let election = format!("election=\"{ID}\"");
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(&election) && l.contains(label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_go_ahead_swaps_in_the_pages_rendered_during_the_embargo() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = keys();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let def = embargoed(&k);
    {
        let head = skytale_model::sign_definition(&def, &k.authority).unwrap();
        let store = skytale_store::Store::open(&data).unwrap();
        skytale_server::create_election(&store, &head).unwrap();
    }
    let (url, stop, task) = start_server(&data).await;
    assert_eq!(
        submit(&url, &results(&k.north, "n1", 1, ALICE, 10)).await,
        201
    );
    assert_eq!(
        submit(&url, &results(&k.north, "n2", 1, 10, BOB)).await,
        201
    );
    assert_eq!(submit(&url, &results(&k.south, "s1", 1, 20, 30)).await, 201);
    wait_site(&url).await;
    // The site thread renders the sealed statements privately (log size 4 after the third).
    let start = Instant::now();
    while metric(&url, "skytale_site_staged_size", "").await < 4.0 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the sealed statements were never staged"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let staged = metric(
        &url,
        "skytale_site_pages_rendered_total",
        "render=\"staged\"",
    )
    .await;
    let before = metric(
        &url,
        "skytale_site_pages_rendered_total",
        "render=\"public\"",
    )
    .await;
    // Staged pages stay private.
    for (u, status, b) in public_bytes(&url).await {
        assert!(!reveals(&b), "{u} ({status}) reveals a staged figure");
    }

    let (_, cp) = body(&format!("{url}/log/{ID}/checkpoint")).await;
    let note = skytale_note::Note::parse(&cp).unwrap();
    let cp = Checkpoint::parse(&note.text).unwrap();
    let approval = sign(
        &approver(),
        &format!(
            r#"{{"type":"publication","election":"{ID}","tree_size":4,"root_hash":"{}","signed_at":"2026-11-25T23:00:00Z"}}"#,
            encode_hash(&cp.root)
        ),
    );
    assert_eq!(submit(&url, &approval).await, 201);
    wait_published(&url, 4).await;
    wait_site(&url).await;

    // The lift rendered only what shows the publication itself: the overview and the
    // verification page in each language, and the Atom feed. Every result page was staged.
    let site = skytale_render::Site::new(std::sync::Arc::new(def.validate().unwrap())).unwrap();
    let always = 2.0 * site.languages().len() as f64 + 1.0;
    let lift = metric(
        &url,
        "skytale_site_pages_rendered_total",
        "render=\"public\"",
    )
    .await
        - before;
    assert_eq!(
        lift, always,
        "the go-ahead rendered {lift} files; {staged} were staged before it"
    );
    assert!(staged > always, "only {staged} files were staged");
    // N1's pages show Alice's 73,517: they were staged, and now they are public.
    let shown: Vec<String> = public_bytes(&url)
        .await
        .into_iter()
        .filter(|(u, status, b)| u.starts_with("/en/") && *status == 200 && reveals(b))
        .map(|(u, _, _)| u)
        .collect();
    assert!(
        shown.iter().any(|u| u.contains("n1")),
        "no page of station N1 shows the published figures: {shown:?}"
    );
    // And what was swapped in is exactly what a verifier recomputes, page by page.
    let r = verify(&opts(&url)).await;
    assert!(r.ok, "{}", r.to_text());
    let _ = stop.send(());
    let _ = task.await;
}
