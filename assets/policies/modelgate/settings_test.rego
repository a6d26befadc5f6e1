package modelgate.settings

import rego.v1

test_default_settings_are_valid if {
	count(errors) == 0
}

test_missing_threshold_is_an_error if {
	errors == {"data.json: thresholds.fairness.min_disparate_impact_ratio must be a number, found null"} with data.thresholds.fairness as {"max_demographic_parity_difference": 0.1}
}

test_string_threshold_is_an_error if {
	count(errors) == 1 with data.thresholds.regression.max_relative_worsening as "5%"
}

test_bad_risk_list_is_an_error if {
	count(errors) == 1 with data.thresholds.strict_risks as ["severe"]
}

test_unknown_evidence_part_is_an_error if {
	count(errors) == 1 with data.thresholds.evidence.warn_when_missing as {"medium": ["datasheet"]}
}
