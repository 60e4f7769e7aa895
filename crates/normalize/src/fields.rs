//! The site's field catalogue (`GET /rest/api/3/field`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::{Error, Result};

/// Labels `content` uses for system fields and its own sections (lower
/// case). A custom field with one of these names (say a textarea called
/// "Environment") is labelled with its id too, so the two never merge.
const RESERVED: &[&str] = &[
    "project",
    "type",
    "status",
    "priority",
    "resolution",
    "assignee",
    "reporter",
    "labels",
    "components",
    "fix versions",
    "affects versions",
    "sprint",
    "story points",
    "parent",
    "sub-tasks",
    "links",
    "created",
    "resolved",
    "due",
    "description",
    "environment",
    "comments",
];

/// One field of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldDef {
    /// The field id, e.g. `customfield_10016` or `summary`.
    pub id: String,
    /// The current display name. Mutable and not unique: a label only.
    pub name: String,
    /// Whether Jira marks the field as custom.
    pub custom: bool,
    /// `schema.type`, e.g. `array`, `option`, `string`.
    pub schema_type: Option<String>,
    /// `schema.items` for arrays, e.g. `option`, `user`.
    pub schema_items: Option<String>,
    /// `schema.custom`: the custom field type key that classifies the field,
    /// e.g. `com.atlassian.jira.plugin.system.customfieldtypes:select`.
    pub custom_type: Option<String>,
    /// Name shown in the `content` Markdown: the name, or `name (id)` when
    /// another custom field has the same name or the name is one `content`
    /// uses for a system field, so labels never collide.
    pub label: String,
}

/// The site's fields keyed by id, built from `GET /rest/api/3/field` (or
/// `/rest/api/2/field` on Data Center), which should be re-read every run
/// because names change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldCatalogue {
    fields: BTreeMap<String, FieldDef>,
}

impl FieldCatalogue {
    /// Reads the JSON array `GET /rest/api/3/field` returns. Entries without
    /// a string `id` are skipped; a missing `name` falls back to the id.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidFieldCatalogue`] when the value is not an array of objects.
    pub fn from_json(value: &Value) -> Result<FieldCatalogue> {
        let entries = value.as_array().ok_or(Error::InvalidFieldCatalogue {
            reason: "the top level is not a JSON array",
        })?;
        let mut fields = BTreeMap::new();
        for entry in entries {
            let entry = entry.as_object().ok_or(Error::InvalidFieldCatalogue {
                reason: "an entry is not a JSON object",
            })?;
            let Some(id) = entry.get("id").and_then(Value::as_str) else {
                continue;
            };
            let schema = entry.get("schema");
            let schema_text = |name: &str| {
                schema
                    .and_then(|s| s.get(name))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.trim().is_empty())
                .unwrap_or(id);
            let custom_type = schema_text("custom");
            fields.insert(
                id.to_owned(),
                FieldDef {
                    id: id.to_owned(),
                    name: name.to_owned(),
                    custom: entry
                        .get("custom")
                        .and_then(Value::as_bool)
                        .unwrap_or(custom_type.is_some() || id.starts_with("customfield_")),
                    schema_type: schema_text("type"),
                    schema_items: schema_text("items"),
                    custom_type,
                    label: name.to_owned(),
                },
            );
        }
        // Count names case-insensitively: "Team" and "team" read the same in
        // a Markdown document.
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for def in fields.values().filter(|d| d.custom) {
            *counts.entry(def.name.to_lowercase()).or_default() += 1;
        }
        for def in fields.values_mut().filter(|d| d.custom) {
            let lower = def.name.to_lowercase();
            if counts.get(&lower).copied().unwrap_or(0) > 1 || RESERVED.contains(&lower.as_str()) {
                def.label = format!("{} ({})", def.name, def.id);
            }
        }
        Ok(FieldCatalogue { fields })
    }

    /// The field with this id.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&FieldDef> {
        self.fields.get(id)
    }

    /// Every field, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.values()
    }

    /// Number of fields.
    #[must_use]
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether the catalogue is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_the_field_endpoint_shape_and_labels_duplicates() {
        let cat = FieldCatalogue::from_json(&json!([
            {"id": "summary", "key": "summary", "name": "Summary", "custom": false,
             "schema": {"type": "string", "system": "summary"}},
            {"id": "customfield_10010", "name": "Team", "custom": true,
             "schema": {"type": "team", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team", "customId": 10010}},
            {"id": "customfield_10011", "name": "team", "custom": true,
             "schema": {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield", "customId": 10011}},
            {"id": "customfield_10012", "name": "Severity", "custom": true,
             "schema": {"type": "option", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select", "customId": 10012}},
            {"id": "customfield_10013", "name": "Environment", "custom": true,
             "schema": {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textarea", "customId": 10013}},
            {"name": "no id, skipped"}
        ]))
        .unwrap();
        assert_eq!(cat.len(), 5);
        assert_eq!(
            cat.get("customfield_10013").unwrap().label,
            "Environment (customfield_10013)"
        );
        assert_eq!(
            cat.get("customfield_10010").unwrap().label,
            "Team (customfield_10010)"
        );
        assert_eq!(
            cat.get("customfield_10011").unwrap().label,
            "team (customfield_10011)"
        );
        let severity = cat.get("customfield_10012").unwrap();
        assert_eq!(severity.label, "Severity");
        assert!(severity.custom);
        assert_eq!(
            severity.custom_type.as_deref(),
            Some("com.atlassian.jira.plugin.system.customfieldtypes:select")
        );
        assert!(!cat.get("summary").unwrap().custom);
        let ids: Vec<_> = cat.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "customfield_10010",
                "customfield_10011",
                "customfield_10012",
                "customfield_10013",
                "summary"
            ]
        );
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [json!({"fields": []}), json!([1, 2])] {
            assert!(matches!(
                FieldCatalogue::from_json(&bad),
                Err(Error::InvalidFieldCatalogue { .. })
            ));
        }
        assert!(FieldCatalogue::from_json(&json!([])).unwrap().is_empty());
    }
}
