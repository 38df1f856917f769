//! Reproduces every officially published seat in `testdata/seats` (see its README):
//! EP 2019 Germany (Sainte-Laguë, 96) and Spain (D'Hondt, 54 and 59), and the Norwegian
//! Storting 2021 with its levelling seats per party and per county.

use std::collections::BTreeMap;

use skytale_seats::{allocate, allocate_system, Method, Rules, SystemRules};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/seats");

/// (constituency, party, votes, seats) rows of a data file; panics (fails the test) when the
/// data folder is missing.
fn rows(name: &str) -> Vec<(String, String, u64, u32)> {
    let path = format!("{DATA}/{name}");
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let out: Vec<_> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].to_string(),
                rec[1].to_string(),
                rec[2].parse().unwrap(),
                rec[3].parse().unwrap(),
            )
        })
        .collect();
    assert!(!out.is_empty(), "{path} has no rows");
    out
}

fn check_national(file: &str, method: Method) {
    let rows = rows(file);
    let seats: u32 = rows.iter().map(|r| r.3).sum();
    let votes: Vec<(&str, u64)> = rows.iter().map(|r| (r.1.as_str(), r.2)).collect();
    let a = allocate(&Rules::new(method, seats), &votes).unwrap();
    for (p, r) in a.parties.iter().zip(&rows) {
        assert_eq!(p.seats, r.3, "{file}: {}", r.1);
    }
    assert!(a.ties.is_empty());
}

#[test]
fn ep2019_germany_sainte_lague_96() {
    check_national("de_ep2019.csv", Method::SainteLague);
}

#[test]
fn ep2019_spain_dhondt_54() {
    check_national("es_ep2019.csv", Method::Dhondt);
}

#[test]
fn ep2019_spain_dhondt_59_after_brexit() {
    check_national("es_ep2019_59seats.csv", Method::Dhondt);
}

#[test]
fn storting_2021_district_levelling_and_placement() {
    let rows = rows("no_storting_2021.csv");
    let levelling_rows: Vec<(String, String, u32)> = {
        let path = format!("{DATA}/no_storting_2021_levelling.csv");
        let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        r.records()
            .map(|rec| {
                let rec = rec.unwrap();
                (
                    rec[0].to_string(),
                    rec[1].to_string(),
                    rec[2].parse().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(levelling_rows.len(), 19);
    let mut counties: Vec<(String, u32)> = Vec::new();
    for r in &rows {
        match counties.iter_mut().find(|c| c.0 == r.0) {
            Some(c) => c.1 += r.3,
            None => counties.push((r.0.clone(), r.3)),
        }
    }
    assert_eq!(counties.len(), 19);
    assert_eq!(counties.iter().map(|c| c.1).sum::<u32>(), 169);
    let rules = SystemRules::norway(&counties);
    let votes: Vec<(&str, &str, u64)> = rows
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2))
        .collect();
    let s = allocate_system(&rules, &votes, None).unwrap();
    assert!(s.pending.is_empty());

    let lev: BTreeMap<(&str, &str), u32> = levelling_rows
        .iter()
        .map(|(c, p, n)| ((c.as_str(), p.as_str()), *n))
        .collect();
    // District seats per list.
    for (c, cr) in s.constituencies.iter().enumerate() {
        let a = cr.district.as_ref().unwrap();
        for p in &a.parties {
            let r = rows
                .iter()
                .find(|r| r.0 == cr.id && r.1 == p.party)
                .unwrap();
            let l = lev.get(&(r.0.as_str(), r.1.as_str())).copied().unwrap_or(0);
            assert_eq!(
                p.seats,
                r.3 - l,
                "district seats of {} in {} (#{c})",
                r.1,
                r.0
            );
        }
    }
    // Levelling seats per party, nationally.
    let mut per_party: BTreeMap<&str, u32> = BTreeMap::new();
    for ((_, p), n) in &lev {
        *per_party.entry(p).or_insert(0) += n;
    }
    for p in &s.parties {
        assert_eq!(
            p.levelling_seats,
            per_party.get(p.party.as_str()).copied().unwrap_or(0),
            "levelling seats of {}",
            p.party
        );
    }
    // Placement per county, and every published seat.
    for cr in &s.constituencies {
        for (p, n) in &cr.levelling {
            assert_eq!(
                lev.get(&(cr.id.as_str(), p.as_str())),
                Some(n),
                "levelling {p} in {}",
                cr.id
            );
        }
    }
    for r in &rows {
        let cr = s.constituencies.iter().find(|c| c.id == r.0).unwrap();
        assert_eq!(cr.seats_of(&r.1), r.3, "seats of {} in {}", r.1, r.0);
    }
    let lv = s.levelling.as_ref().unwrap();
    assert_eq!(lv.placements.len(), 19);
    assert!(lv.ties.is_empty());
}
