//! Test fixtures shared by Skytale's crates: a small election (nation → 2 regions → 2
//! polling stations each, three contests) with deterministic keys, and signed statements.

use skytale_model::{Definition, DefinitionFormat, Ledger, ValidDefinition};
use skytale_note::SigningKey;

pub fn key(name: &str, n: u8) -> SigningKey {
    SigningKey::from_seed(name, [n; 32]).unwrap()
}

pub struct Keys {
    pub authority: SigningKey,
    pub north: SigningKey,
    pub south: SigningKey,
    pub approver: SigningKey,
    pub stranger: SigningKey,
}

pub fn keys() -> Keys {
    Keys {
        authority: key("authority", 1),
        north: key("north-office", 2),
        south: key("south-office", 3),
        approver: key("approver", 4),
        stranger: key("stranger", 5),
    }
}

pub fn toml_text(k: &Keys, mode: &str) -> String {
    format!(
        r#"
id = "test-2026"
name = {{ en = "Test election", fr = "Élection test" }}
date = "2026-11-25"
default_language = "en"
languages = ["en", "fr"]
authority_key = "{auth}"

[[units]]
id = "nation"
name = {{ en = "Nation" }}
[[units]]
id = "north"
parent = "nation"
name = {{ en = "North", fr = "Nord" }}
[[units]]
id = "south"
parent = "nation"
name = {{ en = "South", fr = "Sud" }}
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
registered = 800

[[parties]]
id = "p1"
name = {{ en = "Party One" }}
[[parties]]
id = "p2"
name = {{ en = "Party Two" }}

[[contests]]
id = "mayor"
name = {{ en = "Mayor", fr = "Maire" }}
kind = "candidate"
area = ["nation"]
[[contests.selections]]
id = "alice"
name = {{ en = "Alice" }}
party = "p1"
[[contests.selections]]
id = "bob"
name = {{ en = "Bob" }}
party = "p2"

[[contests]]
id = "north-measure"
name = {{ en = "Northern measure" }}
kind = "ballot_measure"
area = ["north"]
[[contests.selections]]
id = "yes"
name = {{ en = "Yes", fr = "Oui" }}
[[contests.selections]]
id = "no"
name = {{ en = "No", fr = "Non" }}

[[contests]]
id = "council"
name = {{ en = "Council" }}
kind = "party_list"
area = ["nation"]
seats = {{ method = "dhondt", seats = 5 }}
[[contests.selections]]
id = "l1"
name = {{ en = "List One" }}
party = "p1"
[[contests.selections]]
id = "l2"
name = {{ en = "List Two" }}
party = "p2"

[[reporters]]
name = "North office"
key = "{north}"
scope = ["north"]
[[reporters]]
name = "South office"
key = "{south}"
scope = ["south"]

[publication]
mode = "{mode}"
approvers = ["{approver}"]
quorum = 1
"#,
        auth = k.authority.verifier(),
        north = k.north.verifier(),
        south = k.south.verifier(),
        approver = k.approver.verifier(),
    )
}

pub fn definition(k: &Keys) -> Definition {
    Definition::parse(&toml_text(k, "automatic"), DefinitionFormat::Toml).unwrap()
}

/// The test definition with `extra` more polling stations under `north` (names with quotes and
/// non-ASCII letters, so slicing and escaping are exercised): large enough, from about 800, to
/// need definition parts after entry 0.
pub fn large_definition(k: &Keys, extra: usize) -> Definition {
    let mut def = definition(k);
    for i in 0..extra {
        def.units.push(skytale_model::Unit {
            id: format!("x{i:06}"),
            name: [
                ("en".to_string(), format!("Station \"{i}\"")),
                ("fr".to_string(), format!("Bureau n° {i} — Évry")),
            ]
            .into_iter()
            .collect(),
            parent: Some("north".into()),
            level: Some("polling_station".into()),
            registered: Some(500),
            ocd_id: None,
        });
    }
    def
}

pub fn valid(k: &Keys) -> ValidDefinition {
    definition(k).validate().unwrap()
}

/// The entries that carry a definition at the head of its log, signed by the authority.
pub fn head(k: &Keys, def: &Definition) -> Vec<Vec<u8>> {
    skytale_model::sign_definition(def, &k.authority).unwrap()
}

/// Entry 0 for a definition small enough to be carried whole, signed by the authority.
pub fn entry0(k: &Keys, def: &Definition) -> Vec<u8> {
    let mut head = head(k, def);
    assert_eq!(head.len(), 1, "this definition does not fit in entry 0");
    head.remove(0)
}

pub fn ledger(k: &Keys) -> Ledger {
    Ledger::genesis(&head(k, &definition(k)), Some(&k.authority.verifier())).unwrap()
}

/// A results statement's JSON text.
pub fn results_json(unit: &str, version: u64, contests: &str) -> String {
    format!(
        r#"{{"type":"results","election":"test-2026","unit":"{unit}","version":{version},"status":"complete","submitted_at":"2026-11-25T20:00:00Z","contests":[{contests}]}}"#
    )
}

pub fn mayor(alice: u64, bob: u64, ballots: u64) -> String {
    format!(
        r#"{{"contest":"mayor","ballots":{ballots},"selections":{{"alice":{{"election_day":{alice}}},"bob":{{"election_day":{bob}}}}}}}"#
    )
}

/// Writes `key` as `skytale key generate` does (`<name>.key` in `dir`); its path, for `--key`.
pub fn write_key(dir: &std::path::Path, key: &SigningKey) -> String {
    let path = dir.join(format!("{}.key", key.name()));
    std::fs::write(&path, format!("{}\n", key.to_skey_string())).expect("write the key file");
    path.display().to_string()
}

pub fn sign(key: &SigningKey, json: &str) -> Vec<u8> {
    key.sign_note(&format!("{json}\n")).unwrap().to_bytes()
}

/// The test definition with a ranked-choice contest `rcv-mayor` over the whole nation: Ann,
/// Ben, Cat and a write-in selection; single winner, at most three rankings.
pub fn rcv_definition(k: &Keys) -> Definition {
    let mut def = definition(k);
    let sel = |id: &str, name: &str, write_in: bool| skytale_model::Selection {
        id: id.into(),
        name: [("en".to_string(), name.to_string())].into(),
        party: None,
        write_in,
    };
    let rules: skytale_rcv::config::Rules = serde_json::from_value(serde_json::json!({
        "tiebreak_mode": "useCandidateOrder",
        "overvote_rule": "exhaustImmediately",
        "winner_mode": "singleWinnerMajority",
        "number_of_winners": 1,
        "max_skipped_ranks": 1,
        "max_rankings": 3
    }))
    .unwrap();
    def.contests.push(skytale_model::Contest {
        id: "rcv-mayor".into(),
        name: [("en".to_string(), "Ranked mayor".to_string())].into(),
        kind: skytale_model::ContestKind::RankedChoice,
        area: vec!["nation".into()],
        votes_allowed: 1,
        selections: vec![
            sel("ann", "Ann", false),
            sel("ben", "Ben", false),
            sel("cat", "Cat", false),
            sel("uwi", "Undeclared Write-ins", true),
        ],
        seats: None,
        tabulation: Some(rules),
        group: None,
    });
    def
}

/// A ledger over [`rcv_definition`].
pub fn rcv_ledger(k: &Keys) -> Ledger {
    Ledger::genesis(&head(k, &rcv_definition(k)), Some(&k.authority.verifier())).unwrap()
}

/// A `cvr` statement's JSON text for `rcv-mayor` (`ballots` is the JSON array of patterns).
pub fn cvr_json(
    unit: &str,
    version: u64,
    sha: char,
    batch: u32,
    batches: u32,
    file_ballots: u64,
    ballots: &str,
) -> String {
    let sha: String = std::iter::repeat_n(sha, 64).collect();
    format!(
        r#"{{"type":"cvr","election":"test-2026","contest":"rcv-mayor","unit":"{unit}","version":{version},"submitted_at":"2026-11-25T21:00:00Z","source":{{"format":"genericCsv","sha256":"{sha}"}},"batch":{batch},"batches":{batches},"file_ballots":{file_ballots},"ballots":{ballots}}}"#
    )
}

/// Where the RCTab test cases are: the repository's `testdata/rcv`.
pub fn rcv_data() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/rcv"))
}

/// A city election holding the Minneapolis 2013 mayoral contest (RCTab's test case, its rules
/// and candidates read from the case's config), reported by `k.north` for the whole city.
pub fn minneapolis_definition(k: &Keys) -> (Definition, skytale_rcv::config::ContestConfig) {
    let cfg = skytale_rcv::config::ContestConfig::load(
        &rcv_data().join("2013_minneapolis_mayor/2013_minneapolis_mayor_config.json"),
    )
    .unwrap();
    let contest = skytale_model::rctab::ranked_choice_contest(
        &cfg,
        "mayor",
        [("en".to_string(), "Mayor".to_string())].into(),
        vec!["minneapolis".into()],
        "en",
    )
    .unwrap();
    let def = Definition {
        id: "mpls-2013".into(),
        name: [(
            "en".to_string(),
            "Minneapolis municipal election 2013".to_string(),
        )]
        .into(),
        date: "2013-11-05".into(),
        default_language: "en".into(),
        languages: vec!["en".into()],
        origin: None,
        authority_key: k.authority.verifier(),
        units: vec![skytale_model::Unit {
            id: "minneapolis".into(),
            name: [("en".to_string(), "Minneapolis".to_string())].into(),
            parent: None,
            level: Some("city".into()),
            registered: None,
            ocd_id: None,
        }],
        parties: vec![],
        contests: vec![contest],
        reporters: vec![skytale_model::Reporter {
            name: "Hennepin County elections".into(),
            key: k.north.verifier(),
            scope: vec!["minneapolis".into()],
        }],
        publication: Default::default(),
        witnesses: None,
        test: false,
        previous: None,
        groups: Vec::new(),
        locale: None,
        map: None,
    };
    (def, cfg)
}

/// The Minneapolis CVR read with skytale-rcv's ES&S reader and cut into signed-ready `cvr`
/// statements (version 1, as `skytale submit --rctab-config` makes them).
pub fn minneapolis_cvr(
    def: &Definition,
    cfg: &skytale_rcv::config::ContestConfig,
) -> Vec<skytale_model::CvrStatement> {
    let table = skytale_rcv::ballots::CandidateTable::from_config(cfg);
    let store = skytale_rcv::readers::read_all(cfg, &table, &mut |_| {}).unwrap();
    // The table's candidates in order, then the write-in: the selections' order.
    let ids: Vec<String> = def.contests[0]
        .selections
        .iter()
        .map(|s| s.id.clone())
        .collect();
    let patterns = skytale_model::cvr::patterns_from_store(&store, &ids).unwrap();
    let path = &cfg.sources[0].path;
    let bytes = std::fs::read(path).unwrap();
    use sha2::Digest as _;
    let header = skytale_model::CvrHeader {
        election: def.id.clone(),
        contest: "mayor".into(),
        unit: "minneapolis".into(),
        version: 1,
        submitted_at: "2013-11-06T02:00:00Z".into(),
        reason: None,
        source: skytale_model::SourceFile {
            format: "ess".into(),
            sha256: hex::encode(sha2::Sha256::digest(&bytes)),
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        },
    };
    skytale_model::cvr::batch_cvr(&header, patterns)
}
