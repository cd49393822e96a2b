//! Shared by the `bithive` and `bithive-relayer` command-line tests (included with `#[path]`).
use clap::error::ErrorKind;

/// Calls `--help` on `cmd` and every subcommand below it; returns the paths visited.
pub fn help_everywhere(root: &clap::Command) -> Vec<Vec<String>> {
    fn walk(
        root: &clap::Command,
        cmd: &clap::Command,
        path: &mut Vec<String>,
        seen: &mut Vec<Vec<String>>,
    ) {
        let argv: Vec<String> = std::iter::once(root.get_name().to_string())
            .chain(path.iter().cloned())
            .chain(["--help".to_string()])
            .collect();
        let err = root.clone().try_get_matches_from(&argv).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DisplayHelp, "{argv:?}: {err}");
        seen.push(path.clone());
        for sub in cmd.get_subcommands() {
            path.push(sub.get_name().to_string());
            walk(root, sub, path, seen);
            path.pop();
        }
    }
    let mut seen = Vec::new();
    walk(root, root, &mut Vec::new(), &mut seen);
    seen
}
