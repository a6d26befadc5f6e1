# Helpers for the bundle's tests (a _test.rego file: loaded only by `policy test`).
package modelgate.testing

import rego.v1

# `doc` with its `key` replaced by `value` (object.union would merge objects).
replace(doc, key, value) := object.union(object.remove(doc, [key]), {key: value})

# A review at another risk tier.
at_risk(doc, risk) := replace(doc, "risk", risk)

# The clean high-risk review with one part replaced.
clean_with(key, value) := replace(data.fixtures.clean_high, key, value)

metric(name, baseline, candidate, better) := {
	"name": name,
	"baseline": baseline,
	"candidate": candidate,
	"delta": candidate - baseline,
	"relative_delta": (candidate - baseline) / abs(baseline),
	"better": better,
	"verdict": "regressed",
}
