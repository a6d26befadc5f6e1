package modelgate.regression

import rego.v1

import data.modelgate.testing

with_metrics(doc, metrics) := testing.replace(doc, "metrics", metrics)

auc_drop := {"auc": testing.metric("auc", 0.9, 0.8, "higher")}

test_improvements_pass if {
	count(findings) == 0 with input as data.fixtures.clean_high
}

test_worse_by_more_than_five_percent_denies_for_critical if {
	some msg in deny with input as data.fixtures.critical_removed_column
	startswith(msg, "regression: fpr is 20.4% worse than baseline version 5")
	some msg2 in deny with input as data.fixtures.critical_removed_column
	startswith(msg2, "regression: log_loss is 7.4% worse")
}

test_higher_is_better_drop_denies_for_high if {
	some msg in deny with input as with_metrics(data.fixtures.clean_high, auc_drop)
	startswith(msg, "regression: auc is 11.1% worse")
}

test_low_and_medium_risk_only_warn if {
	every risk in ["low", "medium"] {
		doc := testing.at_risk(with_metrics(data.fixtures.clean_high, auc_drop), risk)
		count(deny) == 0 with input as doc
		count(warn) == 1 with input as doc
	}
}

test_direction_matters if {
	# log_loss going down is better: a 20% drop is no regression.
	count(findings) == 0 with input as with_metrics(
		data.fixtures.clean_high,
		{"log_loss": testing.metric("log_loss", 0.5, 0.4, "lower")},
	)
}

test_five_percent_exactly_passes if {
	count(findings) == 0 with input as with_metrics(
		data.fixtures.clean_high,
		{"auc": object.union(testing.metric("auc", 1, 0.95, "higher"), {"relative_delta": -0.05})},
	)
}

test_nan_metric_warns_for_medium if {
	some msg in warn with input as data.fixtures.nan_metric_medium
	startswith(msg, "regression: mape is NaN")
}

test_nan_metric_denies_for_critical if {
	some msg in deny with input as testing.at_risk(data.fixtures.nan_metric_medium, "critical")
	startswith(msg, "regression: mape is NaN")
}

test_removed_metric_warns if {
	some msg in warn with input as with_metrics(data.fixtures.clean_high, {"auc": {
		"name": "auc", "candidate": null, "baseline": 0.9, "delta": null,
		"relative_delta": null, "better": "higher", "verdict": "removed",
	}})
	startswith(msg, "regression: auc is no longer reported")
}

test_limit_comes_from_data if {
	count(deny) == 0 with input as data.fixtures.critical_removed_column
		with data.thresholds.regression.max_relative_worsening as 0.5
}
