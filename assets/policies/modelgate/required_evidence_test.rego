package modelgate.required_evidence

import rego.v1

import data.modelgate.testing

absent := {"status": "absent"}

test_complete_evidence_passes if {
	count(findings) == 0 with input as data.fixtures.clean_high
}

test_high_and_critical_deny_each_missing_report if {
	every risk in ["high", "critical"] {
		every part in ["explainability", "fairness", "model_card"] {
			doc := testing.at_risk(testing.clean_with(part, absent), risk)
			deny == {sprintf("missing evidence: %s risk requires the %s report (%s)", [risk, part, files[part]])} with input as doc
		}
	}
}

test_medium_warns_on_missing_explainability_only if {
	doc := testing.at_risk(testing.clean_with("explainability", absent), "medium")
	count(deny) == 0 with input as doc
	warn == {"missing evidence: medium risk requires the explainability report (modelgate/explainability.json)"} with input as doc
	count(findings) == 0 with input as testing.at_risk(testing.clean_with("model_card", absent), "medium")
}

test_low_requires_nothing if {
	every part in ["explainability", "fairness", "model_card"] {
		count(findings) == 0 with input as testing.at_risk(testing.clean_with(part, absent), "low")
	}
}

test_a_broken_report_is_not_missing if {
	# broken_evidence.rego denies it; this concern only handles absence.
	count(findings) == 0 with input as testing.clean_with("fairness", {"status": "error", "error": "x"})
}
