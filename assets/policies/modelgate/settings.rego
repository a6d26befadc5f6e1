# Checks data.json: a threshold that is missing or has the wrong type would
# make a rule silently undefined, which reads as a pass. Every message here
# fails the evaluation closed.
package modelgate.settings

import rego.v1

numbers := [
	["fairness", "min_disparate_impact_ratio"],
	["fairness", "max_demographic_parity_difference"],
	["regression", "max_relative_worsening"],
]

tiers := {"low", "medium", "high", "critical"}

parts := {"explainability", "fairness", "model_card", "security"}

errors contains msg if {
	some path in numbers
	value := object.get(data.thresholds, path, null)
	not is_number(value)
	msg := sprintf("data.json: thresholds.%s must be a number, found %v", [concat(".", path), value])
}

errors contains msg if {
	value := object.get(data.thresholds, ["strict_risks"], null)
	not valid_tiers(value)
	msg := sprintf("data.json: thresholds.strict_risks must be a list of risk tiers, found %v", [value])
}

errors contains msg if {
	some key in ["deny_when_missing", "warn_when_missing"]
	value := object.get(data.thresholds, ["evidence", key], null)
	not valid_evidence(value)
	msg := sprintf("data.json: thresholds.evidence.%s must map risk tiers to lists of %v, found %v", [key, sort(parts), value])
}

valid_tiers(value) if {
	is_array(value)
	every t in value {
		t in tiers
	}
}

valid_evidence(value) if {
	is_object(value)
	every tier, list in value {
		tier in tiers
		is_array(list)
		every part in list {
			part in parts
		}
	}
}
