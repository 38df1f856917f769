//! An `approval`-mode night with three publications, end to end: the server's contest page
//! shows the change against the second publication and its Atom feed lists all three (newest
//! first, with their sizes, roots and times); a restarted server answers the shallow pages at
//! once and sends the same bytes; `skytale publish` writes them and `skytale verify` recomputes
//! them from the log, and catches a forged change value.

use std::path::Path;
use std::time::{Duration, Instant};

use skytale_testkit as kit;

const ID: &str = "test-2026";

struct Server {
    base: String,
    state: skytale_server::AppState,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), skytale_server::ServerError>>,
}

async fn start(data: &Path) -> Server {
    let state = skytale_server::AppState::open(data).unwrap();
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(skytale_server::serve(state.clone(), listener, async move {
        let _ = stopped.await;
    }));
    Server {
        base,
        state,
        stop,
        task,
    }
}

impl Server {
    async fn shutdown(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap().unwrap();
    }
}

/// Posts a signed note; returns the receipt's tree size and root (from its checkpoint).
async fn submit(base: &str, note: Vec<u8>) -> (u64, String) {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/elections/{ID}/submissions"))
        .body(note)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    let cp = v["checkpoint"].as_str().unwrap().to_string();
    let mut lines = cp.lines().skip(1);
    let size: u64 = lines.next().unwrap().parse().unwrap();
    (size, lines.next().unwrap().to_string())
}

fn approval(k: &kit::Keys, size: u64, root: &str, minute: u32) -> Vec<u8> {
    kit::sign(
        &k.approver,
        &format!(
            r#"{{"type":"publication","election":"{ID}","tree_size":{size},"root_hash":"{root}","signed_at":"2026-11-25T21:{minute:02}:00Z"}}"#
        ),
    )
}

async fn get(url: &str) -> (u16, Vec<u8>) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

/// Waits until the site of the election is completely rendered at published size `size`.
async fn wait_site(s: &Server, size: u64) {
    let rt = s.state.election(ID).unwrap();
    let t0 = Instant::now();
    loop {
        let cur = rt.site.current();
        if cur.complete && cur.pos.as_ref().map(|p| p.tree_size) == Some(size) {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "site never at {size}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_publications_change_feed_restart_publish_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let k = kit::keys();
    let def = skytale_model::Definition::parse(
        &kit::toml_text(&k, "approval"),
        skytale_model::DefinitionFormat::Toml,
    )
    .unwrap();
    {
        let store = skytale_store::Store::open(&data).unwrap();
        skytale_server::create_election(&store, &kit::head(&k, &def)).unwrap();
    }
    let s = start(&data).await;
    let b = s.base.clone();
    let res = |key, unit, v, a, bb| {
        kit::sign(key, &kit::results_json(unit, v, &kit::mayor(a, bb, a + bb)))
    };
    // Publication 1 at size 2 (N1), 2 at size 4 (+ S1), 3 at size 7 (N1 corrected, + S2).
    let mut pubs = Vec::new();
    let (n, root) = submit(&b, res(&k.north, "n1", 1, 300, 200)).await;
    submit(&b, approval(&k, n, &root, 5)).await;
    pubs.push((n, root, "2026-11-25T21:05:00Z"));
    let (n, root) = submit(&b, res(&k.south, "s1", 1, 100, 150)).await;
    submit(&b, approval(&k, n, &root, 17)).await;
    pubs.push((n, root, "2026-11-25T21:17:00Z"));
    submit(&b, res(&k.north, "n1", 2, 310, 205)).await;
    let (n, root) = submit(&b, res(&k.south, "s2", 1, 90, 160)).await;
    submit(&b, approval(&k, n, &root, 42)).await;
    pubs.push((n, root, "2026-11-25T21:42:00Z"));
    assert_eq!(
        pubs.iter().map(|p| p.0).collect::<Vec<_>>(),
        [2, 4, 7],
        "sizes of the three publications"
    );
    wait_site(&s, 7).await;

    // The change column compares with publication 2 (alice 400, bob 350): now 500 and 515.
    let (status, page) = get(&format!("{b}/en/{ID}/mayor/")).await;
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("Change since last publication"), "{page}");
    assert!(
        page.contains("<td data-label=\"Change since last publication\">+100</td>")
            && page.contains("<td data-label=\"Change since last publication\">+165</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td data-label=\"Change since last publication\">+265</td>"),
        "valid votes: 750 → 1,015"
    );

    // The feed lists the three publications, newest first, with size, root and time.
    let (_, feed) = get(&format!("{b}/feeds/{ID}.atom")).await;
    let feed = String::from_utf8(feed).unwrap();
    let entries: Vec<&str> = feed.split("<entry>").skip(1).collect();
    assert_eq!(entries.len(), 3, "{feed}");
    for (e, (size, root, at)) in entries.iter().zip(pubs.iter().rev()) {
        assert!(e.contains(&format!("publication:{size}</id>")), "{e}");
        assert!(e.contains(root.as_str()), "{e}");
        assert!(e.contains(&format!("<updated>{at}</updated>")), "{e}");
    }

    // A restarted server answers at once (shallow pages are rendered before it listens) and
    // gives the same bytes once its full render is done.
    let deep = format!("{b}/en/{ID}/mayor/north/n1/");
    let (_, deep_before) = get(&deep).await;
    s.shutdown().await;
    let s = start(&data).await;
    let b2 = s.base.clone();
    for p in [
        format!("/en/{ID}/"),
        format!("/en/{ID}/mayor/"),
        format!("/fr/{ID}/mayor/north/"),
        format!("/feeds/{ID}.atom"),
        format!("/og/{ID}/mayor.png"),
    ] {
        assert_eq!(
            get(&format!("{b2}{p}")).await.0,
            200,
            "{p} right after start"
        );
    }
    wait_site(&s, 7).await;
    assert_eq!(
        get(&format!("{b2}/en/{ID}/mayor/")).await.1,
        page.as_bytes()
    );
    assert_eq!(
        get(&format!("{b2}/feeds/{ID}.atom")).await.1,
        feed.as_bytes()
    );
    assert_eq!(
        get(&format!("{b2}/en/{ID}/mayor/north/n1/")).await.1,
        deep_before
    );

    // verify recomputes the pages and the feed from the live server…
    let report = skytale_verify::verify(&skytale_verify::Options {
        source: b2.clone(),
        ..Default::default()
    })
    .await;
    assert!(report.ok, "{}", report.to_text());

    // …and from the published directory, where a forged change value is caught.
    let out = tmp.path().join("site");
    let r = skytale::publish::publish(&data, ID, &out).await.unwrap();
    assert_eq!(r.tree_size, 8);
    assert!(out.join(format!("og/{ID}/mayor.png")).is_file());
    let file = out.join(format!("en/{ID}/mayor/index.html"));
    assert_eq!(std::fs::read(&file).unwrap(), page.as_bytes());
    let opts = skytale_verify::Options {
        source: out.to_string_lossy().into_owned(),
        ..Default::default()
    };
    let report = skytale_verify::verify(&opts).await;
    assert!(report.ok, "{}", report.to_text());
    std::fs::write(&file, page.replacen(">+100</td>", ">+110</td>", 1)).unwrap();
    let report = skytale_verify::verify(&opts).await;
    assert!(
        report.failures().any(|f| f.what == "page_mismatch"
            && f.location.contains("mayor/index.html")
            && f.why.contains("+110")),
        "{}",
        report.to_text()
    );
    // So is a feed that leaves out a publication.
    std::fs::write(&file, &page).unwrap();
    let feed_file = out.join(format!("feeds/{ID}.atom"));
    let cut = feed
        .replacen(entries[2], "", 1)
        .replacen("<entry></entry>", "", 1);
    std::fs::write(&feed_file, cut).unwrap();
    let report = skytale_verify::verify(&opts).await;
    assert!(
        report
            .failures()
            .any(|f| f.what == "page_mismatch" && f.location.contains(".atom")),
        "{}",
        report.to_text()
    );
    s.shutdown().await;
}
