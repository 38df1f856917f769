//! `skytale election baseline`: an earlier election's published figures, taken from the
//! archive (any Skytale server or a static copy of one) and matched to a new definition's
//! ids, written into the definition's `previous` section.
//!
//! Contests match by id (or `--contest now=then`), selections by id or else by party, units
//! by id (or `--unit now=then`); the levels the results document carries (every unit above
//! the polling stations) are the ones compared. The earlier log's size and root come with the
//! figures, so anyone can check them against that log.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use skytale_model::{
    Definition, LocalizedText, PreviousContest, PreviousElection, PreviousFigures, ValidDefinition,
};

/// How the new election's ids map to the earlier one's where they differ (`now → then`).
#[derive(Debug, Default)]
pub struct IdMaps {
    pub contests: BTreeMap<String, String>,
    pub units: BTreeMap<String, String>,
}

impl IdMaps {
    /// Reads `now=then` pairs, naming the one that is not.
    pub fn parse(contests: &[String], units: &[String]) -> Result<IdMaps> {
        let pairs = |list: &[String], what: &str| -> Result<BTreeMap<String, String>> {
            list.iter()
                .map(|p| match p.split_once('=') {
                    Some((a, b)) if !a.is_empty() && !b.is_empty() => {
                        Ok((a.to_string(), b.to_string()))
                    }
                    _ => bail!("--{what} {p:?}: expected NOW=THEN (this election's id = the earlier one's)"),
                })
                .collect()
        };
        Ok(IdMaps {
            contests: pairs(contests, "contest")?,
            units: pairs(units, "unit")?,
        })
    }
}

/// The `previous` section for `def` from the earlier election's definition and its results
/// document (`/api/v1/elections/<id>/results`). Errors name what does not match.
pub fn baseline(
    def: &Definition,
    earlier: &ValidDefinition,
    results: &Value,
    maps: &IdMaps,
) -> Result<PreviousElection> {
    let id = results["election"]
        .as_str()
        .context("the results document names no election")?;
    let contests_then = results["contests"]
        .as_array()
        .context("the results document has no contests")?;
    let mut contests = Vec::new();
    for c in &def.contests {
        let then_id = maps.contests.get(&c.id).unwrap_or(&c.id);
        let Some(then) = contests_then.iter().find(|x| x["id"] == then_id.as_str()) else {
            if maps.contests.contains_key(&c.id) {
                bail!(
                    "election {id} has no contest {then_id:?} (from --contest {}={then_id})",
                    c.id
                );
            }
            continue; // a contest new in this election has nothing to compare with
        };
        // This election's selection id for each of the earlier ones: same id, else same party.
        let mut by_then: BTreeMap<String, String> = BTreeMap::new();
        for s in then["selections"].as_array().into_iter().flatten() {
            let (Some(sid), party) = (s["id"].as_str(), s["party"].as_str()) else {
                continue;
            };
            let now = c.selections.iter().find(|x| x.id == sid).or_else(|| {
                party.and_then(|p| c.selections.iter().find(|x| x.party.as_deref() == Some(p)))
            });
            if let Some(now) = now {
                by_then.insert(sid.to_string(), now.id.clone());
            }
        }
        if by_then.is_empty() {
            continue;
        }
        let figures = |votes: &Value| -> (BTreeMap<String, u64>, u64) {
            let mut matched = BTreeMap::new();
            let mut all = 0u64;
            if let Some(map) = votes.as_object() {
                for (sid, v) in map {
                    let v = v.as_u64().unwrap_or(0);
                    all += v;
                    if let Some(now) = by_then.get(sid) {
                        *matched.entry(now.clone()).or_insert(0) += v;
                    }
                }
            }
            (matched, all)
        };
        let totals: serde_json::Map<String, Value> = then["selections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| Some((s["id"].as_str()?.to_string(), s["votes"].clone())))
            .collect();
        let (votes, valid) = figures(&Value::Object(totals));
        let mut seats = BTreeMap::new();
        if let Some(map) = then["seats"].as_object() {
            for (sid, n) in map {
                if let (Some(now), Some(n)) = (by_then.get(sid), n.as_u64()) {
                    *seats.entry(now.clone()).or_insert(0u32) +=
                        u32::try_from(n).unwrap_or(u32::MAX);
                }
            }
        }
        let mut units = BTreeMap::new();
        let units_then = then["units"].as_array().cloned().unwrap_or_default();
        for u in &def.units {
            let then_uid = maps.units.get(&u.id).unwrap_or(&u.id);
            let Some(row) = units_then.iter().find(|x| x["id"] == then_uid.as_str()) else {
                continue;
            };
            let (votes, valid) = figures(&row["votes"]);
            if !votes.is_empty() {
                units.insert(
                    u.id.clone(),
                    PreviousFigures {
                        votes,
                        valid_votes: Some(valid),
                    },
                );
            }
        }
        contests.push(PreviousContest {
            contest: c.id.clone(),
            votes,
            valid_votes: Some(valid),
            seats,
            units,
        });
    }
    if contests.is_empty() {
        bail!("no contest of this definition matches one of election {id} (match them with --contest NOW=THEN)");
    }
    let name: LocalizedText = earlier.definition().name.clone();
    Ok(PreviousElection {
        election: id.to_string(),
        name,
        tree_size: results["tree_size"].as_u64(),
        root_hash: results["root_hash"].as_str().map(str::to_string),
        contests,
    })
}

/// Fetches election `previous` from `server` and writes `definition` with its `previous`
/// section filled to `out` (TOML or JSON, as the definition was written); what to tell.
pub async fn run(
    server: &str,
    previous: &str,
    definition: &Path,
    maps: &IdMaps,
    out: &Path,
) -> Result<String> {
    let mut def = crate::commands::read_definition(definition)?;
    let client = crate::client::Client::new(server)?;
    let info = client.election(previous).await?;
    let results = client.results(previous).await?;
    let section = baseline(&def, &info.definition, &results, maps)?;
    let summary = format!(
        "{} contest(s) compared with election {} at its tree size {}: {}\n",
        section.contests.len(),
        section.election,
        section.tree_size.unwrap_or(0),
        section
            .contests
            .iter()
            .map(|c| format!(
                "{} ({} choices, {} units)",
                c.contest,
                c.votes.len(),
                c.units.len()
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    def.previous = Some(section);
    def.clone().validate().map_err(|e| {
        anyhow::anyhow!("the definition with the earlier figures is not valid: {e}")
    })?;
    let json = definition.extension().and_then(|e| e.to_str()) == Some("json");
    let text = if json {
        serde_json::to_string_pretty(&def)? + "\n"
    } else {
        toml::to_string_pretty(&def).context("cannot write the definition as TOML")?
    };
    std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition() -> Definition {
        let k = skytale_testkit::keys();
        skytale_testkit::definition(&k)
    }

    /// Selections match by id or by party, units by id or by a map; choices that do not stand
    /// now count in the earlier valid votes only; seats follow their selection.
    #[test]
    fn figures_match_by_id_party_and_map() {
        let def = definition();
        let earlier = skytale_testkit::valid(&skytale_testkit::keys());
        let results = json!({
            "election": "test-2022", "tree_size": 40,
            "root_hash": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "contests": [
                {"id": "mayor-2022", "selections": [
                    {"id": "alice", "party": "p1", "votes": 600},
                    {"id": "carol", "party": "p2", "votes": 300},
                    {"id": "dave", "votes": 100}
                ], "units": [
                    {"id": "north", "votes": {"alice": 200, "carol": 100, "dave": 50}},
                    {"id": "old-south", "votes": {"alice": 400, "carol": 200, "dave": 50}}
                ]},
                {"id": "council", "selections": [
                    {"id": "l1", "party": "p1", "votes": 70},
                    {"id": "l2", "party": "p2", "votes": 30}
                ], "seats": {"l1": 4, "l2": 1}, "units": []}
            ]
        });
        let maps = IdMaps::parse(
            &["mayor=mayor-2022".to_string()],
            &["south=old-south".to_string()],
        )
        .unwrap();
        let p = baseline(&def, &earlier, &results, &maps).unwrap();
        assert_eq!((p.election.as_str(), p.tree_size), ("test-2022", Some(40)));
        let mayor = &p.contests[0];
        assert_eq!(mayor.contest, "mayor");
        // Carol stood for party p2 then; Bob stands for it now.
        assert_eq!(
            mayor.votes,
            [("alice".to_string(), 600), ("bob".to_string(), 300)].into()
        );
        assert_eq!(mayor.valid_votes, Some(1000));
        assert_eq!(mayor.units["south"].votes["bob"], 200);
        assert_eq!(mayor.units["south"].valid_votes, Some(650));
        assert_eq!(mayor.units["north"].votes["alice"], 200);
        let council = p.contests.iter().find(|c| c.contest == "council").unwrap();
        assert_eq!(
            council.seats,
            [("l1".to_string(), 4), ("l2".to_string(), 1)].into()
        );
        // The result is a valid definition.
        let mut d = def.clone();
        d.previous = Some(p);
        d.validate().unwrap();

        let bad = IdMaps::parse(&["mayor=senate".to_string()], &[]).unwrap();
        let err = baseline(&def, &earlier, &results, &bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no contest \"senate\""), "{err}");
        assert!(IdMaps::parse(&["mayor".to_string()], &[]).is_err());
    }
}
