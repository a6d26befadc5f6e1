package modelgate.fairness

import rego.v1

import data.modelgate.testing

assessment(summary) := {"status": "present", "assessments": [{
	"sensitive_feature": "sex",
	"by_group": {},
	"summary": summary,
}]}

test_clean_report_passes if {
	count(findings) == 0 with input as data.fixtures.clean_high
}

test_disparate_impact_below_minimum_denies if {
	some msg in deny with input as data.fixtures.fairness_breach_critical
	startswith(msg, "fairness: disparate_impact_ratio for age_band is 0.669")
}

test_parity_difference_above_maximum_denies if {
	some msg in deny with input as data.fixtures.fairness_breach_critical
	startswith(msg, "fairness: demographic_parity_difference for age_band is 0.209")
}

test_limits_are_inclusive if {
	count(deny) == 0 with input as testing.clean_with("fairness", assessment({
		"disparate_impact_ratio": 0.8,
		"demographic_parity_difference": 0.1,
	}))
}

test_breaches_deny_at_every_risk if {
	every risk in ["low", "medium", "high", "critical"] {
		count(deny) == 2 with input as testing.at_risk(data.fixtures.fairness_breach_critical, risk)
	}
}

test_nan_cannot_show_the_model_is_fair if {
	count(deny) == 2 with input as testing.clean_with("fairness", assessment({
		"disparate_impact_ratio": "NaN",
		"demographic_parity_difference": "NaN",
	}))
}

test_fairlearn_ratio_name_is_read if {
	some msg in deny with input as testing.clean_with("fairness", assessment({"demographic_parity_ratio": 0.5}))
	startswith(msg, "fairness: demographic_parity_ratio for sex is 0.5")
}

test_a_value_not_given_does_not_deny if {
	count(deny) == 0 with input as testing.clean_with("fairness", assessment({"equalized_odds_difference": 0.4}))
}

test_thresholds_come_from_data if {
	count(deny) == 0 with input as data.fixtures.fairness_breach_critical
		with data.thresholds.fairness as {"min_disparate_impact_ratio": 0.5, "max_demographic_parity_difference": 0.3}
}

test_findings_name_the_values_compared if {
	some f in findings with input as data.fixtures.fairness_breach_critical
	f.looked_at["input.fairness.assessments[0].summary.disparate_impact_ratio"] < 0.8
	f.looked_at["data.thresholds.fairness.min_disparate_impact_ratio"] == 0.8
}
