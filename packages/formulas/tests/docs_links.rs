//! Keeps the documentation honest: no file outside `docs/` cites a seed section (they link to
//! the glossary or the seed summary instead), and every link to a heading of those two files
//! resolves. Std only, one pass over the repository's text files.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The documents whose headings are link targets.
const DOCS: [&str; 2] = ["glossary", "seeds"];
/// Directories never scanned (besides hidden ones: `.git`, worktrees under `.wt`): build output,
/// vendored code, dependencies, fuzz corpora.
const SKIP_DIRS: [&str; 6] = [
    "target",
    "vendor",
    "node_modules",
    "pkg",
    "corpus",
    "__pycache__",
];
const TEXT_EXTS: [&str; 14] = [
    "rs", "md", "toml", "json", "ts", "js", "mjs", "sh", "py", "yml", "yaml", "txt", "html", "css",
];
const MAX_BYTES: u64 = 2 << 20;

/// The repository root: the nearest ancestor holding `docs/glossary.md` (robust to the crate
/// moving within the workspace).
fn repo_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        if dir.join("docs").join("glossary.md").is_file() && dir.join("Cargo.toml").is_file() {
            return dir;
        }
        assert!(dir.pop(), "no ancestor of the crate holds docs/glossary.md");
    }
}

fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && !SKIP_DIRS.contains(&name.as_str()) {
                text_files(&path, out);
            }
        } else if kind.is_file()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| TEXT_EXTS.contains(&e))
            && entry.metadata().is_ok_and(|m| m.len() <= MAX_BYTES)
        {
            out.push(path);
        }
    }
}

/// GitHub's anchor of a heading: lower case, letters, digits, `-` and `_` kept, spaces become
/// `-`, everything else dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Anchors of a markdown file's headings (outside fenced code blocks); panics on a duplicate,
/// since GitHub would then suffix one of them and links would silently change target.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            let anchor = slug(&line[hashes..]);
            assert!(
                set.insert(anchor.clone()),
                "duplicate heading anchor #{anchor}"
            );
        }
    }
    set
}

/// Byte offsets where `word` starts a word (case-insensitive, ASCII).
fn word_starts<'a>(lower: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    lower.match_indices(word).filter_map(move |(i, _)| {
        let before = lower[..i].chars().next_back();
        (!before.is_some_and(|c| c.is_alphanumeric())).then_some(i)
    })
}

/// The seed citations in `text`, as short excerpts. A citation is the word "seed" (or "seeds")
/// followed by a seed number (`00d`), by a section number (`d.d`), or by "section d".
/// Random-number seeds (`seed 7`, `seed 0x0b17`, `seed: 0.35`) are not citations.
fn seed_citations(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    for i in word_starts(&lower, "seed") {
        let rest = &lower[i + 4..];
        let rest = rest.strip_prefix('s').unwrap_or(rest);
        let after_space = rest.trim_start_matches([' ', '\t']);
        let spaced = after_space.len() < rest.len();
        let b = after_space.as_bytes();
        let digit = |k: usize| b.get(k).is_some_and(|c| c.is_ascii_digit());
        let seed_number = b.starts_with(b"00") && digit(2);
        let section_number = spaced && digit(0) && {
            let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
            b.get(n) == Some(&b'.') && digit(n + 1)
        };
        let section_word = spaced
            && after_space
                .strip_prefix("section")
                .map(|s| s.strip_prefix('s').unwrap_or(s))
                .is_some_and(|s| {
                    let digits = s.trim_start_matches([' ', '\t']);
                    digits.len() < s.len() && digits.starts_with(|c: char| c.is_ascii_digit())
                });
        if seed_number || section_number || section_word {
            let end = (i + 40).min(text.len());
            let end = (end..=text.len())
                .find(|&e| text.is_char_boundary(e))
                .unwrap_or(text.len());
            found.push(text[i..end].replace('\n', " "));
        }
    }
    found
}

/// Every `<doc>.md#anchor` link in `text`, as (doc, anchor); for a file inside `docs/`, also
/// its `](#anchor)` links, resolved against `own`.
fn links(text: &str, own: Option<&str>) -> Vec<(String, String)> {
    let anchor_at = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for doc in DOCS {
        let needle = format!("{doc}.md#");
        for (i, _) in text.match_indices(&needle) {
            out.push((doc.to_string(), anchor_at(&text[i + needle.len()..])));
        }
    }
    if let Some(own) = own {
        for (i, _) in text.match_indices("](#") {
            out.push((own.to_string(), anchor_at(&text[i + 3..])));
        }
    }
    out
}

#[test]
fn citation_matcher_tells_sections_from_rng_seeds() {
    let seed = "seed";
    for cited in [
        format!("({seed} 002, 6.3)"),
        format!("{} 000 table", "Seed"),
        format!("({seed} 4.8.1)"),
        format!("({seed} section 4.8)"),
        format!("{seed}s 002 and 003"),
        format!("{seed} 002's machine classes"),
        format!("{seed} sections 4.3-4.8"),
    ] {
        assert_eq!(seed_citations(&cited).len(), 1, "{cited}");
    }
    for rng in [
        format!("{seed} 7 at 100 ms"),
        format!("ChaCha20Rng {seed} 0x0b174172"),
        format!("({seed}: 0.35)"),
        format!("the {seed}'s algebra"),
        format!("always use {seed} 11"),
        format!("let {seed} = 3.5;"),
        format!("Crypto{seed} 002"),
        format!("cites a {seed} section (or not)"),
    ] {
        assert!(seed_citations(&rng).is_empty(), "{rng}");
    }
}

#[test]
fn slugs_match_github() {
    assert_eq!(slug(" Vscore"), "vscore");
    assert_eq!(slug(" S_i and S0"), "s_i-and-s0");
    // Built at run time so that this file does not cite a seed section itself.
    let seed = "Seed";
    assert_eq!(
        slug(&format!(" {seed} 002 6.2 Block generation rules")),
        "seed-002-62-block-generation-rules"
    );
    assert_eq!(
        slug(&format!(
            " {seed} 003 4.3 to 4.7 BitChat privacy, storage and communication"
        )),
        "seed-003-43-to-47-bitchat-privacy-storage-and-communication"
    );
}

#[test]
fn no_seed_citations_outside_docs_and_every_docs_link_resolves() {
    let root = repo_root();
    let docs_dir = root.join("docs");
    let targets: BTreeMap<&str, BTreeSet<String>> = DOCS
        .iter()
        .map(|doc| {
            let path = docs_dir.join(format!("{doc}.md"));
            let text =
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (*doc, anchors(&text))
        })
        .collect();

    let mut files = Vec::new();
    text_files(&root, &mut files);
    files.sort();
    assert!(files.len() > 100, "scanned only {} files", files.len());

    let mut citations = Vec::new();
    let mut dangling = Vec::new();
    let mut link_count = 0usize;
    for path in &files {
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        let rel = path.strip_prefix(&root).unwrap_or(path);
        let in_docs = rel.starts_with("docs");
        if !in_docs {
            for c in seed_citations(&text) {
                citations.push(format!("{}: \"{c}\"", rel.display()));
            }
        }
        let own = in_docs
            .then(|| rel.file_stem().and_then(|s| s.to_str()))
            .flatten()
            .filter(|stem| DOCS.contains(stem));
        for (doc, anchor) in links(&text, own) {
            link_count += 1;
            if !targets[doc.as_str()].contains(&anchor) {
                dangling.push(format!("{}: {doc}.md#{anchor}", rel.display()));
            }
        }
    }
    assert!(
        citations.is_empty(),
        "seed sections cited outside docs/ (link to docs/glossary.md or docs/seeds.md instead):\n{}",
        citations.join("\n")
    );
    assert!(
        dangling.is_empty(),
        "links to headings that do not exist:\n{}",
        dangling.join("\n")
    );
    assert!(link_count > 20, "found only {link_count} docs links");
}
