//! The SPA's five languages stay complete: every catalog has every English key with the same
//! placeholders, plural messages carry every form their language's CLDR rules use (Russian and
//! Czech one/few/many/other, Portuguese one/many/other, …), and every message the code asks
//! for exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

fn frontend() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../frontend")
}

fn catalog(name: &str) -> BTreeMap<String, Value> {
    let path = frontend().join("locales").join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn placeholders(v: &Value) -> BTreeSet<String> {
    let texts: Vec<&str> = match v {
        Value::String(s) => vec![s],
        Value::Object(forms) => forms.values().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    texts
        .iter()
        .flat_map(|t| t.split('{').skip(1).filter_map(|s| s.split_once('}').map(|(n, _)| n.to_owned())))
        .collect()
}

#[test]
fn every_language_has_every_message_and_plural_form() {
    let en = catalog("en");
    let needs: [(&str, &[&str]); 5] = [
        ("en", &["one", "other"]),
        ("sv", &["one", "other"]),
        ("cs", &["one", "few", "many", "other"]),
        ("ru", &["one", "few", "many", "other"]),
        ("pt-BR", &["one", "many", "other"]),
    ];
    for (name, forms) in needs {
        let c = catalog(name);
        let extra: Vec<&String> = c.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(extra.is_empty(), "{name} has keys English lacks: {extra:?}");
        for (key, english) in &en {
            let own = c.get(key).unwrap_or_else(|| panic!("{name} lacks {key}"));
            assert_eq!(placeholders(own), placeholders(english), "{name} {key}");
            match (english, own) {
                (Value::String(_), Value::String(s)) => assert!(!s.trim().is_empty(), "{name} {key} is empty"),
                (Value::Object(_), Value::Object(o)) => {
                    for f in forms {
                        assert!(o.contains_key(*f), "{name} {key} lacks the '{f}' form");
                    }
                }
                _ => panic!("{name} {key}: a plural message in one language must be one in all"),
            }
        }
    }
}

#[test]
fn every_message_the_app_asks_for_exists() {
    let en = catalog("en");
    let mut missing = Vec::new();
    let mut stack = vec![frontend().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for call in ["t(\"", "tf(\"", "tp(\""] {
                for (at, _) in source.match_indices(call) {
                    // The call itself, not the end of a longer name (`get("…")`).
                    let before = source[..at].chars().next_back();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                        continue;
                    }
                    let key = source[at + call.len()..].split('"').next().unwrap_or_default();
                    if !en.contains_key(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "messages missing from en.json: {missing:?}");
}
