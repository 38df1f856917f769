//! `election create --from … --map FILE`: a boundaries file (TopoJSON such as us-atlas's
//! counties, or GeoJSON) joined to the derived definition's units and put in its `map`.
//!
//! A geometry whose id is a unit id is taken as it is. Otherwise geometries are matched to
//! units by name (`properties.name`, "Fulton" for the unit "Fulton County" or "FULTON"), within
//! the one state (the first two digits of a FIPS id) that matches most names, so a national
//! file gives a state's counties only. A TopoJSON file is cut down to the arcs those
//! geometries use, keeping its quantization, so the definition stays small.

use std::collections::{BTreeMap, HashMap};

use anyhow::{anyhow, Result};
use serde_json::{json, Value};
use skytale_model::Definition;

/// How a unit or a geometry is named, for matching: lower case, letters and digits only,
/// without a trailing "county"/"parish"/"borough".
fn key(name: &str) -> String {
    let mut k: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    for suffix in ["county", "parish", "borough", "censusarea"] {
        if let Some(s) = k.strip_suffix(suffix) {
            if !s.is_empty() {
                k = s.to_string();
            }
        }
    }
    k
}

fn geometry_id(g: &Value) -> Option<String> {
    match g
        .get("id")
        .or_else(|| g.get("properties").and_then(|p| p.get("id")))
    {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Puts the units' shapes from `map` into `def.map`; returns how many units got one.
pub fn attach(def: &mut Definition, map: &Value) -> Result<usize> {
    let lang = def.default_language.clone();
    let by_id: HashMap<&str, &str> = def
        .units
        .iter()
        .map(|u| (u.id.as_str(), u.id.as_str()))
        .collect();
    let mut by_name: HashMap<String, Vec<&str>> = HashMap::new();
    for u in &def.units {
        if let Some(n) = u.name.get(&lang) {
            by_name.entry(key(n)).or_default().push(&u.id);
        }
    }
    // Every geometry of the file: (object name, index, geometry).
    let geometries: Vec<(&Value, Option<String>, Option<String>)> =
        match map.get("type").and_then(Value::as_str) {
            Some("Topology") => map
                .get("objects")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|o| o.values())
                .flat_map(|o| match o.get("geometries").and_then(Value::as_array) {
                    Some(gs) => gs.iter().collect::<Vec<_>>(),
                    None => vec![o],
                })
                .map(|g| {
                    let name = g
                        .get("properties")
                        .and_then(|p| p.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    (g, geometry_id(g), name)
                })
                .collect(),
            Some("FeatureCollection") => map
                .get("features")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|f| {
                    let p = f.get("properties");
                    let id = p
                        .and_then(|p| p.get("id"))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    let name = p
                        .and_then(|p| p.get("name"))
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    (f, id, name)
                })
                .collect(),
            _ => anyhow::bail!("--map: not a TopoJSON Topology or GeoJSON FeatureCollection"),
        };
    // A match by unit id wins; else by name, unique within the definition.
    let matched = |id: &Option<String>, name: &Option<String>| -> Option<String> {
        if let Some(u) = id.as_deref().and_then(|i| by_id.get(i)) {
            return Some((*u).to_string());
        }
        match name.as_deref().map(key).and_then(|k| by_name.get(&k)) {
            Some(units) if units.len() == 1 => Some(units[0].to_string()),
            _ => None,
        }
    };
    // The state (FIPS prefix) whose geometries match most units by name.
    let mut per_state: BTreeMap<String, usize> = BTreeMap::new();
    for (_, id, name) in &geometries {
        if matched(id, name).is_some() {
            let state: String = id.as_deref().unwrap_or("").chars().take(2).collect();
            *per_state.entry(state).or_default() += 1;
        }
    }
    let Some((state, _)) = per_state.iter().max_by_key(|(_, n)| **n) else {
        return Ok(0);
    };
    let mut chosen: Vec<(&Value, String)> = Vec::new();
    let mut taken = std::collections::BTreeSet::new();
    for (g, id, name) in &geometries {
        let in_state = id.as_deref().unwrap_or("").starts_with(state.as_str());
        if let (true, Some(unit)) = (in_state, matched(id, name)) {
            if taken.insert(unit.clone()) {
                chosen.push((g, unit));
            }
        }
    }
    let count = chosen.len();
    def.map = Some(match map.get("type").and_then(Value::as_str) {
        Some("Topology") => subset_topology(map, &chosen)?,
        _ => {
            let features: Vec<Value> = chosen
                .iter()
                .map(|(f, unit)| {
                    json!({ "type": "Feature", "properties": { "id": unit }, "geometry": f.get("geometry").cloned().unwrap_or(Value::Null) })
                })
                .collect();
            json!({ "type": "FeatureCollection", "features": features })
        }
    });
    Ok(count)
}

/// A topology of the chosen geometries only (ids replaced by unit ids), with just the arcs
/// they use, renumbered; the transform is kept, so positions stay quantized.
fn subset_topology(map: &Value, chosen: &[(&Value, String)]) -> Result<Value> {
    let arcs = map
        .get("arcs")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("--map: the topology has no arcs"))?;
    let mut renumber: BTreeMap<i64, i64> = BTreeMap::new();
    let mut kept: Vec<Value> = Vec::new();
    fn walk(
        v: &Value,
        arcs: &[Value],
        renumber: &mut BTreeMap<i64, i64>,
        kept: &mut Vec<Value>,
    ) -> Result<Value> {
        match v {
            Value::Array(items) => Ok(Value::Array(
                items
                    .iter()
                    .map(|x| walk(x, arcs, renumber, kept))
                    .collect::<Result<_>>()?,
            )),
            Value::Number(n) => {
                let k = n
                    .as_i64()
                    .ok_or_else(|| anyhow!("--map: an arc index is not an integer"))?;
                let at = if k < 0 { !k } else { k };
                let new = match renumber.get(&at) {
                    Some(n) => *n,
                    None => {
                        let arc = usize::try_from(at)
                            .ok()
                            .and_then(|a| arcs.get(a))
                            .ok_or_else(|| anyhow!("--map: no arc {at}"))?;
                        kept.push(arc.clone());
                        let n = kept.len() as i64 - 1;
                        renumber.insert(at, n);
                        n
                    }
                };
                Ok(json!(if k < 0 { !new } else { new }))
            }
            _ => Err(anyhow!("--map: arcs must be arrays of indexes")),
        }
    }
    let mut geometries = Vec::new();
    for (g, unit) in chosen {
        let a = walk(
            g.get("arcs").unwrap_or(&Value::Null),
            arcs,
            &mut renumber,
            &mut kept,
        )?;
        geometries.push(
            json!({ "type": g.get("type").cloned().unwrap_or(Value::Null), "id": unit, "arcs": a }),
        );
    }
    let mut out = json!({
        "type": "Topology",
        "objects": { "units": { "type": "GeometryCollection", "geometries": geometries } },
        "arcs": kept,
    });
    if let Some(t) = map.get("transform") {
        out["transform"] = t.clone();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn names_match_whatever_their_case_and_county_suffix() {
        assert_eq!(key("Fulton County"), key("FULTON"));
        assert_eq!(key("DeKalb"), key("Dekalb County"));
        assert_eq!(key("St. Mary's"), key("St Marys"));
        assert_ne!(key("Fulton"), key("Fulton Precinct 1"));
    }
}
