//! Label selectors against apimachinery itself: generated selectors (valid and invalid keys,
//! values and operators) and label sets go through `metav1.LabelSelectorAsSelector` and
//! `Matches` in the Go oracle and through `palisade_model::LabelSelector`; the answers
//! (refused, or matches / does not match) must be identical. NetworkPolicy selection,
//! webhook namespace selectors, RBAC aggregation and waivers all rest on this.

use palisade_model::{Document, LabelSelector};
use palisade_testkit::{Rng, env_count, oracle, run_oracle};
use serde_json::{Map, Value, json};

const KEYS: &[&str] = &[
    "app",
    "tier",
    "env",
    "app.kubernetes.io/name",
    "kubernetes.io/metadata.name",
    "example.com/team",
    "a_b.c-d",
    // Invalid keys: the API server refuses them.
    "",
    "-app",
    "app-",
    "a b",
    "Example.com/x",
    "/name",
    "x/",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];
const VALUES: &[&str] = &[
    "web",
    "api",
    "prod",
    "dev",
    "",
    "a.b_c-d",
    "9",
    // Invalid values.
    "-x",
    "x-",
    "a b",
    "é",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];
const OPERATORS: &[&str] = &["In", "NotIn", "Exists", "DoesNotExist", "Equals", "in"];

/// Mostly valid keys, values and operators; invalid ones often enough to test refusals.
fn key(rng: &mut Rng) -> &'static str {
    if rng.chance(10) {
        rng.pick(&KEYS[7..])
    } else {
        rng.pick(&KEYS[..7])
    }
}
fn value(rng: &mut Rng) -> &'static str {
    if rng.chance(8) {
        rng.pick(&VALUES[7..])
    } else {
        rng.pick(&VALUES[..7])
    }
}
fn operator(rng: &mut Rng) -> &'static str {
    if rng.chance(8) {
        rng.pick(&OPERATORS[4..])
    } else {
        rng.pick(&OPERATORS[..4])
    }
}

fn selector(rng: &mut Rng) -> Value {
    let mut sel = Map::new();
    if rng.chance(70) {
        let mut labels = Map::new();
        for _ in 0..1 + rng.below(2) {
            labels.insert(key(rng).to_string(), json!(value(rng)));
        }
        sel.insert("matchLabels".into(), Value::Object(labels));
    }
    if rng.chance(60) {
        let exprs: Vec<Value> = (0..rng.below(3))
            .map(|_| {
                let mut e = json!({"key": key(rng), "operator": operator(rng)});
                if rng.chance(70) {
                    let values: Vec<&str> = (0..rng.below(3)).map(|_| value(rng)).collect();
                    e["values"] = json!(values);
                }
                e
            })
            .collect();
        sel.insert("matchExpressions".into(), Value::Array(exprs));
    }
    Value::Object(sel)
}

fn labels(rng: &mut Rng) -> Value {
    let mut labels = Map::new();
    for _ in 0..rng.below(5) {
        // Label sets of real objects: valid keys and values only.
        labels.insert(
            rng.pick(&KEYS[..7]).to_string(),
            json!(rng.pick(&VALUES[..7])),
        );
    }
    Value::Object(labels)
}

#[test]
fn label_selectors_agree_with_apimachinery() {
    let Some(bin) = oracle() else {
        return;
    };
    let mut rng = Rng::from_env("PALISADE_SELECTOR_SEED", 20261127);
    let count = env_count("PALISADE_SELECTOR_CASES", 3000);
    let cases: Vec<(Value, Value)> = (0..count)
        .map(|_| (selector(&mut rng), labels(&mut rng)))
        .collect();
    let input: String = cases
        .iter()
        .map(|(s, l)| json!({"selector": s, "labels": l}).to_string() + "\n")
        .collect();
    let upstream = run_oracle(&bin, "selector", &input);
    assert_eq!(upstream.len(), cases.len());
    let (mut refused, mut matched) = (0, 0);
    for ((sel, lab), theirs) in cases.iter().zip(&upstream) {
        let doc = Document::from_json(sel);
        let ours = LabelSelector::from_node(doc.root());
        let pairs: Vec<(&str, &str)> = lab
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
            .collect();
        match (&ours, theirs.get("error")) {
            (Err(_), Some(_)) => refused += 1,
            (Ok(s), None) => {
                let m = s.matches(&pairs);
                assert_eq!(json!(m), theirs["matches"], "selector {sel} labels {lab}");
                matched += usize::from(m);
            }
            (Ok(_), Some(e)) => panic!("apimachinery refuses {sel} ({e}), Palisade accepts it"),
            (Err(e), None) => panic!("Palisade refuses {sel} ({e}), apimachinery accepts it"),
        }
    }
    eprintln!("{count} selectors: {refused} refused, {matched} matched");
    // The generator must exercise all three outcomes.
    assert!(refused > count / 10, "only {refused} refused");
    assert!(matched > count / 20, "only {matched} matched");
    assert!(
        count - refused - matched > count / 20,
        "too few non-matches"
    );
}
