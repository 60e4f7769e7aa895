//! Off-schema but real-world input (reference, principle 6), checked by
//! metamorphosis: a schema-valid document from `structure.rs` is rewritten
//! in ways the reference says must not change the rendering, and the
//! Markdown must stay byte for byte the same. The structural oracle already
//! vouches for the original's Markdown, so this carries its guarantee over
//! to the malformed variants without a second oracle.
//!
//! Rewrites, each applied to a random subset of the nodes:
//! - numeric attributes given as strings (`"level": "2"`, `"order": "3"`,
//!   `"colspan": "2"`);
//! - `content: []` given as `content: null` or left out;
//! - empty `marks` given as `null` or left out, marks in another order, and
//!   an unknown mark added;
//! - extra attributes (`__expanded`, `__confluenceMetadata`) and extra keys
//!   on the node;
//! - empty text nodes (`""`, or no `text` at all) slipped between inline
//!   nodes.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::structure::doc;

/// A tiny deterministic generator, so one proptest seed picks every
/// rewrite and a failure shrinks over the document alone.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }

    /// A number in `0..=n`.
    fn up_to(&mut self, n: usize) -> usize {
        let n = u64::try_from(n).expect("a small length");
        usize::try_from(self.next() % (n + 1)).expect("at most n")
    }
}

fn mutate(v: &mut Value, dice: &mut Dice) {
    let Value::Object(node) = v else { return };
    if let Some(Value::Object(attrs)) = node.get_mut("attrs") {
        for value in attrs.values_mut() {
            if value.is_number() && dice.one_in(2) {
                *value = Value::String(value.to_string());
            }
        }
        if dice.one_in(3) {
            attrs.insert("__expanded".into(), json!(true));
            attrs.insert(
                "__confluenceMetadata".into(),
                json!({"linkType": "embed", "text": "not content"}),
            );
        }
    }
    if dice.one_in(4) {
        node.insert("localId".into(), json!("0a1b"));
    }
    mutate_marks(node, dice);
    let empty = matches!(node.get("content"), Some(Value::Array(c)) if c.is_empty());
    if empty && dice.one_in(2) {
        if dice.one_in(2) {
            node.insert("content".into(), Value::Null);
        } else {
            node.remove("content");
        }
        return;
    }
    if let Some(Value::Array(children)) = node.get_mut("content") {
        // Text among the children: an inline run, where an empty text node
        // may be slipped in.
        let inline = children.iter().any(|c| c["type"] == "text");
        for child in children.iter_mut() {
            mutate(child, dice);
        }
        if inline && dice.one_in(2) {
            let at = dice.up_to(children.len());
            let blank = if dice.one_in(2) {
                json!({"type": "text", "text": ""})
            } else {
                json!({"type": "text"})
            };
            children.insert(at, blank);
        }
    }
}

fn mutate_marks(node: &mut Map<String, Value>, dice: &mut Dice) {
    if node.get("type").and_then(Value::as_str) != Some("text") {
        return;
    }
    match node.get_mut("marks") {
        Some(Value::Array(marks)) if !marks.is_empty() => {
            if marks.len() > 1 && dice.one_in(2) {
                marks.reverse();
            }
            if dice.one_in(3) {
                let at = dice.up_to(marks.len());
                marks.insert(at, json!({"type": "sparkle", "attrs": {"x": 1}}));
            }
        }
        Some(Value::Array(_)) | None => match dice.next() % 4 {
            0 => {
                node.insert("marks".into(), Value::Null);
            }
            1 => {
                node.remove("marks");
            }
            2 => {
                node.insert("marks".into(), json!([{"type": "sparkle"}]));
            }
            _ => {}
        },
        Some(_) => {}
    }
}

proptest! {
    // `PROPTEST_CASES` raises the 256 cases for a longer hunt.
    #![proptest_config(crate::support::proptest_config(256))]

    #[test]
    fn off_schema_input_renders_like_its_schema_valid_twin(d in doc(), seed in any::<u64>()) {
        let mut twisted = d.clone();
        mutate(&mut twisted, &mut Dice(seed | 1));
        let want = adf_md::to_markdown(&d);
        let got = adf_md::to_markdown(&twisted);
        prop_assert_eq!(got, want, "\noff-schema: {}\nschema-valid: {}", twisted, d);
    }
}
