package modelgate.drift

import rego.v1

import data.modelgate.testing

feature(method, score, threshold, drifted) := {
	"method": method,
	"score": score,
	"threshold": threshold,
	"drifted": drifted,
	"kind": "distance",
}

# Four columns, `names` of them drifted (psi 0.3 against 0.1).
report(names, critical_tag) := {
	"share_drifted": count(names) / 4,
	"drifted": names,
	"features": object.union(
		{name: feature("psi", 0.01, 0.1, false) | some name in ["age", "amount", "city", "hour"]},
		{name: feature("psi", 0.3, 0.1, true) | some name in names},
	),
	"window": null,
	"format": "modelgate",
	"critical_columns": critical_tag,
}

with_drift(drift, risk) := testing.at_risk(testing.clean_with("drift", drift), risk)

test_no_report_no_deny_and_no_error if {
	count(deny) == 0 with input as data.fixtures.clean_high
	count(errors) == 0 with input as data.fixtures.clean_high
	count(deny) == 0 with input as data.fixtures.clean_high with data.thresholds as {}
	count(errors) == 0 with input as data.fixtures.clean_high with data.thresholds as {}
}

test_no_drifted_column_passes_at_every_risk if {
	every risk in ["low", "medium", "high", "critical"] {
		count(deny) == 0 with input as with_drift(report([], []), risk)
	}
}

test_share_limits_follow_the_risk_tier if {
	# One of four columns is 25%: over critical (10%) and high (20%), under medium (30%).
	count(deny) == 1 with input as with_drift(report(["amount"], []), "critical")
	count(deny) == 1 with input as with_drift(report(["amount"], []), "high")
	count(deny) == 0 with input as with_drift(report(["amount"], []), "medium")
	count(deny) == 0 with input as with_drift(report(["amount"], []), "low")
}

test_the_share_limit_is_inclusive if {
	# Two of four is 50%, exactly the low tier's limit.
	deny == {"drift: 50% of columns drifted (2 of 4: amount, city), at or above the limit of 50% for low risk"} with input as with_drift(report(["amount", "city"], []), "low")
}

test_shares_read_as_percentages_to_one_decimal if {
	some msg in deny with input as with_drift(object.union(report(["amount"], []), {"share_drifted": 2 / 3}), "critical")
	startswith(msg, "drift: 66.7% of columns drifted (1 of 4: amount), at or above the limit of 10% for critical risk")
}

test_a_critical_column_from_data_denies_alone if {
	some msg in deny with input as with_drift(report(["amount"], []), "medium")
		with data.thresholds.drift.critical_columns as ["amount"]
	msg == "drift: critical column amount drifted (psi 0.3, threshold 0.1)"
}

test_the_model_tag_adds_critical_columns if {
	deny == {"drift: critical column amount drifted (psi 0.3, threshold 0.1)"} with input as with_drift(report(["amount"], ["amount"]), "medium")
}

test_the_tag_cannot_remove_a_configured_column if {
	count(deny) == 1 with input as with_drift(report(["amount"], ["city"]), "medium")
		with data.thresholds.drift.critical_columns as ["amount"]
}

test_a_critical_column_that_did_not_drift_is_quiet if {
	count(deny) == 0 with input as with_drift(report(["city"], ["amount"]), "medium")
}

test_missing_settings_fail_closed_with_a_report if {
	count(errors) == 2 with input as with_drift(report([], []), "high") with data.thresholds as {}
}

test_a_tier_without_a_limit_is_an_error if {
	count(errors) == 1 with input as with_drift(report([], []), "high")
		with data.thresholds.drift.max_share_by_risk as {"low": 0.5, "medium": 0.3, "high": 0.2}
}

test_a_share_outside_zero_to_one_is_an_error if {
	count(errors) == 1 with input as with_drift(report([], []), "high")
		with data.thresholds.drift.max_share_by_risk as {"low": 5, "medium": 0.3, "high": 0.2, "critical": 0.1}
}

test_default_settings_are_valid if {
	count(errors) == 0 with input as with_drift(report(["amount"], []), "high")
}
