//! Verification of a live night: `verify` and `monitor` run against a server while results
//! stream in, again and again, and every run must hold; then the server forges one number in
//! one artefact (the test-only fault hook) and both must name it.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use skytale_verify::{monitor::Monitor, verify};

/// A results statement of `unit` at `version`, signed by the unit's office.
fn stream_statement(k: &Keys, unit: &str, version: u64) -> Vec<u8> {
    let office = if unit.starts_with('n') {
        &k.north
    } else {
        &k.south
    };
    // Figures that move with every version, within the station's 1,000 voters.
    let alice = 100 + (version * 7) % 300 + u64::from(unit.as_bytes()[1]);
    let bob = 90 + (version * 5) % 300;
    sign(
        office,
        &format!(
            r#"{{"type":"results","election":"{ID}","unit":"{unit}","version":{version},"status":"partial","submitted_at":"2026-11-25T21:{:02}:{:02}Z","contests":[{{"contest":"mayor","ballots":{b},"selections":{{"alice":{{"election_day":{alice}}},"bob":{{"election_day":{bob}}}}}}}]}}"#,
            version / 60,
            version % 60,
            b = alice + bob
        ),
    )
}

/// A server with the fault hook, fed nothing yet.
async fn live_server(k: &Keys) -> (tempfile::TempDir, String, skytale_server::faults::Faults) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let store = skytale_store::Store::open(&data).unwrap();
        skytale_server::create_election(&store, &head(k)).unwrap();
    }
    let state = skytale_server::AppState::open(&data).unwrap();
    let faults = state.faults.clone();
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = skytale_server::serve(state, listener, std::future::pending()).await;
    });
    (dir, url, faults)
}

/// Submits version after version for every station until `stop`, a few milliseconds apart
/// (counties reporting while observers verify). Returns how many were accepted.
fn stream(k: Keys, url: String, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut accepted = 0;
        for version in 1..=10_000u64 {
            for unit in ["n1", "n2", "s1", "s2"] {
                if stop.load(Ordering::Relaxed) {
                    return accepted;
                }
                assert_eq!(
                    submit(&url, &stream_statement(&k, unit, version)).await,
                    201
                );
                accepted += 1;
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        }
        accepted
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_and_monitor_hold_while_results_stream_in_and_name_a_forgery() {
    let k = keys();
    let (_dir, url, faults) = live_server(&k).await;
    let stop = Arc::new(AtomicBool::new(false));
    let feeder = stream(keys(), url.clone(), stop.clone());
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut monitor = Monitor::new(opts(&url));
    let mut sizes = Vec::new();
    for run in 0..4 {
        let r = verify(&opts(&url)).await;
        assert!(r.ok, "verify run {run} while streaming:\n{}", r.to_text());
        sizes.push(r.tree_size);
        let m = monitor.round().await;
        assert!(
            m.ok,
            "monitor round {} while streaming:\n{}",
            monitor.rounds,
            m.to_text()
        );
    }
    assert!(
        sizes.windows(2).all(|w| w[0] <= w[1]) && sizes.first() != sizes.last(),
        "the log grew while verify ran: {sizes:?}"
    );

    // The operator forges a number on one page (North's figure for Alice on the contest
    // page, whatever snapshot the page is of): the next run of each names it.
    let page = format!("/en/{ID}/mayor/");
    faults.bump(&page, "data-label=\"Share\">");
    let caught = |r: &skytale_verify::Report| {
        r.failures().any(|f| {
            f.what == "page_mismatch"
                && f.location.contains(&page)
                && f.location.contains("line")
                && f.why.contains("at tree size")
        })
    };
    let m = monitor.round().await;
    assert!(
        caught(&m),
        "the monitor missed the forged page:\n{}",
        m.to_text()
    );
    let r = verify(&opts(&url)).await;
    assert!(
        caught(&r),
        "verify missed the forged page:\n{}",
        r.to_text()
    );

    // The same for a feed: one figure of the contest's CSV.
    faults.clear();
    let csv = format!("/api/v1/elections/{ID}/results/mayor.csv");
    faults.bump(&csv, "Alice,,");
    let r = verify(&opts(&url)).await;
    assert!(
        r.failures()
            .any(|f| f.what == "feed_mismatch" && f.location.contains("mayor.csv line")),
        "verify missed the forged CSV:\n{}",
        r.to_text()
    );
    // And the change feed: one figure of what moved since the start.
    faults.clear();
    let changes = format!("/api/v1/elections/{ID}/changes");
    faults.bump(&changes, "\"votes\":");
    let r = verify(&opts(&url)).await;
    assert!(
        r.failures()
            .any(|f| f.what == "feed_mismatch" && f.location.contains("changes line")),
        "verify missed the forged change feed:\n{}",
        r.to_text()
    );
    stop.store(true, Ordering::Relaxed);
    let accepted = feeder.await.unwrap();
    assert!(accepted > 8, "only {accepted} statements streamed");

    // Forgery gone and the night quiet: the monitor holds again, and re-reads only what
    // changed (the server answers 304 for the rest; those bodies are checked again against
    // the snapshot named now).
    faults.clear();
    let m = monitor.round().await;
    assert!(m.ok, "{}", m.to_text());
    let m = monitor.round().await;
    assert!(m.ok, "{}", m.to_text());
    assert!(
        m.to_text().contains("unchanged since the last round"),
        "{}",
        m.to_text()
    );
}
