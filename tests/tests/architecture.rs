//! ARCHITECTURE.md names, for each step of a read and a wait, a file and a
//! function: every one must exist, so the map cannot drift from the code.

use std::path::Path;

#[test]
fn every_step_of_the_data_path_names_a_function_that_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let mut checked = 0;
    for row in doc.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // | step | `file` | `function` |
        let [_, _, file, func, _] = cells[..] else {
            continue;
        };
        let (Some(file), Some(func)) = (
            file.strip_prefix('`').and_then(|f| f.strip_suffix('`')),
            func.strip_prefix('`').and_then(|f| f.strip_suffix('`')),
        ) else {
            continue;
        };
        let text = std::fs::read_to_string(root.join(file))
            .unwrap_or_else(|e| panic!("ARCHITECTURE.md names {file}: {e}"));
        let defined = [
            format!("fn {func}("),
            format!("fn {func}<"),
            format!("macro_rules! {func} "),
        ]
        .iter()
        .any(|d| text.contains(d.as_str()));
        assert!(defined, "ARCHITECTURE.md: {file} has no `{func}`");
        checked += 1;
    }
    assert!(
        checked >= 12,
        "only {checked} steps found: is the table still there?"
    );
}
