package modelgate.schema

import rego.v1

import data.modelgate.testing

column(name, type, required) := {"name": name, "type": type, "required": required}

with_inputs(diff) := testing.clean_with("schema", object.union(data.fixtures.clean_high.schema, {"inputs": diff}))

with_outputs(diff) := testing.clean_with("schema", object.union(data.fixtures.clean_high.schema, {"outputs": diff}))

no_change := {"added": [], "removed": [], "changed": []}

test_unchanged_schema_passes if {
	count(findings) == 0 with input as data.fixtures.clean_high
}

test_removed_required_column_denies_for_critical if {
	deny == {"schema: required input column device_risk_score (double) was removed, for critical risk"} with input as data.fixtures.critical_removed_column
}

test_removed_required_column_warns_for_low if {
	doc := testing.at_risk(data.fixtures.critical_removed_column, "low")
	count(deny) == 0 with input as doc
	count(warn) == 1 with input as doc
}

test_removed_optional_column_passes if {
	count(findings) == 0 with input as with_inputs(object.union(no_change, {"removed": [column("note", "string", false)]}))
}

test_type_change_denies_for_high if {
	some msg in deny with input as data.fixtures.not_scanned_high
	msg == "schema: input column stock_level changed type from long to double, for high risk"
}

test_type_change_warns_for_medium if {
	doc := testing.at_risk(data.fixtures.not_scanned_high, "medium")
	some msg in warn with input as doc
	startswith(msg, "schema: input column stock_level changed type")
}

test_new_required_input_warns if {
	some msg in warn with input as with_inputs(object.union(no_change, {"added": [column("x", "long", true)]}))
	msg == "schema: required input column x (long) was added, which current callers do not send"
}

test_new_optional_input_passes if {
	count(findings) == 0 with input as with_inputs(object.union(no_change, {"added": [column("x", "long", false)]}))
}

test_any_output_change_warns if {
	count(warn) == 3 with input as with_outputs({
		"added": [column("score", "double", true)],
		"removed": [column("#0", "string", true)],
		"changed": [{"name": "label", "change": "type", "from": "long", "to": "string"}],
	})
	count(deny) == 0 with input as with_outputs({"added": [column("score", "double", true)], "removed": [], "changed": []})
}

test_no_baseline_no_findings if {
	count(findings) == 0 with input as testing.clean_with("schema", {"status": "present", "error": null, "candidate": null, "inputs": null, "outputs": null})
}

test_many_columns_make_one_message_listing_ten if {
	cols := [column(sprintf("c%d", [i]), "double", true) | some i in numbers.range(1, 25)]
	doc := testing.at_risk(with_inputs(object.union(no_change, {"removed": cols})), "critical")
	deny == {"schema: 25 required input columns were removed: c1 (double), c2 (double), c3 (double), c4 (double), c5 (double), c6 (double), c7 (double), c8 (double), c9 (double), c10 (double) and 15 more, for critical risk"} with input as doc
	some f in findings with input as doc
	count(f.looked_at["input.schema.inputs.removed[_] (required)"]) == 25
}

test_type_changes_are_listed if {
	doc := with_inputs(object.union(no_change, {"changed": [
		{"name": "a", "change": "type", "from": "long", "to": "double"},
		{"name": "b", "change": "type", "from": "string", "to": "long"},
		{"name": "c", "change": "required", "from": "optional", "to": "required"},
	]}))
	deny == {"schema: 2 input columns changed type: a (long -> double), b (string -> long), for high risk"} with input as doc
	warn == {"schema: input column c became required"} with input as doc
}
