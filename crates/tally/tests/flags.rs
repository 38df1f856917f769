//! Review flags: a count that went down, a turnout far from its area's, a swing unlike the
//! neighbours'. Shown to approvers, never used to refuse.

use skytale_model::{Definition, DefinitionFormat, Statement};
use skytale_tally::flags::{review_flags, FlagKind};
use skytale_tally::Tally;
use skytale_testkit as kit;

fn apply(t: &mut Tally, json: &str) {
    let st = Statement::parse(json).unwrap();
    t.apply_statement(&st);
}

fn kinds(flags: &[skytale_tally::flags::ReviewFlag], t: &Tally) -> Vec<(String, FlagKind)> {
    flags
        .iter()
        .map(|f| (t.definition().units()[f.unit].id.clone(), f.kind))
        .collect()
}

#[test]
fn a_count_that_went_down_and_turnout_far_from_the_area_are_flagged() {
    let k = kit::keys();
    let def = std::sync::Arc::new(kit::valid(&k));
    let mut published = Tally::new(def.clone());
    apply(
        &mut published,
        &kit::results_json("n1", 1, &kit::mayor(300, 200, 510)),
    );
    let mut now = published.clone();
    // A correction: Alice down by 50 in n1 (turnout 46 % against North's 46 %: no flag).
    apply(
        &mut now,
        &kit::results_json("n1", 2, &kit::mayor(250, 200, 460)),
    );
    let flags = review_flags(&now, Some(&published));
    assert_eq!(
        kinds(&flags, &now),
        [("n1".to_string(), FlagKind::CountDown)]
    );
    assert!(
        flags[0].why.contains("alice: 300 votes published, 250 now"),
        "{:?}",
        flags
    );
    // n2 at 95 % turnout in a North at 70 %; South's two units alike: no flag there.
    apply(
        &mut now,
        &kit::results_json("n2", 1, &kit::mayor(500, 440, 950)),
    );
    apply(
        &mut now,
        &kit::results_json("s1", 1, &kit::mayor(300, 200, 500)),
    );
    apply(
        &mut now,
        &kit::results_json("s2", 1, &kit::mayor(200, 200, 400)),
    );
    let flags = review_flags(&now, Some(&published));
    let got = kinds(&flags, &now);
    assert!(
        got.contains(&("n1".to_string(), FlagKind::CountDown)),
        "{got:?}"
    );
    assert!(
        got.contains(&("n1".to_string(), FlagKind::Turnout)),
        "{got:?}"
    );
    assert!(
        got.contains(&("n2".to_string(), FlagKind::Turnout)),
        "{got:?}"
    );
    assert!(!got.iter().any(|(u, _)| u.starts_with('s')), "{got:?}");
    // Before any publication nothing can have gone down.
    assert!(!kinds(&review_flags(&now, None), &now)
        .iter()
        .any(|(_, k)| *k == FlagKind::CountDown));
}

#[test]
fn a_swing_unlike_the_neighbours_is_flagged() {
    let k = kit::keys();
    let mut units = String::new();
    let mut previous = String::new();
    for i in 1..=5 {
        units.push_str(&format!(
            "[[units]]\nid = \"p{i}\"\nparent = \"county\"\nname = {{ en = \"P{i}\" }}\nregistered = 1000\n"
        ));
        previous.push_str(&format!(
            "[previous.contests.units.p{i}]\nvotes = {{ alice = 500, bob = 500 }}\n"
        ));
    }
    let toml = format!(
        r#"
id = "test-2026"
name = {{ en = "Swing" }}
date = "2026-11-25"
default_language = "en"
languages = ["en"]
authority_key = "{auth}"
[[units]]
id = "county"
name = {{ en = "County" }}
{units}
[[contests]]
id = "mayor"
name = {{ en = "Mayor" }}
kind = "candidate"
area = ["county"]
[[contests.selections]]
id = "alice"
name = {{ en = "Alice" }}
[[contests.selections]]
id = "bob"
name = {{ en = "Bob" }}
[[reporters]]
name = "County"
key = "{north}"
scope = ["county"]
[previous]
election = "test-2022"
name = {{ en = "2022" }}
[[previous.contests]]
contest = "mayor"
votes = {{ alice = 2500, bob = 2500 }}
{previous}"#,
        auth = k.authority.verifier(),
        north = k.north.verifier(),
    );
    let def = Definition::parse(&toml, DefinitionFormat::Toml)
        .unwrap()
        .validate()
        .unwrap();
    let mut now = Tally::new(std::sync::Arc::new(def));
    // Alice gains about 5 points everywhere, but 35 in p5.
    for (i, alice) in [(1, 550), (2, 560), (3, 540), (4, 550), (5, 850)] {
        apply(
            &mut now,
            &kit::results_json(&format!("p{i}"), 1, &kit::mayor(alice, 1000 - alice, 1000)),
        );
    }
    let flags = review_flags(&now, None);
    let swings: Vec<_> = kinds(&flags, &now)
        .into_iter()
        .filter(|(_, k)| *k == FlagKind::Swing)
        .collect();
    assert_eq!(swings, [("p5".to_string(), FlagKind::Swing)], "{flags:?}");
}
