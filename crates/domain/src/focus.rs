//! Focus areas: the polygons an office or a user covers on the map, read from GeoJSON and
//! checked on the raw input (so that every error names where it is), and the index that answers
//! "who covers this point" — distributors first.

use ::geo::{Area, BoundingRect, Contains, Coord, LineString, MultiPolygon, Point, Polygon, Validation};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::contacts::GeoPoint;

/// Positions in one focus area, all rings together.
pub const MAX_POSITIONS: usize = 20_000;
/// Polygons in one focus area.
pub const MAX_POLYGONS: usize = 200;
/// Bytes of GeoJSON for one focus area.
pub const MAX_GEOJSON_BYTES: usize = 1_000_000;

/// Why a shape was refused, and where in the input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ShapeError {
    /// A JSON path into the input, such as `coordinates[0][0][5]`.
    pub path: String,
    /// A stable code: `not_geojson`, `not_a_polygon`, `too_large`, `bad_position`,
    /// `ring_too_short`, `ring_not_closed`, `invalid_polygon`, `empty`.
    pub code: &'static str,
    pub message: String,
}

fn refuse(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> ShapeError {
    ShapeError {
        path: path.into(),
        code,
        message: message.into(),
    }
}

/// A checked focus area: one or more polygons with holes, in WGS 84 longitude/latitude.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape(MultiPolygon<f64>);

impl Shape {
    /// Reads a Polygon or MultiPolygon geometry, a Feature holding one, or a FeatureCollection of
    /// such features (their polygons together), as GeoJSON text.
    pub fn parse(text: &str) -> Result<Self, ShapeError> {
        if text.len() > MAX_GEOJSON_BYTES {
            return Err(refuse(
                "",
                "too_large",
                format!("a focus area takes at most {MAX_GEOJSON_BYTES} bytes of GeoJSON"),
            ));
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| refuse("", "not_geojson", e.to_string()))?;
        Self::from_json(&value)
    }

    /// As [`Shape::parse`], from JSON already read.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, ShapeError> {
        let geojson = geojson::GeoJson::from_json_value(value.clone()).map_err(|e| refuse("", "not_geojson", e.to_string()))?;
        let mut polygons = Vec::new();
        let mut positions = 0;
        match &geojson {
            geojson::GeoJson::Geometry(g) => read_geometry(&g.value, "", &mut polygons, &mut positions)?,
            geojson::GeoJson::Feature(f) => read_feature(f, "", &mut polygons, &mut positions)?,
            geojson::GeoJson::FeatureCollection(c) => {
                for (i, f) in c.features.iter().enumerate() {
                    read_feature(f, &format!("features[{i}]."), &mut polygons, &mut positions)?;
                }
            }
        }
        if polygons.is_empty() {
            return Err(refuse("", "empty", "the GeoJSON holds no polygon"));
        }
        Ok(Self(MultiPolygon(polygons)))
    }

    /// The shape as a GeoJSON MultiPolygon geometry.
    pub fn to_geojson(&self) -> serde_json::Value {
        let ring = |r: &LineString<f64>| r.0.iter().map(|c| vec![c.x, c.y]).collect::<Vec<_>>();
        let polygons: Vec<_> = self
            .0
            .iter()
            .map(|p| {
                std::iter::once(ring(p.exterior()))
                    .chain(p.interiors().iter().map(ring))
                    .collect::<Vec<_>>()
            })
            .collect();
        serde_json::json!({"type": "MultiPolygon", "coordinates": polygons})
    }

    /// Whether the point lies inside (not on the boundary).
    pub fn contains(&self, point: GeoPoint) -> bool {
        self.0.contains(&Point::new(point.lon, point.lat))
    }

    /// The area in square degrees (to prefer the smaller, more specific of two areas).
    pub fn size(&self) -> f64 {
        self.0.unsigned_area()
    }

    /// The bounding box: west, south, east, north.
    pub fn bounds(&self) -> [f64; 4] {
        match self.0.bounding_rect() {
            Some(r) => [r.min().x, r.min().y, r.max().x, r.max().y],
            None => [0.0; 4],
        }
    }

    fn envelope(&self) -> AABB<[f64; 2]> {
        let [w, s, e, n] = self.bounds();
        AABB::from_corners([w, s], [e, n])
    }
}

fn read_feature(f: &geojson::Feature, path: &str, out: &mut Vec<Polygon<f64>>, positions: &mut usize) -> Result<(), ShapeError> {
    match &f.geometry {
        Some(g) => read_geometry(&g.value, &format!("{path}geometry."), out, positions),
        None => Err(refuse(format!("{path}geometry"), "not_a_polygon", "the feature has no geometry")),
    }
}

fn read_geometry(value: &geojson::Value, path: &str, out: &mut Vec<Polygon<f64>>, positions: &mut usize) -> Result<(), ShapeError> {
    match value {
        geojson::Value::Polygon(rings) => {
            out.push(read_polygon(rings, &format!("{path}coordinates"), positions)?);
        }
        geojson::Value::MultiPolygon(polygons) => {
            for (i, rings) in polygons.iter().enumerate() {
                out.push(read_polygon(rings, &format!("{path}coordinates[{i}]"), positions)?);
            }
        }
        other => {
            return Err(refuse(
                format!("{path}type"),
                "not_a_polygon",
                format!("a focus area is a Polygon or a MultiPolygon, not a {}", other.type_name()),
            ));
        }
    }
    if out.len() > MAX_POLYGONS {
        return Err(refuse(
            path,
            "too_large",
            format!("a focus area has at most {MAX_POLYGONS} polygons"),
        ));
    }
    Ok(())
}

fn read_polygon(rings: &[Vec<Vec<f64>>], path: &str, positions: &mut usize) -> Result<Polygon<f64>, ShapeError> {
    if rings.is_empty() {
        return Err(refuse(path, "ring_too_short", "a polygon needs an outer ring"));
    }
    let mut read = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let ring_path = format!("{path}[{r}]");
        *positions += ring.len();
        if *positions > MAX_POSITIONS {
            return Err(refuse(
                ring_path,
                "too_large",
                format!("a focus area has at most {MAX_POSITIONS} positions"),
            ));
        }
        if ring.len() < 4 {
            return Err(refuse(
                ring_path,
                "ring_too_short",
                format!(
                    "a ring needs at least 4 positions (the last repeating the first), not {}",
                    ring.len()
                ),
            ));
        }
        let mut coords = Vec::with_capacity(ring.len());
        for (k, position) in ring.iter().enumerate() {
            let here = format!("{ring_path}[{k}]");
            let (lon, lat) = match position.as_slice() {
                [lon, lat] | [lon, lat, _] => (*lon, *lat),
                _ => return Err(refuse(here, "bad_position", "a position is [longitude, latitude]")),
            };
            if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
                return Err(refuse(here, "bad_position", format!("longitude {lon} is outside -180…180")));
            }
            if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
                return Err(refuse(here, "bad_position", format!("latitude {lat} is outside -90…90")));
            }
            coords.push(Coord { x: lon, y: lat });
        }
        if coords.first() != coords.last() {
            return Err(refuse(
                ring_path,
                "ring_not_closed",
                "the ring's last position must repeat its first",
            ));
        }
        read.push(LineString(coords));
    }
    let mut rings = read.into_iter();
    let exterior = rings.next().unwrap_or_else(|| LineString(Vec::new()));
    let polygon = Polygon::new(exterior, rings.collect());
    if let Err(e) = polygon.check_validation() {
        return Err(refuse(path, "invalid_polygon", e.to_string()));
    }
    Ok(polygon)
}

/// One area of a [`Coverage`]: whose it is, whether it carries the distributor flag.
#[derive(Debug, Clone)]
pub struct Covered<K> {
    pub key: K,
    pub distributor: bool,
    pub shape: Shape,
}

/// The focus areas of a company, indexed by their bounding boxes in an R-tree: which areas hold
/// a point, in the order to prefer them — distributors first, then the smaller (more specific)
/// area, then the key.
#[derive(Debug)]
pub struct Coverage<K> {
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
    areas: Vec<(Covered<K>, f64)>,
}

impl<K: Clone + Ord> Coverage<K> {
    pub fn new(areas: Vec<Covered<K>>) -> Self {
        let entries = areas
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let env = a.shape.envelope();
                GeomWithData::new(Rectangle::from_corners(env.lower(), env.upper()), i)
            })
            .collect();
        Self {
            tree: RTree::bulk_load(entries),
            areas: areas
                .into_iter()
                .map(|a| {
                    let size = a.shape.size();
                    (a, size)
                })
                .collect(),
        }
    }

    /// The areas holding the point, most preferred first.
    pub fn covering(&self, point: GeoPoint) -> Vec<&Covered<K>> {
        let at = AABB::from_point([point.lon, point.lat]);
        let found = self
            .tree
            .locate_in_envelope_intersecting(&at)
            .map(|e| e.data)
            .filter(|i| self.areas[*i].0.shape.contains(point))
            .collect();
        self.ordered(found)
    }

    /// [`Coverage::covering`] without the index, testing every area (the reference the
    /// benchmark and the tests compare the index with).
    pub fn covering_by_scan(&self, point: GeoPoint) -> Vec<&Covered<K>> {
        let found = (0..self.areas.len()).filter(|i| self.areas[*i].0.shape.contains(point)).collect();
        self.ordered(found)
    }

    fn ordered(&self, mut found: Vec<usize>) -> Vec<&Covered<K>> {
        found.sort_by(|a, b| {
            let (x, y) = (&self.areas[*a], &self.areas[*b]);
            y.0.distributor
                .cmp(&x.0.distributor)
                .then(x.1.total_cmp(&y.1))
                .then_with(|| x.0.key.cmp(&y.0.key))
        });
        found.into_iter().map(|i| &self.areas[i].0).collect()
    }

    pub fn len(&self) -> usize {
        self.areas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn square(x: f64, y: f64, side: f64) -> String {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]}}"#,
            x + side,
            x + side,
            y + side,
            y + side
        )
    }

    fn at(lon: f64, lat: f64) -> GeoPoint {
        GeoPoint { lat, lon }
    }

    #[test]
    fn reads_polygons_features_and_collections() {
        let s = Shape::parse(&square(18.0, 59.0, 0.1)).unwrap();
        assert!(s.contains(at(18.05, 59.05)));
        assert!(!s.contains(at(18.15, 59.05)));
        let feature = format!(
            r#"{{"type":"Feature","properties":{{"name":"Söder"}},"geometry":{}}}"#,
            square(18.0, 59.0, 0.1)
        );
        assert_eq!(Shape::parse(&feature).unwrap(), s);
        let collection = format!(
            r#"{{"type":"FeatureCollection","features":[{feature},{{"type":"Feature","properties":null,"geometry":{}}}]}}"#,
            square(20.0, 59.0, 0.1)
        );
        let both = Shape::parse(&collection).unwrap();
        assert!(both.contains(at(20.05, 59.05)) && both.contains(at(18.05, 59.05)));
        // What is written back reads the same.
        assert_eq!(Shape::from_json(&both.to_geojson()).unwrap(), both);
    }

    #[test]
    fn holes_are_outside() {
        let s = Shape::parse(r#"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]}"#)
            .unwrap();
        assert!(s.contains(at(2.0, 2.0)));
        assert!(!s.contains(at(5.0, 5.0)));
    }

    #[test]
    fn errors_say_where() {
        let err = |text: &str| Shape::parse(text).unwrap_err();
        let e = err(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#);
        assert_eq!((e.code, e.path.as_str()), ("ring_not_closed", "coordinates[0]"));
        let e = err(r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,0],[0,0]]]]}"#);
        assert_eq!((e.code, e.path.as_str()), ("ring_too_short", "coordinates[1][0]"));
        let e = err(r#"{"type":"Polygon","coordinates":[[[0,0],[200,0],[1,1],[0,0]]]}"#);
        assert_eq!((e.code, e.path.as_str()), ("bad_position", "coordinates[0][1]"));
        let e = err(r#"{"type":"Polygon","coordinates":[[[0,0],[1,95],[1,1],[0,0]]]}"#);
        assert_eq!((e.code, e.path.as_str()), ("bad_position", "coordinates[0][1]"));
        // A bow tie crosses itself.
        let e = err(r#"{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}"#);
        assert_eq!((e.code, e.path.as_str()), ("invalid_polygon", "coordinates"));
        let e = err(r#"{"type":"Point","coordinates":[0,0]}"#);
        assert_eq!((e.code, e.path.as_str()), ("not_a_polygon", "type"));
        let e = err(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":null,"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}]}"#,
        );
        assert_eq!((e.code, e.path.as_str()), ("not_a_polygon", "features[0].geometry.type"));
        assert_eq!(err("{").code, "not_geojson");
        assert_eq!(err(r#"{"type":"FeatureCollection","features":[]}"#).code, "empty");
        let many: Vec<String> = (0..MAX_POSITIONS).map(|i| format!("[{}, 0]", i as f64 / 1e5)).collect();
        let big = format!(r#"{{"type":"Polygon","coordinates":[[{}, [0, 1], [0, 0]]]}}"#, many.join(","));
        assert_eq!(err(&big).code, "too_large");
    }

    #[test]
    fn distributors_come_first_then_the_smaller_area() {
        let area = |key: u32, distributor, side| Covered {
            key,
            distributor,
            shape: Shape::parse(&square(18.0, 59.0, side)).unwrap(),
        };
        let coverage = Coverage::new(vec![
            area(1, false, 0.5),
            area(2, false, 0.1),
            area(3, true, 1.0),
            area(4, false, 0.01),
        ]);
        let keys: Vec<u32> = coverage.covering(at(18.05, 59.05)).iter().map(|c| c.key).collect();
        assert_eq!(keys, vec![3, 2, 1]);
        assert!(coverage.covering(at(10.0, 10.0)).is_empty());
    }

    proptest! {
        // The R-tree answers exactly what testing every area answers.
        #[test]
        fn index_agrees_with_a_scan(
            squares in proptest::collection::vec((0.0f64..10.0, 0.0f64..10.0, 0.01f64..3.0, any::<bool>()), 1..60),
            points in proptest::collection::vec((0.0f64..13.0, 0.0f64..13.0), 1..40),
        ) {
            let areas = squares
                .iter()
                .enumerate()
                .map(|(i, (x, y, side, d))| Covered { key: i, distributor: *d, shape: Shape::parse(&square(*x, *y, *side)).unwrap() })
                .collect();
            let coverage = Coverage::new(areas);
            for (lon, lat) in points {
                let by_index: Vec<usize> = coverage.covering(at(lon, lat)).iter().map(|c| c.key).collect();
                let by_scan: Vec<usize> = coverage.covering_by_scan(at(lon, lat)).iter().map(|c| c.key).collect();
                prop_assert_eq!(by_index, by_scan);
            }
        }
    }
}
