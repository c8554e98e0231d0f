//! The fast path must read every document it accepts exactly as the general parser does:
//! same values, keys, positions and warnings. Checked on every manifest in the repository,
//! on hand-picked corners, and on generated block-style YAML.

use palisade_loader::Limits;
use palisade_loader::testing::{both_parsers, difference, known_general_parser_defect};
use palisade_testkit::{Rng, env_count};

/// Returns how many chunks the fast path accepted; panics on any disagreement.
fn check(text: &str) -> (usize, usize) {
    let mut accepted = 0;
    let readings = both_parsers(text, &Limits::default());
    let total = readings.len();
    for (i, (fast, general)) in readings.into_iter().enumerate() {
        let Some((fast_doc, fast_warnings)) = fast else {
            continue;
        };
        let (general_doc, general_warnings) = match general {
            Ok(reading) => reading,
            Err(e) if known_general_parser_defect(&e) => continue,
            Err(e) => panic!(
                "chunk {i}: the fast path accepted what the general parser rejects ({e}):\n{text}"
            ),
        };
        if let Some(d) = difference(fast_doc.root(), general_doc.root(), "$") {
            panic!("chunk {i}: {d}\n--- input ---\n{text}");
        }
        assert_eq!(
            fast_warnings, general_warnings,
            "chunk {i} warnings\n{text}"
        );
        accepted += 1;
    }
    (accepted, total)
}

fn repository_manifests() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in [
        "examples",
        "crates/palisade-rules/tests/fixtures",
        "crates/palisade-controls/data",
    ] {
        for entry in walk(&root.join(dir)) {
            if entry.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(entry);
            }
        }
    }
    out
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn repository_manifests_read_the_same_and_mostly_take_the_fast_path() {
    let (mut accepted, mut total) = (0, 0);
    for path in repository_manifests() {
        let text = std::fs::read_to_string(&path).unwrap();
        let (a, t) = check(&text);
        accepted += a;
        total += t;
    }
    assert!(total > 100);
    // The fast path is only worth having if real manifests take it.
    assert!(
        accepted * 10 >= total * 9,
        "fast path took {accepted} of {total} documents"
    );
}

const CORNERS: &[&str] = &[
    "a: 1\nb:\n  c: 2\n",
    "- name: x\n  v: 1\n-   y: 2\n- - a\n  - b\n-\n- |\n  text\n- 'q'\n- [1, 2]\n- {a: 1}\n- \"dq\"\n- plain\n",
    "key:\n- a\n- b\nk2:\n  - c\n",
    "  a: 1\n  b: 2\n",
    "k: |\n  x\nk3:\n",
    "- |-\n  a\n\n  b\n\n- |+\n  k\n\n-  x\n",
    "k:\n  x\n",
    "a:   1   \n\"q k\": 2\n'sq': 3\n",
    "- a: 1\n  b:\n  - x\n",
    "key: |\n\n   text\n",
    "é: ü\nx: é1 # c\n",
    "yes: no\non: 1\n0x10: a\n1.5: b\n~: c\n",
    "a: 1\na: 2\nb: {x: 1, x: 2}\n",
    "esc: \"a\\tb\\u00e9\\x41 \\\"q\\\" \\\\\"\nsq: 'it''s'\n",
    "url: http://example.com:8080/x#frag\nhash: a#b\nc: a # comment\n",
    "args: [\"--a=1\", '--b', c d, 0644, yes]\n",
    "nested: {a: [1, {b: c}], 'd': \"e\"}\n",
    "- -\n  - a\n",
    "-\n  a: 1\n-\n  - b\n",
    "a:\n  # comment\n  b: 1\n# trailing\n",
    "a: |  # keep comment\n  x\n   y\n  # not a comment\nb: 2\n",
    "list:\n- a: 1\n  b: 2\n- c: 3\n",
    "a: b\n...\n",
    "a: ''\nb: \"\"\nc: '#'\n",
    "x: -1\ny: - a\n",
    "x: [a, ]\n",
    "x: {a}\n",
    "x: a: b\n",
    "x: 'unterminated\n",
    "x: |2\n   y\n",
    "x: >\n  folded\n",
    "x: &a 1\ny: *a\n",
    "x:\n  - a\n y: 1\n",
    "- a\n- b\nc: d\n",
    "x: 1.5\ny: .inf\n",
    "\"just a string\"\n",
    "[1, 2]\n",
    "k: \"a\\/b\"\n",
    "k: \"v\" # a \\/ in a comment\n",
    "a: 1\n... b: 2\n",
    "k: |-#c\n  x\n",
    "k: |- #c\n  x\n",
];

#[test]
fn corners_read_the_same() {
    let mut accepted = 0;
    for text in CORNERS {
        accepted += check(text).0;
    }
    assert!(
        accepted > 20,
        "only {accepted} corner cases took the fast path"
    );
}

const SCALARS: &[&str] = &[
    "yes",
    "No",
    "on",
    "0644",
    "0x1F",
    "1_000",
    "+5",
    "-7",
    "1e3",
    ".5",
    "08",
    "~",
    "null",
    "abc",
    "a b",
    "'yes'",
    "\"0644\"",
    "'it''s'",
    "\"tab\\t\"",
    "http://x:1/y",
    "a#b",
    "\"\"",
    "''",
    "-x",
    ":x",
    "é",
    "2001-12-14",
    "1:20",
];
const KEYS: &[&str] = &[
    "name", "yes", "on", "1", "0x10", "'quoted'", "\"dq\"", "a-b", "N", "k8s.io/x", "a b",
];

fn scalar(rng: &mut Rng) -> String {
    let s = rng.pick(SCALARS).to_string();
    if rng.chance(20) {
        format!("{s} # note")
    } else {
        s
    }
}

fn block(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let n = 1 + rng.below(4);
    if rng.chance(50) || depth > 3 {
        for _ in 0..n {
            let key = rng.pick(KEYS);
            match if depth > 3 { 0 } else { rng.below(6) } {
                0 | 1 => out.push_str(&format!("{pad}{key}: {}\n", scalar(rng))),
                2 => {
                    out.push_str(&format!("{pad}{key}:\n"));
                    block(rng, indent + 2, depth + 1, out);
                }
                3 => {
                    out.push_str(&format!("{pad}{key}:\n"));
                    // Sequences level with their key, or indented.
                    let extra = if rng.chance(50) { 0 } else { 2 };
                    seq(rng, indent + extra, depth + 1, out);
                }
                4 => out.push_str(&format!(
                    "{pad}{key}: [{}, {}]\n",
                    rng.pick(&["a", "1", "'q'", "yes"]),
                    rng.pick(&["b", "{x: 1}", "[]"])
                )),
                _ => {
                    let chomp = rng.pick(&["", "-", "+"]);
                    out.push_str(&format!(
                        "{pad}{key}: |{chomp}\n{pad}  line one\n\n{pad}    indented\n{pad}  last\n"
                    ));
                    if rng.chance(30) {
                        out.push('\n');
                    }
                }
            }
            if rng.chance(10) {
                out.push_str(&format!("{pad}# comment\n"));
            }
        }
    } else {
        seq(rng, indent, depth, out);
    }
}

fn seq(rng: &mut Rng, indent: usize, depth: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    for _ in 0..1 + rng.below(3) {
        match if depth > 3 { 0 } else { rng.below(4) } {
            0 => out.push_str(&format!("{pad}- {}\n", scalar(rng))),
            1 => {
                // Compact mapping item.
                let mut inner = String::new();
                block(rng, indent + 2, depth + 1, &mut inner);
                let mut lines = inner.lines();
                if let Some(first) = lines.next() {
                    out.push_str(&format!("{pad}- {}\n", first.trim_start()));
                }
                for l in lines {
                    out.push_str(l);
                    out.push('\n');
                }
            }
            2 => {
                out.push_str(&format!("{pad}-\n"));
                block(rng, indent + 2, depth + 1, out);
            }
            _ => out.push_str(&format!(
                "{pad}- [{}]\n",
                scalar(rng).replace(" # note", "")
            )),
        }
    }
}

#[test]
fn generated_documents_read_the_same() {
    let mut rng = Rng::from_env("PALISADE_FAST_SEED", 0xfa57);
    let n = env_count("PALISADE_FAST_DOCS", 3000);
    let mut accepted = 0;
    for _ in 0..n {
        let mut doc = String::new();
        block(&mut rng, 0, 0, &mut doc);
        accepted += check(&doc).0;
    }
    assert!(
        accepted * 2 > n,
        "fast path took only {accepted} of {n} generated documents"
    );
}

#[test]
fn report_acceptance() {
    let mut lines = Vec::new();
    for text in CORNERS {
        let (a, t) = check(text);
        lines.push(format!("{a}/{t} {text:?}"));
    }
    eprintln!("{}", lines.join("\n"));
}

/// A `-` inside a plain scalar in a flow collection: Kubernetes (sigs.k8s.io/yaml) reads
/// `{m: k -}` as `m: "k -"`, and so does the fast path; the general parser rejects it (the
/// one entry of `known_general_parser_defect`). When a saphyr-parser upgrade fixes this,
/// the second assertion fails: remove the exception then.
#[test]
fn dash_inside_a_flow_scalar_reads_as_kubernetes_does() {
    for (text, want) in [("a: {m: k -}\n", "k -"), ("a: [k -, b]\n", "k -")] {
        let mut readings = both_parsers(text, &Limits::default());
        let (fast, general) = readings.pop().expect("one chunk");
        let (doc, _) = fast.expect("the fast path reads it");
        let a = doc.root().get("a").expect("key a");
        let got = a
            .get("m")
            .or_else(|| a.items().get(0))
            .and_then(|n| n.as_str());
        assert_eq!(got, Some(want), "{text}");
        let err = general.expect_err("saphyr-parser 0.3.4 rejects it");
        assert!(known_general_parser_defect(&err), "{err}");
    }
}
