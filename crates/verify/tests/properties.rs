//! Properties of the comparison that names the differing field.

use proptest::prelude::*;
use serde_json::json;
use skytale_verify::checks::first_difference;

proptest! {
    /// Changing any one selection's votes is reported at exactly that field, with both values.
    #[test]
    fn one_changed_number_is_named(votes in proptest::collection::vec(0u64..1_000_000, 1..20), which in any::<prop::sample::Index>(), delta in 1u64..1000) {
        let doc = |v: &[u64]| json!({"tree_size": 9, "contests": [{"id": "mayor", "selections":
            v.iter().enumerate().map(|(i, n)| json!({"id": format!("s{i}"), "votes": n})).collect::<Vec<_>>()}]});
        let i = which.index(votes.len());
        let mut forged = votes.clone();
        forged[i] += delta;
        let d = first_difference(&doc(&forged), &doc(&votes));
        prop_assert_eq!(d, Some((format!("contests[mayor].selections[s{i}].votes"), forged[i].to_string(), votes[i].to_string())));
        prop_assert_eq!(first_difference(&doc(&votes), &doc(&votes)), None);
    }
}
