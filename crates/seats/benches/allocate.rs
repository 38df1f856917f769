//! Allocation speed: 1,000 parties × 1,000 seats with every method (both families), a national
//! EP allocation, the Storting, and the Storting recomputed after every result arrival of an
//! election night (what a live tally of a multi-constituency system does).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use skytale_seats::{allocate, allocate_system, Method, Rules, SystemRules, METHODS};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/seats");

fn rows(name: &str) -> Vec<(String, String, u64, u32)> {
    let path = format!("{DATA}/{name}");
    let mut r = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].into(),
                rec[1].into(),
                rec[2].parse().unwrap(),
                rec[3].parse().unwrap(),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    // Deterministic pseudo-random vote counts (a linear congruential sequence).
    let mut x: u64 = 12345;
    let big: Vec<(String, u64)> = (0..1000)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (format!("P{i}"), 1_000 + (x >> 40) % 1_000_000)
        })
        .collect();
    let mut g = c.benchmark_group("1000 parties x 1000 seats");
    for (method, name) in METHODS {
        let rules = Rules::new(method, 1000);
        g.bench_function(name, |b| {
            b.iter(|| allocate(&rules, black_box(&big)).unwrap())
        });
    }
    g.finish();

    let de = rows("de_ep2019.csv");
    let de_votes: Vec<(&str, u64)> = de.iter().map(|r| (r.1.as_str(), r.2)).collect();
    c.bench_function("EP 2019 Germany (Sainte-Lague, 96 seats, 32 lists)", |b| {
        b.iter(|| allocate(&Rules::new(Method::SainteLague, 96), black_box(&de_votes)).unwrap())
    });
    c.bench_function("EP 2019 Germany as Hare (96 seats, 32 lists)", |b| {
        b.iter(|| allocate(&Rules::new(Method::Hare, 96), black_box(&de_votes)).unwrap())
    });

    let no = rows("no_storting_2021.csv");
    let mut counties: Vec<(String, u32)> = Vec::new();
    for r in &no {
        match counties.iter_mut().find(|c| c.0 == r.0) {
            Some(c) => c.1 += r.3,
            None => counties.push((r.0.clone(), r.3)),
        }
    }
    let rules = SystemRules::norway(&counties);
    let votes: Vec<(&str, &str, u64)> = no
        .iter()
        .map(|r| (r.0.as_str(), r.1.as_str(), r.2))
        .collect();
    c.bench_function("Storting 2021 (19 counties + levelling)", |b| {
        b.iter(|| allocate_system(&rules, black_box(&votes), None).unwrap())
    });

    // An election night: every county reports in 20 parts (a twentieth of each list's votes,
    // the last part the rest), counties in turn; after each of the 380 arrivals the whole
    // Storting (district seats, levelling, placement) is recomputed from the running totals,
    // as a live tally would. Counties without votes yet are pending until their first part.
    const PARTS: u64 = 20;
    let arrivals: Vec<(usize, u64)> = (0..PARTS)
        .flat_map(|p| (0..counties.len()).map(move |c| (c, p)))
        .collect();
    let rows_of: Vec<Vec<usize>> = counties
        .iter()
        .map(|c| (0..no.len()).filter(|&i| no[i].0 == c.0).collect())
        .collect();
    let mut g = c.benchmark_group("Storting 2021 night");
    g.throughput(Throughput::Elements(arrivals.len() as u64));
    g.bench_function("380 arrivals, full allocation after each", |b| {
        b.iter(|| {
            let mut running: Vec<(&str, &str, u64)> = Vec::new();
            let mut slot: Vec<Option<usize>> = vec![None; no.len()];
            for &(county, part) in &arrivals {
                for &i in &rows_of[county] {
                    let r = &no[i];
                    let add = if part + 1 == PARTS {
                        r.2 - r.2 / PARTS * (PARTS - 1)
                    } else {
                        r.2 / PARTS
                    };
                    match slot[i] {
                        Some(j) => running[j].2 += add,
                        None => {
                            slot[i] = Some(running.len());
                            running.push((r.0.as_str(), r.1.as_str(), add));
                        }
                    }
                }
                black_box(allocate_system(&rules, &running, None).unwrap());
            }
            running
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
