//! The kept checkpoint: beside the key, replaced whole, listed whether or not the database
//! knows its election.

use skytale_store::Store;

#[test]
fn a_kept_checkpoint_is_replaced_whole_and_outlives_the_database() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    assert_eq!(store.kept_checkpoint("e").unwrap(), None);
    assert!(store.kept_elections().unwrap().is_empty());
    store.keep_checkpoint("e", b"first").unwrap();
    store.keep_checkpoint("e", b"second, longer").unwrap();
    store.keep_checkpoint("f", b"other").unwrap();
    assert_eq!(
        store.kept_checkpoint("e").unwrap().as_deref(),
        Some(&b"second, longer"[..])
    );
    assert_eq!(store.kept_elections().unwrap(), ["e", "f"]);
    // Nothing but the two files is left in the key directory (no temporary file).
    let names: Vec<_> = std::fs::read_dir(tmp.path().join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    drop(store);
    std::fs::remove_file(tmp.path().join(skytale_store::DB_FILE)).unwrap();
    let store = Store::open(tmp.path()).unwrap();
    assert!(store.elections().unwrap().is_empty());
    assert_eq!(store.kept_elections().unwrap(), ["e", "f"]);
}
