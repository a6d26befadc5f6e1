package modelgate

import rego.v1

import data.modelgate.testing

test_clean_review_passes if {
	count(deny) == 0 with input as data.fixtures.clean_high
	count(warn) == 0 with input as data.fixtures.clean_high
	count(errors) == 0 with input as data.fixtures.clean_high
}

test_every_concern_reaches_the_gate if {
	count(deny) == 3 with input as data.fixtures.critical_removed_column
	count(deny) == 2 with input as data.fixtures.fairness_breach_critical
	count(deny) == 1 with input as data.fixtures.high_scan_issue_low
	count(deny) == 3 with input as data.fixtures.not_scanned_high
	count(deny) == 0 with input as data.fixtures.nan_metric_medium
	count(warn) == 3 with input as data.fixtures.nan_metric_medium
}

test_sub_package_messages_are_the_gate_messages if {
	deny == data.modelgate.schema.deny | data.modelgate.regression.deny with input as data.fixtures.critical_removed_column
}

test_settings_errors_reach_the_gate if {
	count(errors) == 1 with data.thresholds.regression as {}
}
