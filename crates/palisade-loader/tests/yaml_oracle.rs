//! Differential test: the loader reads YAML exactly as kubectl does.
//!
//! Each case is run through apimachinery's YAML reader + sigs.k8s.io/yaml (the Go oracle in
//! tools/oracle) and through `palisade_loader::parse_str`; the resulting JSON documents must
//! be equal, and where Kubernetes refuses a document, so must we. Numbers compare by value
//! (Go prints the float 1.0 as `1`).

use palisade_loader::{Limits, parse_str};
use palisade_testkit::{Rng, env_count, oracle, run_oracle};
use serde_json::Value;

/// Hand-picked cases where YAML 1.1 (Kubernetes) and YAML 1.2 (most parsers) disagree, and
/// other corners of the conversion.
const CORPUS: &[&str] = &[
    "privileged: yes\nhostNetwork: on\nhostPID: Off\nx: y\nn: N\n",
    "mode: 0644\nhex: 0x1F\noct: 0o17\nbin: 0b101\nnbin: -0b11\nund: 1_000\nplus: +12\n",
    "f1: 1e3\nf2: .5\nf3: -.5\nf4: 1.\nf5: 08\nf6: 1e400\nbig: 99999999999999999999\nmax: 18446744073709551615\n",
    "s1: 1:20\ns2: 0x\ns3: 2001-12-14\ns4: 2001-12-14T21:59:43.10Z\ns5: -\ns6: 1.2.3\ns7: yES\n",
    "n1: ~\nn2: null\nn3: NULL\nn4:\nn5: nULL\n",
    "yes: 1\n1: a\n1.5: b\n0x10: c\non: d\n-1: e\n1e3: f\n",
    "a: !!str 5\nb: !foo 7\nc: !!int \"12\"\nd: !!float 3\ne: !!bool yes\nf: !!binary aGk=\n",
    "base: &b {x: 1, y: 2}\nd1:\n  <<: *b\n  y: 3\nd2:\n  y: 3\n  <<: *b\n",
    "m1: &m1 {a: 1}\nm2: &m2 {a: 2, b: 2}\nd:\n  <<: [*m1, *m2]\n  c: 3\n",
    "l: &l [1, 2]\nc: *l\ns: &s str\nt: *s\n",
    "dup: 1\ndup: 2\n",
    "q1: 'yes'\nq2: \"0644\"\nq3: |\n  line\n  yes\nq4: >-\n  folded\n  text\n",
    "esc: \"a\\tb\\u00e9\\x41\\/\"\n",
    "esc: \"ok\" # a \\/ in a comment is fine\nmulti: \"line one\n  line \\/ two\"\n",
    "a: 1\n---\nb: 2\n---\n# comment only\n---\nc: [1, {d: e}]\n",
    "a: 1\n...\nignored: 2\n---\nb: 3\n",
    "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"n\": 1.0, \"s\": \"yes\", \"t\": true}",
    "{\n\t\"a\": [1,\n\t\t2]\n}\n",
    "list:\n- a\n- b:\n    c: d\n- - nested\n",
    "k: v # trailing comment\n# full line\nk2: 'v2' # c\n",
    "unicode: \"é\\u2028\"\nemoji: 😀\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: b: c\n",
    "a:\n  - b\n c: d\n",
    "[1, 2]\n",
    "just a string\n",
    "a: &x 1\nb: *y\n",
    "~: null key\n",
    "<<: {a: 1}\nb: 2\n",
    "a: {<<: [1, 2]}\n",
    "? [complex]\n: key\n",
    "a: !!int abc\n",
    "a: 'unterminated\n",
    "--- {a: 1}\n",
    "a: 1\n----\nb: 2\n",
];

/// Numbers compare as f64; everything else structurally.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Our reading of `text`: one entry per document, `Ok(json)` or `Err(message)`.
fn ours(text: &str) -> Vec<Result<Value, String>> {
    parse_str("case.yaml", text, &Limits::default())
        .into_iter()
        .map(|r| r.map(|d| d.root().to_json()).map_err(|e| e.to_string()))
        .collect()
}

/// Kubernetes' reading, from the oracle's lines for one case.
fn theirs(lines: &[Value]) -> Vec<Result<Value, String>> {
    lines
        .iter()
        .map(|l| match l.get("ok") {
            Some(v) => Ok(v.clone()),
            None => Err(l["error"].as_str().unwrap_or_default().to_string()),
        })
        .collect()
}

/// Kubernetes stops at a stream-level error (kubectl refuses the whole file); we report it
/// and go on. So: where Kubernetes reports an error we must report one too, and the
/// documents it did read must match ours, in order.
fn agree(expected: &[Result<Value, String>], got: &[Result<Value, String>]) -> bool {
    let oks = |v: &[Result<Value, String>]| {
        v.iter()
            .filter_map(|r| r.as_ref().ok().cloned())
            .collect::<Vec<_>>()
    };
    let (e_ok, g_ok) = (oks(expected), oks(got));
    if expected.iter().all(Result::is_ok) {
        return got.iter().all(Result::is_ok)
            && e_ok.len() == g_ok.len()
            && e_ok.iter().zip(&g_ok).all(|(a, b)| same(a, b));
    }
    got.iter().any(Result::is_err)
        && e_ok.len() <= g_ok.len()
        && e_ok.iter().zip(&g_ok).all(|(a, b)| same(a, b))
}

fn compare(bin: &str, text: &str) -> Result<(), String> {
    let expected = theirs(&run_oracle(bin, "yaml2json", text));
    let got = ours(text);
    if agree(&expected, &got) {
        Ok(())
    } else {
        Err(format!(
            "case {text:?}\n kubernetes: {expected:?}\n palisade:   {got:?}"
        ))
    }
}

#[test]
fn corpus_reads_like_kubernetes() {
    let Some(bin) = oracle() else { return };
    let failures: Vec<String> = CORPUS
        .iter()
        .filter_map(|t| compare(&bin, t).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const SCALARS: &[&str] = &[
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "true",
    "False",
    "~",
    "null",
    "0644",
    "0x1F",
    "0o17",
    "0b11",
    "1_000",
    "+5",
    "-7",
    "1e3",
    ".5",
    "08",
    "1.",
    "2001-12-14",
    "1:20",
    "0",
    "-0",
    "abc",
    "a b",
    "'yes'",
    "\"0644\"",
    "'it''s'",
    "\"tab\\t\"",
    "!!str 12",
    "!!int \"7\"",
    "!foo bar",
    "x-y",
    "9223372036854775808",
    "-9223372036854775809",
    "1e-400",
    "0.1",
    "100000000",
    ".inf",
];
const KEYS: &[&str] = &[
    "name", "yes", "on", "1", "0x10", "1.5", "'quoted'", "a-b", "N", "k8s.io/x",
];

fn scalar(rng: &mut Rng) -> String {
    rng.pick(SCALARS).to_string()
}

/// A random YAML value at `indent`, in block or flow style.
fn value(rng: &mut Rng, indent: usize, depth: usize, anchors: &mut Vec<String>) -> String {
    let pad = " ".repeat(indent);
    let roll = if depth > 3 { 0 } else { rng.below(10) };
    match roll {
        0..=3 => format!(" {}\n", scalar(rng)),
        4 if !anchors.is_empty() => format!(" *{}\n", rng.pick(anchors)),
        4 | 5 => {
            // Block mapping, sometimes anchored, sometimes with a merge key.
            let mut out = String::new();
            if rng.chance(20) {
                let name = format!("a{}", anchors.len());
                out.push_str(&format!(" &{name}"));
                anchors.push(name);
            }
            out.push('\n');
            let mut used = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let key = rng.pick(KEYS);
                if used.contains(&key) {
                    continue;
                }
                used.push(key);
                out.push_str(&format!(
                    "{pad}{key}:{}",
                    value(rng, indent + 2, depth + 1, anchors)
                ));
            }
            out
        }
        6 | 7 => {
            let mut out = String::from("\n");
            for _ in 0..1 + rng.below(3) {
                out.push_str(&format!(
                    "{pad}-{}",
                    value(rng, indent + 2, depth + 1, anchors)
                ));
            }
            out
        }
        8 => {
            let items: Vec<String> = (0..rng.below(4))
                .map(|_| scalar(rng))
                .filter(|s| !s.starts_with('!'))
                .collect();
            format!(" [{}]\n", items.join(", "))
        }
        _ => {
            let n = rng.below(3);
            let items: Vec<String> = (0..n)
                .map(|i| format!("k{i}: {}", scalar(rng)))
                .filter(|s| !s.contains('!'))
                .collect();
            format!(" {{{}}}\n", items.join(", "))
        }
    }
}

fn document(rng: &mut Rng) -> String {
    let mut anchors = Vec::new();
    let mut out = String::new();
    let mut used = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let key = rng.pick(KEYS);
        if used.contains(&key) {
            continue;
        }
        used.push(key);
        out.push_str(&format!("{key}:{}", value(rng, 2, 0, &mut anchors)));
    }
    if !anchors.is_empty() && rng.chance(50) {
        out.push_str(&format!("merged:\n  <<: *{}\n  extra: 1\n", anchors[0]));
    }
    out
}

#[test]
fn generated_documents_read_like_kubernetes() {
    let Some(bin) = oracle() else { return };
    let mut rng = Rng::from_env("PALISADE_ORACLE_SEED", 0xa11a5);
    let n = env_count("PALISADE_ORACLE_DOCS", 400);
    // One stream of many documents: also exercises splitting and document numbering.
    let docs: Vec<String> = (0..n).map(|_| document(&mut rng)).collect();
    let stream = docs.join("---\n");
    let expected = theirs(&run_oracle(&bin, "yaml2json", &stream));
    let got = ours(&stream);
    assert_eq!(expected.len(), got.len(), "document counts differ");
    for (i, (e, g)) in expected.iter().zip(&got).enumerate() {
        let ok = match (e, g) {
            (Ok(e), Ok(g)) => same(e, g),
            (Err(_), Err(_)) => true,
            _ => false,
        };
        assert!(
            ok,
            "document {i}:\n{}\n kubernetes: {e:?}\n palisade:   {g:?}",
            docs[i]
        );
    }
}
