# Regressions against the baseline (direction-aware). `relative_delta` is
# (candidate - baseline) / |baseline|; `better` says which way is good.
# Deny at the strict risk tiers (data.thresholds.strict_risks), warn otherwise.
package modelgate.regression

import rego.v1

import data.modelgate.lib

limit := data.thresholds.regression.max_relative_worsening

# How much worse the candidate is, relative to the baseline: positive is worse.
worsening(m) := m.relative_delta if m.better == "lower"

worsening(m) := 0 - m.relative_delta if m.better == "higher"

findings contains finding if {
	some name, m in input.metrics
	is_number(m.relative_delta)
	w := worsening(m)
	w > limit
	finding := {
		"level": lib.level,
		"msg": sprintf(
			"regression: %s is %s worse than baseline version %s (%v -> %v, %s is better), over the %s limit for %s risk",
			[name, lib.percent(w), input.baseline, m.baseline, m.candidate, m.better, lib.percent(limit), input.risk],
		),
		"looked_at": {
			sprintf("input.metrics[%q]", [name]): m,
			"input.risk": input.risk,
			"data.thresholds.regression.max_relative_worsening": limit,
		},
	}
}

# A metric that became NaN or infinite while the baseline's was a number is
# broken: it cannot show the candidate is no worse.
findings contains finding if {
	some name, m in input.metrics
	is_number(m.baseline)
	m.candidate != null
	not is_number(m.candidate)
	finding := {
		"level": lib.level,
		"msg": sprintf(
			"regression: %s is %v (baseline version %s: %v) for %s risk",
			[name, m.candidate, input.baseline, m.baseline, input.risk],
		),
		"looked_at": {
			sprintf("input.metrics[%q]", [name]): m,
			"input.risk": input.risk,
		},
	}
}

# A metric the baseline reported and the candidate does not cannot be compared.
findings contains finding if {
	some name, m in input.metrics
	m.verdict == "removed"
	finding := {
		"level": "warn",
		"msg": sprintf("regression: %s is no longer reported (baseline version %s: %v)", [name, input.baseline, m.baseline]),
		"looked_at": {sprintf("input.metrics[%q]", [name]): m},
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
