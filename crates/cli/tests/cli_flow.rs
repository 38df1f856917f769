//! The official's path through the real binary: generate keys, create an election from a TOML
//! definition, serve, submit a native results file (receipt checked and stored), see bad input
//! refused with a clear message, and run the demo end to end.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

/// The binary, blind to the officials' defaults a developer's shell may set.
fn skytale() -> Command {
    let mut c = Command::cargo_bin("skytale").unwrap();
    for v in ["SKYTALE_SERVER", "SKYTALE_ELECTION", "SKYTALE_KEY"] {
        c.env_remove(v);
    }
    c
}

fn run(args: &[&str], cwd: &Path) -> (bool, String, String) {
    run_env(args, cwd, &[])
}

/// `run` with these environment variables set.
fn run_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> (bool, String, String) {
    let out = skytale()
        .args(args)
        .envs(env.iter().copied())
        .current_dir(cwd)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, port: u16) -> Server {
    let child = skytale()
        .args([
            "serve",
            "--data-dir",
            "data",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Server(child)
}

#[test]
fn keys_create_serve_submit() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (ok, auth, err) = run(
        &[
            "key",
            "generate",
            "--name",
            "cli-authority",
            "--out",
            "keys/authority.key",
        ],
        d,
    );
    assert!(ok, "{err}");
    let auth = auth.trim();
    assert!(
        auth.starts_with("cli-authority+"),
        "prints the C2SP verifier key: {auth}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("keys/authority.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "signing keys are private");
    }
    let (ok, _, err) = run(
        &[
            "key",
            "generate",
            "--name",
            "cli-authority",
            "--out",
            "keys/authority.key",
        ],
        d,
    );
    assert!(!ok && err.contains("refusing to overwrite"), "{err}");
    let (_, office, _) = run(
        &[
            "key",
            "generate",
            "--name",
            "cli-office",
            "--out",
            "keys/office.key",
        ],
        d,
    );
    let office = office.trim();

    let definition = format!(
        r#"id = "cli-2026"
name = {{ en = "CLI test" }}
date = "2026-11-25"
default_language = "en"
languages = ["en"]
authority_key = "{auth}"
[[units]]
id = "town"
name = {{ en = "Town" }}
[[units]]
id = "ps1"
parent = "town"
name = {{ en = "Station 1" }}
registered = 1000
[[contests]]
id = "mayor"
name = {{ en = "Mayor" }}
kind = "candidate"
area = ["town"]
selections = [{{ id = "ann", name = {{ en = "Ann" }} }}, {{ id = "ben", name = {{ en = "Ben" }} }}]
[[reporters]]
name = "Town office"
key = "{office}"
scope = ["town"]
"#
    );
    std::fs::write(d.join("election.toml"), &definition).unwrap();
    // A broken definition is refused with the field named.
    std::fs::write(
        d.join("broken.toml"),
        definition.replace("parent = \"town\"", "parent = \"city\""),
    )
    .unwrap();
    let (ok, _, err) = run(
        &[
            "election",
            "create",
            "--definition",
            "broken.toml",
            "--key",
            "keys/authority.key",
            "--data-dir",
            "data",
        ],
        d,
    );
    assert!(!ok);
    assert!(
        err.contains("units[1].parent") && err.contains("\"city\""),
        "{err}"
    );
    // Only the authority key may sign entry 0.
    let (ok, _, err) = run(
        &[
            "election",
            "create",
            "--definition",
            "election.toml",
            "--key",
            "keys/office.key",
            "--data-dir",
            "data",
        ],
        d,
    );
    assert!(
        !ok && err.contains("not the definition's authority_key"),
        "{err}"
    );
    let (ok, out, err) = run(
        &[
            "election",
            "create",
            "--definition",
            "election.toml",
            "--key",
            "keys/authority.key",
            "--data-dir",
            "data",
        ],
        d,
    );
    assert!(ok, "{err}");
    assert!(out.contains("created election cli-2026"), "{out}");

    let port = free_port();
    let _server = serve(d, port);
    let url = format!("http://127.0.0.1:{port}");
    std::fs::write(
        d.join("results.json"),
        r#"{"unit": "ps1", "version": 1, "status": "complete",
            "contests": [{"contest": "mayor", "ballots": 600, "selections": {"ann": {"election_day": 350}, "ben": {"election_day": 240}}}]}"#,
    )
    .unwrap();
    let (ok, out, err) = run(
        &[
            "submit",
            "--server",
            &url,
            "--election",
            "cli-2026",
            "--key",
            "keys/office.key",
            "results.json",
        ],
        d,
    );
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("accepted unit ps1 version 1 at index 1 (receipt checked"),
        "{out}"
    );
    let receipt: serde_json::Value = serde_json::from_slice(
        &std::fs::read(d.join("skytale-receipts/cli-2026/ps1-v1.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(receipt["receipt"]["index"], 1);
    let submit = |file: &str| {
        run(
            &[
                "submit",
                "--server",
                &url,
                "--election",
                "cli-2026",
                "--key",
                "keys/office.key",
                file,
            ],
            d,
        )
    };
    // Sending the same file again (a lost answer): stamped with a new time, answered with the
    // first receipt, saved again; no second entry.
    std::fs::remove_file(d.join("skytale-receipts/cli-2026/ps1-v1.json")).unwrap();
    let (ok, out, err) = submit("results.json");
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("unit ps1 version 1 already in the log as entry 1 (receipt checked"),
        "{out}"
    );
    assert!(d.join("skytale-receipts/cli-2026/ps1-v1.json").exists());
    // The same retry with the server, election and key set once in the environment, as an
    // official's terminal has them for the night; a flag given wins over its variable.
    let with_env = |args: &[&str], election: &str| {
        let env = [
            ("SKYTALE_SERVER", url.as_str()),
            ("SKYTALE_ELECTION", election),
            ("SKYTALE_KEY", "keys/office.key"),
        ];
        let (ok, out, err) = run_env(args, d, &env);
        (ok, out + &err)
    };
    let (ok, out) = with_env(&["submit", "results.json"], "cli-2026");
    assert!(ok, "{out}");
    assert!(
        out.contains("unit ps1 version 1 already in the log as entry 1"),
        "{out}"
    );
    let (ok, out) = with_env(
        &["submit", "--election", "cli-2026", "results.json"],
        "no-such-election",
    );
    assert!(ok, "the flag wins: {out}");
    let (ok, out) = with_env(&["submit", "results.json"], "no-such-election");
    assert!(!ok && out.contains("no-such-election"), "{out}");
    let (ok, out, err) = run(&["submit", "results.json"], d);
    assert!(!ok && err.contains("--server"), "{out}{err}");

    // A file with one unknown unit sends nothing, and suggests the close match.
    std::fs::write(
        d.join("half.json"),
        r#"[{"unit": "ps1", "version": 2, "status": "complete", "contests": [{"contest": "mayor", "selections": {"ann": {"total": 400}}}]},
            {"unit": "ps2", "version": 1, "status": "complete", "contests": [{"contest": "mayr", "selections": {"anne": {"total": 1}}}]}]"#,
    )
    .unwrap();
    let (ok, out, err) = submit("half.json");
    assert!(!ok, "{out}");
    assert!(
        err.contains(r#"unit "ps2" is not in the election (did you mean "ps1"?)"#)
            && err.contains("nothing was signed or sent"),
        "{err}"
    );
    assert!(!d.join("skytale-receipts/cli-2026/ps1-v2.json").exists());
    // A native file missing its unit or its status says which field is missing.
    std::fs::write(
        d.join("nounit.json"),
        r#"{"version": 2, "status": "complete", "contests": [{"contest": "mayor", "selections": {"ann": {"total": 1}}}]}"#,
    )
    .unwrap();
    let (ok, _, err) = submit("nounit.json");
    assert!(!ok && err.contains("missing field `unit`"), "{err}");
    std::fs::write(
        d.join("nostatus.json"),
        r#"{"unit": "ps1", "version": 2, "contests": [{"contest": "mayor", "selections": {"ann": {"total": 1}}}]}"#,
    )
    .unwrap();
    let (ok, _, err) = submit("nostatus.json");
    assert!(!ok && err.contains("missing field `status`"), "{err}");

    // A stale resubmission with other content is refused, naming the code and field.
    std::fs::write(
        d.join("again.json"),
        r#"{"unit": "ps1", "version": 1, "status": "complete", "contests": [{"contest": "mayor", "selections": {"ann": {"total": 1}}}]}"#,
    )
    .unwrap();
    let (ok, out, _) = run(
        &[
            "submit",
            "--server",
            &url,
            "--election",
            "cli-2026",
            "--key",
            "keys/office.key",
            "again.json",
        ],
        d,
    );
    assert!(!ok);
    assert!(
        out.contains("REJECTED unit ps1 version 1: duplicate_version (409)")
            && out.contains("[field version]"),
        "{out}"
    );
    // An OpenElections CSV is streamed from the open file: a dry run resolves its names
    // (county Town, precinct Station 1, CRLF endings) and shows what would be signed, each
    // number with the line of the file it came from...
    std::fs::write(
        d.join("town.csv"),
        "county,precinct,office,district,party,candidate,votes\r\n\
         Town,Station 1,Mayor,,,Ann,351\r\nTown,Station 1,Mayor,,,Ben,240\r\n",
    )
    .unwrap();
    let csv_submit = |file: &str| {
        run(
            &[
                "submit",
                "--server",
                &url,
                "--election",
                "cli-2026",
                "--key",
                "keys/office.key",
                "--dry-run",
                "--version",
                "2",
                file,
            ],
            d,
        )
    };
    let (ok, out, err) = csv_submit("town.csv");
    assert!(ok, "{out}{err}");
    for shown in [
        "town.csv: 1 statement(s)",
        "unit ps1 \"Station 1\" · version 2 · partial",
        "  contest mayor \"Mayor\"  (lines 2, 3)",
        "351  (line 2)",
        "240  (line 3)",
        "nothing signed or sent",
    ] {
        assert!(out.contains(shown), "{shown:?} not in the preview:\n{out}");
    }
    // ... and a bad count names the file, the line and the column.
    std::fs::write(
        d.join("bad.csv"),
        "county,precinct,office,district,party,candidate,votes\n\
         Town,Station 1,Mayor,,,Ann,351\n\n\
         Town,Station 1,Mayor,,,Ben,2x0\n",
    )
    .unwrap();
    let (ok, _, err) = csv_submit("bad.csv");
    assert!(
        !ok && err.contains("bad.csv, line 4, field \"votes\""),
        "{err}"
    );
    // A file that is not JSON names the line.
    std::fs::write(d.join("bad.json"), "{\n  \"unit\": ps1 }").unwrap();
    let (ok, _, err) = run(
        &[
            "submit",
            "--server",
            &url,
            "--election",
            "cli-2026",
            "--key",
            "keys/office.key",
            "bad.json",
        ],
        d,
    );
    assert!(
        !ok && err.contains("bad.json: not JSON") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn the_demo_runs_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let port = free_port();
    let out = skytale()
        .args([
            "demo",
            "--data-dir",
            "data",
            "--units",
            "1500",
            "--duration",
            "1",
            "--exit-when-done",
        ])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Done: 1516 statements accepted (every receipt checked), 0 held"),
        "{stdout}"
    );
    // The data survives: serve it again and read the tally.
    let port = free_port();
    let _server = serve(tmp.path(), port);
    let url = format!("http://127.0.0.1:{port}/api/v1/elections/demo/results");
    let v: serde_json::Value = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async { reqwest::get(&url).await.unwrap().json().await.unwrap() });
    // 1,500 stations do not fit in one log entry: the definition takes entry 0 and parts.
    let size = v["tree_size"].as_u64().unwrap();
    assert!(size > 1516 + 1, "{size}");
    assert_eq!(v["contests"][0]["units_reporting"], 1500);
    assert_eq!(v["contests"].as_array().unwrap().len(), 3);
    let seats: u64 = v["contests"][2]["seats"]
        .as_object()
        .unwrap()
        .values()
        .map(|s| s.as_u64().unwrap())
        .sum();
    assert_eq!(seats, 300, "the parliament's 300 seats are allocated live");
    // The demo compares with its generated earlier election.
    assert_eq!(v["contests"][2]["comparison"]["election"], "demo-2022");
    assert_eq!(
        v["contests"][2]["comparison"]["selections"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    // Anyone can check it all, definition parts included.
    let out = skytale()
        .args([
            "verify",
            &format!("http://127.0.0.1:{port}"),
            "--election",
            "demo",
        ])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("parts"), "{report}");
}

/// `election create` names the log's public origin with `--origin`; from a tabulator export
/// without it, the official is told that the verification page will name no address.
#[test]
fn election_create_names_the_origin_or_warns_that_none_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (ok, _, err) = run(
        &["key", "generate", "--name", "auth", "--out", "auth.key"],
        d,
    );
    assert!(ok, "{err}");
    let (ok, office, err) = run(
        &["key", "generate", "--name", "office", "--out", "office.key"],
        d,
    );
    assert!(ok, "{err}");
    std::fs::write(
        d.join("results.csv"),
        "county,precinct,office,district,party,candidate,votes\nAdams,P1,Governor,,DEM,Ann Smith,10\nAdams,P1,Governor,,REP,Bob Jones,8\n",
    )
    .unwrap();
    let create = |data: &str, origin: Option<&str>| {
        let mut args = vec![
            "election",
            "create",
            "--from",
            "results.csv",
            "--id",
            "gov-2026",
            "--date",
            "2026-11-03",
            "--reporter",
            office.trim(),
            "--key",
            "auth.key",
            "--data-dir",
            data,
        ];
        if let Some(o) = origin {
            args.extend(["--origin", o]);
        }
        run(&args, d)
    };
    let saved = |data: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(d.join(data).join("gov-2026.definition.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    };

    let (ok, out, err) = create("plain", None);
    assert!(ok, "{err}");
    assert!(err.contains("warning: no --origin"), "{err}");
    assert!(err.contains("will not name a public address"), "{err}");
    assert!(
        out.contains("log origin: skytale.invalid/gov-2026"),
        "{out}"
    );
    assert!(saved("plain").get("origin").is_none_or(|o| o.is_null()));

    let (ok, out, err) = create("named", Some("results.example.org/gov-2026"));
    assert!(ok, "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert!(
        out.contains("log origin: results.example.org/gov-2026"),
        "{out}"
    );
    assert_eq!(saved("named")["origin"], "results.example.org/gov-2026");

    // An origin is HOST/PATH, as the checkpoint names it; a URL or a space is refused.
    let (ok, _, err) = create("url", Some("https://results.example.org/gov-2026"));
    assert!(!ok && err.contains("without a scheme"), "{err}");
    let (ok, _, err) = create("space", Some("results example"));
    assert!(!ok && err.contains("origin"), "{err}");
}

/// `election create --from` tells a file's format from its structure, not its name or first
/// bytes (a NIST CDF JSON report whose `@type` comes last, after a byte-order mark and a blank
/// line, named `.txt`); `--format` names it outright; a file that fits no format is refused
/// with what was seen in it and the names `--format` takes.
#[test]
fn election_create_tells_the_format_by_structure_or_by_format() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (ok, _, err) = run(
        &["key", "generate", "--name", "auth", "--out", "auth.key"],
        d,
    );
    assert!(ok, "{err}");
    let (ok, office, err) = run(
        &["key", "generate", "--name", "office", "--out", "office.key"],
        d,
    );
    assert!(ok, "{err}");
    let report = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/nist-1500-100/cdf-test-method/err-gen-03.json"
    ))
    .unwrap();
    let mut shaped = b"\xEF\xBB\xBF\n".to_vec();
    shaped.extend(&report);
    std::fs::write(d.join("report.txt"), shaped).unwrap();
    std::fs::write(
        d.join("results.dat"),
        "county,precinct,office,district,party,candidate,votes\nAdams,P1,Governor,,DEM,Ann Smith,10\n",
    )
    .unwrap();
    std::fs::write(d.join("notes.json"), r#"{"title": "night", "rows": []}"#).unwrap();
    let create = |file: &str, id: &str, format: Option<&str>| {
        let mut args = vec![
            "election",
            "create",
            "--from",
            file,
            "--id",
            id,
            "--date",
            "2026-11-03",
            "--reporter",
            office.trim(),
            "--key",
            "auth.key",
            "--data-dir",
            "data",
        ];
        if let Some(f) = format {
            args.extend(["--format", f]);
        }
        run(&args, d)
    };

    let (ok, out, err) = create("report.txt", "gen-03", None);
    assert!(ok, "{err}");
    assert!(
        out.contains("created election gen-03 from report.txt"),
        "{out}"
    );

    let (ok, _, err) = create("notes.json", "notes", None);
    assert!(!ok);
    assert!(
        err.contains("notes.json: cannot tell its format")
            && err.contains(r#""title", "rows""#)
            && err.contains("--format (native, nist-json, nist-xml, clarity-xml, csv, eml510)"),
        "{err}"
    );

    let (ok, out, err) = create("results.dat", "dat", Some("csv"));
    assert!(ok, "{err}");
    assert!(out.contains("created election dat"), "{out}");

    // An EML 510 count is told by its root's Id; named as eml510, a CSV is refused as such.
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/eml/Telling_GR2026_Assen.eml.xml"
        ),
        d.join("count.xml"),
    )
    .unwrap();
    let (ok, out, err) = create("count.xml", "gr2026_assen", None);
    assert!(ok, "{err}");
    assert!(
        out.contains("created election gr2026_assen from count.xml"),
        "{out}"
    );
    let (ok, _, err) = create("results.dat", "dat-eml", Some("eml510"));
    assert!(!ok);
    assert!(err.contains("not an EML 510 count"), "{err}");

    let (ok, _, err) = create("results.dat", "xlsx", Some("xlsx"));
    assert!(!ok);
    assert!(
        err.contains("--format: unknown format \"xlsx\"; valid formats: native, nist-json, nist-xml, clarity-xml, csv, eml510"),
        "{err}"
    );
}
