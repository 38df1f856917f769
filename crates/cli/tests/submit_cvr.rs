//! `skytale submit --rctab-config` through the real binary: an election holding the
//! Minneapolis 2013 mayoral contest, its ES&S CVR read from RCTab's config, signed, sent in
//! batches with every receipt checked, and the winner in the published results.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use skytale_testkit as kit;

fn run(args: &[&str], cwd: &Path) -> (bool, String, String) {
    let out = Command::cargo_bin("skytale")
        .unwrap()
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn submit_a_cvr_from_an_rctab_config() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (_, auth, _) = run(
        &[
            "key",
            "generate",
            "--name",
            "mpls-authority",
            "--out",
            "keys/auth.key",
        ],
        d,
    );
    let (_, office, _) = run(
        &[
            "key",
            "generate",
            "--name",
            "hennepin",
            "--out",
            "keys/office.key",
        ],
        d,
    );
    // The contest from RCTab's config, as TOML to paste into a definition.
    let config = kit::rcv_data().join("2013_minneapolis_mayor/2013_minneapolis_mayor_config.json");
    let (ok, toml_out, err) = run(
        &[
            "election",
            "rctab-contest",
            "--config",
            config.to_str().unwrap(),
            "--id",
            "mayor",
            "--area",
            "minneapolis",
        ],
        d,
    );
    assert!(ok, "{err}");
    assert!(toml_out.contains("kind = \"ranked_choice\""), "{toml_out}");
    assert!(
        toml_out.contains("winner_mode = \"singleWinnerMajority\""),
        "{toml_out}"
    );
    assert!(toml_out.contains("id = \"betsy-hodges\""), "{toml_out}");
    assert!(toml_out.contains("write_in = true"), "{toml_out}");
    let (mut def, _) = kit::minneapolis_definition(&kit::keys());
    def.authority_key = auth.trim().parse().unwrap();
    def.reporters[0].key = office.trim().parse().unwrap();
    std::fs::write(d.join("election.json"), serde_json::to_vec(&def).unwrap()).unwrap();
    let (ok, _, err) = run(
        &[
            "election",
            "create",
            "--definition",
            "election.json",
            "--key",
            "keys/auth.key",
            "--data-dir",
            "data",
        ],
        d,
    );
    assert!(ok, "{err}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::cargo_bin("skytale")
            .unwrap()
            .args([
                "serve",
                "--data-dir",
                "data",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let server = format!("http://127.0.0.1:{port}");
    let config = config.to_str().unwrap();
    let base = [
        "submit",
        "--server",
        &server,
        "--election",
        "mpls-2013",
        "--key",
        "keys/office.key",
        "--rctab-config",
        config,
        "--contest",
        "mayor",
    ];
    // A unit the election does not have is refused before anything is signed.
    let mut args = base.to_vec();
    args.extend(["--unit", "st-paul"]);
    let (ok, _, err) = run(&args, d);
    assert!(!ok && err.contains("no unit \"st-paul\""), "{err}");
    let mut args = base.to_vec();
    args.extend(["--unit", "minneapolis"]);
    let (ok, out, err) = run(&args, d);
    assert!(ok, "{out}\n{err}");
    assert!(err.contains("80101 ballots"), "{err}");
    assert!(out.contains("accepted batch 1 of"), "{out}");
    assert!(!out.contains("REJECTED"), "{out}");
    // The same file again, signed anew (another time): each batch of the series is refused.
    let (ok, out, _) = run(&args, d);
    assert!(
        !ok && out.contains("REJECTED batch 1 of") && out.contains("duplicate_batch"),
        "{out}"
    );
    let mut doc = serde_json::Value::Null;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!("{server}/api/v1/elections/mpls-2013/results");
    for _ in 0..100 {
        let body = rt.block_on(async { reqwest::get(&url).await?.text().await });
        if let Ok(body) = body {
            doc = serde_json::from_str(&body).unwrap_or_default();
            if doc["contests"][0]["ranked_choice"]["complete"] == true
                && doc["contests"][0]["ranked_choice"]["ballots"] == 80_101
            {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        doc["contests"][0]["ranked_choice"]["winners"][0], "betsy-hodges",
        "{doc}"
    );
}
