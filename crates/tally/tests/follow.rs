//! A newsroom following the change feed: whatever the interleaving of statements and polls,
//! a client that starts with no cursor, applies each answer (a contest's totals replace the
//! ones it has, each unit row replaces that unit's) and asks again with `next`, ends with
//! exactly the final results: every contest's figures and every unit row that reported or
//! lies above one that did (rows as the whole results document has them).

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::Value;
use skytale_model::Statement;
use skytale_tally::changes::{changes_document, ChangeIndex};
use skytale_tally::{LogPosition, Tally};
use skytale_testkit as kit;

const UNITS: [&str; 6] = ["n1", "n2", "s1", "s2", "north", "south"];

fn pos(size: u64) -> LogPosition {
    LogPosition {
        tree_size: size,
        root_hash: format!("root-{size}"),
        published_at: None,
    }
}

/// What the follower holds: per contest, its totals and its unit rows by id.
#[derive(Default)]
struct Follower {
    cursor: Option<u64>,
    contests: BTreeMap<String, (Value, BTreeMap<String, Value>)>,
}

impl Follower {
    fn apply(&mut self, doc: &Value) {
        for c in doc["contests"].as_array().unwrap() {
            let mut head = c.clone();
            let units = head
                .as_object_mut()
                .unwrap()
                .remove("units")
                .unwrap_or(Value::Null);
            let entry = self
                .contests
                .entry(c["id"].as_str().unwrap().to_string())
                .or_default();
            entry.0 = head;
            for u in units.as_array().into_iter().flatten() {
                entry
                    .1
                    .insert(u["id"].as_str().unwrap().to_string(), u.clone());
            }
        }
        self.cursor = doc["next"].as_u64();
    }
}

fn statement(unit: &str, version: u64, a: u64, b: u64, l1: u64, status: bool) -> Statement {
    let mut contests = vec![kit::mayor(a, b, a + b)];
    contests.push(format!(
        r#"{{"contest":"council","selections":{{"l1":{{"total":{l1}}},"l2":{{"total":{b}}}}}}}"#
    ));
    if unit.starts_with('n') {
        contests.push(format!(
            r#"{{"contest":"north-measure","selections":{{"yes":{{"total":{a}}},"no":{{"total":{l1}}}}}}}"#
        ));
    }
    let text = kit::results_json(unit, version, &contests.join(",")).replace(
        "2026-11-25T20:00:00Z",
        &format!("2026-11-25T20:{:02}:00Z", version % 60),
    );
    let st = Statement::parse(&text).unwrap();
    if status {
        // Now and then the officials' word on a unit instead.
        return Statement::parse(&format!(
            r#"{{"type":"status","election":"test-2026","contest":"mayor","unit":"{unit}","result_type":"final","signed_at":"2026-11-25T21:00:00Z"}}"#
        ))
        .unwrap();
    }
    st
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn a_follower_ends_with_the_final_results(
        steps in prop::collection::vec(
            (0usize..UNITS.len(), 0u64..500, 0u64..500, 0u64..500, prop::bool::weighted(0.1), prop::bool::weighted(0.3)),
            1..40,
        ),
    ) {
        let def = Arc::new(kit::valid(&kit::keys()));
        let mut tally = Tally::new(def.clone());
        let mut index = ChangeIndex::default();
        let mut follower = Follower::default();
        let mut versions: BTreeMap<&str, u64> = BTreeMap::new();
        // Entry 0 is the definition.
        let mut size = 1u64;
        let mut results = false;
        let poll = |tally: &Tally, index: &ChangeIndex, follower: &mut Follower, size: u64| {
            let doc = changes_document(tally, index, follower.cursor.unwrap_or(0), &pos(size));
            let doc: Value = serde_json::from_slice(&doc).unwrap();
            prop_assert_eq!(doc["next"].as_u64(), Some(size));
            follower.apply(&doc);
            Ok(())
        };
        for (u, a, b, l1, status, polls) in steps {
            let unit = UNITS[u];
            let v = versions.entry(unit).or_insert(0);
            *v += 1;
            let st = statement(unit, *v, a, b, l1, status);
            results |= !status;
            index.record(&def, size, &st);
            tally.apply_statement(&st);
            size += 1;
            if polls {
                poll(&tally, &index, &mut follower, size)?;
            }
        }
        poll(&tally, &index, &mut follower, size)?;
        // Every contest the follower was told of is the final one, row for row.
        for (cid, (head, rows)) in &follower.contests {
            let mut fin = serde_json::to_value(tally.contest_document(cid, &pos(size)).unwrap()).unwrap();
            let fin_units = fin["contests"][0].as_object_mut().unwrap().remove("units").unwrap();
            prop_assert_eq!(head, &fin["contests"][0], "totals of {}", cid);
            for u in fin_units.as_array().unwrap() {
                // Rows come as the whole results document has them: without the breakdown by
                // count type that only the single-contest document carries.
                let mut u = u.clone();
                u.as_object_mut().unwrap().remove("by_count_type");
                let u = &u;
                let id = u["id"].as_str().unwrap();
                let touched = u["units_reporting"].as_u64() > Some(0) || !u["result_type"].is_null();
                match rows.get(id) {
                    Some(row) => prop_assert_eq!(row, u, "row {} of {}", id, cid),
                    None => prop_assert!(!touched, "row {} of {} never came", id, cid),
                }
            }
        }
        // And it was told of every contest a statement touched.
        prop_assert!(follower.contests.contains_key("mayor"), "mayor never came");
        if results {
            prop_assert!(follower.contests.contains_key("council"), "council never came");
        }
    }
}
