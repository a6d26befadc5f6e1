# The model signature against the baseline's (MLmodel). Each column is
# {"name", "type", "required"}; an unnamed column is "#<position>".
# Removing a required input or changing an input's type breaks callers: deny at
# the strict risk tiers, warn otherwise. Any output change warns.
# One message per kind of change, listing the columns (the first ten in the
# message, all of them in looked_at), so a very wide schema stays readable.
package modelgate.schema

import rego.v1

import data.modelgate.lib

inputs := object.get(input.schema, "inputs", null)

outputs := object.get(input.schema, "outputs", null)

removed_required := [c | some c in inputs.removed; c.required]

retyped := [c | some c in inputs.changed; c.change == "type"]

added_required := [c | some c in inputs.added; c.required]

now_required := [c | some c in inputs.changed; c.change == "required"; c.to == "required"]

findings contains finding if {
	count(removed_required) > 0
	finding := {
		"level": lib.level,
		"msg": sprintf("schema: %s, for %s risk", [
			lib.columns(removed_required, "required input column", "was removed", "were removed"),
			input.risk,
		]),
		"looked_at": {"input.schema.inputs.removed[_] (required)": removed_required, "input.risk": input.risk},
	}
}

findings contains finding if {
	count(retyped) > 0
	finding := {
		"level": lib.level,
		"msg": sprintf("schema: %s, for %s risk", [lib.changes(retyped, "input column", "changed type"), input.risk]),
		"looked_at": {"input.schema.inputs.changed[_] (type)": retyped, "input.risk": input.risk},
	}
}

# Callers of the current version do not send a column that is new and required.
findings contains finding if {
	count(added_required) > 0
	finding := {
		"level": "warn",
		"msg": sprintf("schema: %s, which current callers do not send", [
			lib.columns(added_required, "required input column", "was added", "were added"),
		]),
		"looked_at": {"input.schema.inputs.added[_] (required)": added_required},
	}
}

findings contains finding if {
	count(now_required) > 0
	finding := {
		"level": "warn",
		"msg": sprintf("schema: %s", [lib.names(now_required, "input column", "became required")]),
		"looked_at": {"input.schema.inputs.changed[_] (required)": now_required},
	}
}

findings contains finding if {
	count(outputs.added) > 0
	finding := {
		"level": "warn",
		"msg": sprintf("schema: %s", [lib.columns(outputs.added, "output column", "was added", "were added")]),
		"looked_at": {"input.schema.outputs.added": outputs.added},
	}
}

findings contains finding if {
	count(outputs.removed) > 0
	finding := {
		"level": "warn",
		"msg": sprintf("schema: %s", [lib.columns(outputs.removed, "output column", "was removed", "were removed")]),
		"looked_at": {"input.schema.outputs.removed": outputs.removed},
	}
}

findings contains finding if {
	count(outputs.changed) > 0
	finding := {
		"level": "warn",
		"msg": sprintf("schema: %s", [lib.changes(outputs.changed, "output column", "changed")]),
		"looked_at": {"input.schema.outputs.changed": outputs.changed},
	}
}

deny contains f.msg if {
	some f in findings
	f.level == "deny"
}

warn contains f.msg if {
	some f in findings
	f.level == "warn"
}
