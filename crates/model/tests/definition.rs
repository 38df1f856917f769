//! Definition parsing and validation: every error names the field and why.

use skytale_testkit as common;

use skytale_model::{Definition, DefinitionFormat};

fn errors_of(toml: &str) -> Vec<String> {
    let def = Definition::parse(toml, DefinitionFormat::Toml).expect("parses");
    match def.validate() {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

fn assert_error(toml: &str, field: &str, why_part: &str) {
    let errs = errors_of(toml);
    assert!(
        errs.iter()
            .any(|e| e.starts_with(&format!("{field}:")) && e.contains(why_part)),
        "expected an error at {field} containing {why_part:?}, got {errs:#?}"
    );
}

#[test]
fn the_test_definition_is_valid_in_toml_and_json_alike() {
    let k = common::keys();
    let def = common::definition(&k);
    let json = serde_json::to_string_pretty(&def).unwrap();
    let from_json = Definition::parse(&json, DefinitionFormat::Json).unwrap();
    assert_eq!(def, from_json, "TOML and JSON share one schema");
    let v = def.validate().unwrap();
    assert_eq!(v.units().len(), 7);
    assert_eq!(v.children(v.unit_index("north").unwrap()).len(), 2);
    assert!(v.contest_held_in(
        v.contest_index("north-measure").unwrap(),
        v.unit_index("n2").unwrap()
    ));
    assert!(!v.contest_held_in(
        v.contest_index("north-measure").unwrap(),
        v.unit_index("s1").unwrap()
    ));
}

#[test]
fn duplicate_unit_id() {
    let k = common::keys();
    let t = common::toml_text(&k, "automatic").replacen("id = \"n2\"", "id = \"n1\"", 1);
    assert_error(&t, "units[4].id", "duplicate unit id \"n1\"");
}

#[test]
fn parent_that_does_not_exist() {
    let k = common::keys();
    let t =
        common::toml_text(&k, "automatic").replacen("parent = \"south\"", "parent = \"southh\"", 1);
    assert_error(&t, "units[5].parent", "\"southh\", which does not exist");
}

#[test]
fn contest_on_unknown_unit() {
    let k = common::keys();
    let t =
        common::toml_text(&k, "automatic").replace("area = [\"north\"]", "area = [\"nowhere\"]");
    assert_error(
        &t,
        "contests[1].area[0]",
        "\"nowhere\", which does not exist",
    );
}

#[test]
fn reporter_scope_unknown() {
    let k = common::keys();
    let t = common::toml_text(&k, "automatic").replace("scope = [\"south\"]", "scope = [\"east\"]");
    assert_error(
        &t,
        "reporters[1].scope[0]",
        "\"east\", which does not exist",
    );
}

#[test]
fn selection_party_unknown_and_duplicate_selection() {
    let k = common::keys();
    let t = common::toml_text(&k, "automatic").replace(
        "party = \"p2\"\n\n[[contests]]",
        "party = \"p9\"\n\n[[contests]]",
    );
    assert_error(
        &t,
        "contests[0].selections[1].party",
        "party \"p9\" is not defined",
    );
    let t = common::toml_text(&k, "automatic").replace("id = \"no\"", "id = \"yes\"");
    assert_error(&t, "contests[1].selections[1].id", "duplicate selection id");
}

#[test]
fn two_roots_and_cycles() {
    let k = common::keys();
    let t = common::toml_text(&k, "automatic").replacen("parent = \"nation\"\n", "", 1);
    assert_error(&t, "units", "exactly one unit must have no parent");
}

#[test]
fn languages_and_default_language_text() {
    let k = common::keys();
    let t = common::toml_text(&k, "automatic")
        .replace("name = { en = \"Nation\" }", "name = { fr = \"Nation\" }");
    assert_error(&t, "units[0].name", "no text in the default language");
    let t = common::toml_text(&k, "automatic").replace(
        "name = { en = \"Mayor\", fr = \"Maire\" }",
        "name = { en = \"Mayor\", de = \"Bürgermeister\" }",
    );
    assert_error(&t, "contests[0].name.de", "not among `languages`");
}

#[test]
fn shared_keys_and_approval_quorum() {
    let k = common::keys();
    let t = common::toml_text(&k, "automatic").replace(
        &k.south.verifier().to_string(),
        &k.north.verifier().to_string(),
    );
    assert_error(&t, "reporters[1].key", "already used");
    let t = common::toml_text(&k, "approval").replace("quorum = 1", "quorum = 3");
    assert_error(
        &t,
        "publication.quorum",
        "between 1 and the number of approvers (1)",
    );
}

#[test]
fn seat_rules_are_checked() {
    let k = common::keys();
    let t = common::toml_text(&k, "automatic").replace(
        "method = \"dhondt\", seats = 5",
        "method = \"dhondt\", seats = 0",
    );
    assert_error(&t, "contests[2].seats.seats", "at least 1");
    let t = common::toml_text(&k, "automatic").replace("method = \"dhondt\"", "method = \"dhont\"");
    let err = Definition::parse(&t, DefinitionFormat::Toml)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("contests[2].seats.method") || err.starts_with("contests[2].seats"),
        "{err}"
    );
    assert!(err.contains("dhondt"), "lists the known methods: {err}");
}

#[test]
fn syntax_errors_name_the_field() {
    let k = common::keys();
    let t = common::toml_text(&k, "automatic").replace("registered = 800", "registered = \"many\"");
    let err = Definition::parse(&t, DefinitionFormat::Toml)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("units[6].registered:"), "{err}");
    let t = common::toml_text(&k, "automatic").replace(
        "date = \"2026-11-25\"",
        "date = \"2026-11-25\"\ncolour = \"blue\"",
    );
    let err = Definition::parse(&t, DefinitionFormat::Toml)
        .unwrap_err()
        .to_string();
    assert!(err.contains("colour"), "unknown fields are refused: {err}");
    let t = common::toml_text(&k, "automatic")
        .replace(&k.authority.verifier().to_string(), "authority+0000+AAAA");
    assert!(Definition::parse(&t, DefinitionFormat::Toml)
        .unwrap_err()
        .to_string()
        .starts_with("authority_key"));
}

#[test]
fn the_json_schema_names_every_top_level_field() {
    let schema = Definition::json_schema();
    let props = schema["properties"].as_object().expect("properties");
    for f in [
        "id",
        "name",
        "date",
        "default_language",
        "languages",
        "authority_key",
        "units",
        "contests",
        "reporters",
        "publication",
    ] {
        assert!(props.contains_key(f), "schema lacks {f}");
    }
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../election.schema.json")).unwrap();
    assert_eq!(
        committed, schema,
        "crates/model/election.schema.json is stale: regenerate with `skytale election schema`"
    );
}

fn with_witnesses(quorum: u32, members: &str) -> String {
    let k = common::keys();
    format!(
        "{}\n[witnesses]\nquorum = {quorum}\n{members}",
        common::toml_text(&k, "automatic")
    )
}

#[test]
fn a_witness_policy_is_part_of_the_signed_definition() {
    let t = with_witnesses(
        1,
        "[[witnesses.members]]\nurl = \"https://w.example/\"\nkeys = [\"w.example+01234567+AQ\", \"w.example+89abcdef+AQ\"]\n",
    );
    let def = Definition::parse(&t, DefinitionFormat::Toml).unwrap();
    let w = def.witnesses.clone().unwrap();
    assert_eq!((w.quorum, w.members[0].keys.len()), (1, 2));
    def.validate().unwrap();
}

#[test]
fn witness_policy_errors_name_the_field() {
    assert_error(
        &with_witnesses(
            2,
            "[[witnesses.members]]\nurl = \"https://w.example/\"\nkeys = [\"w+01234567+AQ\"]\n",
        ),
        "witnesses.quorum",
        "2 exceeds the number of witnesses named (1)",
    );
    assert_error(
        &with_witnesses(
            1,
            "[[witnesses.members]]\nurl = \"ftp://w.example/\"\nkeys = [\"w+01234567+AQ\"]\n",
        ),
        "witnesses.members[0].url",
        "is not an http(s) URL",
    );
    assert_error(
        &with_witnesses(
            1,
            "[[witnesses.members]]\nurl = \"https://a/\"\nkeys = [\"w+01234567+AQ\"]\n[[witnesses.members]]\nurl = \"https://b/\"\nkeys = [\"w+89abcdef+AQ\"]\n",
        ),
        "witnesses.members[1].keys",
        "already used by another witness",
    );
    assert_error(
        &with_witnesses(
            1,
            "[[witnesses.members]]\nurl = \"https://a/\"\nkeys = []\n",
        ),
        "witnesses.members[0].keys",
        "at least one key",
    );
}

/// The test definition with the council's seats as a two-constituency system `system`.
fn with_system(system: &str) -> String {
    let k = common::keys();
    common::toml_text(&k, "automatic").replace(
        "seats = { method = \"dhondt\", seats = 5 }",
        &format!("seats = {{ system = {system} }}"),
    )
}

const LEVELLING: &str = "levelling = { threshold = { percent = \"4\", scope = \"national\" } }";

#[test]
fn a_seat_system_names_constituency_units() {
    let t = with_system(&format!(
        "{{ method = \"modified-sainte-lague\", constituencies = [ {{ id = \"north\", seats = 2, levelling_seats = 1 }}, {{ id = \"south\", seats = 3, levelling_seats = 1 }} ], {LEVELLING} }}"
    ));
    let def = Definition::parse(&t, DefinitionFormat::Toml).unwrap();
    let json = serde_json::to_string(&def).unwrap();
    assert!(json.contains("\"seats\":{\"system\":{"), "{json}");
    assert_eq!(
        Definition::parse(&json, DefinitionFormat::Json).unwrap(),
        def,
        "the system form survives JSON"
    );
    let seats = def.contests[2].seats.as_ref().unwrap();
    assert_eq!(seats.total_seats(), 7);
    let v = def.validate().unwrap();
    let ci = v.contest_index("council").unwrap();
    assert_eq!(
        v.contest_constituencies(ci),
        [
            v.unit_index("north").unwrap(),
            v.unit_index("south").unwrap()
        ]
    );
    // The single form is unchanged.
    let k = common::keys();
    let v = common::definition(&k).validate().unwrap();
    assert!(v.contest_constituencies(2).is_empty());
}

#[test]
fn seat_system_errors_name_the_field() {
    let sys = |cs: &str, rest: &str| {
        with_system(&format!(
            "{{ method = \"dhondt\", constituencies = [ {cs} ]{rest} }}"
        ))
    };
    let both = "{ id = \"north\", seats = 2 }, { id = \"south\", seats = 2 }";
    assert!(errors_of(&sys(both, "")).is_empty());
    let at = "contests[2].seats.system";
    assert_error(
        &sys(
            "{ id = \"north\", seats = 2 }, { id = \"west\", seats = 2 }",
            "",
        ),
        &format!("{at}.constituencies[1].id"),
        "\"west\" is not a unit of the geography",
    );
    assert_error(
        &sys(
            "{ id = \"north\", seats = 2 }, { id = \"north\", seats = 2 }",
            "",
        ),
        &format!("{at}.constituencies[1].id"),
        "listed twice",
    );
    assert_error(
        &sys("{ id = \"north\", seats = 2 }, { id = \"n1\", seats = 2 }, { id = \"south\", seats = 1 }", ""),
        &format!("{at}.constituencies[1].id"),
        "lies inside constituency \"north\"",
    );
    assert_error(
        &sys(
            "{ id = \"north\", seats = 2 }, { id = \"s1\", seats = 2 }",
            "",
        ),
        &format!("{at}.constituencies"),
        "unit \"s2\" of the contest's area lies in no constituency",
    );
    assert_error(
        &sys(
            "{ id = \"north\", seats = 2 }, { id = \"south\", seats = 0 }",
            "",
        ),
        &format!("{at}.constituencies[1].seats"),
        "at least one seat",
    );
    assert_error(
        &sys(both, &format!(", {LEVELLING}")),
        &format!("{at}.levelling"),
        "no constituency has `levelling_seats`",
    );
    assert_error(
        &sys(
            "{ id = \"north\", seats = 2, levelling_seats = 1 }, { id = \"south\", seats = 2 }",
            "",
        ),
        &format!("{at}.levelling"),
        "1 levelling seat(s) are placed",
    );
    assert_error(
        &sys(both, ", first_divisor = \"1.4\", method = \"hare\"")
            .replace("method = \"dhondt\", ", ""),
        &format!("{at}.first_divisor"),
        "largest-remainder",
    );
    assert_error(
        &sys(both, ", threshold = { percent = \"100\" }"),
        &format!("{at}.threshold.percent"),
        "below 100",
    );
    // A constituency outside the contest's area.
    let t = sys(
        "{ id = \"north\", seats = 2 }, { id = \"south\", seats = 2 }",
        "",
    )
    .replace("area = [\"nation\"]\nseats", "area = [\"north\"]\nseats");
    assert_error(
        &t,
        &format!("{at}.constituencies[1].id"),
        "\"south\" is not inside the contest's area",
    );
    // Seats only in party-list contests, whatever the form.
    let t = sys(both, "").replace("kind = \"party_list\"", "kind = \"candidate\"");
    assert_error(&t, "contests[2].seats", "only party_list");
}

#[test]
fn seat_system_syntax_errors_say_where() {
    let err = |t: &str| {
        Definition::parse(t, DefinitionFormat::Toml)
            .unwrap_err()
            .to_string()
    };
    let e = err(&with_system(
        "{ method = \"dhondt\", constituencies = [ { id = \"north\", seats = 2, levelling_seats = 1 } ], levelling = { threshold = { percent = \"four\" } } }",
    ));
    assert!(
        e.starts_with("contests[2].seats: system.levelling.threshold.percent: "),
        "{e}"
    );
    let e = err(&with_system(
        "{ method = \"dhondt\", constituencies = [ { unit = \"north\", seats = 2 } ] }",
    ));
    assert!(
        e.contains("system.constituencies[0]") && e.contains("unit"),
        "{e}"
    );
    let k = common::keys();
    let t = common::toml_text(&k, "automatic").replace(
        "seats = { method = \"dhondt\", seats = 5 }",
        "seats = { seats = 5, system = { method = \"dhondt\", constituencies = [] } }",
    );
    assert!(
        err(&t).contains("`system` stands alone: put seats inside it"),
        "{}",
        err(&t)
    );
}

/// "Held in" is "inside one of the contest's area roots", for every contest and unit, with
/// several roots in an order that is not the units' (the look-up searches them sorted).
#[test]
fn a_contest_is_held_in_exactly_the_units_inside_its_area_roots() {
    let k = common::keys();
    let mut def = common::definition(&k);
    def.contests[0].area = vec!["s2".into(), "north".into(), "s1".into()];
    let v = def.validate().unwrap();
    for ci in 0..v.contests().len() {
        for u in 0..v.units().len() {
            let inside = v.contest_area(ci).iter().any(|&a| v.is_within(u, a));
            assert_eq!(v.contest_held_in(ci, u), inside, "contest {ci}, unit {u}");
        }
    }
    let c0 = 0;
    assert!(v.contest_held_in(c0, v.unit_index("n1").unwrap()));
    assert!(v.contest_held_in(c0, v.unit_index("s2").unwrap()));
    assert!(!v.contest_held_in(c0, v.unit_index("south").unwrap()));
}

fn errors_of_def(def: Definition) -> Vec<String> {
    match def.validate() {
        Ok(_) => vec![],
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn contest_groups_locale_and_map_are_checked() {
    let k = common::keys();
    let mut def = common::definition(&k);
    def.groups = vec![skytale_model::ContestGroup {
        id: "national".into(),
        name: [("en".to_string(), "National contests".to_string())].into(),
    }];
    def.contests[0].group = Some("national".into());
    def.locale = Some("en-GB".into());
    assert_eq!(errors_of_def(def.clone()), Vec::<String>::new());

    let mut bad = def.clone();
    bad.contests[1].group = Some("regional".into());
    bad.locale = Some("en".into());
    bad.groups.push(bad.groups[0].clone());
    let errs = errors_of_def(bad);
    for (field, why) in [
        ("contests[1].group:", "\"regional\" is not among `groups`"),
        ("locale:", "with a region"),
        ("groups[1].id:", "listed twice"),
    ] {
        assert!(
            errs.iter().any(|e| e.starts_with(field) && e.contains(why)),
            "{field} {why}: {errs:#?}"
        );
    }

    // A map's shapes must be of known units; a contest may not take a page's address.
    let mut bad = def;
    bad.map = Some(
        serde_json::json!({ "type": "FeatureCollection", "features": [
        { "type": "Feature", "properties": { "id": "atlantis" },
          "geometry": { "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]] } }
    ] }),
    );
    bad.contests[0].id = "search".into();
    let errs = errors_of_def(bad);
    assert!(
        errs.iter()
            .any(|e| e.starts_with("map.features[0].properties.id:") && e.contains("atlantis")),
        "{errs:#?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("contests[0].id:") && e.contains("address of a page")),
        "{errs:#?}"
    );
}
