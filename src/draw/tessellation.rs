//! The face mesh's triangles (MediaPipe's tessellation of the 468 mesh points), extracted at
//! setup into `models/cache/face_mesh_tessellation.txt` by `scripts/models/face_mesh_tessellation.py`
//! (third-party data: never committed) with its eye and mouth holes filled, plus the ring of anchored border vertices that joins the
//! warped face to the unwarped picture around it.
//!
//! In: the table file. Out: [`FaceTopology`] (checked: every triangle names three distinct points
//! < 468, every point is used, the mesh is open exactly along the face oval, the eyes and the inner
//! lips). Loaded once by
//! the compositor on its thread; a missing or damaged file is an error naming the file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::lists;
use crate::perception::mesh::{LANDMARKS, MESH_POINTS, idx::FACE_OVAL};

/// File name of the table in the models folder.
pub const FILE: &str = "face_mesh_tessellation.txt";
/// Border vertices: one per face-oval point, pushed outward and never moved.
pub const RING: usize = FACE_OVAL.len();
/// Vertices of the warp mesh: the 478 landmarks (irises unused by triangles) then the ring.
pub const WARP_VERTICES: usize = LANDMARKS + RING;
/// How far the ring sits outside the oval, relative to the oval's distance from its centre.
pub const RING_SCALE: f32 = 1.6;

/// The holes of the tessellation (eyes, inner lips) as upper and lower contours sharing their
/// end points.
const HOLES: [(&[usize], &[usize]); 3] = [
    (&lists::R_EYE_UP, &lists::R_EYE_LO),
    (&lists::L_EYE_UP, &lists::L_EYE_LO),
    (&lists::LIP_IN_UP, &lists::LIP_IN_LO),
];

/// The triangles of the face mesh and of the warp mesh.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceTopology {
    /// The tessellation (triangles over the 468 mesh points) with its eye and mouth holes filled.
    pub triangles: Vec<[u16; 3]>,
    /// Triangle list of the warp mesh: the tessellation plus the ring (vertex `LANDMARKS + k`
    /// sits outside `FACE_OVAL[k]`), as indices into [`WARP_VERTICES`] vertices.
    pub warp_indices: Vec<u16>,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: {reason} (`webtoonme setup` extracts it from the pinned mediapipe package)")]
pub struct TopologyError {
    pub file: PathBuf,
    pub reason: String,
}

/// Where the compositor looks for the table.
pub fn default_path() -> PathBuf {
    crate::paths::models_dir().join(FILE)
}

/// Read and check the table.
pub fn load(path: &Path) -> Result<FaceTopology, TopologyError> {
    let error = |reason: String| TopologyError { file: path.to_path_buf(), reason };
    let meta = std::fs::metadata(path).map_err(|e| error(format!("cannot open: {e}")))?;
    if meta.len() > 1 << 20 {
        return Err(error(format!("{} bytes, far more than a triangle list", meta.len())));
    }
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
    parse(&text).map_err(error)
}

/// Parse and check the table's text: `#` comment lines, then one triangle `a b c` a line.
pub fn parse(text: &str) -> Result<FaceTopology, String> {
    let mut triangles = Vec::with_capacity(900);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut tri = [0u16; 3];
        let mut parts = line.split_whitespace();
        for slot in &mut tri {
            let v: usize = parts
                .next()
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| format!("line {}: expected three point indices, found {line:?}", n + 1))?;
            if v >= MESH_POINTS {
                return Err(format!("line {}: point {v} is not below {MESH_POINTS}", n + 1));
            }
            *slot = v as u16;
        }
        if parts.next().is_some() {
            return Err(format!("line {}: more than three indices in {line:?}", n + 1));
        }
        if tri[0] == tri[1] || tri[1] == tri[2] || tri[0] == tri[2] {
            return Err(format!("line {}: triangle {tri:?} repeats a point", n + 1));
        }
        triangles.push(tri);
    }
    if !(800..=1000).contains(&triangles.len()) {
        return Err(format!("{} triangles, expected about 850 (damaged file?)", triangles.len()));
    }
    let mut used = vec![false; MESH_POINTS];
    let mut edges: HashMap<(u16, u16), u32> = HashMap::new();
    for t in &triangles {
        for k in 0..3 {
            used[t[k] as usize] = true;
            let (a, b) = (t[k], t[(k + 1) % 3]);
            *edges.entry((a.min(b), a.max(b))).or_default() += 1;
        }
    }
    if let Some(unused) = used.iter().position(|u| !u) {
        return Err(format!("mesh point {unused} is in no triangle"));
    }
    // The mesh is open along the face oval and around its three holes (eyes, inner lips).
    let mut boundary: Vec<(u16, u16)> = edges.iter().filter(|(_, n)| **n == 1).map(|(e, _)| *e).collect();
    boundary.sort_unstable();
    let mut expected: Vec<(u16, u16)> = Vec::new();
    let mut add_loop = |points: &mut dyn Iterator<Item = usize>| {
        let points: Vec<usize> = points.collect();
        for k in 0..points.len() {
            let (a, b) = (points[k] as u16, points[(k + 1) % points.len()] as u16);
            expected.push((a.min(b), a.max(b)));
        }
    };
    add_loop(&mut FACE_OVAL.iter().copied());
    for (up, lo) in HOLES {
        add_loop(&mut up.iter().chain(lo[1..lo.len() - 1].iter().rev()).copied());
    }
    expected.sort_unstable();
    if boundary != expected {
        return Err(format!(
            "the mesh's open boundary ({} edges) is not the face oval, the eyes and the inner lips ({} edges)",
            boundary.len(),
            expected.len()
        ));
    }
    // fill the holes: a strip between each hole's upper and lower contour
    for (up, lo) in HOLES {
        for k in 0..up.len() - 1 {
            let (a, b, c, d) = (up[k] as u16, up[k + 1] as u16, lo[k] as u16, lo[k + 1] as u16);
            if k > 0 {
                triangles.push([a, b, c]);
            }
            if k + 2 < up.len() {
                triangles.push([b, d, c]);
            }
        }
    }
    let mut warp_indices: Vec<u16> = triangles.iter().flatten().copied().collect();
    for k in 0..RING {
        let (o0, o1) = (FACE_OVAL[k] as u16, FACE_OVAL[(k + 1) % RING] as u16);
        let (r0, r1) = ((LANDMARKS + k) as u16, (LANDMARKS + (k + 1) % RING) as u16);
        warp_indices.extend_from_slice(&[o0, o1, r0, o1, r1, r0]);
    }
    Ok(FaceTopology { triangles, warp_indices })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_tables_are_rejected_with_the_line() {
        assert!(parse("# x\n1 2\n").unwrap_err().contains("line 2"));
        assert!(parse("1 2 468\n").unwrap_err().contains("468"));
        assert!(parse("1 1 2\n").unwrap_err().contains("repeats"));
        assert!(parse("1 2 3\n").unwrap_err().contains("triangles"));
    }
}
