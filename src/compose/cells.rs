//! Runs of low-res mask cells: what the passes that work on a part of the frame rasterize.
//!
//! A cell (i, j) of a `width x height` mask spans the square between the texel centres i..i+1 and
//! j..j+1 (the outermost cells also cover the half texel up to the frame border, see the vertex
//! shaders of `silhouette.wgsl` and `person_paint.wgsl`). A run is a row of consecutive cells,
//! one instance of a quad. In: a predicate per cell. Out: runs. Runs on the compositor's thread.

/// One instance: a run of cells in one row: (first cell x, last cell x, cell row, a value the
/// pass gives every cell of the run: the person whose cells they are, for the person paint). Keep
/// in sync with `vs_main`'s `run` in shaders/silhouette.wgsl and shaders/person_paint.wgsl.
pub(super) type CellRun = [u32; 4];

/// The most runs a `width x height` mask can have (every other cell of every row).
pub(super) fn most_runs(width: u32, height: u32) -> u64 {
    (u64::from(width) / 2 + 1) * u64::from(height)
}

/// Appends to `runs`, row by row, the runs of the `cells_wide x cells_high` cells for which
/// `include(x, y)` is `Some(value)`; a run ends where the value changes.
pub(super) fn push_runs(
    cells_wide: usize,
    cells_high: usize,
    mut include: impl FnMut(usize, usize) -> Option<u32>,
    runs: &mut Vec<CellRun>,
) {
    for y in 0..cells_high {
        let mut open: Option<(usize, u32)> = None;
        for x in 0..cells_wide {
            let here = include(x, y);
            if let Some((first, value)) = open
                && here != Some(value)
            {
                runs.push([first as u32, x as u32 - 1, y as u32, value]);
                open = None;
            }
            if let (None, Some(value)) = (open, here) {
                open = Some((x, value));
            }
        }
        if let Some((first, value)) = open {
            runs.push([first as u32, cells_wide as u32 - 1, y as u32, value]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_exactly_the_included_cells() {
        let included = |x: usize, y: usize| (y == 1 && (2..5).contains(&x)) || (y == 2 && x != 3);
        let mut runs = Vec::new();
        push_runs(6, 3, |x, y| included(x, y).then_some(0), &mut runs);
        assert_eq!(runs, vec![[2, 4, 1, 0], [0, 2, 2, 0], [4, 5, 2, 0]]);
        let cells: usize = runs.iter().map(|r| (r[1] - r[0] + 1) as usize).sum();
        assert_eq!(cells, (0..3).flat_map(|y| (0..6).map(move |x| (x, y))).filter(|&(x, y)| included(x, y)).count());
        assert!(runs.len() as u64 <= most_runs(7, 4));
    }

    #[test]
    fn a_run_ends_where_its_value_changes() {
        let mut runs = Vec::new();
        push_runs(6, 1, |x, _| [Some(1), Some(1), Some(2), None, Some(2), Some(2)][x], &mut runs);
        assert_eq!(runs, vec![[0, 1, 0, 1], [2, 2, 0, 2], [4, 5, 0, 2]]);
    }
}
