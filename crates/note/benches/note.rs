//! Benchmarks the verifier's hot path: parsing and verifying one signed note.
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use skytale_note::{open, Note, SigningKey};

fn bench(c: &mut Criterion) {
    let key = SigningKey::from_seed("bench.example/log", [42; 32]).unwrap();
    let known = [key.verifier()];
    let text = "bench.example/log\n123456\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n";
    let bytes = key.sign_note(text).unwrap().to_bytes();
    c.bench_function("Note::parse+verify", |b| {
        b.iter(|| {
            let n = Note::parse(black_box(&bytes)).unwrap();
            black_box(n.verify(&known).unwrap().len())
        })
    });
    c.bench_function("open (allocation-light parse+verify)", |b| {
        b.iter(|| black_box(open(black_box(&bytes), &known).unwrap().1.len()))
    });
    c.bench_function("Note::parse only", |b| {
        b.iter(|| black_box(Note::parse(black_box(&bytes)).unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
