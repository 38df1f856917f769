//! Byte-for-byte interop with the Go reference (golang.org/x/mod/sumdb/note) example,
//! and the malformed-note table.
use skytale_note::{open, Note, NoteError, SigningKey, VerifierKey, MAX_NOTE_SIZE, MAX_SIGNATURES};

const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const TEXT: &str =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIG_LINE: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

/// The vectors README must exist and still carry the values we test (guards against drift).
#[test]
fn vectors_readme_has_go_example() {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/README.md"
    );
    let readme = std::fs::read_to_string(p).expect("shared vectors README missing");
    assert!(readme.contains(VKEY));
    assert!(readme.contains(SIG_LINE.trim_end()));
}

fn go_note() -> Vec<u8> {
    format!("{TEXT}\n{SIG_LINE}").into_bytes()
}

#[test]
fn go_vkey_parses_and_round_trips() {
    let v = VerifierKey::parse(VKEY).unwrap();
    assert_eq!(v.name(), "PeterNeumann");
    assert_eq!(v.key_id(), 0xc74f20a3);
    assert_eq!(v.to_string(), VKEY);
    assert_eq!(VKEY.parse::<VerifierKey>().unwrap(), v);
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(json, format!("\"{VKEY}\""));
    assert_eq!(serde_json::from_str::<VerifierKey>(&json).unwrap(), v);
}

#[test]
fn go_note_verifies() {
    let v = VerifierKey::parse(VKEY).unwrap();
    let known = [v.clone()];
    let n = Note::parse(&go_note()).unwrap();
    assert_eq!(n.text, TEXT);
    assert_eq!(n.signatures.len(), 1);
    assert_eq!(n.signatures[0].key_id, 0xc74f20a3);
    assert_eq!(n.verify(&known).unwrap(), vec![&v]);
    assert_eq!(n.to_bytes(), go_note());
    let bytes = go_note();
    let (text, keys) = open(&bytes, &known).unwrap();
    assert_eq!(text, TEXT);
    assert_eq!(keys, vec![&v]);
}

#[test]
fn go_signer_reproduces_signature_line() {
    let k = SigningKey::parse(SKEY).unwrap();
    assert_eq!(k.key_id(), 0xc74f20a3);
    assert_eq!(k.to_skey_string(), SKEY);
    assert_eq!(k.verifier().to_string(), VKEY);
    let n = k.sign_note(TEXT).unwrap();
    assert_eq!(n.to_bytes(), go_note());
    // Surrounding whitespace is tolerated.
    assert_eq!(
        SigningKey::parse(&format!("  {SKEY}\n")).unwrap().key_id(),
        0xc74f20a3
    );
}

#[test]
fn tampered_text_is_bad_signature() {
    let known = [VerifierKey::parse(VKEY).unwrap()];
    let bytes = go_note();
    let mut n = Note::parse(&bytes).unwrap();
    n.text = n.text.replace("cryptography", "Cryptography");
    assert_eq!(
        n.verify(&known),
        Err(NoteError::BadSignature {
            name: "PeterNeumann".into()
        })
    );
    let t = String::from_utf8(bytes)
        .unwrap()
        .replace("answer", "Answer");
    assert!(matches!(
        open(t.as_bytes(), &known),
        Err(NoteError::BadSignature { .. })
    ));
}

#[test]
fn unknown_signers_are_ignored() {
    let go = VerifierKey::parse(VKEY).unwrap();
    let other = SigningKey::from_seed("other.example", [3; 32]).unwrap();
    let mut n = Note::parse(&go_note()).unwrap();
    n.add_signature(&other);
    assert_eq!(n.signatures.len(), 2);
    // Re-adding replaces rather than duplicates.
    n.add_signature(&other);
    assert_eq!(n.signatures.len(), 2);
    let known = [go.clone()];
    assert_eq!(n.verify(&known).unwrap(), vec![&go]);
    // Only the other key known.
    let known2 = [other.verifier()];
    assert_eq!(n.verify(&known2).unwrap().len(), 1);
    // Nobody known.
    let stranger = SigningKey::from_seed("stranger", [4; 32])
        .unwrap()
        .verifier();
    assert_eq!(n.verify(&[stranger]), Err(NoteError::NoKnownSignature));
    // Same name, different key: ignored (different key id).
    let impostor = SigningKey::from_seed("PeterNeumann", [5; 32])
        .unwrap()
        .verifier();
    assert_eq!(n.verify(&[impostor]), Err(NoteError::NoKnownSignature));
    assert_eq!(Note::parse(&n.to_bytes()).unwrap(), n);
}

#[test]
fn vkey_rejections() {
    let cases = [
        ("", "empty"),
        ("PeterNeumann+c74f20a3", "no key"),
        (
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "wrong id",
        ),
        (
            "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "short id",
        ),
        (
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
            "bad base64",
        ),
        (
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "space in name",
        ),
        (
            "PeterNeumann+c74f20a3+AhpC2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "alg 0x02",
        ),
    ];
    for (s, why) in cases {
        assert!(VerifierKey::parse(s).is_err(), "{why}: {s}");
    }
}

#[test]
fn vkey_small_order_key_rejected() {
    // The identity point (order 1) as a public key, with a correct key id.
    let mut raw = vec![0x01u8];
    raw.extend_from_slice(&{
        let mut k = [0u8; 32];
        k[0] = 1;
        k
    });
    let id = skytale_note::key_id("weak", &raw);
    use base64::Engine as _;
    let s = format!(
        "weak+{id:08x}+{}",
        base64::engine::general_purpose::STANDARD.encode(&raw)
    );
    let err = VerifierKey::parse(&s).unwrap_err();
    assert!(err.to_string().contains("small-order"), "{err}");
}

fn assert_malformed(bytes: &[u8], what: &str) {
    let known = [VerifierKey::parse(VKEY).unwrap()];
    let r = Note::parse(bytes);
    assert!(
        matches!(
            r,
            Err(NoteError::Malformed { .. }
                | NoteError::TooLarge { .. }
                | NoteError::TooManySignatures { .. })
        ),
        "{what}: {r:?}"
    );
    let r2 = open(bytes, &known);
    assert_eq!(
        r.unwrap_err(),
        r2.unwrap_err(),
        "{what}: open and parse disagree"
    );
}

#[test]
fn malformed_notes() {
    let good = String::from_utf8(go_note()).unwrap();
    let sig_b64 = SIG_LINE.trim_end().rsplit(' ').next().unwrap();
    let cases: Vec<(String, &str)> = vec![
        (format!("{TEXT}{SIG_LINE}"), "missing blank line"),
        (format!("{TEXT}\n"), "no signatures"),
        (TEXT.to_string(), "no signatures, no blank line"),
        (
            format!("{TEXT}\n— PeterNeumann x08go/ZJ!kuBS9UG\n"),
            "bad base64",
        ),
        (
            format!("{TEXT}\n— PeterNeumann {}\n", &sig_b64[..sig_b64.len() - 1]),
            "truncated base64",
        ),
        (
            good.replace("AM=\n", "AN=\n"),
            "non-canonical base64 trailing bits",
        ),
        (
            format!("{TEXT}\n— PeterNeumann AAAA\n"),
            "signature shorter than 5 bytes",
        ),
        (format!("{TEXT}\n— PeterNeumann \n"), "empty signature"),
        (format!("{TEXT}\n— PeterNeumann\n"), "no signature field"),
        (
            format!("{TEXT}\n-- PeterNeumann {sig_b64}\n"),
            "ascii dashes",
        ),
        (format!("{TEXT}\n—  PeterNeumann {sig_b64}\n"), "empty name"),
        (
            format!("{TEXT}\n— Peter+Neumann {sig_b64}\n"),
            "plus in name",
        ),
        (
            good.replace("problem,\n", "problem,\r\n"),
            "carriage return",
        ),
        (good.replace("problem,", "problem,\t"), "tab"),
        (format!("{good}garbage"), "trailing garbage without newline"),
        (format!("{good}garbage\n"), "trailing garbage line"),
        (good.trim_end_matches('\n').to_string(), "no final newline"),
        (format!("{good}\n"), "trailing blank line"),
    ];
    for (bytes, what) in &cases {
        assert_malformed(bytes.as_bytes(), what);
    }
    // Non-UTF-8.
    let mut b = go_note();
    b[3] = 0xff;
    assert_malformed(&b, "non-UTF-8");
    // Too many signatures.
    let many = format!("{TEXT}\n{}", SIG_LINE.repeat(MAX_SIGNATURES + 1));
    assert_eq!(
        Note::parse(many.as_bytes()),
        Err(NoteError::TooManySignatures {
            max: MAX_SIGNATURES
        })
    );
    assert_malformed(many.as_bytes(), "too many sigs");
    // Exactly the maximum is fine, and duplicates verify once.
    let max = format!("{TEXT}\n{}", SIG_LINE.repeat(MAX_SIGNATURES));
    let known = [VerifierKey::parse(VKEY).unwrap()];
    assert_eq!(
        Note::parse(max.as_bytes())
            .unwrap()
            .verify(&known)
            .unwrap()
            .len(),
        1
    );
    // Oversize, checked before parsing.
    let mut big = vec![b'a'; MAX_NOTE_SIZE];
    big.extend_from_slice(&go_note());
    assert!(matches!(Note::parse(&big), Err(NoteError::TooLarge { .. })));
    assert_malformed(&big, "oversize");
}

#[test]
fn text_may_contain_blank_lines() {
    let k = SigningKey::from_seed("poet", [9; 32]).unwrap();
    let text = "Ognuno sta solo\n\ned è subito sera.\n\n";
    let n = k.sign_note(text).unwrap();
    let p = Note::parse(&n.to_bytes()).unwrap();
    assert_eq!(p.text, text);
    assert_eq!(p.verify(&[k.verifier()]).unwrap().len(), 1);
}

#[test]
fn sign_note_rejects_bad_text() {
    let k = SigningKey::from_seed("a", [9; 32]).unwrap();
    for t in ["", "no newline", "cr\r\n", "tab\t\n"] {
        assert!(
            matches!(k.sign_note(t), Err(NoteError::BadText { .. })),
            "{t:?}"
        );
    }
}

#[test]
fn generated_keys_round_trip() {
    let k = SigningKey::generate("example.com/gen").unwrap();
    let k2 = SigningKey::parse(&k.to_skey_string()).unwrap();
    assert_eq!(k.verifier(), k2.verifier());
    assert!(SigningKey::generate("bad name").is_err());
}
