//! Choropleth maps: unit boundaries (GeoJSON) projected to SVG paths.
//!
//! The projection is equirectangular with the longitude scaled by the cosine of the map's
//! middle latitude — good enough for the extent of one country or region, and exact to
//! reproduce (plain f64 arithmetic, coordinates rounded to 0.1 px). Points closer than
//! [`MIN_POINT_DISTANCE`] to the previous one are dropped, so detailed boundaries do not
//! bloat pages. Each area is a link with a `<title>` naming the area and its leader, and is
//! labelled on the map when there are few areas; the page's table of results by area is the
//! text equivalent, so colour is never the only carrier of meaning.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use skytale_model::ValidDefinition;

use crate::html::esc;
use crate::RenderError;

/// Width of the map's viewBox in SVG units.
pub const MAP_WIDTH: f64 = 600.0;
/// Largest height of the viewBox (very tall areas are scaled down to it).
pub const MAP_MAX_HEIGHT: f64 = 700.0;
/// Largest number of boundary points accepted in one map.
pub const MAX_BOUNDARY_POINTS: usize = skytale_model::geometry::MAX_MAP_POINTS;
/// Simplification: points closer than this (in viewBox units) to the previous are dropped.
pub const MIN_POINT_DISTANCE: f64 = 0.6;
/// Areas are labelled with their names on the map only up to this many areas.
pub const MAX_LABELLED_AREAS: usize = 30;

/// Polygons (each a list of rings, each a list of `[lon, lat]`) of one unit.
pub use skytale_model::geometry::Shape;

/// Boundaries per unit id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Boundaries {
    units: BTreeMap<String, Shape>,
}

fn bad(field: String, why: impl Into<String>) -> RenderError {
    RenderError::Boundaries {
        field,
        why: why.into(),
    }
}

impl Boundaries {
    /// Parses a GeoJSON `FeatureCollection` (or a TopoJSON `Topology`); every shape's id must
    /// name a unit of the definition. Errors name the feature and field.
    pub fn parse(geojson: &str, def: &ValidDefinition) -> Result<Boundaries, RenderError> {
        let v: Value =
            serde_json::from_str(geojson).map_err(|e| bad("$".into(), format!("not JSON: {e}")))?;
        Boundaries::from_map(&v, def)
    }

    /// The boundaries of a decoded map (the definition's `map`, or a file beside it).
    pub fn from_map(map: &Value, def: &ValidDefinition) -> Result<Boundaries, RenderError> {
        let shapes = skytale_model::geometry::unit_shapes(map).map_err(|e| bad(e.field, e.why))?;
        let mut units = BTreeMap::new();
        for s in shapes {
            if def.unit_index(&s.unit).is_none() {
                return Err(bad(
                    s.field,
                    format!("unit {:?} is not in the election definition", s.unit),
                ));
            }
            if units.insert(s.unit.clone(), s.shape).is_some() {
                return Err(bad(s.field, format!("unit {:?} has two features", s.unit)));
            }
        }
        Ok(Boundaries { units })
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
    pub fn get(&self, unit: &str) -> Option<&Shape> {
        self.units.get(unit)
    }
}

/// One area on a map.
pub struct MapArea {
    pub unit: String,
    /// Visible name (label and title).
    pub name: String,
    /// Link to the area's page.
    pub href: Option<String>,
    /// Fill colour `#rrggbb`; `None` draws the "no results yet" hatching.
    pub fill: Option<String>,
    /// Tooltip / accessible name: "Region 1: Maria Andreou 41.3 %".
    pub title: String,
}

fn fmt1(x: f64) -> String {
    // One decimal; "-0.0" normalised so equal maps give equal bytes.
    let r = (x * 10.0).round() / 10.0;
    let s = format!("{r:.1}");
    if s == "-0.0" {
        "0.0".into()
    } else {
        s
    }
}

/// The map as inline SVG, or `None` when no area has a boundary. `dom_id` prefixes the ids
/// of the title, description and hatch pattern.
pub fn choropleth(
    b: &Boundaries,
    areas: &[MapArea],
    title: &str,
    desc: &str,
    dom_id: &str,
) -> Option<String> {
    let shapes: Vec<(&MapArea, &Shape)> = areas
        .iter()
        .filter_map(|a| b.get(&a.unit).map(|s| (a, s)))
        .collect();
    if shapes.is_empty() {
        return None;
    }
    let (mut min_lon, mut max_lon, mut min_lat, mut max_lat) =
        (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (_, s) in &shapes {
        for p in s.iter().flatten().flatten() {
            min_lon = min_lon.min(p[0]);
            max_lon = max_lon.max(p[0]);
            min_lat = min_lat.min(p[1]);
            max_lat = max_lat.max(p[1]);
        }
    }
    let k = ((min_lat + max_lat) / 2.0).to_radians().cos().max(0.01);
    let w = ((max_lon - min_lon) * k).max(1e-9);
    let h = (max_lat - min_lat).max(1e-9);
    let scale = (MAP_WIDTH / w).min(MAP_MAX_HEIGHT / h);
    let width = w * scale;
    let height = h * scale;
    let proj = |p: &[f64; 2]| ((p[0] - min_lon) * k * scale, (max_lat - p[1]) * scale);

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg viewBox=\"0 0 {} {}\" role=\"group\" aria-labelledby=\"{id}-t\" aria-describedby=\"{id}-d\"><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>\
         <defs><pattern id=\"{id}-hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\"><rect width=\"6\" height=\"6\" fill=\"#f2f2f2\"/><path d=\"M0 6L6 0\" stroke=\"#767676\"/></pattern></defs>",
        fmt1(width),
        fmt1(height),
        esc(title),
        esc(desc),
        id = esc(dom_id)
    );
    let label = shapes.len() <= MAX_LABELLED_AREAS;
    let mut labels = String::new();
    for (a, shape) in &shapes {
        let mut d = String::new();
        let mut best: Option<(f64, f64, f64)> = None; // (area of bbox, cx, cy) of the largest ring
        for poly in shape.iter() {
            for ring in poly {
                let mut last: Option<(f64, f64)> = None;
                let (mut rx0, mut rx1, mut ry0, mut ry1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
                let mut n = 0;
                for p in ring {
                    let (x, y) = proj(p);
                    rx0 = rx0.min(x);
                    rx1 = rx1.max(x);
                    ry0 = ry0.min(y);
                    ry1 = ry1.max(y);
                    if let Some((lx, ly)) = last {
                        if (x - lx).abs() < MIN_POINT_DISTANCE
                            && (y - ly).abs() < MIN_POINT_DISTANCE
                        {
                            continue;
                        }
                    }
                    d.push(if n == 0 { 'M' } else { 'L' });
                    d.push_str(&fmt1(x));
                    d.push(' ');
                    d.push_str(&fmt1(y));
                    last = Some((x, y));
                    n += 1;
                }
                if n > 0 {
                    d.push('Z');
                }
                let area = (rx1 - rx0) * (ry1 - ry0);
                if best.is_none_or(|(ba, _, _)| area > ba) {
                    best = Some((area, (rx0 + rx1) / 2.0, (ry0 + ry1) / 2.0));
                }
            }
        }
        let fill = match &a.fill {
            Some(c) => esc(c),
            None => format!("url(#{}-hatch)", esc(dom_id)),
        };
        let path = format!(
            "<path d=\"{d}\" fill=\"{fill}\" stroke=\"#ffffff\" stroke-width=\"1\" fill-rule=\"evenodd\"><title>{}</title></path>",
            esc(&a.title)
        );
        match &a.href {
            Some(href) => {
                let _ = write!(
                    svg,
                    "<a href=\"{}\" aria-label=\"{}\">{path}</a>",
                    esc(href),
                    esc(&a.title)
                );
            }
            None => svg.push_str(&path),
        }
        if let (true, Some((_, cx, cy))) = (label, best) {
            let _ = write!(
                labels,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"18\" fill=\"#1a1a1a\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
                fmt1(cx),
                fmt1(cy),
                esc(&a.name)
            );
        }
    }
    if !labels.is_empty() {
        let _ = write!(svg, "<g aria-hidden=\"true\">{labels}</g>");
    }
    svg.push_str("</svg>");
    Some(svg)
}
