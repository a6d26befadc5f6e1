package modelgate.broken_evidence

import rego.v1

import data.modelgate.testing

broken := {"status": "error", "error": "modelgate/fairness.json: expected value at line 1 column 2"}

test_intact_evidence_passes if {
	count(findings) == 0 with input as data.fixtures.clean_high
}

test_each_broken_report_denies_at_every_risk if {
	every part in ["explainability", "fairness", "security", "model_card", "schema"] {
		every risk in ["low", "medium", "high", "critical"] {
			doc := testing.at_risk(testing.clean_with(part, broken), risk)
			count(deny) == 1 with input as doc
		}
	}
}

test_message_names_the_file_and_keeps_the_cause_aside if {
	# Bound before the `with`: regorus 0.14 leaves a rule used in a `with`
	# value undefined when the same body refers to it again afterwards.
	cause := broken.error
	doc := testing.clean_with("fairness", broken)
	deny == {"broken evidence: fairness cannot be read (modelgate/fairness.json)"} with input as doc
	some f in findings with input as doc
	f.looked_at["input.fairness.error"] == cause
}

test_unknown_status_denies if {
	deny == {"broken evidence: fairness has the unknown status corrupt"} with input as testing.clean_with("fairness", {"status": "corrupt"})
}
