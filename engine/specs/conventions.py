"""What our diagrams may say beyond plain BPMN: the user-task properties the engine reads.

A user task carries (spiff-arena's convention, editable in the usual modelers):
  formJsonSchemaFilename  the form in processes/forms/
  dataKey                 the task-data variable the form result is stored under
  record                  which fact the engine writes on completion (see RECORDS)
  stage                   the dossier stage the task belongs to
  roles                   optional: narrows the lane's roles (comma-separated)
  party                   for `avis`/`accord` records: whose avis it is (cc_es, cpms_es, …)
"""

RECORDS = {
    "avis": "an avis (favorable/défavorable) of `party`",
    "accord": "an accord of `party` on a document",
    "partner_request": "the EO school asked to be the partner",
    "partner_answer": "the EO school's answer",
    "content_projet": "the projet's content (annex 4)",
    "content_protocole": "the protocol's content (annex 5)",
    "declaration": "the pôle's declaration (annex 2)",
    "content_concertation_arret": "the EO direction's concertation on a stop request (R-ARRET-2)",
    "content_issue_concertation": "the outcome of that concertation when a party refused",
    "content_attestation": "the CPMS EO's new attestation d'orientation (R-ARRET-5)",
    "content_reinscription": "the ES school's re-enrolment of the pupil",
    "content_attestation_fwb": "the FWB attestation d'orientation of a pupil from another Community",
    "content_proposition_autre": "the other Community school's signed proposition (R-COMM-3)",
    "content_declaration_prolongation": "the pôle's declaration of a prolongation (annex 3)",
    "content_concertation_prolongation": "the EO direction's decision after a défavorable avis",
}
REQUIRED_PROPERTIES = ("formJsonSchemaFilename", "dataKey", "record", "stage")
PARTIES_FOR_DECISIONS = {
    "cc_es",
    "cpms_es",
    "parents",
    "eo_school",
    "cc_eo",
    "ee_eo",
    "pole",
    "cpms_eo",
}
STAGES = (
    "proposition",
    "recherche_partenaire",
    "projet",
    "protocole",
    "ipt",
    "arret",
    "prolongation",
)

# Task-data variables a diagram computes that the engine copies onto the dossier after each step.
DIAGRAM_FACTS = {
    "priorite_ipt": "enrolment_priority",  # R-PROP-6
    "priorite_motif": "enrolment_priority_reason",
}
