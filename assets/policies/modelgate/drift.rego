# Drift (PROTOCOL 16): a monitoring job's report on a deployed version, as
# `modelgate drift` gives it in input.drift. Its deny messages are the drift
# verdict. Reviews carry no input.drift, so nothing here fires for them.
#
# Two denies: the share of drifted columns at or above the risk tier's limit
# (data.thresholds.drift.max_share_by_risk), and any drifted column that is
# critical for the model: data.thresholds.drift.critical_columns plus the
# registered model's tag modelgate.drift.critical_columns (input.drift
# .critical_columns), which can only add to the list.
package modelgate.drift

import rego.v1

import data.modelgate.lib

# Missing settings read as {}, which the errors below report.
default settings := {}

settings := data.thresholds.drift

tiers := {"low", "medium", "high", "critical"}

critical contains c if some c in settings.critical_columns

critical contains c if some c in input.drift.critical_columns

findings contains finding if {
	limit := settings.max_share_by_risk[input.risk]
	share := input.drift.share_drifted
	share >= limit
	drifted := input.drift.drifted
	finding := {
		"level": "deny",
		"msg": sprintf(
			"drift: %s of columns drifted (%d of %d: %s), at or above the limit of %s for %s risk",
			[percent(share), count(drifted), count(input.drift.features), lib.list(drifted), percent(limit), input.risk],
		),
		"looked_at": {
			"input.drift.share_drifted": share,
			"input.risk": input.risk,
			sprintf("data.thresholds.drift.max_share_by_risk.%s", [input.risk]): limit,
		},
	}
}

findings contains finding if {
	some name in input.drift.drifted
	name in critical
	f := input.drift.features[name]
	finding := {
		"level": "deny",
		"msg": sprintf(
			"drift: critical column %s drifted (%s %v, threshold %v)",
			[name, f.method, f.score, f.threshold],
		),
		"looked_at": {
			sprintf("input.drift.features[%q]", [name]): f,
			"data.thresholds.drift.critical_columns": settings.critical_columns,
			"input.drift.critical_columns": input.drift.critical_columns,
		},
	}
}

# "25%", "12.5%", "66.7%": the same share reads the same in every message.
percent(x) := sprintf("%v%%", [round(x * 1000) / 10])

deny contains f.msg if {
	some f in findings
	f.level == "deny"
}

# Checked only with a report: a bundle written before drift existed keeps
# working for reviews, and `modelgate drift` fails closed on it.
errors contains msg if {
	input.drift
	value := object.get(settings, "max_share_by_risk", null)
	not valid_limits(value)
	msg := sprintf("data.json: thresholds.drift.max_share_by_risk must map every risk tier (%s) to a share between 0 and 1, found %v", [concat(", ", sort(tiers)), value])
}

errors contains msg if {
	input.drift
	value := object.get(settings, "critical_columns", null)
	not valid_columns(value)
	msg := sprintf("data.json: thresholds.drift.critical_columns must be a list of column names, found %v", [value])
}

valid_limits(value) if {
	is_object(value)
	every tier in tiers {
		limit := value[tier]
		is_number(limit)
		limit >= 0
		limit <= 1
	}
}

valid_columns(value) if {
	is_array(value)
	every c in value {
		is_string(c)
	}
}
