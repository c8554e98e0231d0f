//! Loader behaviour: positions, lists, bad input, limits, discovery.

use std::io::Cursor;

use palisade_loader::{ErrorKind, Limits, load_inputs, load_str};
use palisade_model::{FieldPath, Pos};
use proptest::prelude::*;

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: clinic
spec:
  template:
    spec:
      containers:
        - name: a
          image: a
        - name: b
          image: b
          securityContext:
            privileged: yes
";

#[test]
fn field_paths_resolve_to_lines_and_columns() {
    let out = load_str("d.yaml", DEPLOYMENT, &Limits::default());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let d = &out.objects[0];
    assert_eq!(d.id.to_string(), "Deployment/clinic/web");
    let p = FieldPath::parse("spec.template.spec.containers[1].securityContext.privileged");
    assert_eq!(d.locate(&p), Pos::new(15, 13));
    assert_eq!(d.root().at(&p).and_then(|n| n.as_bool()), Some(true));
    // A missing field points at its nearest existing parent.
    let missing = FieldPath::parse("spec.template.spec.containers[0].securityContext.runAsNonRoot");
    assert_eq!(d.locate(&missing), Pos::new(10, 11));
}

#[test]
fn lists_are_unpacked_and_typed_lists_fill_in_item_kinds() {
    let text = "\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: one}
- metadata: {name: no-kind}
---
apiVersion: v1
kind: PodList
items:
- metadata: {name: p1}
  spec: {containers: []}
";
    let out = load_str("l.yaml", text, &Limits::default());
    let ids: Vec<String> = out.objects.iter().map(|o| o.id.to_string()).collect();
    assert_eq!(ids, ["ConfigMap/one", "Pod/p1"]);
    assert_eq!(out.stats.skipped, 1);
    assert_eq!(out.stats.documents, 2);
    assert_eq!(out.objects[1].root().pos(), Pos::new(12, 3));
}

#[test]
fn documents_without_kind_are_skipped_and_counted() {
    let out = load_str(
        "x.yaml",
        "a: 1\n---\n- list\n---\n\"scalar\"\n---\n",
        &Limits::default(),
    );
    assert!(out.objects.is_empty());
    assert_eq!(out.stats.skipped, 3);
    assert!(out.errors.is_empty());
}

#[test]
fn a_syntax_error_names_the_place_and_the_rest_still_loads() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok1}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: [broken\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok2}\n";
    let out = load_str("bad.yaml", text, &Limits::default());
    let names: Vec<&str> = out.objects.iter().map(|o| o.id.name.as_str()).collect();
    assert_eq!(names, ["ok1", "ok2"]);
    assert_eq!(out.errors.len(), 1);
    let e = &out.errors[0];
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.pos.unwrap().line >= 8, "{e}");
    assert!(e.to_string().starts_with("bad.yaml:"), "{e}");
    assert!(e.message.contains("expected"), "{e}");
}

#[test]
fn alias_bombs_are_refused_quickly() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    let started = std::time::Instant::now();
    let out = load_str("bomb.yaml", &text, &Limits::default());
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].kind, ErrorKind::Limit);
    assert!(out.errors[0].message.contains("--max-nodes"));
    assert!(started.elapsed().as_secs() < 5);
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 10_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let out = load_str("deep.yaml", &text, &Limits::default());
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].kind, ErrorKind::Limit);
    assert!(
        out.errors[0].message.contains("--max-depth"),
        "{}",
        out.errors[0]
    );
}

#[test]
fn oversized_documents_are_refused_and_others_kept() {
    let limits = Limits {
        max_document_bytes: 200,
        ..Limits::default()
    };
    let big = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\ndata: {{x: \"{}\"}}\n",
        "y".repeat(300)
    );
    let text = format!("{big}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: small}}\n");
    let out = load_str("s.yaml", &text, &limits);
    assert_eq!(out.objects.len(), 1);
    assert_eq!(out.errors[0].kind, ErrorKind::Limit);
    assert_eq!(out.errors[0].pos, Some(Pos::new(1, 1)));
}

#[test]
fn invalid_utf8_is_an_encoding_error_at_its_position() {
    let dir = tempdir();
    let path = dir.join("latin1.yaml");
    std::fs::write(&path, b"a: 1\nb: caf\xe9\n").unwrap();
    let out = load_inputs(
        &[path.to_string_lossy().into()],
        &Limits::default(),
        &mut Cursor::new(""),
    );
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].kind, ErrorKind::Encoding);
    assert_eq!(out.errors[0].pos, Some(Pos::new(2, 7)));
}

#[test]
fn duplicate_keys_warn_and_the_later_value_wins() {
    let out = load_str(
        "d.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: false\n  hostNetwork: true\n",
        &Limits::default(),
    );
    assert_eq!(out.warnings.len(), 1);
    assert_eq!(out.warnings[0].pos, Pos::new(6, 3));
    assert_eq!(
        out.objects[0]
            .root()
            .get_in(&["spec", "hostNetwork"])
            .unwrap()
            .as_bool(),
        Some(true)
    );
}

#[test]
fn folders_globs_and_stdin() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.join("sub/.git")).unwrap();
    let cm = |n: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {n}}}\n");
    std::fs::write(dir.join("a.yaml"), cm("a")).unwrap();
    std::fs::write(dir.join("sub/b.yml"), cm("b")).unwrap();
    std::fs::write(
        dir.join("sub/c.json"),
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"#,
    )
    .unwrap();
    std::fs::write(dir.join("sub/notes.txt"), "not yaml: [").unwrap();
    std::fs::write(dir.join("sub/.git/d.yaml"), cm("hidden")).unwrap();
    let d = dir.to_string_lossy().to_string();
    let out = load_inputs(
        std::slice::from_ref(&d),
        &Limits::default(),
        &mut Cursor::new(""),
    );
    let names: Vec<&str> = out.objects.iter().map(|o| o.id.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(out.stats.files, 3);

    let out = load_inputs(
        &[format!("{d}/sub/*.y*ml"), "-".into()],
        &Limits::default(),
        &mut Cursor::new(cm("stdin")),
    );
    let names: Vec<&str> = out.objects.iter().map(|o| o.id.name.as_str()).collect();
    assert_eq!(names, ["b", "stdin"]);
    assert_eq!(out.objects[1].file(), Some("-"));

    let out = load_inputs(
        &[format!("{d}/missing.yaml")],
        &Limits::default(),
        &mut Cursor::new(""),
    );
    assert_eq!(out.errors[0].kind, ErrorKind::Io);
}

#[test]
fn json_streams_load_with_positions() {
    let text = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}\n{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\n \"metadata\":{\"name\":\"b\"}}";
    let out = load_str("s.json", text, &Limits::default());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.objects.len(), 2);
    assert_eq!(
        out.objects[1].locate(&FieldPath::parse("metadata.name")),
        Pos::new(3, 14)
    );
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "palisade-loader-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever the bytes, loading returns (objects, errors) and never panics.
    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC{0,200}|[ -~\\n\\t]{0,300}") {
        let _ = load_str("p.yaml", &text, &Limits::default());
    }

    /// YAML-shaped noise: structure characters, anchors, aliases, tags and markers.
    #[test]
    fn never_panics_on_yaml_shaped_noise(parts in proptest::collection::vec(
        prop_oneof![
            Just("a: "), Just("- "), Just("\n"), Just("  "), Just("&x "), Just("*x"), Just("<<: "),
            Just("!!int "), Just("? "), Just("{"), Just("}"), Just("["), Just("]"), Just(", "),
            Just("---\n"), Just("...\n"), Just("\"q\\/\""), Just("'s'"), Just("|\n"), Just("yes"),
            Just("0x1F"), Just("~"), Just("#c"), Just("%YAML 1.1\n"),
        ], 0..60)) {
        let text: String = parts.concat();
        let _ = load_str("p.yaml", &text, &Limits::default());
    }
}
