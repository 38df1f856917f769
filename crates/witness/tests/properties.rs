//! Properties of the add-checkpoint codec and of cosignatures.

use proptest::prelude::*;
use skytale_witness::protocol::AddCheckpoint;

proptest! {
    /// Every request the client encodes decodes to itself.
    #[test]
    fn request_round_trip(old in any::<u64>(), proof in proptest::collection::vec(any::<[u8; 32]>(), 0..=63), cp in proptest::collection::vec(any::<u8>(), 0..500)) {
        let r = AddCheckpoint { old_size: old, proof, checkpoint: cp };
        prop_assert_eq!(AddCheckpoint::decode(&r.encode()).unwrap(), r);
    }

    /// Decoding never panics on arbitrary bytes.
    #[test]
    fn decode_never_panics(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = AddCheckpoint::decode(&b);
    }
}
