//! A large synthetic election log written straight to a published directory (no HTTP, no
//! database), for the 200,000-statement benchmark.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use skytale_model::{Definition, DefinitionFormat};
use skytale_note::SigningKey;
use skytale_tlog::{Checkpoint, Tree};

pub const BIG_ID: &str = "big-2026";

/// Writes an election with `units` polling stations in `regions` regions (one reporting key
/// each), and `statements` results statements (each station reports versions 1, 2, …), as a
/// published directory (returned: `dir/site`) written by the server's own publisher.
pub async fn build(dir: &Path, units: usize, regions: usize, statements: usize) -> PathBuf {
    let authority = SigningKey::from_seed("authority", [1; 32]).unwrap();
    let reporters: Vec<SigningKey> = (0..regions)
        .map(|r| SigningKey::from_seed(&format!("region-{r}"), [(r + 10) as u8; 32]).unwrap())
        .collect();
    let mut t = format!(
        "id = \"{BIG_ID}\"\nname = {{ en = \"Big\" }}\ndate = \"2026-11-25\"\ndefault_language = \"en\"\nlanguages = [\"en\"]\nauthority_key = \"{}\"\n[[units]]\nid = \"nation\"\nname = {{ en = \"Nation\" }}\n",
        authority.verifier()
    );
    for r in 0..regions {
        let _ = write!(
            t,
            "[[units]]\nid = \"r{r}\"\nparent = \"nation\"\nname = {{ en = \"R{r}\" }}\n"
        );
    }
    for u in 0..units {
        let _ = write!(t, "[[units]]\nid = \"u{u}\"\nparent = \"r{}\"\nname = {{ en = \"U{u}\" }}\nregistered = 100000\n", u % regions);
    }
    t.push_str("[[contests]]\nid = \"president\"\nname = { en = \"President\" }\nkind = \"candidate\"\narea = [\"nation\"]\n");
    for c in ["a", "b", "c", "d"] {
        let _ = write!(
            t,
            "[[contests.selections]]\nid = \"{c}\"\nname = {{ en = \"{c}\" }}\n"
        );
    }
    for (r, k) in reporters.iter().enumerate() {
        let _ = write!(
            t,
            "[[reporters]]\nname = \"Region {r}\"\nkey = \"{}\"\nscope = [\"r{r}\"]\n",
            k.verifier()
        );
    }
    let def = Definition::parse(&t, DefinitionFormat::Toml).unwrap();
    let mut entries = skytale_model::sign_definition(&def, &authority).unwrap();
    let signed: Vec<Vec<u8>> = (0..statements)
        .into_par_iter()
        .map(|i| {
            let u = i % units;
            let version = i / units + 1;
            let v = |s: usize| 100 + (i * 7 + s * 13) % 50;
            let json = format!(
                r#"{{"type":"results","election":"{BIG_ID}","unit":"u{u}","version":{version},"status":"partial","submitted_at":"2026-11-25T21:00:00Z","contests":[{{"contest":"president","ballots":1000,"selections":{{"a":{{"election_day":{}}},"b":{{"election_day":{}}},"c":{{"mail":{}}},"d":{{"early":{}}}}}}}]}}"#,
                v(0), v(1), v(2), v(3)
            );
            reporters[u % regions].sign_note(&format!("{json}\n")).unwrap().to_bytes()
        })
        .collect();
    entries.extend(signed);
    // The real server stores, replays and publishes it, as `skytale publish` would.
    let data = dir.join("data");
    let head = skytale_model::genesis::head_entries(&entries[0]).unwrap() as usize;
    {
        let store = skytale_store::Store::open(&data).unwrap();
        skytale_server::create_election(&store, &entries[..head]).unwrap();
        let log = SigningKey::parse(&store.load_log_key(BIG_ID).unwrap()).unwrap();
        let mut tree = Tree::new();
        for e in &entries[..head] {
            tree.push_entry(e);
        }
        for chunk in entries[head..].chunks(4096) {
            let first = tree.len();
            for e in chunk {
                tree.push_entry(e);
            }
            let cp = Checkpoint {
                origin: log.name().into(),
                size: tree.len(),
                root: tree.root(),
                extensions: vec![],
            };
            let note = log.sign_note(&cp.to_text()).unwrap().to_bytes();
            let refs: Vec<&[u8]> = chunk.iter().map(|e| &e[..]).collect();
            store
                .append(
                    BIG_ID,
                    skytale_store::Extends {
                        size: first,
                        checkpoint: b"",
                    },
                    &refs,
                    &note,
                )
                .unwrap();
        }
    }
    let state = skytale_server::AppState::open(&data).unwrap();
    let site = dir.join("site");
    skytale_server::site::publish_dir(&state, BIG_ID, &site)
        .await
        .unwrap();
    site
}
