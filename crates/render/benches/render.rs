//! Benchmarks of the renderer on the synthetic test election (3 languages, 3 contests, 15
//! units): a full render with and without precompression, the incremental render after
//! one polling station reports, and one Open Graph card as SVG (the peer) and as PNG.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use skytale_render::{RenderState, Site};

fn bench(c: &mut Criterion) {
    let def = common::definition();
    let site = Site::new(def.clone())
        .unwrap()
        .with_boundaries(&common::boundaries())
        .unwrap();
    let plain = Site::new(def.clone())
        .unwrap()
        .with_boundaries(&common::boundaries())
        .unwrap()
        .with_precompression(false);
    let t7 = common::tally(&def, 7);
    let t8 = common::tally(&def, 8);
    let mut g = c.benchmark_group("render");
    g.sample_size(10);
    g.bench_function("render_all_precompressed", |b| {
        b.iter(|| site.render_all(&t8, &common::pos(9), &[]))
    });
    g.bench_function("render_all_plain", |b| {
        b.iter(|| plain.render_all(&t8, &common::pos(9), &[]))
    });
    g.bench_function("render_changed_one_station_plain", |b| {
        b.iter_batched(
            || {
                let mut s = RenderState::new();
                plain.render_changed(&t7, &common::pos(8), &[], &mut s);
                s
            },
            |mut s| plain.render_changed(&t8, &common::pos(9), &[], &mut s),
            criterion::BatchSize::SmallInput,
        )
    });
    // One card: building its SVG (the peer) and rasterising it to PNG.
    let rows = || {
        ["Ελένη Παπαδοπούλου", "Георги Иванов", "Liam Brennan"]
            .iter()
            .enumerate()
            .map(|(i, n)| skytale_render::svg::CardRow {
                name: n.to_string(),
                value: format!("{}%", 40 - i * 10),
                votes: 4000 - i as u64 * 1000,
                color: "#0072b2".into(),
            })
            .collect::<Vec<_>>()
    };
    let svg = || {
        skytale_render::svg::og_card(
            "el",
            "Πρόεδρος της Δημοκρατίας",
            "Βουλευτικές εκλογές 2026",
            "Ανεπίσημα αποτελέσματα",
            "Καταμετρημένες περιοχές: 8 από 9",
            &rows(),
        )
    };
    let card = svg();
    g.bench_function("card_svg", |b| b.iter(|| svg().len()));
    g.bench_function("card_png", |b| {
        b.iter(|| skytale_render::card::png(&card).unwrap().len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
