# Fairness (modelgate/fairness.json): the four-fifths rule and demographic parity.
# A value that is not a number (NaN from an empty group) cannot show the model
# is within the limit, so it denies too. A value the report does not give does not.
package modelgate.fairness

import rego.v1

limits := data.thresholds.fairness

# fairlearn calls the same quantity demographic_parity_ratio.
ratio_key(summary) := "disparate_impact_ratio" if "disparate_impact_ratio" in object.keys(summary)

else := "demographic_parity_ratio" if "demographic_parity_ratio" in object.keys(summary)

findings contains finding if {
	some i, a in input.fairness.assessments
	key := ratio_key(a.summary)
	value := a.summary[key]
	not at_least(value, limits.min_disparate_impact_ratio)
	finding := {
		"level": "deny",
		"msg": sprintf(
			"fairness: %s for %s is %v, below the minimum %v",
			[key, a.sensitive_feature, value, limits.min_disparate_impact_ratio],
		),
		"looked_at": {
			sprintf("input.fairness.assessments[%d].summary.%s", [i, key]): value,
			"data.thresholds.fairness.min_disparate_impact_ratio": limits.min_disparate_impact_ratio,
		},
	}
}

findings contains finding if {
	some i, a in input.fairness.assessments
	value := a.summary.demographic_parity_difference
	not at_most(value, limits.max_demographic_parity_difference)
	finding := {
		"level": "deny",
		"msg": sprintf(
			"fairness: demographic_parity_difference for %s is %v, above the maximum %v",
			[a.sensitive_feature, value, limits.max_demographic_parity_difference],
		),
		"looked_at": {
			sprintf("input.fairness.assessments[%d].summary.demographic_parity_difference", [i]): value,
			"data.thresholds.fairness.max_demographic_parity_difference": limits.max_demographic_parity_difference,
		},
	}
}

at_least(value, limit) if {
	is_number(value)
	value >= limit
}

at_most(value, limit) if {
	is_number(value)
	value <= limit
}

deny contains f.msg if {
	some f in findings
	f.level == "deny"
}

warn contains f.msg if {
	some f in findings
	f.level == "warn"
}
