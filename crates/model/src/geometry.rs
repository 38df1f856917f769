//! Unit boundaries for the public site's maps, as a definition carries them (`map`): a GeoJSON
//! `FeatureCollection` (each feature's `properties.id` a unit id) or a TopoJSON `Topology`
//! (each geometry's `id`, or `properties.id`, a unit id; arcs shared between neighbours and
//! quantized, so a state's counties take tens of kilobytes). Both decode to the same
//! polygons in WGS 84 longitude/latitude.
//!
//! A small decoder of our own: the TopoJSON crate of the Rust ecosystem converts through the
//! `geojson` crate's types and has not been released since 2022, while what maps need is
//! only rings of positions (`arcs` resolved, deltas and the transform applied), which this
//! does in a page of code with its tests.

use serde_json::Value;

/// Positions of one ring, `[longitude, latitude]`.
pub type Ring = Vec<[f64; 2]>;
/// The polygons of one unit, each a list of rings (the first the outline, the others holes).
pub type Shape = Vec<Vec<Ring>>;

/// Most positions a map may decode to in all.
pub const MAX_MAP_POINTS: usize = 5_000_000;

/// What is wrong with a map, and where (a JSON path such as `objects.counties.geometries[3]`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {why}")]
pub struct MapError {
    pub field: String,
    pub why: String,
}

fn bad(field: impl Into<String>, why: impl Into<String>) -> MapError {
    MapError {
        field: field.into(),
        why: why.into(),
    }
}

/// One unit's boundary as a map states it: the unit id, the JSON path it was read at (for
/// errors about the id) and its polygons.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitShape {
    pub unit: String,
    pub field: String,
    pub shape: Shape,
}

/// Decodes a map (GeoJSON `FeatureCollection` or TopoJSON `Topology`) into each unit's shape,
/// in the order the map lists them. Units are not checked against a definition here.
pub fn unit_shapes(map: &Value) -> Result<Vec<UnitShape>, MapError> {
    let mut count = 0usize;
    match map.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => geojson(map, &mut count),
        Some("Topology") => topojson(map, &mut count),
        _ => Err(bad(
            "type",
            "must be \"FeatureCollection\" (GeoJSON) or \"Topology\" (TopoJSON)",
        )),
    }
}

fn position(p: &Value, field: &str) -> Result<[f64; 2], MapError> {
    match (
        p.get(0).and_then(Value::as_f64),
        p.get(1).and_then(Value::as_f64),
    ) {
        (Some(x), Some(y)) => Ok([x, y]),
        _ => Err(bad(field, "a position must be [longitude, latitude]")),
    }
}

fn check_ring(ring: Ring, field: &str, count: &mut usize) -> Result<Ring, MapError> {
    if let Some(i) = ring
        .iter()
        .position(|p| !(-180.0..=180.0).contains(&p[0]) || !(-90.0..=90.0).contains(&p[1]))
    {
        return Err(bad(
            format!("{field}[{i}]"),
            "a position must be [longitude, latitude] within WGS 84 range",
        ));
    }
    *count += ring.len();
    if *count > MAX_MAP_POINTS {
        return Err(bad(
            field,
            format!("more than {MAX_MAP_POINTS} points in all"),
        ));
    }
    if ring.len() < 3 {
        return Err(bad(field, "a ring needs at least 3 positions"));
    }
    Ok(ring)
}

fn array<'a>(v: &'a Value, field: &str, what: &str) -> Result<&'a Vec<Value>, MapError> {
    v.as_array()
        .ok_or_else(|| bad(field, format!("must be an array of {what}")))
}

fn geojson(map: &Value, count: &mut usize) -> Result<Vec<UnitShape>, MapError> {
    let feats = map
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("features", "must be an array"))?;
    let mut out = Vec::with_capacity(feats.len());
    for (i, f) in feats.iter().enumerate() {
        let field = format!("features[{i}]");
        let id = f
            .get("properties")
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                bad(
                    format!("{field}.properties.id"),
                    "missing: it must name a reporting unit",
                )
            })?;
        let g = f
            .get("geometry")
            .ok_or_else(|| bad(format!("{field}.geometry"), "missing"))?;
        let gf = format!("{field}.geometry.coordinates");
        let coords = g
            .get("coordinates")
            .ok_or_else(|| bad(gf.clone(), "missing"))?;
        let polygon = |v: &Value, pf: &str, count: &mut usize| -> Result<Vec<Ring>, MapError> {
            array(v, pf, "rings")?
                .iter()
                .enumerate()
                .map(|(r, ring)| {
                    let rf = format!("{pf}[{r}]");
                    let pts = array(ring, &rf, "positions")?
                        .iter()
                        .enumerate()
                        .map(|(k, p)| position(p, &format!("{rf}[{k}]")))
                        .collect::<Result<Ring, _>>()?;
                    check_ring(pts, &rf, count)
                })
                .collect()
        };
        let shape = match g.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![polygon(coords, &gf, count)?],
            Some("MultiPolygon") => array(coords, &gf, "polygons")?
                .iter()
                .enumerate()
                .map(|(j, p)| polygon(p, &format!("{gf}[{j}]"), count))
                .collect::<Result<_, _>>()?,
            other => {
                return Err(bad(
                    format!("{field}.geometry.type"),
                    format!("{other:?} is not supported; use Polygon or MultiPolygon"),
                ))
            }
        };
        out.push(UnitShape {
            unit: id.to_string(),
            field: format!("{field}.properties.id"),
            shape,
        });
    }
    Ok(out)
}

fn topojson(map: &Value, count: &mut usize) -> Result<Vec<UnitShape>, MapError> {
    // The transform of a quantized topology: positions are integers, delta-encoded along
    // each arc, scaled and translated back to longitude/latitude.
    let transform = match map.get("transform") {
        None | Some(Value::Null) => None,
        Some(t) => {
            let scale = t
                .get("scale")
                .map(|v| position(v, "transform.scale"))
                .transpose()?;
            let translate = t
                .get("translate")
                .map(|v| position(v, "transform.translate"))
                .transpose()?;
            match (scale, translate) {
                (Some(s), Some(t)) => Some((s, t)),
                _ => return Err(bad("transform", "needs scale and translate")),
            }
        }
    };
    let arcs: Vec<Ring> = array(map.get("arcs").unwrap_or(&Value::Null), "arcs", "arcs")?
        .iter()
        .enumerate()
        .map(|(a, arc)| {
            let af = format!("arcs[{a}]");
            let (mut x, mut y) = (0.0f64, 0.0f64);
            array(arc, &af, "positions")?
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    let q = position(p, &format!("{af}[{k}]"))?;
                    Ok(match transform {
                        Some((s, t)) => {
                            x += q[0];
                            y += q[1];
                            [x * s[0] + t[0], y * s[1] + t[1]]
                        }
                        None => q,
                    })
                })
                .collect()
        })
        .collect::<Result<_, MapError>>()?;
    let objects = map
        .get("objects")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("objects", "must be an object of named geometries"))?;
    let mut out = Vec::new();
    for (name, object) in objects {
        let of = format!("objects.{name}");
        let geometries: Vec<(String, &Value)> = match object.get("type").and_then(Value::as_str) {
            Some("GeometryCollection") => array(
                object.get("geometries").unwrap_or(&Value::Null),
                &format!("{of}.geometries"),
                "geometries",
            )?
            .iter()
            .enumerate()
            .map(|(i, g)| (format!("{of}.geometries[{i}]"), g))
            .collect(),
            _ => vec![(of.clone(), object)],
        };
        for (gf, g) in geometries {
            out.push(topo_geometry(g, &gf, &arcs, count)?);
        }
    }
    Ok(out)
}

/// The ring an arc index list makes: each arc in turn (a negative index `!k` is arc `k`
/// reversed), the first position of every arc after the first dropped (it repeats the last
/// position of the one before).
fn ring_of(indexes: &Value, field: &str, arcs: &[Ring]) -> Result<Ring, MapError> {
    let mut ring = Ring::new();
    for (n, k) in array(indexes, field, "arc indexes")?.iter().enumerate() {
        let k = k
            .as_i64()
            .ok_or_else(|| bad(format!("{field}[{n}]"), "an arc index must be an integer"))?;
        let (at, reversed) = if k < 0 { (!k, true) } else { (k, false) };
        let arc = usize::try_from(at)
            .ok()
            .and_then(|a| arcs.get(a))
            .ok_or_else(|| bad(format!("{field}[{n}]"), format!("no arc {at}")))?;
        let skip = usize::from(!ring.is_empty());
        if reversed {
            ring.extend(arc.iter().rev().skip(skip));
        } else {
            ring.extend(arc.iter().skip(skip));
        }
    }
    Ok(ring)
}

fn topo_geometry(
    g: &Value,
    field: &str,
    arcs: &[Ring],
    count: &mut usize,
) -> Result<UnitShape, MapError> {
    let id = match (g.get("id"), g.get("properties").and_then(|p| p.get("id"))) {
        (Some(Value::String(s)), _) | (_, Some(Value::String(s))) => s.clone(),
        (Some(Value::Number(n)), _) => n.to_string(),
        _ => {
            return Err(bad(
                format!("{field}.id"),
                "missing: it must name a reporting unit",
            ))
        }
    };
    let af = format!("{field}.arcs");
    let a = g.get("arcs").unwrap_or(&Value::Null);
    let polygon = |p: &Value, pf: &str, count: &mut usize| -> Result<Vec<Ring>, MapError> {
        array(p, pf, "rings")?
            .iter()
            .enumerate()
            .map(|(r, ring)| {
                let rf = format!("{pf}[{r}]");
                check_ring(ring_of(ring, &rf, arcs)?, &rf, count)
            })
            .collect()
    };
    let shape = match g.get("type").and_then(Value::as_str) {
        Some("Polygon") => vec![polygon(a, &af, count)?],
        Some("MultiPolygon") => array(a, &af, "polygons")?
            .iter()
            .enumerate()
            .map(|(j, p)| polygon(p, &format!("{af}[{j}]"), count))
            .collect::<Result<_, _>>()?,
        other => {
            return Err(bad(
                format!("{field}.type"),
                format!("{other:?} is not supported; use Polygon or MultiPolygon"),
            ))
        }
    };
    Ok(UnitShape {
        unit: id,
        field: format!("{field}.id"),
        shape,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Two unit squares side by side sharing their middle edge (arc 0), quantized.
    fn topology() -> Value {
        json!({
            "type": "Topology",
            "transform": { "scale": [0.5, 0.25], "translate": [10.0, 40.0] },
            "arcs": [
                [[2, 0], [0, 4]],                       // the shared edge, up: (11,40)→(11,41)
                [[2, 4], [-2, 0], [0, -4], [2, 0]],     // left square's other edges
                [[2, 0], [2, 0], [0, 4], [-2, 0]]       // right square's other edges
            ],
            "objects": { "units": { "type": "GeometryCollection", "geometries": [
                { "type": "Polygon", "id": "west", "arcs": [[0, 1]] },
                { "type": "Polygon", "properties": { "id": "east" }, "arcs": [[2, -1]] }
            ] } }
        })
    }

    #[test]
    fn a_quantized_topology_decodes_to_rings_that_share_the_arc() {
        let shapes = unit_shapes(&topology()).unwrap();
        assert_eq!(shapes.len(), 2);
        assert_eq!(shapes[0].unit, "west");
        assert_eq!(
            shapes[0].shape,
            vec![vec![vec![
                [11.0, 40.0],
                [11.0, 41.0],
                [10.0, 41.0],
                [10.0, 40.0],
                [11.0, 40.0]
            ]]]
        );
        assert_eq!(shapes[1].unit, "east");
        // The shared edge reversed: (11,41)→(11,40) closes the east square.
        assert_eq!(
            shapes[1].shape,
            vec![vec![vec![
                [11.0, 40.0],
                [12.0, 40.0],
                [12.0, 41.0],
                [11.0, 41.0],
                [11.0, 40.0]
            ]]]
        );
    }

    #[test]
    fn a_numeric_id_is_read_as_text_and_bad_indexes_are_named() {
        let mut t = topology();
        t["objects"]["units"]["geometries"][0]["id"] = json!(13121);
        assert_eq!(unit_shapes(&t).unwrap()[0].unit, "13121");
        t["objects"]["units"]["geometries"][1]["arcs"] = json!([[2, 7]]);
        let err = unit_shapes(&t).unwrap_err();
        assert_eq!(err.field, "objects.units.geometries[1].arcs[0][1]");
        assert!(err.why.contains("no arc 7"), "{err}");
    }

    #[test]
    fn geojson_features_decode_and_points_are_refused() {
        let g = json!({ "type": "FeatureCollection", "features": [
            { "type": "Feature", "properties": { "id": "a" },
              "geometry": { "type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]] } }
        ] });
        let s = unit_shapes(&g).unwrap();
        assert_eq!(s[0].unit, "a");
        assert_eq!(s[0].shape[0][0].len(), 4);
        let p = json!({ "type": "FeatureCollection", "features": [
            { "type": "Feature", "properties": { "id": "a" },
              "geometry": { "type": "Point", "coordinates": [0, 0] } }
        ] });
        assert!(unit_shapes(&p).unwrap_err().why.contains("Point"));
        assert_eq!(unit_shapes(&json!({})).unwrap_err().field, "type");
    }
}
