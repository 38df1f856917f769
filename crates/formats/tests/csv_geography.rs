//! CSV files with more geography than county and precinct, in the layouts of OpenElections'
//! Vermont files, `county,town,precinct` (a precinct code is a house district shared by
//! several towns), and Massachusetts files, `town,ward,precinct` (precinct `1` in every town,
//! and in several wards of one). derive → import → tally gives every town its exact totals.

mod common;
use common::*;

use std::collections::BTreeMap;

use proptest::prelude::*;
use skytale_formats::{derive_definition_with, import_results, DeriveOptions, Format, Mapping};
use skytale_model::ValidDefinition;

const VT: &str = "openelections/geography_layouts/vt_layout.csv";
const MA: &str = "openelections/geography_layouts/ma_layout.csv";

/// The names of unit `u` and its ancestors, outermost first, without the derived root.
fn path(def: &ValidDefinition, u: usize) -> Vec<String> {
    let mut names = Vec::new();
    let mut at = Some(u);
    while let Some(x) = at {
        if def.parent(x).is_none() && def.units()[x].level.as_deref() == Some("root") {
            break;
        }
        names.insert(0, def.units()[x].name["en"].clone());
        at = def.parent(x);
    }
    names
}

/// The unit whose path (outermost first) is `names`.
fn unit(def: &ValidDefinition, names: &[&str]) -> usize {
    (0..def.units().len())
        .find(|&u| path(def, u) == names)
        .unwrap_or_else(|| panic!("no unit {names:?}"))
}

/// Contest name as the importer shows it: the office, qualified by its district.
fn contest_name(office: &str, district: &str) -> String {
    match district.trim() {
        "" => office.to_string(),
        d if d.chars().all(|c| c.is_ascii_digit()) => format!("{office}, District {d}"),
        d => format!("{office}, {d}"),
    }
}

/// Sums of the file's candidate rows per (town path, contest, candidate), read with the `csv`
/// crate alone, for comparison with the tally. `town` lists the columns of a town's path.
fn sums_by_town(bytes: &[u8], town: &[&str]) -> BTreeMap<(Vec<String>, String, String), u64> {
    let mut r = csv::Reader::from_reader(bytes);
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let town_cols: Vec<usize> = town.iter().map(|n| col(n)).collect();
    let (office, district, candidate, votes) = (
        col("office"),
        col("district"),
        col("candidate"),
        col("votes"),
    );
    let mut sums = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let cand = &rec[candidate];
        // Pseudo-candidates: totals and blanks are not selections.
        if ["Total Votes Cast", "Blanks"].contains(&cand) {
            continue;
        }
        let cand = if cand == "Write Ins" {
            "Write-ins"
        } else {
            cand
        };
        let key = (
            town_cols.iter().map(|&i| rec[i].to_string()).collect(),
            contest_name(&rec[office], &rec[district]),
            cand.to_string(),
        );
        *sums.entry(key).or_insert(0) += rec[votes].parse::<u64>().unwrap();
    }
    sums
}

/// Every (town, contest, candidate) of the file has in the tally what its rows add up to.
fn assert_town_totals(r: &Run, bytes: &[u8], town: &[&str]) -> usize {
    let sums = sums_by_town(bytes, town);
    for ((names, contest, cand), want) in &sums {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let u = unit(&r.def, &names);
        let ci = (0..r.def.contests().len())
            .find(|&c| r.def.contests()[c].name["en"] == *contest)
            .unwrap_or_else(|| panic!("no contest {contest:?}"));
        let si = r.def.contests()[ci]
            .selections
            .iter()
            .position(|s| s.name["en"].eq_ignore_ascii_case(cand))
            .unwrap_or_else(|| panic!("no selection {cand:?} in {contest:?}"));
        let got = r.tally.unit_figures(ci, u).votes[si];
        assert_eq!(got, *want, "{names:?} {contest:?} {cand:?}");
    }
    sums.len()
}

/// Vermont's layout: one precinct code (a house district) covers several towns, so without
/// the town level the file names a unit twice and is refused as duplicated rows.
#[test]
fn vermont_layout_towns_sharing_a_precinct_code_are_separate_units() {
    let bytes = read(VT);
    let r = run(Format::Csv, &bytes, "vt-2020-11-03");
    let def = &r.def;
    // The derived root, 3 counties, 16 towns and 17 (town, precinct) pairs.
    assert_eq!(def.units().len(), 1 + 3 + 16 + 17);
    let levels: Vec<Option<&str>> = (0..def.units().len())
        .map(|u| def.units()[u].level.as_deref())
        .collect();
    assert_eq!(levels.iter().filter(|l| **l == Some("town")).count(), 16);
    assert_eq!(
        levels.iter().filter(|l| **l == Some("precinct")).count(),
        17
    );
    // ADD-3 is the house district of five Addison towns: five units, one in each.
    let mut add3: Vec<Vec<String>> = (0..def.units().len())
        .filter(|&u| def.units()[u].name["en"] == "ADD-3")
        .map(|u| path(def, u))
        .collect();
    add3.sort();
    let towns: Vec<&str> = add3.iter().map(|p| p[1].as_str()).collect();
    assert_eq!(
        towns,
        ["Addison", "Ferrisburgh", "Panton", "Vergennes", "Waltham"]
    );
    assert!(add3.iter().all(|p| p.len() == 3 && p[0] == "Addison"));
    // Bennington town is split between two house districts.
    let ben = unit(def, &["Bennington", "Bennington"]);
    assert_eq!(def.children(ben).len(), 2);
    // `district` qualifies the office: U.S. House, District 1 is a contest, not a unit.
    assert!(def
        .contests()
        .iter()
        .any(|c| c.name["en"] == "U.S. House, District 1"));
    assert!(levels.iter().all(|l| *l != Some("district")));

    let d = r.doc();
    assert_eq!(
        votes(&d, "President", "Joseph Biden"),
        9_987 + 7_107 + 9_234
    );
    assert_eq!(
        votes(&d, "President", "Donald Trump"),
        8_546 + 5_060 + 4_626
    );
    for (county, biden, trump) in [
        ("Addison", 9_987, 8_546),
        ("Bennington", 7_107, 5_060),
        ("Grand Isle", 9_234, 4_626),
    ] {
        let u = unit(def, &[county]);
        let c = (0..def.contests().len())
            .find(|&c| def.contests()[c].name["en"] == "President")
            .unwrap();
        let sel = |name: &str| {
            def.contests()[c]
                .selections
                .iter()
                .position(|s| s.name["en"] == name)
                .unwrap()
        };
        let f = r.tally.unit_figures(c, u);
        assert_eq!(
            (f.votes[sel("Joseph Biden")], f.votes[sel("Donald Trump")]),
            (biden, trump),
            "{county}"
        );
    }
    // Every town, every contest, every candidate: exact.
    let checked = assert_town_totals(&r, &bytes, &["county", "town"]);
    assert!(checked > 100, "{checked}");
}

/// Massachusetts' layout: town > ward > precinct, rows of towns without wards skip that level,
/// and the file's rows come in no order at all.
#[test]
fn massachusetts_layout_wards_and_towns_without_them() {
    let bytes = read(MA);
    let r = run(Format::Csv, &bytes, "ma-2020-11-03");
    let def = &r.def;
    // The derived root, 4 towns, 5 wards and 14 precincts.
    assert_eq!(def.units().len(), 1 + 4 + 5 + 14);
    // Precinct 1 of Ward 1 and of Ward 2 of Beverly are two units; Canton's precincts have no
    // ward above them.
    let b1 = unit(def, &["Beverly", "1", "1"]);
    let b2 = unit(def, &["Beverly", "2", "1"]);
    assert_ne!(b1, b2);
    assert_eq!(
        def.units()[def.parent(b1).unwrap()].level.as_deref(),
        Some("ward")
    );
    let c3 = unit(def, &["Canton", "3"]);
    assert_eq!(def.units()[c3].level.as_deref(), Some("precinct"));
    assert_eq!(path(def, def.parent(c3).unwrap()), ["Canton"]);
    // Districts qualify offices (State House, 6th Essex), never units.
    assert!(def
        .contests()
        .iter()
        .any(|c| c.name["en"] == "State House, 6th Essex"));
    assert!(def
        .units()
        .iter()
        .all(|u| u.level.as_deref() != Some("district")));
    let d = r.doc();
    assert_eq!(
        votes(&d, "President", "Joseph R. Biden, Jr."),
        5_582 + 3_465 + 3_455 + 1_779
    );
    assert_eq!(
        votes(&d, "President", "Donald J. Trump"),
        7_533 + 4_804 + 3_419 + 897
    );
    let checked = assert_town_totals(&r, &bytes, &["town"]);
    assert!(checked > 10, "{checked}");
}

/// The rows with an empty precinct (a county's own total) are the county's report, and a
/// definition made from one file resolves another file's rows town by town.
#[test]
fn county_total_rows_and_a_second_file_resolve_under_their_parents() {
    let first = "county,town,precinct,office,district,party,candidate,votes\n\
                 A,T1,1,Gov,,D,X,10\nA,T2,1,Gov,,D,X,20\nB,T1,1,Gov,,D,X,40\nA,,,Gov,,D,X,35\n";
    let r = run(Format::Csv, first.as_bytes(), "x-2024-01-01");
    let def = &r.def;
    assert_eq!(def.units().len(), 1 + 2 + 3 + 3);
    let d = r.doc();
    // County A's own report (35) wins over its towns' 30; B has 40.
    assert_eq!(votes(&d, "Gov", "X"), 75);
    // Only T2's precinct 1 is in the second file: it must not land in T1 or in B.
    let second = "county,town,precinct,office,district,party,candidate,votes\nA,T2,1,Gov,,D,X,21\n";
    let st = import_results(
        Format::Csv,
        second.as_bytes(),
        def,
        &opts("x-2024-01-01", None),
    )
    .unwrap();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0].unit, def.units()[unit(def, &["A", "T2", "1"])].id);
    // A precinct the definition lacks under its town is unmapped, even though a precinct of
    // that name exists elsewhere (unique names are found anywhere only under the parent).
    let small = derive(
        Format::Csv,
        b"county,town,precinct,office,district,party,candidate,votes\nA,T1,9,Gov,,D,X,1\nA,T2,,Gov,,D,X,1\n",
        "x-2024-01-01",
    );
    let small = small.validate().unwrap();
    let e = import_results(
        Format::Csv,
        b"county,town,precinct,office,district,party,candidate,votes\nA,T2,9,Gov,,D,X,1\n",
        &small,
        &opts("x-2024-01-01", None),
    )
    .unwrap_err();
    assert!(e.to_string().contains("T2/9"), "{e}");
}

/// A mapping's `geography` names other columns, and may make `district` a level.
#[test]
fn a_mapping_names_the_geography_columns() {
    let file = "Parish,District,Box,Race,Choice,Votes\nP,D1,1,Mayor,X,3\nP,D2,1,Mayor,X,4\nP,D2,2,Mayor,Y,5\n";
    let mapping = Mapping::from_toml(
        "[csv]\ngeography = [\"Parish\", \"District\", \"Box\"]\noffice = \"Race\"\ncandidate = \"Choice\"\nvotes = \"Votes\"\n",
    )
    .unwrap();
    let (a, rk) = keys();
    let def = derive_definition_with(
        Format::Csv,
        file.as_bytes(),
        "x-2024-01-01",
        a,
        "x",
        rk,
        &DeriveOptions {
            date: None,
            mapping: Some(&mapping),
        },
    )
    .unwrap()
    .validate()
    .unwrap();
    // The parish is the root; 2 districts, 3 boxes.
    assert_eq!(def.units().len(), 1 + 2 + 3);
    let d2 = unit(&def, &["P", "D2"]);
    assert_eq!(def.units()[d2].level.as_deref(), Some("district"));
    assert_eq!(
        def.units()[unit(&def, &["P"])].level.as_deref(),
        Some("parish")
    );
    let st = import_results(
        Format::Csv,
        file.as_bytes(),
        &def,
        &opts("x-2024-01-01", Some(&mapping)),
    )
    .unwrap();
    assert_eq!(st.len(), 3);
    // A column both a level and the office's district is refused, naming it.
    let e = Mapping::from_toml(
        "[csv]\ngeography = [\"Parish\", \"District\"]\ndistrict = \"district\"\noffice = \"Race\"\ncandidate = \"Choice\"\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("\"District\""), "{e}");
}

/// A small file whose geography columns are any subset of the recognised levels, each cell
/// from a tiny alphabet (codes shared between parents) or blank.
fn geo_file() -> impl Strategy<Value = (Vec<&'static str>, Vec<Vec<String>>)> {
    let levels = ["state", "county", "town", "ward", "precinct"];
    (
        proptest::sample::subsequence(levels.to_vec(), 1..=5),
        proptest::collection::vec(
            proptest::collection::vec(prop_oneof![Just(""), Just("1"), Just("2"), Just("A")], 5),
            1..12,
        ),
    )
        .prop_map(|(geo, rows)| {
            // One row per path: a path given twice is a duplicated row.
            let mut seen = std::collections::BTreeSet::new();
            let rows = rows
                .into_iter()
                .map(|r| {
                    r[..geo.len()]
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                })
                .filter(|r| {
                    seen.insert(
                        r.iter()
                            .filter(|c| !c.is_empty())
                            .cloned()
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            (geo, rows)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Whatever the order of the columns, a row's unit is the path through its non-blank
    /// geography cells, outermost first.
    #[test]
    fn unit_paths_do_not_depend_on_column_order(
        (geo, rows) in geo_file(),
        order in Just((0..5 + 4).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        // Columns: the geography, then office, party, candidate, votes; written in `order`.
        let mut header: Vec<String> = geo.iter().map(|s| s.to_uppercase()).collect();
        header.extend(["office", "party", "candidate", "votes"].map(String::from));
        let order: Vec<usize> = order.into_iter().filter(|&i| i < header.len()).collect();
        let mut lines = vec![order.iter().map(|&i| header[i].clone()).collect::<Vec<_>>().join(",")];
        for (k, r) in rows.iter().enumerate() {
            let mut cells = r.clone();
            cells.extend(["Gov".to_string(), "D".to_string(), "X".to_string(), (k + 1).to_string()]);
            lines.push(order.iter().map(|&i| cells[i].clone()).collect::<Vec<_>>().join(","));
        }
        let file = lines.join("\n") + "\n";
        let r = run(Format::Csv, file.as_bytes(), "x-2024-01-01");
        for (k, row) in rows.iter().enumerate() {
            let want: Vec<String> = row.iter().filter(|c| !c.is_empty()).cloned().collect();
            let want = if want.is_empty() { vec!["All reporting units".to_string()] } else { want };
            let st = r
                .statements
                .iter()
                .find(|s| {
                    s.contests[0].selections.values().next().and_then(|c| c.values().next()).map(|c| c.get())
                        == Some(k as u64 + 1)
                })
                .unwrap();
            let u = r.def.unit_index(&st.unit).unwrap();
            if want == ["All reporting units"] {
                // Rows without geography: the unit of that name (the derived root, when there
                // are other top units, bears it too).
                prop_assert_eq!(&r.def.units()[u].name["en"], "All reporting units", "{}", file);
            } else {
                prop_assert_eq!(path(&r.def, u), want, "{}", file);
            }
        }
    }
}
