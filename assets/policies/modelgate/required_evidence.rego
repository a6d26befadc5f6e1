# Evidence a risk tier requires (data.thresholds.evidence): a missing report
# denies (deny_when_missing) or warns (warn_when_missing). The security scan
# has its own rules in security.rego.
package modelgate.required_evidence

import rego.v1

files := {
	"explainability": "modelgate/explainability.json",
	"fairness": "modelgate/fairness.json",
	"model_card": "modelgate/model_card.md",
	"security": "modelgate/security_scan.json",
}

rules := data.thresholds.evidence

findings contains finding if {
	some part in object.get(rules.deny_when_missing, input.risk, [])
	input[part].status == "absent"
	finding := missing("deny", part)
}

findings contains finding if {
	some part in object.get(rules.warn_when_missing, input.risk, [])
	input[part].status == "absent"
	finding := missing("warn", part)
}

missing(level, part) := {
	"level": level,
	"msg": sprintf("missing evidence: %s risk requires the %s report (%s)", [input.risk, part, files[part]]),
	"looked_at": {sprintf("input.%s.status", [part]): "absent", "input.risk": input.risk},
}

deny contains f.msg if {
	some f in findings
	f.level == "deny"
}

warn contains f.msg if {
	some f in findings
	f.level == "warn"
}
