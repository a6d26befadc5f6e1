# Broken evidence denies at every risk: a report that cannot be read (status
# "error") must never pass as absent. The cause is in `looked_at`, not in the
# message, so that the message stays the same while the file does.
package modelgate.broken_evidence

import rego.v1

files := {
	"explainability": "modelgate/explainability.json",
	"fairness": "modelgate/fairness.json",
	"security": "modelgate/security_scan.json",
	"model_card": "modelgate/model_card.md",
	"schema": "model/MLmodel",
}

findings contains finding if {
	some part, file in files
	input[part].status == "error"
	finding := {
		"level": "deny",
		"msg": sprintf("broken evidence: %s cannot be read (%s)", [part, file]),
		"looked_at": {
			sprintf("input.%s.status", [part]): "error",
			sprintf("input.%s.error", [part]): object.get(input[part], "error", null),
		},
	}
}

# A status this bundle does not know (a newer modelgate?) is not a pass either.
findings contains finding if {
	some part, _ in files
	status := object.get(object.get(input, part, {}), "status", null)
	not status in {"present", "absent", "error"}
	finding := {
		"level": "deny",
		"msg": sprintf("broken evidence: %s has the unknown status %v", [part, status]),
		"looked_at": {sprintf("input.%s.status", [part]): status},
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
