//! A large synthetic election log written straight to a published directory (no HTTP, no
//! database), for the 200,000-statement benchmark.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;
use skytale_model::{Definition, DefinitionFormat};
use skytale_note::SigningKey;
use skytale_tally::LogPosition;
use skytale_tlog::tiles::{encode_entry_bundle, tiles_for_size, TilePath};
use skytale_tlog::{Checkpoint, Tree};

pub const BIG_ID: &str = "big-2026";

fn write(dir: &Path, path: &str, bytes: &[u8]) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// Writes an election with `units` polling stations in `regions` regions (one reporting key
/// each), and `statements` results statements (each station reports versions 1, 2, …), as a
/// published directory with the tiles, a signed checkpoint and the results documents.
pub fn build(dir: &Path, units: usize, regions: usize, statements: usize) {
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
    let log = SigningKey::from_seed(&format!("skytale.invalid/{BIG_ID}"), [2; 32]).unwrap();
    let mut tree = Tree::new();
    for e in &entries {
        tree.push_entry(e);
    }
    let size = tree.len();
    for p in tiles_for_size(size) {
        let bytes = match p {
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
        write(dir, &format!("log/{BIG_ID}/{}", p.to_path()), &bytes);
    }
    let cp = Checkpoint {
        origin: log.name().into(),
        size,
        root: tree.root(),
        extensions: vec![],
    };
    write(
        dir,
        &format!("log/{BIG_ID}/checkpoint"),
        &log.sign_note(&cp.to_text()).unwrap().to_bytes(),
    );
    // The published documents, as the server renders them (automatic publication).
    let mut replay = skytale_verify::replay::Replayer::genesis(&entries, None).unwrap();
    let mut step = skytale_verify::Step::new(3, "build");
    let head = replay.ledger().size();
    replay.feed(head, &entries[head as usize..], &tree, &mut step, &|_| {});
    assert!(step.ok(), "{:?}", step.failures);
    let tally = replay.tally_at(size).unwrap();
    let pos = LogPosition {
        tree_size: size,
        root_hash: skytale_model::encode_hash(&tree.root()),
        published_at: replay.published_time(size).unwrap().map(str::to_owned),
    };
    let doc = serde_json::json!({
        "id": BIG_ID,
        "definition": replay.ledger().definition().definition(),
        "log": { "origin": log.name(), "verifier_key": log.verifier().to_string() },
    });
    write(
        dir,
        &format!("api/v1/elections/{BIG_ID}/index.json"),
        doc.to_string().as_bytes(),
    );
    write(
        dir,
        &format!("api/v1/elections/{BIG_ID}/results/index.json"),
        &tally.document(&pos).to_bytes(),
    );
    write(
        dir,
        &format!("api/v1/elections/{BIG_ID}/results/president"),
        &tally
            .contest_document("president", &pos)
            .unwrap()
            .to_bytes(),
    );
}
