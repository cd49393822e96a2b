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

/// Checks `cmd`'s definition, `--help` on it and every subcommand below it (the visited paths
/// include `paths`), and that `--version` asks for the version.
pub fn assert_help_and_version(cmd: &clap::Command, paths: &[&[&str]]) {
    cmd.clone().debug_assert();
    let seen = help_everywhere(cmd);
    for &path in paths {
        assert!(seen.iter().any(|p| p == path), "{path:?} not visited");
    }
    let err = cmd
        .clone()
        .try_get_matches_from([cmd.get_name(), "--version"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DisplayVersion);
}

/// The completion script of `cmd`, run as `bin`, for every shell clap_complete writes for.
pub fn completion_scripts(cmd: &clap::Command, bin: &str) -> Vec<(clap_complete::Shell, String)> {
    use clap::ValueEnum;
    clap_complete::Shell::value_variants()
        .iter()
        .map(|&shell| {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), bin, &mut out);
            (shell, String::from_utf8(out).unwrap())
        })
        .collect()
}
