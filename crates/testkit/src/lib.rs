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

pub fn sign(key: &SigningKey, json: &str) -> Vec<u8> {
    key.sign_note(&format!("{json}\n")).unwrap().to_bytes()
}
