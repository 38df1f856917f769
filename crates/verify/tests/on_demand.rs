//! A national election's polling stations have pages at any size: above the bulk render's
//! cut-off (`MAX_LEAF_PAGES`) the server renders a station's page when it is asked for, names
//! its snapshot like every other file, keeps it in a cache that stays within its bound, and
//! `skytale verify` recomputes it at that snapshot.

use std::fmt::Write as _;
use std::time::Duration;

use skytale_note::SigningKey;
use skytale_render::MAX_LEAF_PAGES;

const ID: &str = "national";

/// An election with one more polling station than the cut-off, in ten regions.
fn definition(authority: &SigningKey, reporter: &SigningKey) -> skytale_model::Definition {
    let mut t = format!(
        "id = \"{ID}\"\nname = {{ en = \"National\" }}\ndate = \"2026-11-25\"\ndefault_language = \"en\"\nlanguages = [\"en\"]\nauthority_key = \"{}\"\n[[units]]\nid = \"nation\"\nname = {{ en = \"Nation\" }}\n",
        authority.verifier()
    );
    for r in 0..10 {
        let _ = write!(
            t,
            "[[units]]\nid = \"r{r}\"\nparent = \"nation\"\nname = {{ en = \"Region {r}\" }}\n"
        );
    }
    for u in 0..=MAX_LEAF_PAGES {
        let _ = write!(
            t,
            "[[units]]\nid = \"ps{u}\"\nparent = \"r{}\"\nname = {{ en = \"Station {u}\" }}\n",
            u % 10
        );
    }
    t.push_str("[[contests]]\nid = \"president\"\nname = { en = \"President\" }\nkind = \"candidate\"\narea = [\"nation\"]\n");
    for c in ["alice", "bob"] {
        let _ = write!(
            t,
            "[[contests.selections]]\nid = \"{c}\"\nname = {{ en = \"{c}\" }}\n"
        );
    }
    let _ = write!(
        t,
        "[[reporters]]\nname = \"Office\"\nkey = \"{}\"\nscope = [\"nation\"]\n",
        reporter.verifier()
    );
    skytale_model::Definition::parse(&t, skytale_model::DefinitionFormat::Toml).unwrap()
}

fn results(key: &SigningKey, unit: &str, alice: u64, bob: u64) -> Vec<u8> {
    let json = format!(
        r#"{{"type":"results","election":"{ID}","unit":"{unit}","version":1,"status":"complete","submitted_at":"2026-11-25T20:00:00Z","contests":[{{"contest":"president","ballots":{b},"selections":{{"alice":{{"election_day":{alice}}},"bob":{{"election_day":{bob}}}}}}}]}}"#,
        b = alice + bob
    );
    key.sign_note(&format!("{json}\n")).unwrap().to_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_station_beyond_the_cut_off_is_served_on_demand_and_verifies() {
    let authority = SigningKey::from_seed("authority", [1; 32]).unwrap();
    let reporter = SigningKey::from_seed("office", [2; 32]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let store = skytale_store::Store::open(&data).unwrap();
        let head =
            skytale_model::sign_definition(&definition(&authority, &reporter), &authority).unwrap();
        skytale_server::create_election(&store, &head).unwrap();
    }
    // A cache far smaller than the pages read below, so it must drop some.
    let bound = 64 * 1024;
    let state =
        skytale_server::AppState::open(&data)
            .unwrap()
            .with_limits(skytale_server::Limits {
                page_cache: bound,
                ..Default::default()
            });
    let pages = state.pages.clone();
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = skytale_server::serve(state, listener, async {
            let _ = rx.await;
        })
        .await;
    });
    let last = format!("ps{MAX_LEAF_PAGES}");
    let client = reqwest::Client::new();
    let mut size = 0;
    for (unit, alice) in [(last.as_str(), 611), ("ps7", 120)] {
        let r = client
            .post(format!("{url}/api/v1/elections/{ID}/submissions"))
            .body(results(&reporter, unit, alice, 389))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let receipt: serde_json::Value = r.json().await.unwrap();
        size = receipt["index"].as_u64().unwrap() + 1;
    }
    wait_site(&url, size).await;
    let snapshot = size;

    // The station's page and embed are served, name the snapshot, and show its figures.
    let page = format!("/en/{ID}/president/{last}/");
    let embed = format!("/embed/en/{ID}/president/{last}/");
    for path in [&page, &embed] {
        let r = reqwest::get(format!("{url}{path}")).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let named = r.headers()["skytale-snapshot"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            named.starts_with(&format!("{snapshot} ")),
            "{path}: {named}"
        );
        let body = r.text().await.unwrap();
        assert!(
            body.contains(&format!("Station {MAX_LEAF_PAGES}")),
            "{path}"
        );
        assert!(body.contains("611"), "{path} shows the station's votes");
    }
    // Its region lists it with a link; a station that does not exist is still 404.
    let region = reqwest::get(format!("{url}/en/{ID}/president/r0/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(region.contains(&format!("href=\"{page}\"")));
    let missing = reqwest::get(format!("{url}/en/{ID}/president/ps999999/"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // `skytale verify` recomputes the station's pages at the snapshot they name.
    let report = skytale_verify::verify(&skytale_verify::Options {
        source: url.clone(),
        pages: vec![page.clone(), embed.clone()],
        ..Default::default()
    })
    .await;
    assert!(report.ok, "{}", report.to_text());

    // Many stations read, in both codings: the cache stays within its bound.
    for u in 0..60 {
        for coding in ["br", "gzip"] {
            let r = client
                .get(format!("{url}/en/{ID}/president/ps{u}/"))
                .header("accept-encoding", coding)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            assert!(pages.bytes() <= bound, "{} bytes kept", pages.bytes());
        }
    }
    assert!(
        pages.len() < 60,
        "{} pages kept: nothing was dropped",
        pages.len()
    );
    assert!(pages.bytes() > bound / 2, "the cache is used");

    let _ = tx.send(());
    let _ = task.await;
}

/// Waits until the whole site shows the snapshot of size `size`.
async fn wait_site(url: &str, size: u64) {
    for _ in 0..2400 {
        let v: serde_json::Value = reqwest::get(format!("{url}/api/v1/elections/{ID}/snapshot"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["site"]["tree_size"] == size && v["site"]["complete"] == true {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the site never caught up with the results document");
}
