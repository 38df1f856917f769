//! A whole night through the officials' console in headless Chromium
//! (`crates/render/tests/browser/console-night.mjs`, playwright-core against Debian's
//! `chromium`): a county signs in with its key file and uploads a real Clarity export (the
//! receipts checked in the browser), a held submission is released by the authority, a contest
//! certified, approvals 1 and 2 of a 2-of-3 policy given (the public site unchanged after the
//! first, moved after the second), forged and replayed approvals and an approver's upload
//! refused, every console page checked with axe-core at 360 and 1280 px (screenshots in
//! `artifacts/screenshots/`). Afterwards `skytale verify` must pass on the live server.
//!
//! This test FAILS when node, Chromium or the npm packages are missing (see
//! `crates/render/tests/browser.rs` for how CI installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use skytale_model::{PublicationMode, Reporter, Statement};
use skytale_note::SigningKey;

const ID: &str = "greenup-2014";

fn repo() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn sign(key: &SigningKey, st: &Statement) -> String {
    String::from_utf8(key.sign_note(&st.to_note_text()).unwrap().to_bytes()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_night_in_the_officials_console() {
    let browser_dir = repo().join("crates/render/tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium not found at {chromium}: apt-get install -y chromium"
    );
    assert!(
        browser_dir.join("node_modules/playwright-core").exists()
            && browser_dir.join("node_modules/axe-core").exists(),
        "npm packages missing: (cd crates/render/tests/browser && npm ci)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let key = |name: &str, n: u8| skytale_testkit::key(name, n);
    let authority = key("authority", 1);
    let county = key("greenup-county", 2);
    let other = key("other-county", 3);
    let approvers = [
        key("approver-a", 4),
        key("approver-b", 5),
        key("approver-c", 6),
    ];
    let stranger = key("stranger", 7);

    // The county's real export, and the definition derived from it as `election create --from`
    // does, under an embargo: 2 of 3 approvers publish.
    let export = repo().join("testdata/clarity/clarify__precinct_KY_Greenup_2014_primary.xml");
    let bytes = std::fs::read(&export).unwrap();
    let mut def = skytale_formats::derive_definition(
        skytale_formats::Format::ClarityXml,
        &bytes,
        ID,
        authority.verifier(),
        "greenup-county",
        county.verifier(),
    )
    .unwrap();
    def.publication.mode = PublicationMode::Approval;
    def.publication.approvers = approvers.iter().map(SigningKey::verifier).collect();
    def.publication.quorum = 2;
    let valid = def.clone().validate().unwrap();
    let root = valid.root();
    let precincts: Vec<usize> = (0..valid.units().len())
        .filter(|&u| valid.children(u).is_empty() && u != root)
        .collect();
    assert!(precincts.len() >= 2, "the export has precincts");
    let inside = valid.units()[precincts[0]].clone();
    let outside = valid.units()[precincts[1]].clone();
    def.reporters.push(Reporter {
        name: "other-county".into(),
        key: other.verifier(),
        scope: vec![inside.id.clone()],
    });
    let head = skytale_model::sign_definition(&def, &authority).unwrap();
    let genesis_size = head.len() as u64;
    // The log's key is generated at random; its base64 holds a '+' about half the time, which
    // the browser's receipt check once split on. Keep creating until the key has one, so the
    // night always checks receipts against such a key.
    let data = (0..64)
        .map(|attempt| tmp.path().join(format!("data-{attempt}")))
        .find(|data| {
            let store = skytale_store::Store::open(data).unwrap();
            let (_, log_key) = skytale_server::create_election(&store, &head).unwrap();
            let key = log_key.to_string();
            key.splitn(3, '+')
                .nth(2)
                .is_some_and(|b64| b64.contains('+'))
        })
        .expect("a log key with a '+' in 64 tries");

    // A held submission: a precinct's next version whose votes exceed its ballots.
    let valid = def.clone().validate().unwrap();
    let opts = skytale_formats::ImportOptions {
        election: ID,
        version: 2,
        submitted_at: "2014-05-20T22:00:00Z",
        status: skytale_model::ReportStatus::Complete,
        mapping: None,
        source_name: Some("correction.xml"),
    };
    let mut statements =
        skytale_formats::import_results(skytale_formats::Format::ClarityXml, &bytes, &valid, &opts)
            .unwrap();
    let at = statements
        .iter()
        .position(|r| r.unit == outside.id)
        .expect("the export reports the precinct");
    let mut wrong = statements.remove(at);
    wrong.contests[0].ballots = Some(skytale_model::Count::new(1));
    assert!(!skytale_model::plausibility_issues(&valid, &wrong).is_empty());
    let held_note = tmp.path().join("held.note");
    std::fs::write(&held_note, sign(&county, &Statement::Results(wrong))).unwrap();

    // Approvals nobody may give: a key the election does not know, a reporter's key, and an
    // approver's note changed after signing.
    let approval = |size: u64| {
        Statement::parse(&format!(
            r#"{{"type":"publication","election":"{ID}","tree_size":{size},"root_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","signed_at":"2014-05-20T23:00:00Z"}}"#
        ))
        .unwrap()
    };
    let mut forged = Vec::new();
    for (i, note) in [
        sign(&stranger, &approval(2)),
        sign(&county, &approval(2)),
        sign(&approvers[2], &approval(2)).replace("\"tree_size\":2", "\"tree_size\":3"),
    ]
    .into_iter()
    .enumerate()
    {
        let p = tmp.path().join(format!("forged-{i}.note"));
        std::fs::write(&p, note).unwrap();
        forged.push(p.display().to_string());
    }

    let state = skytale_server::AppState::open(&data).unwrap();
    let listener = skytale_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(skytale_server::serve(state, listener, async move {
        let _ = stopped.await;
    }));

    let artifacts = repo().join("artifacts/screenshots");
    let config = serde_json::json!({
        "base": base,
        "election": ID,
        "genesis_size": genesis_size,
        "keys": {
            "county": skytale_testkit::write_key(tmp.path(), &county),
            "other": skytale_testkit::write_key(tmp.path(), &other),
            "authority": skytale_testkit::write_key(tmp.path(), &authority),
            "a1": skytale_testkit::write_key(tmp.path(), &approvers[0]),
            "a2": skytale_testkit::write_key(tmp.path(), &approvers[1]),
            "a3": skytale_testkit::write_key(tmp.path(), &approvers[2]),
        },
        "export": export.display().to_string(),
        "held_note": held_note.display().to_string(),
        "forged": forged,
        "inside_unit": valid.text(&inside.name, "en"),
        "outside_unit": valid.text(&outside.name, "en"),
        "artifacts": artifacts.display().to_string(),
    });
    let config_path = tmp.path().join("night.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let script = browser_dir.join("console-night.mjs");
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(config_path)
            .env("CHROMIUM", chromium)
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the night in the console failed:\n{stdout}\n{stderr}"
    );

    // Everything the officials did is in the log, and the log verifies.
    let b = base.clone();
    let verified = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("skytale")
            .unwrap()
            .args(["verify", &b, "--election", ID])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        verified.status.success(),
        "verify after the night:\n{}\n{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    let text = String::from_utf8_lossy(&verified.stdout);
    assert!(text.contains("1 reviews of held submissions"), "{text}");

    let _ = stop.send(());
    task.await.unwrap().unwrap();
}
