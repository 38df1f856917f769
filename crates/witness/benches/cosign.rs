//! Cosigning and verifying one checkpoint with each cosignature type.

use criterion::{criterion_group, criterion_main, Criterion};
use skytale_witness::{CosignatureKind, WitnessSigner};

fn bench(c: &mut Criterion) {
    let cp = skytale_tlog::Checkpoint {
        origin: "example.com/log".into(),
        size: 123_456,
        root: [7; 32],
        extensions: vec![],
    }
    .to_text();
    for kind in [CosignatureKind::Ed25519, CosignatureKind::MlDsa44] {
        let k = WitnessSigner::from_seed(kind, "w.example/1", [3; 32]).unwrap();
        let v = k.verifier();
        let line = k.cosign(&cp, 1_700_000_000).unwrap();
        c.bench_function(&format!("cosign {kind}"), |b| {
            b.iter(|| k.cosign(&cp, 1_700_000_000).unwrap())
        });
        c.bench_function(&format!("verify {kind}"), |b| {
            b.iter(|| v.verify(&cp, &line.signature).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
